"""Clusters as contexts: the fleet view and each cluster's own TUI, one after the other in one terminal.

``wabiz-tui fleet`` opens :class:`FleetApp`; Enter on a row leaves it for that cluster's full TUI (``WabizApp`` on
its monitor, with its own profile, lock, operations and masking), and ``ctrl+k`` / the palette's "Switch
cluster" there leaves back to the fleet, the cursor on the cluster just left. Each cluster keeps a whole app of
its own rather than a screen inside another cluster's app: an operation key (F3 upgrade, F9 uninstall) always
acts on the cluster on screen.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from textual.app import App

from ..workflows.fleet import DEFAULT_TIMEOUT, FleetMember, load_fleet
from ..workflows.monitor import DEFAULT_INTERVAL
from .screens.fleet import FleetScreen

#: What a cluster's app returns when the user asks for the fleet view (``App.exit(result=...)``).
SWITCH_CLUSTER = "switch-cluster"


class FleetApp(App):
    """The fleet view alone; exits with the :class:`FleetMember` chosen with Enter (None when quit)."""

    TITLE = "wabiz-tui"
    SUB_TITLE = "Clusters"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, members: Sequence[FleetMember], *, interval: float = DEFAULT_INTERVAL,
                 timeout: float = DEFAULT_TIMEOUT, monitors=None, selected: str | None = None) -> None:
        super().__init__()
        self._screen_args = dict(members=members, interval=interval, timeout=timeout, monitors=monitors,
                                 selected=selected)

    def on_mount(self) -> None:
        self.push_screen(FleetScreen(open_cluster=self.exit, **self._screen_args))


def leave_for_fleet(app: Any) -> None:
    """``WabizApp``'s "switch cluster": exit with :data:`SWITCH_CLUSTER`, unless leaving would cut something short
    (a step or operation runs) or the cluster is the demo's (not a saved profile: it ends with the app)."""
    if app.demo is not None:
        app.notify("The demo's cluster ends with the demo: quit it, then run wabiz-tui fleet", severity="warning")
        return
    running = app.operation_running() or (f"step {app.step_tag(app.active_step)}" if app.busy else None)
    if running:
        app.notify(f"{running} is running: wait for it or cancel it (ctrl+x) before switching cluster",
                   severity="warning")
        return
    app.exit(SWITCH_CLUSTER)


async def _run(app: App) -> Any:
    await app.run_async()
    return app.return_value


def cluster_app(member: FleetMember, interval: float | None = None) -> Any:
    """The full TUI of ``member`` on its monitor."""
    from .app import WabizApp

    return WabizApp(member.profile, profile_path=member.path, start_on="monitor", monitor_interval=interval)


async def fleet_loop(members: Sequence[FleetMember], *, interval: float = DEFAULT_INTERVAL,
                     timeout: float = DEFAULT_TIMEOUT, selected: str | None = None,
                     run: Callable[[App], Awaitable[Any]] = _run,
                     make_cluster_app: Callable[[FleetMember], Any] = cluster_app) -> tuple[int, Any]:
    """Fleet view, cluster, fleet view… until the user quits; ``(exit code, the last cluster app or None)``.

    ``run(app)`` runs an app to its end and returns its ``return_value`` (tests drive it with a Pilot)."""
    while True:
        chosen = await run(FleetApp(members, interval=interval, timeout=timeout, selected=selected))
        if not isinstance(chosen, FleetMember):
            return 0, None
        selected = chosen.label
        app = make_cluster_app(chosen)
        if await run(app) != SWITCH_CLUSTER:
            return app.return_code or 0, app


def run_fleet_tui(members: Sequence[FleetMember], *, interval: float = DEFAULT_INTERVAL,
                  timeout: float = DEFAULT_TIMEOUT, selected: str | None = None) -> int:
    """``wabiz-tui fleet``: the loop of :func:`fleet_loop` in a terminal; returns the exit code."""
    code, last = asyncio.run(fleet_loop(members, interval=interval, timeout=timeout, selected=selected))
    if last is not None:
        from .run import exit_note

        print(exit_note(last), flush=True)
    return code


def saved_fleet(profiles_dir: Path | None = None) -> list[FleetMember]:
    """Every saved profile as a member (the fleet opened from a cluster's own TUI)."""
    from ..config.paths import app_paths

    return load_fleet([], profiles_dir or app_paths().profiles)
