"""Operation: uninstall the cluster (seed, "Disinstallazione").

The screen first shows exactly what will be removed on which host (``Uninstall.plan``). The
operator types the cluster name; volumes (media, data) are kept unless "also remove volumes" is
ticked *and* a second, separate confirmation accepts it. Each host streams into its pane and the
end shows a per-host report. The profile is kept and marked not installed.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Static

from ...domain.validation import FieldError
from ...workflows.events import discard
from ...workflows.uninstall import (
    UNINSTALL_STEPS,
    ConfirmationRequired,
    RemovalPlan,
    Uninstall,
)
from ..widgets.checkbox import Checkbox
from ..widgets.form import FieldBox
from .confirm import ConfirmScreen
from .operation import OperationScreen


def short_command(command: str) -> str:
    """``… rm -s -f wacore`` for a full compose command line (the shared prefix is explained once)."""
    match = re.match(r"^.*?--project-directory \S+ (.*)$", command)
    return f"… {match[1]}" if match else command


class UninstallScreen(OperationScreen):
    """F9: the removal plan per host, the typed cluster name, the optional volumes (second confirmation)."""

    OP = "uninstall"
    HEADING = "Uninstall"
    STEPS = UNINSTALL_STEPS
    RUN_LABEL = "Uninstall"
    INTRO = ("Stops and removes the containers of each role on every host, then `down` per host. Volumes are kept "
             "unless you tick the box below and confirm a second time. The profile is kept and marked not installed.")

    def __init__(self) -> None:
        super().__init__()
        self.report: dict[str, str] = {}

    def compose_form(self) -> ComposeResult:
        """The removal plan, the "also remove volumes" checkbox and the cluster-name confirmation field."""
        yield Static("", id="un-plan")
        yield Checkbox("Also remove volumes (the named media volume: media files are lost for good)",
                       id="un-volumes", compact=True)
        yield FieldBox(f"Type the cluster name ({self.wapp.profile.name}) to confirm", "confirm_name", "",
                       placeholder=f"(type {self.wapp.profile.name} here)", classes="w-mid", id="f-confirm",
                       input_id="un-name")

    def mounted(self) -> None:
        """Show the removal plan."""
        self.show_plan()

    async def resumed(self) -> None:
        """When idle, redraw the plan and focus the name field."""
        if not self.running:
            self.show_plan()
            # the only field: typed keys go to it at once (s8 trial M3: ~10 Tabs, most with no visible focus)
            self.query_one("#un-name", Input).focus()

    @property
    def remove_volumes(self) -> bool:
        """Whether the operator ticked "also remove volumes"."""
        return self.query_one("#un-volumes", Checkbox).value

    def plan(self) -> list[RemovalPlan]:
        """What the uninstall would remove now (from the current profile and the checkbox)."""
        return Uninstall(self.wapp.profile, emit=discard).removals(self.remove_volumes)

    def show_plan(self) -> None:
        """Redraw the removal plan: per host, the services, the network, the volumes and the commands."""
        profile = self.wapp.profile
        text = Text()
        text.append(f"Will remove on {len(profile.hosts)} host(s) of cluster {profile.name}:\n", style="bold")
        for plan in self.plan():
            text.append(f"• {plan.host}: ", style="bold")
            text.append(f"containers of {', '.join(plan.services) or 'no service'}; the project network; ")
            if plan.volumes:
                text.append(f"volumes {', '.join(plan.volumes)}\n", style="bold red")
            else:
                text.append("volumes kept\n", style="green")
            for command in plan.commands:
                text.append(f"    $ {short_command(self.wapp.mask(command))}\n", style="dim")
        text.append("  (each $ … runs as EXTERNAL_HOSTNAME=<host> WA_API_VERSION=<version> docker-compose -f "
                    "<remote dir>/<compose file> --project-directory <remote dir> …)\n", style="dim")
        if not profile.installed:
            text.append("This profile is marked not installed: there may be nothing to remove.", style="yellow")
        self.query_one("#un-plan", Static).update(text)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "un-volumes":
            self.show_plan()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "un-name":
            self.query_one("#f-confirm", FieldBox).set_error(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "un-name":
            event.stop()
            self.call_later(self.primary_action)

    async def primary_action(self) -> None:
        """Refused while running; check the typed cluster name (refused, nothing removed, when wrong); with volumes
        ticked ask a second confirmation, then :meth:`start`."""
        if self.running:
            self.wapp.notify("The uninstall is running.", severity="warning")
            return
        typed = self.query_one("#un-name", Input).value.strip()
        volumes = self.remove_volumes
        box = self.query_one("#f-confirm", FieldBox)
        try:
            Uninstall(self.wapp.profile, emit=discard).check_confirmation(typed, False, False)
        except ConfirmationRequired as exc:
            box.set_error(FieldError("confirm_name", str(exc)))
            self.refuse(f"nothing removed: {exc}")
            return
        box.set_error(None)
        if not volumes:
            self.start(typed, False)
            return
        volumes_text = "\n".join(f"{p.host}: {', '.join(p.volumes) or 'docker-compose down -v'}" for p in self.plan())

        def answered(yes: bool | None) -> None:
            """Answer of the volumes confirmation: start with volumes on yes, else say nothing was removed."""
            if yes:
                self.start(typed, True)
            else:
                self.set_status(Text("Nothing removed: the volumes were not confirmed (untick the box to keep them).",
                                     style="yellow"))

        self.app.push_screen(ConfirmScreen("Also remove the volumes? Media files and data are lost for good.",
                                           volumes_text, yes="Remove volumes"), answered)

    def start(self, typed: str, remove_volumes: bool) -> None:
        """Run the uninstall (the name was typed; volumes confirmed when asked)."""
        self.report = {}
        self.set_result("")

        def build() -> Uninstall:
            """A new :class:`Uninstall` with the app's settings and the cluster's uninstall journal (noting whether
            volumes go), so either face can resume a stopped run."""
            from ...config.paths import app_paths
            from ...workflows.journal import Journal

            settings = self.wapp.operation_settings()
            # the headless uninstall's journal: a stopped run is resumed by either face, its removed hosts re-checked
            # and reported "already removed", and health says the uninstall stopped midway
            settings.journal = Journal.for_cluster(app_paths().journals, self.wapp.profile, "uninstall")
            settings.journal.note("remove_volumes", "yes" if remove_volumes else "no")
            return Uninstall(self.wapp.profile, emit=self.emit, settings=settings)

        async def body(wf: Uninstall) -> bool:
            """Run the uninstall; the per-host report is kept for :meth:`finished` even after a stop or an error. True
            when every host was removed."""
            try:
                return await wf.run(typed, remove_volumes=remove_volumes, volumes_confirmed=remove_volumes)
            finally:  # every host, also after a stop: "already removed in an earlier run", "not reached", …
                self.report = wf.host_outcomes()

        self.run_operation(build, body, f"Uninstall of {self.wapp.profile.name}")

    def finished(self, ok: bool) -> None:
        """Show the per-host report and whether the profile is now marked not installed, then redraw the plan."""
        text = Text("Report per host:\n", style="bold")
        for host, outcome in self.report.items():
            mark, style = (("✗", "bold red") if outcome.startswith("FAILED") else
                           ("–", "yellow") if outcome.startswith("not reached") else ("✔", "green"))
            text.append(f"  {mark} {host}: {outcome}\n", style=style)
        path = self.wapp.profile_path
        where = f" ({path})" if path else ""
        if ok:
            text.append(f"The profile{where} is kept and marked not installed; the wizard starts again at step 1.")
        else:
            text.append(f"The profile{where} is kept and still marked installed: some host may still run containers. "
                        "Fix the host named above if one failed, then run the uninstall again (hosts already removed "
                        "are re-checked and skipped).", style="yellow")
        self.set_result(text)
        self.show_plan()

    def done_hint(self) -> str:
        """The profile is kept and marked not installed."""
        return "The profile is kept and marked not installed."
