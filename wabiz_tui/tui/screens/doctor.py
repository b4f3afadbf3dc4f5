"""The doctor screen: the causes ``workflows.doctor`` found, ranked, and the evidence of the selected one.

Opened by ``App.action_doctor(host)`` (the palette's "Doctor", the monitor's node actions with a host). The probes
run in a worker; ``r`` runs them again, ``escape`` goes back. Each run reads the app's profile file again (as the CLI's
``doctor`` does): the operator may have edited it (the DB password) since the window opened.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from ...config.profile import ProfileError, load_profile, profile_to_dict
from ..widgets.key_footer import KeyFooter


def changed_fields(old: Any, new: Any) -> list[str]:
    """The fields (``section.key``, or ``hosts``) in which two ``ClusterProfile``s differ: names only, never values
    (secrets among them)."""
    a, b = profile_to_dict(old), profile_to_dict(new)
    out = []
    for section in dict.fromkeys([*a, *b]):
        x, y = a.get(section), b.get(section)
        if isinstance(x, dict) and isinstance(y, dict):
            out += [f"{section}.{k}" for k in dict.fromkeys([*x, *y]) if x.get(k) != y.get(k)]
        elif x != y:
            out.append(section)
    return out


class DoctorScreen(Screen[None]):
    """Causes on the left, the selected cause's evidence, next action and source on the right."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("r", "rerun", "Run again")]
    DEFAULT_CSS = """
    DoctorScreen #doctor-body { height: 1fr; }
    DoctorScreen #doctor-causes { width: 45%; }
    DoctorScreen #doctor-causes.-empty { display: none; }
    DoctorScreen #doctor-evidence { width: 1fr; padding: 0 1; overflow-y: auto; }
    DoctorScreen #doctor-status { height: auto; padding: 0 1; }
    """

    def __init__(self, host: str = "") -> None:
        super().__init__()
        self.host = host
        self.report: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="doctor-status")
        with Horizontal(id="doctor-body"):
            yield OptionList(id="doctor-causes")
            yield Static("", id="doctor-evidence")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_rerun()

    def action_rerun(self) -> None:
        """Probe again (the previous report stays on screen until the new one is ready)."""
        where = f"{self.host} and its way to and from every other host" if self.host else "every host"
        self.query_one("#doctor-status", Static).update(f"doctor: probing {where} (read-only, each probe time-limited)…")
        # a failure of doctor is said on this screen; it never ends the app (an install may be running)
        self.run_worker(self._probe(), exclusive=True, name="doctor", exit_on_error=False)

    async def _probe(self) -> None:
        from ...workflows.doctor import Doctor

        app: Any = self.app
        status = self.query_one("#doctor-status", Static)
        profile, note = self._fresh_profile()
        if profile is None:
            status.update(Text(app.mask(note), style="bold red"))
            return
        try:
            wf = Doctor(profile, emit=lambda _event: None, settings=app.operation_settings(),
                        hosts=(self.host,) if self.host else ())
            try:
                report = await wf.run()
            finally:
                await wf.close()
        except Exception as exc:  # noqa: BLE001 - shown, never raised out of the app
            status.update(Text(
                app.mask(f"doctor could not finish: {exc}; press r to try again, or run `wabiz-tui doctor` from a "
                         f"terminal"), style="bold red"))
            return
        self.show(report, note)

    def _fresh_profile(self) -> tuple[Any, str]:
        """The profile to probe with and a line saying where it came from: the app's profile file read again when
        it has one (``(None, why)`` when that file is now invalid: the error names the field), else the app's."""
        app: Any = self.app
        path = getattr(app, "profile_path", None)
        if path is None:
            return app.profile, ""
        try:
            fresh = load_profile(path)
        except (ProfileError, OSError) as exc:
            return None, (f"doctor did not run: the profile file is not valid now: {exc}. Fix it and press r "
                          f"(the window still uses the profile it opened with)")
        app.masker.update(fresh)  # a new password is masked too
        fresh = fresh.with_changes(installed=app.profile.installed)  # run state is not the file's
        changed = changed_fields(app.profile, fresh)
        if not changed:
            return fresh, ""
        return fresh, (f"the profile file changed since this window opened ({', '.join(changed)}): doctor used "
                       f"the file as it is now ({path})")

    def show(self, report: Any, note: str = "") -> None:
        """Display ``report`` (a :class:`~wabiz_tui.domain.doctor.Report`); ``note`` is a line said under the
        status (the profile file read again)."""
        self.report = report
        app: Any = self.app
        causes = self.query_one("#doctor-causes", OptionList)
        causes.clear_options()
        for n, cause in enumerate(report.causes):
            causes.add_option(Option(Text(app.mask(f"[{cause.confidence}] {cause.title}")), id=str(n)))
        hosts = len({f.host for f in report.facts if f.host})
        folded = f"; {len(report.ruled_out)} ruled out" + (f", {len(report.unknown)} not probed" if report.unknown else "")
        self.query_one("#doctor-status", Static).update(Text(app.mask(
            f"doctor{f' on {self.host}' if self.host else ''}: {len(report.causes) or 'no'} cause(s) from "
            f"{len(report.facts)} facts on {hosts} host(s){folded}"
            + (f"\n{note}" if note else ""))))
        # with nothing found the empty list would keep half the width; the ruled-out list gets it all
        causes.set_class(not report.causes, "-empty")
        if report.causes:
            causes.highlighted = 0
            self._evidence(0)
        else:
            lines = ["Nothing wrong found. Ruled out:"] + [f"  {r.key}: {r.note}" for r in report.ruled_out]
            self.query_one("#doctor-evidence", Static).update(Text(app.mask("\n".join(lines))))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is not None:
            self._evidence(event.option_index)

    def _evidence(self, index: int) -> None:
        cause = self.report.causes[index]
        lines = [cause.title, f"confidence: {cause.confidence}", "", "evidence:"]
        for f in cause.evidence:
            lines += [f"  {f.host or 'this machine'}: {f.command}", f"    -> {f.line}"]
        lines += ["", f"next: {cause.next_action}", f"rule: {cause.key} (source: {cause.source})"]
        if cause.also:
            lines.append(f"explains: {', '.join(cause.also)}")
        app: Any = self.app
        self.query_one("#doctor-evidence", Static).update(Text(app.mask("\n".join(lines))))
