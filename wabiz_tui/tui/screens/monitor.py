"""The live health monitor: polls ``GET /v1/health`` and shows the verdict, node table and timeline."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ..widgets.key_footer import KeyFooter
from ..widgets.findings import FindingsList
from ..widgets.health_table import HealthPanel
from ..widgets.summary import MonitorSummary, error_label
from ..widgets.timeline import Timeline
from .first_resume import StyledOnMount
from .node_actions import NodeActionKeys

if TYPE_CHECKING:  # workflows.monitor (httpx) is imported when the screen is built, not with the app
    from ...domain.transitions import PlannedOperation
    from ...workflows.monitor import HealthMonitor, PollResult
    from ..app import WabizApp

#: Intervals offered by the +/- keys (seconds).
INTERVALS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


def step_interval(current: float, direction: int) -> float:
    """The next interval of :data:`INTERVALS` above (``direction`` 1) or below (-1) ``current``."""
    if direction > 0:
        return next((i for i in INTERVALS if i > current + 1e-9), INTERVALS[-1])
    return next((i for i in reversed(INTERVALS) if i < current - 1e-9), min(current, INTERVALS[0]))


class MonitorScreen(NodeActionKeys, StyledOnMount, Screen):
    """Polls the cluster's health on an interval (never two polls at once, never blocking the UI).

    Shows a summary (mode, shards served, standby, failures tolerated, primary master, last poll and
    latency, API errors by kind), the node table (expected versus actual, updated in place) and a
    timeline of every change. When health worsens it notifies and, unless turned off with ``b``,
    rings the terminal bell, except while a planned operation runs (this window's upgrade, uninstall or
    wizard step, or another wabiz-tui command holding the cluster's lock): then the status line says
    "alerts paused: …", and after an uninstall the cluster is not polled ("not installed (uninstalled at
    HH:MM)"). The status line also says how old the answer is. ``interval`` overrides the first polling
    interval (seconds).
    """

    # +/-, p and b are named in the summary line ("+/- to change", "(p to pause)", "(b)"): kept out
    # of the footer so that it has room for the F keys at 120 columns
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("plus,equals_sign", "interval(1)", "Slower", key_display="+", show=False),
        Binding("minus", "interval(-1)", "Faster", key_display="-", show=False),
        Binding("r", "poll_now", "Poll"),
        Binding("w", "app.doctor", "Why?", tooltip="doctor on every host: ranked causes from evidence"),
        Binding("p", "pause", "Pause/resume", show=False),
        Binding("b", "toggle_bell", "Bell on/off", show=False),
        *NodeActionKeys.NODE_BINDINGS,
    ]

    def __init__(self, interval: float | None = None) -> None:
        from ...workflows.monitor import DEFAULT_INTERVAL

        super().__init__(name="monitor", id="monitor")
        self._first_interval = interval
        self.interval = DEFAULT_INTERVAL
        self.paused = False
        self.polls = 0
        self.last_result: PollResult | None = None
        self.last_verdict: Any = None
        self._wake = asyncio.Event()
        self._poll_task: asyncio.Task | None = None
        self._monitor: HealthMonitor | None = None
        #: the reader of the nodes' images (``workflows.versions.VersionReader``), built with the poll loop
        self._versions: Any = None
        self._own: tuple[Any, PlannedOperation] | None = None

    @property
    def wapp(self) -> WabizApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True)
        with VerticalScroll(id="monitor-body"):
            yield Static(self._title(), id="monitor-title")
            yield Static("", id="monitor-status")
            yield MonitorSummary(id="monitor-summary")
            yield HealthPanel(actions=True, short_share=9, id="monitor-health")
        # outside the scrolled body, side by side: a long node table never pushes what is wrong (the findings)
        # and what happened (the timeline) off the screen (issue 17: both were below a 24-line terminal)
        with Horizontal(id="monitor-bottom"):
            yield FindingsList(mask=self.wapp.mask, id="monitor-findings")
            yield Timeline(id="timeline")
        yield KeyFooter()

    def _title(self) -> Text:
        """Cluster, version in force (an upgrade changes it), the polled URL, and where F2 goes: "back" only
        when the wizard was on screen before (the standalone ``monitor`` opens here)."""
        p = self.wapp.profile
        came_from_wizard = bool(getattr(self.wapp, "_screens", None))  # step screens are built when first shown
        f2 = " · F2 back to the wizard" if came_from_wizard else " · F2 opens the wizard"
        return Text.assemble(("Health monitor", "bold"), f" · cluster {p.name} · WA_API_VERSION {p.wa_api_version}"
                             f" · {p.webapp.url}/v1/health", (f2, "dim"))

    def on_mount(self) -> None:
        speed = self.wapp.demo_speed
        if self._first_interval is not None:
            self.interval = self._first_interval
        elif speed is not None:
            self.interval = max(0.5, 2.0 * speed)
        panel = self.query_one(HealthPanel)
        panel.query_one(".health-headline", Static).update("Waiting for the first poll…")
        panel.table.focus()  # arrows move through the nodes (and scroll sideways) from the start
        self.query_one(Timeline).add(time.time(), f"monitor started: polling every {self.interval:g} s", "note")
        # A task of its own, not a Textual worker: it runs as long as the app, and waiting for the
        # wizard's workers to complete must not wait for it.
        self._poll_task = asyncio.get_running_loop().create_task(self._poll_loop(), name="health-monitor")
        self.set_interval(1.0, self._show_status)

    async def on_unmount(self) -> None:
        task = self._poll_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=6)  # lets it close the API client; never raises
        await self.close_node_engine()

    def selected_node(self) -> Any:
        """The node under the table's cursor (``widgets.node_detail.NodeRow``), None before the first answer."""
        return self.query_one(HealthPanel).selected

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: the actions on that node."""
        event.stop()
        self.action_node_menu()

    def on_screen_resume(self) -> None:
        self.query_one("#monitor-title", Static).update(self._title())
        self.wapp.sub_title = "Health monitor"

    def on_screen_suspend(self) -> None:
        self.wapp.sub_title = self.wapp.SUB_TITLE

    # ---- polling ---------------------------------------------------------------------------------
    def _timing(self) -> tuple[float, float]:
        """(grace, poll floor) in seconds: the flags, else the profile's, else the defaults; the demo scales the
        default grace with its speed."""
        from ...workflows.monitor import DEFAULT_GRACE
        from ...workflows.settings import monitor_settings

        app = self.wapp
        speed = app.demo_speed
        default = DEFAULT_GRACE if speed is None else max(1.0, DEFAULT_GRACE * speed)
        timing = monitor_settings(app.profile, grace=app.monitor_grace, poll_floor=app.monitor_poll_floor,
                                  default_grace=default)
        return timing.grace, timing.poll_floor

    def own_operation(self) -> PlannedOperation | None:
        """The planned operation this window runs now (a wizard step counts as the install, or the Multiconnect
        change for M steps; the upgrade and uninstall screens' runs by name); None when none does or what runs
        changes no container (log collection)."""
        from ...domain.transitions import PlannedOperation

        run = self.wapp.runner.active
        if run is None:
            self._own = None
            return None
        command = self.wapp.runner.planned_command()
        if command is None:
            return None
        if self._own is None or self._own[0] is not run:
            self._own = (run, PlannedOperation(command, time.time(), "this window", doing=run.doing))
        return self._own[1]

    async def _poll_loop(self) -> None:
        """The one poll loop (``HealthMonitor.results``): poll, show, sleep ``interval`` (or until woken by a key)."""
        from ...config.paths import app_paths
        from ...workflows.monitor import HealthMonitor, planned_state_reader
        from ...workflows.versions import VersionReader

        grace, floor = self._timing()
        # the app's profile in force at each poll: Multiconnect steps change shards and hosts
        planned = planned_state_reader(lambda: self.wapp.profile, app_paths().locks, own=self.own_operation,
                                       profile_ref=self.wapp.profile_ref())
        reader = self._versions = VersionReader(lambda: self.wapp.profile, self.wapp.operation_settings())
        monitor = self._monitor = HealthMonitor(lambda: self.wapp.profile, interval=self.interval, grace=grace,
                                                poll_floor=floor, planned=planned, versions=reader.read,
                                                profile_ref=self.wapp.profile_ref(),
                                                profile_file=str(self.wapp.profile_path or ""))
        self.interval = monitor.interval
        try:
            async with aclosing(monitor.results(wake=self._wake, paused=lambda: self.paused,
                                                on_error=self._show_failure)) as polls:
                async for result in polls:
                    try:
                        self.show_result(result)
                    except Exception as exc:  # noqa: BLE001 - a display problem must not stop polling
                        self.log.error(f"monitor display failed: {exc!r}")
        finally:
            # each closed on its own: the reader's SSH connections are closed even when the API client's close fails
            for what, close in (("API client", monitor.aclose), ("version reader's SSH connections", reader.close)):
                try:
                    await asyncio.wait_for(close(), 5)
                except Exception as exc:  # noqa: BLE001 - closing never raises out of the app
                    self.log.warning(f"closing the monitor's {what} failed: {exc!r}")

    def status_text(self) -> str:
        """The status line: how old the answer is, and whether alerts are paused (or the cluster not installed)."""
        r = self.last_result
        if r is None:
            return ""
        parts = [r.notice] if r.notice and r.verdict is None and r.error is None else [r.age_text(time.time())]
        if r.alerts_paused:
            parts.append(r.alerts_paused)
        elif r.notice.startswith("not installed"):
            parts.append("alerts off for this cluster")
        return " · ".join(parts)

    def _show_status(self) -> None:
        line = self.query("#monitor-status").first(Static) if self.query("#monitor-status") else None
        if line is None:  # the screen is being taken down (a tick of the 1 s timer may come after)
            return
        r = self.last_result
        said = r is not None and bool(r.alerts_paused or r.notice)
        # the line takes a row the node table needs at 24 rows: shown when it says something (alerts paused, not
        # installed) or the answer is older than two polls (the summary's "last poll" gives the time otherwise)
        line.display = r is not None and (said or r.verdict is None or r.age() > max(5.0, 2 * self.interval))
        line.update(Text(self.status_text(), style="bold yellow" if said else "dim"))

    def show_result(self, result: PollResult) -> None:
        """Display one poll: summary, node table, new timeline entries, and an alert if it worsened."""
        self.polls += 1
        self.last_result = result
        app = self.wapp
        self.query_one("#monitor-title", Static).update(self._title())  # the profile in force (version, shards)
        if result.verdict is not None:
            self.last_verdict = result.verdict
            self.query_one(HealthPanel).show_verdict(result.verdict)
        elif result.error is None:  # not polled: not installed
            self.query_one(HealthPanel).show_not_installed(result.notice)
        else:
            panel = self.query_one(HealthPanel)
            label = error_label(result.error)
            panel.query_one(".health-headline", Static).update(Text.assemble(
                (" NO ANSWER ", "reverse bold red"), "  ", (f"{label}: {app.mask(str(result.error))}", "bold red")))
        self.query_one(MonitorSummary).show(result, interval=self.interval, bell=app.bell_enabled,
                                            paused=self.paused, mask=app.mask)
        self.query_one(FindingsList).replace(list(result.current_findings))
        timeline = self.query_one(Timeline)
        for entry in result.new_entries:
            timeline.add(entry.at, app.mask(entry.text), entry.severity)
        self._show_status()
        if result.worsened:  # never while a planned operation runs, nor for a cluster uninstalled (workflows.monitor)
            what = (result.verdict.headline if result.verdict is not None
                    else f"{error_label(result.error)}: {result.error}")
            app.notify(app.mask(what), title="Cluster health worsened", severity="error", timeout=10)
            if app.bell_enabled:
                app.bell()

    def _show_failure(self, exc: Exception) -> None:
        text = f"the health poll failed unexpectedly: {type(exc).__name__}: {self.wapp.mask(str(exc))}"
        try:
            self.query_one(Timeline).add(time.time(), text, "alert")
        except Exception:  # noqa: BLE001 - the screen is going away
            self.log.error(text)

    def note_fault(self, text: str) -> None:
        """Record a demo fault in the timeline and poll at once."""
        self.query_one(Timeline).add(time.time(), f"demo fault: {text}", "fault")
        self._wake.set()

    # ---- keys ------------------------------------------------------------------------------------
    def _redraw_summary(self) -> None:
        if self.last_result is not None:
            self.query_one(MonitorSummary).show(self.last_result, interval=self.interval, bell=self.wapp.bell_enabled,
                                                paused=self.paused, mask=self.wapp.mask)

    def action_interval(self, direction: int) -> None:
        """Poll less (+) or more (-) often, never below the poll floor; takes effect after the poll in progress."""
        self.interval = step_interval(self.interval, direction)
        if self._monitor is not None:
            self._monitor.interval = self.interval
            self.interval = self._monitor.interval
        self.notify(f"Polling every {self.interval:g} s")
        self._redraw_summary()
        self._wake.set()

    def refresh_versions(self) -> None:
        """Read the nodes' images (versions) again with the next poll (a node action ended, or asked with r)."""
        if self._monitor is not None:
            self._monitor.refresh_versions()

    def action_poll_now(self) -> None:
        """Poll now (after the poll in progress, if any) and read the nodes' versions again (one command per host)."""
        self.paused = False
        self.refresh_versions()
        self._wake.set()

    def action_pause(self) -> None:
        """Pause or resume polling."""
        self.paused = not self.paused
        self.notify("Monitor paused (p to resume)" if self.paused else "Monitor polling again")
        self._redraw_summary()
        self._wake.set()

    def action_toggle_bell(self) -> None:
        """Turn the terminal bell on health worsening on or off."""
        self.wapp.bell_enabled = not self.wapp.bell_enabled
        self.notify(f"Bell {'on' if self.wapp.bell_enabled else 'off'} when health worsens")
        self._redraw_summary()
