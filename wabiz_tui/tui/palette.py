"""The command palette's entries (ctrl+p): one for every action of the app, with its key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from .steps import MC_GROUP

if TYPE_CHECKING:
    from .app import WabizApp


def palette_commands(app: WabizApp) -> Iterator[SystemCommand]:
    """Every wabiz-tui command: wizard navigation, logs, theme, monitor, operations, demo faults, steps."""
    yield SystemCommand("Next step", "Run this step if needed, else go to the next (ctrl+n)", app.action_next_step)
    yield SystemCommand("Previous step", "Go back one step (ctrl+b)", app.action_back)
    yield SystemCommand("Run / retry step", "Run the step or operation on screen (ctrl+r)", app.action_run_step)
    if app.busy or app.operation_running():
        yield SystemCommand("Cancel the running step", "Stop it and the remote commands it started (ctrl+x)",
                            app.action_cancel_step)
    yield SystemCommand("Follow / pause logs", "Toggle following in the host panes (ctrl+l)", app.action_toggle_follow)
    yield SystemCommand("Save logs", f"Save this screen's host logs under {app.log_dir} (ctrl+s)", app.action_save_logs)
    yield SystemCommand("Toggle dark/light theme", "Switch theme (ctrl+t)", app.action_toggle_theme)
    yield SystemCommand("Health monitor", "Live GET /v1/health: expected vs actual per node, timeline (F2)",
                        app.action_show_monitor)
    yield SystemCommand("Doctor: why is it failing?", "Probe every layer of every host read-only; ranked causes with "
                        "evidence and next action", app.action_doctor)
    yield SystemCommand("Back to the wizard", "The wizard's current step (esc on an operation, F2 on the monitor)",
                        lambda: app.goto_step(app.current))
    yield SystemCommand("Upgrade the cluster", "New WA_API_VERSION: backup, dbupgrade, roles, health, 2.29.3 media "
                        "ownership (F3)", lambda: app.show_operation("upgrade"))
    yield SystemCommand("Collect logs (debug_output.txt)", "docker-compose logs per host, optional support bundle (F4)",
                        lambda: app.show_operation("logs"))
    yield SystemCommand("Uninstall the cluster", "Remove the containers on every host; volumes kept unless asked (F9)",
                        lambda: app.show_operation("uninstall"))
    yield SystemCommand("Quit", f"Leave wabiz-tui (ctrl+q); run logs stay in {app.log_dir}", app.action_quit)
    if app.faults is not None:
        yield SystemCommand("Demo fault: kill the connected Coreapp",
                            "docker kill a Coreapp that serves a shard; watch the failover (F5)",
                            app.action_demo_kill_coreapp)
        yield SystemCommand("Demo fault: kill the primary master", "A secondary master must take over (F6)",
                            app.action_demo_kill_master)
        yield SystemCommand("Demo fault: restart killed containers", "Start them again as standbys (F7)",
                            app.action_demo_restart)
    for step in app.steps:
        group = f"{MC_GROUP} " if step.group == MC_GROUP else ""
        yield SystemCommand(f"Go to {group}step {step.tag}: {step.title}", f"State: {app.state(step.number).value}",
                            lambda n=step.number: app.goto_step(n))
