"""Operation: upgrade the cluster to a new ``WA_API_VERSION`` (seed, "Aggiornamento").

Steps (``workflows.upgrade``): settings backup (its path shown, mode 600) → optional MySQL
``dbupgrade`` service (its exit code shown; on failure its log, and nothing else runs) → Webapps,
Masters, Coreapps with the new version, the health table after each role → final health. After an
upgrade from 2.29.1/2.29.2 to 2.29.3+ the media ownership step is offered; it runs in the
background (its own pane) while the rest of the app stays usable. The backup can be restored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from ...domain.model import DbEngine
from ...domain.validation import FieldError
from ...workflows.events import (
    Finding,
    HostCommand,
    HostFinished,
    HostOutput,
    Message,
    StepFinished,
    discard,
)
from ...workflows.upgrade import (
    MIN_BACKUP_PASSWORD,
    UPGRADE_STEPS,
    Upgrade,
    UpgradeToResume,
    interrupted_upgrade,
    needs_media_chown,
    upgrade_journal,
)
from ..steps import StepState
from ..widgets.checkbox import Checkbox
from ..widgets.findings import FindingsList
from ..widgets.form import FieldBox
from ..widgets.health_table import HealthPanel
from ..widgets.host_log import HostLogPane
from .confirm import ConfirmScreen, PasswordScreen
from .operation import OperationScreen

#: The Select value meaning "no dbupgrade".
NO_DBUPGRADE = "-"


def friendly_problem(problem: str) -> str:
    """A version problem in the form's words (the engine's text names the CLI options)."""
    return problem.removeprefix("--to: ").replace("an explicit force (--force)", "the “Force a downgrade” box ticked")


class UpgradeScreen(OperationScreen):
    """F3: target version, downgrade force, backup password, optional dbupgrade host; then the run."""

    OP = "upgrade"
    HEADING = "Upgrade"
    STEPS = UPGRADE_STEPS
    RUN_LABEL = "Upgrade"
    INTRO = ("Backs up the settings, optionally runs the MySQL dbupgrade service, then brings Webapps, Masters and "
             "Coreapps up with the new WA_API_VERSION (the seed's order), checking health after each role. "
             "Downtime is expected.")
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+o", "media_chown", "Media ownership"),
        Binding("ctrl+y", "restore", "Restore backup"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.target = ""
        self.source = ""
        self.backup_path: Path | None = None
        self.chown_offered = False
        self.chown_running = False
        self.chown_ok: bool | None = None
        self.dbupgrade_exit: int | None = None
        #: the dbupgrade host choices the Select holds (label, value), to rebuild it when the profile's hosts change
        self._db_shown: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.mode = ""
        #: an upgrade of this cluster that stopped before its end (its journal): the form offers to resume it
        self.to_resume: UpgradeToResume | None = None
        #: the report of the last upgrade run here
        self.report_path: Path | None = None
        #: the field ("target", "password") the status line's refusal is about: editing it clears the line
        self.refused_field = ""

    # ---- form ----------------------------------------------------------------------------------
    def compose_form(self) -> ComposeResult:
        """The form (``#up-form``): resume line, target version and the check under it, backup password, downgrade
        force, dbupgrade host with its EXIT_ON_SUCCESS box; folded away while the upgrade runs (:meth:`show_form`)."""
        p = self.wapp.profile
        with Vertical(id="up-form"):
            yield from self._form_fields(p)

    def _form_fields(self, p: Any) -> ComposeResult:
        yield Static("", id="up-resume", classes="hint")
        with Horizontal(classes="form-line"):
            yield FieldBox(f"Target WA_API_VERSION (the cluster runs {p.wa_api_version})", "target", "",
                           placeholder="e.g. 2.43.1", classes="w-mid", id="f-target", input_id="up-target")
        yield Static("", id="up-check", classes="hint")
        # the two fields to fill come first in the Tab order, the optional box after them (s9 trial: Tab went
        # from the version to the box, then to the password)
        with Horizontal(classes="form-line"):
            yield FieldBox(f"Settings backup password (at least {MIN_BACKUP_PASSWORD} characters; needed to restore; "
                           "never stored)", "password", "", password=True, classes="w-wide", id="f-password",
                           input_id="up-password")
            yield Checkbox("Force a downgrade", id="up-force", compact=True)
        with Vertical(classes="field-box", id="up-db-box"):
            yield Label("MySQL dbupgrade service on host (before the roles; docker wait for exit code 0)",
                        classes="field-label")
            self._db_shown = self._db_options()
            yield Select(self._db_shown, value=NO_DBUPGRADE, allow_blank=False, id="up-db-host", compact=True)
            yield Checkbox("EXIT_ON_SUCCESS=FALSE (an orchestrator restarts exited containers)", id="up-no-exit",
                           compact=True)

    def _db_options(self) -> list[tuple[str, str]]:
        return [("none (no dbupgrade)", NO_DBUPGRADE)] + [(h.external_hostname, h.external_hostname)
                                                           for h in self.wapp.profile.hosts]

    def compose_extra(self) -> ComposeResult:
        """The health table (``#up-health``, shown from a run's first health answer) and the media ownership pane
        (``#up-chown-pane``, shown when that step runs)."""
        yield HealthPanel(id="up-health", fill=False)
        yield HostLogPane("media ownership (2.29.3)", "chown -R root in the Webapp container", id="up-chown-pane")

    def compose_buttons(self) -> ComposeResult:
        """Restore this backup (ctrl+y; hidden and disabled until a backup exists) and Media ownership (ctrl+o; shown
        once the 2.29.3 step is offered)."""
        # shown once a backup exists (s8 trial C4: offered before any backup was made)
        yield Button("Restore this backup  ctrl+y", id="up-restore", disabled=True)
        yield Button("Media ownership  ctrl+o", id="up-chown", variant="warning")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "media_chown":
            return self.chown_offered
        if action == "restore":
            return self.backup_path is not None
        return True

    def mounted(self) -> None:
        """Hide what has nothing to show yet (restore button, health table, media ownership pane and button), offer a
        stopped upgrade's resume, draw the version check and focus the version field."""
        self.query_one("#up-restore").display = False
        self.query_one("#up-health").display = False
        self.query_one("#up-chown-pane").display = False
        self.query_one("#up-chown").display = False
        self.offer_resume()
        self.update_check()
        # the first thing to do here is to type the version (nothing had the focus: issue 17, defect 7)
        self.query_one("#up-target", Input).focus()

    async def resumed(self) -> None:
        """Shown again, unless the upgrade runs: the dbupgrade host choices rebuilt when the profile's hosts changed
        (added, removed or renamed in the wizard; the choice kept when its host still exists), a stopped upgrade offered
        quietly (the status line keeps the last run's words), the version field focused; the version check redrawn in
        any case."""
        select = self.query_one("#up-db-host", Select)
        options = self._db_options()
        if not self.running and options != self._db_shown:
            chosen = select.value
            select.set_options(options)
            self._db_shown = options
            if any(value == chosen for _, value in options):
                select.value = chosen
        if not self.running:
            self.offer_resume(say=False)  # the status line keeps what the last run said
            # opened again (Esc, F3): typing must land in the form, not nowhere (issue 17 trial)
            self.query_one("#up-target", Input).focus()
        self.update_check()

    # ---- resume ------------------------------------------------------------------------------------
    def offer_resume(self, say: bool = True) -> None:
        """When an upgrade of this cluster stopped before its end (aborted, failed, killed: its journal says so,
        the same file ``upgrade --resume`` reads), fill the form with its version and options, show the steps its
        journal records done, and say so (``say``: in the status line too); the run button then resumes it."""
        from ...config.paths import app_paths

        try:
            found = interrupted_upgrade(app_paths().journals, self.wapp.profile)
        except OSError:
            found = None
        line = self.query_one("#up-resume", Static)
        run = self.query_one("#op-run", Button)
        was = self.to_resume
        self.to_resume = found
        if found is None:
            line.display = False
            run.label = f"{self.RUN_LABEL}  ctrl+r"
            if was is not None and say and not self.running:
                self.set_status(f"Ready: fill in the form, then press ctrl+r ({self.RUN_LABEL}).")
            return
        if not self.running:  # the steps its journal records done are done (s8 trial M8: shown pending)
            for step in self.STEPS:
                if found.journal.is_done(step.number):
                    self.set_step_state(step.number, StepState.DONE)
            if say:  # the status line names the button (it said "ctrl+r (Upgrade)" under "Resume upgrade")
                self.set_status("Ready: press ctrl+r (Resume upgrade)" + ("." if found.backed_up else
                                                                           " once the backup password is typed."))
        line.display = True
        password = ("no password needed: the backup is kept" if found.backed_up else
                    "type the backup password: the backup was not made yet")
        line.update(Text(f"↻ {found.note} Press ctrl+r to resume ({password}).", style="bold yellow"))
        self.query_one("#up-target", Input).value = found.target
        if found.dbupgrade_host and found.dbupgrade_host in [h.external_hostname for h in self.wapp.profile.hosts]:
            self.query_one("#up-db-host", Select).value = found.dbupgrade_host
        self.query_one("#up-no-exit", Checkbox).value = not found.exit_on_success
        run.label = "Resume upgrade  ctrl+r"

    def resuming(self, target: str) -> bool:
        """Whether a run to ``target`` continues the stopped upgrade with its backup kept (no password needed)."""
        return self.to_resume is not None and self.to_resume.target == target and self.to_resume.backed_up

    # ---- live checks -------------------------------------------------------------------------------
    def read_form(self) -> tuple[str, bool, str, str | None, bool]:
        """(target, force, password, dbupgrade host or None, exit_on_success)."""
        target = self.query_one("#up-target", Input).value.strip()
        force = self.query_one("#up-force", Checkbox).value
        password = self.query_one("#up-password", Input).value
        host = self.query_one("#up-db-host", Select).value
        no_exit = self.query_one("#up-no-exit", Checkbox).value
        return target, force, password, (host if isinstance(host, str) and host != NO_DBUPGRADE else None), not no_exit

    def version_problems(self, target: str, force: bool) -> list[str]:
        """What is wrong with upgrading to ``target`` (empty when fine)."""
        probe = Upgrade(self.wapp.profile, emit=discard, target=target, force=force)
        return [friendly_problem(p) for p in probe.problems()]

    def update_check(self) -> None:
        """Redraw the line under the version: the problem, or what will happen."""
        target, force, *_ = self.read_form()
        current = self.wapp.profile.wa_api_version
        # the label names the version in force: after an upgrade, the new one
        self.query_one("#f-target .field-label", Label).update(f"Target WA_API_VERSION (the cluster runs {current})")
        line = self.query_one("#up-check", Static)
        if not target:
            line.update(Text(f"Type the version to upgrade to (the cluster runs {current}).", style="dim"))
            return
        if self.outcome and target == current == self.target and not self.running:
            # the upgrade just done here: the form's version is the one in force now, not a mistake (s8 trial M8)
            line.update(Text(f"✔ The cluster runs {current} now (upgraded from {self.source}).", style="green"))
            return
        problems = self.version_problems(target, force)
        if problems:
            line.update(Text(f"✗ {problems[0]}", style="bold red"))
            return
        text = Text(f"✔ {current} → {target}. Downtime is expected.", style="green")
        if needs_media_chown(current, target):
            text.append("  After it, the 2.29.3 media ownership step (chown in the Webapp container) will be "
                        "offered.", style="yellow")
        line.update(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        field = {"up-target": "target", "up-password": "password"}.get(event.input.id or "")
        if field is None:
            return
        self.query_one(f"#f-{field}", FieldBox).set_error(None)
        if field == "target":
            self.update_check()
        if self.refused_field == field:  # the refusal was about this field: it no longer holds
            self.refused_field = ""
            self.set_status("")

    def refuse_field(self, field: str, text: str) -> None:
        """Refuse the run because of ``field`` (the status line says ``text``; editing the field clears it)."""
        self.refused_field = field
        self.refuse(text)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "up-force":
            self.update_check()

    # ---- run ---------------------------------------------------------------------------------------
    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "up-restore":
            event.stop()
            self.action_restore()
        elif event.button.id == "up-chown":
            event.stop()
            self.action_media_chown()
        else:
            await super().on_button_pressed(event)

    async def primary_action(self) -> None:
        """ctrl+r or the run button: check the form (a version :meth:`version_problems` accepts; a password of at
        least :data:`MIN_BACKUP_PASSWORD` characters unless a stopped upgrade with its backup kept is resumed;
        dbupgrade only on MySQL), refusing in the status line with the field marked; then confirm, with the plan (the
        steps its journal records done marked skipped), and :meth:`start`. While the upgrade runs: a warning only."""
        if self.running:
            self.wapp.notify("The upgrade is running.", severity="warning")
            return
        target, force, password, host, exit_on_success = self.read_form()
        self.refused_field = ""
        problems = self.version_problems(target, force) if target else ["type the version to upgrade to, e.g. 2.43.1"]
        box = self.query_one("#f-target", FieldBox)
        box.set_error(FieldError("target", problems[0]) if problems else None)
        if problems:
            self.refuse_field("target", f"target version: {problems[0]}")
            return
        pw_box = self.query_one("#f-password", FieldBox)
        if len(password) < MIN_BACKUP_PASSWORD and not self.resuming(target):
            pw_box.set_error(FieldError("password", f"use at least {MIN_BACKUP_PASSWORD} characters"))
            self.refuse_field("password", f"backup password: use at least {MIN_BACKUP_PASSWORD} characters")
            return
        pw_box.set_error(None)
        profile = self.wapp.profile
        if host and profile.db.engine is not DbEngine.MYSQL:
            self.refuse("the dbupgrade service is for MySQL databases (seed): choose “none” for PostgreSQL")
            return
        probe = Upgrade(profile, emit=discard, target=target, force=force)
        resumed = self.to_resume if self.to_resume is not None and self.to_resume.target == target else None
        done = [st.number for st in self.STEPS if resumed is not None and resumed.journal.is_done(st.number)]
        details = "\n".join(probe.plan(host, exit_on_success=exit_on_success).summary(done))

        def answered(yes: bool | None) -> None:
            """The confirmation's answer: True → :meth:`start` with the checked form; else the status line says
            "Upgrade not started"."""
            if yes:
                self.start(target, force, password, host, exit_on_success)
            else:
                self.set_status(Text("Upgrade not started.", style="yellow"))

        verb = "Resume the upgrade of" if self.to_resume is not None and self.to_resume.target == target else "Upgrade"
        self.app.push_screen(ConfirmScreen(f"{verb} cluster {profile.name} from {profile.wa_api_version} to {target}? "
                                           "Downtime is expected.", details, yes="Upgrade"), answered)

    def start(self, target: str, force: bool, password: str, host: str | None, exit_on_success: bool) -> None:
        """Run the upgrade (the form was checked and the downtime confirmed)."""
        from ...config.paths import app_paths

        self.wapp.masker.add(password)  # masked in what the app shows, like the engine does
        self.target = target
        self.source = self.wapp.profile.wa_api_version
        self.chown_offered = False
        self.chown_ok = None
        self.dbupgrade_exit = None
        self.query_one("#up-chown").display = False
        self.query_one("#up-health").display = False
        self.notes.clear()
        self.set_result("")
        paths = app_paths().ensure()

        def build() -> Upgrade:
            """The run's engine: the app's operation settings with this cluster's upgrade journal for ``target``,
            backups in the app's backups directory."""
            settings = self.wapp.operation_settings()
            # the journal the headless `upgrade` keeps too: either face resumes the other's run
            settings.journal = upgrade_journal(paths.journals, self.wapp.profile, target)
            return Upgrade(self.wapp.profile, emit=self.emit, settings=settings, target=target, force=force,
                           backups_dir=paths.backups)

        async def body(wf: Upgrade) -> bool:
            """``wf.run`` recorded (a ctrl+x cancel is recorded as an abort, its report written, and raised again:
            ``workflows.report.recorded``), then the report; the restore button once a backup exists (its path in
            the result box), and the dbupgrade outcome when it ran on ``host``. True when every step succeeded."""
            from ...workflows.report import recorded

            ok = await recorded(wf, wf.run(password, dbupgrade_host=host, exit_on_success=exit_on_success),
                                "cancelled from the TUI (ctrl+x)")
            self.write_report(wf, ok)
            if wf.backup_path is not None:
                self.backup_path = wf.backup_path
                restore = self.query_one("#up-restore", Button)
                restore.disabled, restore.display = False, True
                self.refresh_bindings()
                self.note(f"Backup saved: {wf.backup_path} (mode 600). Restoring needs the same password (ctrl+y).")
            if host and wf.dbupgrade_ok is not None:
                self.show_dbupgrade(wf, host, wf.dbupgrade_ok, exit_on_success)
            return ok

        self.mode = "upgrade"
        self.run_operation(build, body, f"Upgrade to {target}")
        self.show_form(not self.running)

    def show_form(self, shown: bool) -> None:
        """Show the form, or fold it away while the upgrade runs: at 80x24 it took the screen and no host table or
        pane was visible (s8 trial M7); the status line says what runs."""
        self.query_one("#up-form").display = shown
        for intro in self.query(".op-intro"):
            intro.display = shown

    def write_report(self, wf: Upgrade, ok: bool) -> None:
        """Write the upgrade's report (``workflows.report``) and say where."""
        from ...workflows.report import write_report

        try:
            self.report_path = write_report(wf, "done" if ok else "failed",
                                            {"backup": str(wf.backup_path)} if wf.backup_path else None)
        except OSError as exc:
            self.note(f"The report could not be written: {exc.strerror or exc} ({exc.filename}).")
            return
        if self.report_path is not None:
            self.note(f"Report: {self.report_path} (and {self.report_path.with_suffix('.json').name} beside it).")

    def note(self, line: str) -> None:
        """Add a line to the result box (paths, exit codes)."""
        self.notes.append(line)
        self.set_result("\n".join(self.notes))

    def show_dbupgrade(self, wf: Upgrade, host: str, ok: bool, exit_on_success: bool) -> None:
        """The dbupgrade outcome: its exit code, and on failure its log."""
        self.dbupgrade_exit = wf.dbupgrade_exit
        if exit_on_success:
            code = "no exit code" if wf.dbupgrade_exit is None else f"exit code {wf.dbupgrade_exit}"
        else:
            code = "EXIT_ON_SUCCESS=FALSE: the container keeps running"
        self.note(f"dbupgrade on {host}: {code} — {'ok' if ok else 'FAILED: the application containers were not touched'}")
        if not ok:
            self.add_message(f"dbupgrade log on {host} (last {len(wf.dbupgrade_log)} lines):")
            for line in wf.dbupgrade_log:
                self.add_message(f"  {line}")

    def show_health(self, verdict: Any) -> None:
        """A health answer of the run (``HealthUpdated``: after each role and at the end): show the health table
        with ``verdict`` (``domain.health.ClusterVerdict``)."""
        panel = self.query_one("#up-health", HealthPanel)
        panel.display = True
        panel.show_verdict(verdict)

    def done_hint(self) -> str:
        """What the status line advises after a successful run: after a restore, to restart the containers if the
        API asks for it; when the 2.29.3 media ownership step is offered, ctrl+o; else the version now run."""
        if self.mode == "restore":
            return "Restart the containers if the API asks for it."
        if self.chown_offered:
            return "This upgrade needs the 2.29.3 media ownership step: press ctrl+o (it runs in the background)."
        return f"The cluster runs {self.target}; the profile records it."

    def finished(self, ok: bool) -> None:
        """The run ended (``ok``: it succeeded; the status line is written): the form shown again, the version check
        redrawn and, after an upgrade, a stopped one offered again (its journal). A successful upgrade from
        2.29.1/2.29.2 to 2.29.3+ (:func:`needs_media_chown`) offers the media ownership step: its button, and the
        status line says so."""
        upgrading, self.mode = self.mode == "upgrade", ""
        self.show_form(True)
        self.update_check()
        if upgrading:
            self.offer_resume(say=False)  # a finished upgrade cleared its journal; a stopped one is offered again
        if ok and upgrading and needs_media_chown(self.source, self.target):
            self.chown_offered = True
            self.query_one("#up-chown").display = True
            self.set_status(Text(f"✔ Upgrade to {self.target} done. {self.done_hint()}", style="bold green"))
        self.refresh_bindings()

    # ---- restore -----------------------------------------------------------------------------------
    def action_restore(self) -> None:
        """Restore the backup this screen made (asks for its password)."""
        if self.backup_path is None:
            self.wapp.notify("No backup was made here yet: run the upgrade first.", severity="warning")
            return
        path = self.backup_path

        def got(password: str | None) -> None:
            """The :class:`PasswordScreen`'s answer: None or "" (Escape, nothing typed) → "Restore cancelled."; else the
            password masked from now on and the restore of ``path`` run as an operation (``Upgrade.restore``)."""
            if not password:
                self.set_status(Text("Restore cancelled.", style="yellow"))
                return

            def build() -> Upgrade:
                """An engine for the restore only: its target (the version in force) and ``force`` are not used."""
                return Upgrade(self.wapp.profile, emit=self.emit, settings=self.wapp.operation_settings(),
                               target=self.wapp.profile.wa_api_version, force=True)

            self.mode = "restore"
            self.wapp.masker.add(password)
            self.run_operation(build, lambda wf: wf.restore(path, password), f"Restore of {path.name}")

        self.app.push_screen(PasswordScreen(f"Restore the settings from {path.name}?",
                                            f"{path}\nType the password the backup was made with."), got)

    # ---- media ownership (background) --------------------------------------------------------------
    def action_media_chown(self) -> None:
        """Run the 2.29.3 media ownership step in the background (offered after such an upgrade)."""
        if not self.chown_offered:
            self.wapp.notify("The media ownership step applies after an upgrade from 2.29.1/2.29.2 to 2.29.3 or later.",
                             severity="warning")
            return
        if self.chown_running:
            self.wapp.notify("The media ownership step is already running.", severity="warning")
            return
        pane = self.query_one("#up-chown-pane", HostLogPane)
        pane.display = True
        pane.reset()
        pane.set_status("running")
        self.chown_running = True
        self.chown_ok = None
        self.query_one("#up-chown", Button).disabled = True
        self.set_step_state(7, StepState.RUNNING)
        self.wapp.notify("Media ownership runs in the background; the rest of the app stays usable.",
                         title="2.29.3 media ownership")
        self._chown_worker()

    @work(exclusive=True, exit_on_error=False, group="media-chown", name="media-chown")
    async def _chown_worker(self) -> None:
        pane = self.query_one("#up-chown-pane", HostLogPane)
        wf = Upgrade(self.wapp.profile, emit=self._chown_event, settings=self.wapp.operation_settings(),
                     target=self.target or self.wapp.profile.wa_api_version, force=True)
        ok = False
        error = ""
        try:
            ok = bool(await wf.start_media_chown())
        except Exception as exc:  # noqa: BLE001 - shown in the pane
            error = f"{type(exc).__name__}: {self.wapp.mask(str(exc))}"
        finally:
            await wf.close()
            self.chown_running = False
            self.chown_ok = ok
            pane.set_status("ok" if ok else "failed")
            pane.scroll_to_end()
            self.query_one("#up-chown", Button).disabled = False
        if ok:
            self.note("Media ownership (2.29.3): done on every Webapp host.")
            self.wapp.notify("Media ownership fixed on every Webapp host.", title="2.29.3 media ownership")
        else:
            self.note(f"Media ownership (2.29.3): FAILED {error}. It is safe to run again (ctrl+o).")
            self.wapp.notify(f"Media ownership failed {error}; see its pane. It is safe to run again.",
                             severity="error", title="2.29.3 media ownership")
        self.set_step_state(7, StepState.DONE if ok else StepState.FAILED)

    def _chown_event(self, event: Any) -> None:
        pane = self.query_one("#up-chown-pane", HostLogPane)
        mask = self.wapp.mask
        if isinstance(event, HostCommand):
            pane.write(f"[{event.host}] $ {mask(event.command)}")
        elif isinstance(event, HostOutput):
            pane.write(f"[{event.host}] {mask(event.line)}")
        elif isinstance(event, HostFinished):
            pane.write(f"[{event.host}] {'ok' if event.ok else 'FAILED ' + mask(event.error)}")
        elif isinstance(event, Finding):
            self.query_one(FindingsList).add(event)
        elif isinstance(event, Message):
            pane.write(mask(event.text))
        elif isinstance(event, StepFinished):
            pane.write(f"{'✔' if event.ok else '✗'} {mask(event.summary)}"
                       + (f" Next: {mask(event.next_action)}" if event.next_action and not event.ok else ""))
