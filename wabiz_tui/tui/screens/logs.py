"""Operation: collect ``docker-compose logs`` into ``debug_output.txt`` per host (seed, troubleshooting),
optionally packed with the health answer, ``/v1/support`` and ``ps`` into a support bundle.

Choose the hosts (all or some), the service (all, waweb, master, wacore), ``since`` and ``tail``;
progress shows the bytes written per host while it runs; the end lists the folder, each file with
its size, and the bundle. Every line is redacted on its way to disk by the engine.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from ...domain.validation import FieldError
from ...workflows.events import Progress
from ...workflows.logs import LOG_STEPS, LogCollection, LogRequest, uninstalled_refusal
from ..widgets.checkbox import Checkbox
from ..widgets.form import FieldBox, show_errors
from ..widgets.selection_list import SelectionList
from .operation import OperationScreen

SERVICES = (("all services", ""), ("waweb (Webapp)", "waweb"), ("master", "master"), ("wacore (Coreapp)", "wacore"))


def human_size(size: float) -> str:
    """``1.2 MB``, ``340 B``."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class LogsScreen(OperationScreen):
    """F4: hosts, service, since, tail, bundle; per-host bytes while it runs; files and sizes at the end."""

    OP = "logs"
    HEADING = "Collect logs"
    STEPS = LOG_STEPS
    CHANGES_CLUSTER = False
    RUN_LABEL = "Collect"
    INTRO = ("docker-compose logs on each chosen host, streamed into <state dir>/logs/<cluster>-<time>/<host>/"
             "debug_output.txt with secrets redacted; the bundle adds health, /v1/support and ps of every host.")

    def __init__(self) -> None:
        super().__init__()
        self.progress: dict[str, tuple[int, bool]] = {}
        self.files: dict[str, Path] = {}
        self.directory: Path | None = None
        self.bundle_path: Path | None = None

    def compose_form(self) -> ComposeResult:
        """The form: host selection (all ticked), service, ``since``, ``tail``, the bundle checkbox, and the progress
        line."""
        with Horizontal(classes="form-line"):
            with Vertical(classes="field-box w-mid", id="lg-hosts-box"):
                yield Label("Hosts (space toggles)", classes="field-label")
                yield SelectionList[str](*self._host_options(), id="lg-hosts", compact=True)
            with Vertical(classes="field-box w-mid"):
                yield Label("Service", classes="field-label")
                yield Select(SERVICES, value="", allow_blank=False, id="lg-service", compact=True)
                yield FieldBox("Since", "since", "", placeholder="e.g. 10m, 2h, 2026-11-30T10:00:00 (empty: all)",
                               classes="w-mid", id="f-since", input_id="lg-since")
                yield FieldBox("Tail (lines per container)", "tail", "", placeholder="e.g. 500 (empty: all)",
                               classes="w-mid", id="f-tail", input_id="lg-tail")
                yield Checkbox("Support bundle (.tar.gz)", True, id="lg-bundle", compact=True)
        yield Static("", id="lg-progress")

    def _host_options(self) -> list[tuple[str, str, bool]]:
        return [(h.external_hostname, h.external_hostname, True) for h in self.wapp.profile.hosts]

    async def resumed(self) -> None:
        """Refill the host list from the profile when its hosts changed (not while collecting)."""
        hosts = self.query_one("#lg-hosts", SelectionList)
        names = [h.external_hostname for h in self.wapp.profile.hosts]
        if not self.running and [hosts.get_option_at_index(i).value for i in range(hosts.option_count)] != names:
            hosts.clear_options()
            hosts.add_options(self._host_options())

    def read_request(self) -> tuple[LogRequest | None, list[FieldError]]:
        """The request from the form, or the field errors."""
        names = [h.external_hostname for h in self.wapp.profile.hosts]
        chosen = list(self.query_one("#lg-hosts", SelectionList).selected)
        hosts = () if not chosen or len(chosen) == len(names) else tuple(h for h in names if h in chosen)
        service = self.query_one("#lg-service", Select).value
        since = self.query_one("#lg-since", Input).value.strip() or None
        tail_text = self.query_one("#lg-tail", Input).value.strip()
        errors: list[FieldError] = []
        tail: int | None = None
        if tail_text:
            if tail_text.isdigit():
                tail = int(tail_text)
            else:
                errors.append(FieldError("tail", f"{tail_text!r} is not a line count: give a number of 0 or more"))
        request = LogRequest(hosts, service if isinstance(service, str) and service else None, since, tail)
        for problem in request.problems(names):
            option, _, message = problem.partition(": ")
            field = {"--since": "since", "--tail": "tail"}.get(option, option.lstrip("-"))
            errors.append(FieldError(field, message or problem))
        return (None if errors else request), errors

    async def primary_action(self) -> None:
        """Refused while running; validate the form (and refuse an uninstalled cluster), then collect the logs of the
        chosen hosts into the app's log folder, and the bundle when ticked."""
        if self.running:
            self.wapp.notify("The log collection is running.", severity="warning")
            return
        request, errors = self.read_request()
        left = show_errors([self.query_one("#f-since", FieldBox), self.query_one("#f-tail", FieldBox)], errors)
        if request is None:
            self.refuse(f"{len(errors)} field(s) to fix: {(left or errors)[0]}")
            return
        refusal = uninstalled_refusal(self.wapp.profile, str(self.wapp.profile_path or self.wapp.profile.name))
        if refusal:
            self.refuse(refusal)
            return
        bundle = self.query_one("#lg-bundle", Checkbox).value
        out_dir = self.wapp.log_dir
        chosen = request.hosts or tuple(h.external_hostname for h in self.wapp.profile.hosts)
        self.progress = {h: (0, False) for h in chosen}
        self.files, self.directory, self.bundle_path = {}, None, None
        self.set_result("")
        self.show_progress_text()

        def build() -> LogCollection:
            """A new :class:`LogCollection` for the profile with the app's operation settings."""
            return LogCollection(self.wapp.profile, emit=self.emit, settings=self.wapp.operation_settings())

        async def body(wf: LogCollection) -> bool:
            """Collect into the log folder (created if needed), then pack the bundle if asked; True when both succeeded.
            The folder, files and bundle path are kept for :meth:`finished` even on failure."""
            try:
                out_dir.mkdir(parents=True, exist_ok=True)
                ok = await wf.collect(request, out_dir)
                if bundle and wf.directory is not None and wf.directory.exists():
                    ok = await wf.bundle() and ok
                return ok
            finally:
                self.directory = wf.directory
                self.files = dict(getattr(wf, "files", {}) or {})
                self.bundle_path = wf.bundle_path

        what = request.service or "all services"
        self.run_operation(build, body, f"Log collection ({what}, {len(chosen)} host(s))")

    def show_progress(self, event: Progress) -> None:
        """Record a host's bytes written (complete when the event has a total) and redraw the progress line."""
        self.progress[event.host] = (event.done, event.total is not None)
        self.show_progress_text()

    def show_progress_text(self) -> None:
        """One line per host: bytes written so far, ``done`` once its file is complete."""
        text = Text()
        for host, (done, complete) in self.progress.items():
            text.append(f"{host}: ", style="bold")
            text.append(f"{human_size(done)} written", style="green" if complete else "yellow")
            text.append(" · done  " if complete else " …  ")
        self.query_one("#lg-progress", Static).update(text)

    def finished(self, ok: bool) -> None:
        """Show the folder, each host's file with its size (``missing`` if gone), and the bundle; says so when no file
        was written."""
        text = Text()
        if self.directory is not None:
            text.append("Folder: ", style="bold")
            text.append(f"{self.directory}\n")
        for host, path in sorted(self.files.items()):
            try:
                size = human_size(path.stat().st_size)
            except OSError:
                size = "missing"
            text.append(f"  {host}: {path} ({size})\n")
        if self.bundle_path is not None:
            text.append("Bundle: ", style="bold")
            text.append(f"{self.bundle_path}\n")
        if not self.files:
            text.append("No file was written.", style="yellow")
        self.set_result(text)

    def done_hint(self) -> str:
        """Attach ``debug_output.txt`` (or the bundle) to the support ticket."""
        return "Attach debug_output.txt (or the bundle) to the support ticket."
