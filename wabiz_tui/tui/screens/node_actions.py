"""Actions on the node selected in the monitor's health table (lazydocker-style): follow its logs, restart or
stop its container (after a confirmation that says what it changes in the cluster), a shell on its host, doctor.

The remote work is :class:`~...workflows.node_actions.NodeActions`' (through the app's SSH settings, recorded in
the run log); this module only asks, shows and reports. :class:`NodeActionKeys` is mixed into the monitor screen,
which provides ``selected_node()`` (a :class:`~..widgets.node_detail.NodeRow` or None) and ``last_verdict``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Log, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.key_footer import KeyFooter
from ..runner import Outcome, Run
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from ..widgets.node_detail import NodeRow

#: (action, key, label) of the menu, in its order.
MENU = (("logs", "l", "Follow its logs (docker logs -f)"), ("restart", "R", "Restart its container"),
        ("stop", "S", "Stop its container"), ("shell", "s", "Open a shell on its host (ssh)"),
        ("doctor", "d", "Run doctor on its host"))
#: Said when the app has no ``doctor`` action (another part of the app adds it).
NO_DOCTOR = "doctor is not available in this build"


class NodeMenu(ModalScreen["str | None"]):
    """The actions on one node; dismisses with the action's name, or None (Escape)."""

    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "dismiss(None)", "Close"),
                                         *(Binding(key, f"dismiss({name!r})", label, show=False)
                                           for name, key, label in MENU)]

    def __init__(self, row: NodeRow) -> None:
        super().__init__(classes="confirm-screen")
        self.row = row

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Text(f"{self.row.host} · {self.row.kind} · container {self.row.container}", style="bold"),
                         id="node-menu-title")
            yield OptionList(*(Option(f"{key}  {label}", id=name) for name, key, label in MENU), id="node-menu")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class NodeLogScreen(ModalScreen[None]):
    """A pane following one node's container log until Escape; ``f`` follows again after the stream ended (a
    restart ends ``docker logs -f``). ``actions`` is the monitor's :class:`NodeActions` engine."""

    BINDINGS: ClassVar[list[Binding]] = [Binding("escape,q", "close", "Close"),
                                         Binding("f", "follow", "Follow again")]
    DEFAULT_CSS: ClassVar[str] = """
    NodeLogScreen { background: $background 60%; }
    NodeLogScreen #node-log-box { height: 1fr; border: round $accent; margin: 1 2 0 2; }
    NodeLogScreen #node-log-title { height: auto; padding: 0 1; }
    NodeLogScreen Log { height: 1fr; }
    """

    def __init__(self, actions: Any, row: NodeRow) -> None:
        super().__init__()
        self.actions = actions
        self.row = row
        self.status = "starting"
        self.lines = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="node-log-box"):
            yield Static(self._title(), id="node-log-title")
            yield Log(max_lines=5000, id="node-log")
        yield KeyFooter()

    def _title(self) -> Text:
        return Text.assemble(("Logs of ", "bold"), (f"{self.row.host} {self.row.kind}", "bold"),
                             f" (container {self.row.container}) · {self.status} · Esc closes", style="")

    def on_mount(self) -> None:
        self.action_follow()

    def _set_status(self, status: str) -> None:
        self.status = status
        self.query_one("#node-log-title", Static).update(self._title())

    def _add(self, batch: list[str]) -> None:
        self.lines += len(batch)
        self.query_one(Log).write_lines(self.app.mask(line) for line in batch)  # type: ignore[attr-defined]

    @work(exclusive=True, group="node-log", exit_on_error=False)
    async def action_follow(self) -> None:
        """Follow the log (again): the last lines, then new ones as they come."""
        self._set_status("following")
        try:
            status = await self.actions.follow_logs(self.row.host, self.row.kind, self.row.container, self._add)
        except Exception as exc:  # noqa: BLE001 - shown in the pane, never raised
            self._set_status(f"✗ {self.app.mask(str(exc))}")  # type: ignore[attr-defined]
            return
        self._set_status(f"the stream ended (exit status {status}): the container stopped or restarted · f follows again")

    def action_close(self) -> None:
        """Stop following and close the pane."""
        self.workers.cancel_group(self, "node-log")
        self.dismiss(None)


class NodeActionKeys:
    """Keys and actions of the monitor on its selected node (mixed into ``MonitorScreen``)."""

    NODE_BINDINGS: ClassVar[list[Binding]] = [
        Binding("enter", "node_menu", "Node actions"),
        Binding("l", "node('logs')", "Logs", show=False),
        Binding("R", "node('restart')", "Restart node", show=False),
        Binding("S", "node('stop')", "Stop node", show=False),
        Binding("s", "node('shell')", "Shell", show=False),
        Binding("d", "node('doctor')", "Doctor", show=False),
    ]
    _node_engine: Any = None

    # provided by the screen
    app: Any
    last_verdict: Any

    def selected_node(self) -> NodeRow | None:  # pragma: no cover - the screen's
        """The node under the health table's cursor (a ``NodeRow``), None before the first health answer; the screen
        provides it (``MonitorScreen.selected_node``)."""
        raise NotImplementedError

    def node_engine(self) -> Any:
        """The :class:`NodeActions` engine (built on first use with the app's SSH settings and profile)."""
        from ...workflows.node_actions import NodeActions

        if self._node_engine is None:
            self._node_engine = NodeActions(self.app.profile, emit=self._node_event,
                                            settings=self.app.operation_settings())
        self._node_engine.profile = self.app.profile
        return self._node_engine

    async def close_node_engine(self) -> None:
        """Close the engine's SSH connections and run log (the monitor is going away)."""
        engine, self._node_engine = self._node_engine, None
        if engine is not None:
            await engine.close()

    def _node_event(self, event: Any) -> None:
        """Output of a restart/stop goes to the run log (the engine's sink) and its last line to the timeline."""
        from ...workflows.events import HostOutput, Message

        if isinstance(event, Message) and event.notice:
            self.app.notify(event.text, severity="warning")
        elif isinstance(event, HostOutput) and not event.line.startswith("# wabiz-tui"):
            self._timeline(f"{event.host}: {event.line}", "note")

    def _timeline(self, text: str, severity: str) -> None:
        from ..widgets.timeline import Timeline

        try:
            self.query_one(Timeline).add(time.time(), text, severity)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the screen is going away
            pass

    def _node_or_say(self) -> NodeRow | None:
        row = self.selected_node()
        if row is None:
            self.app.notify("No node selected: wait for the first health answer.", severity="warning")
        return row

    def action_node_menu(self) -> None:
        """Open the menu of actions on the selected node."""
        row = self._node_or_say()
        if row is None:
            return

        def chosen(name: str | None) -> None:
            """The menu's answer: run the chosen action on the selected node once this callback returns; nothing on
            Escape."""
            if name:
                self.app.call_later(self.action_node, name)

        self.app.push_screen(NodeMenu(row), chosen)

    async def action_node(self, name: str) -> None:
        """Run action ``name`` (logs, restart, stop, shell, doctor) on the selected node."""
        row = self._node_or_say()
        if row is None:
            return
        if name == "logs":
            self.app.push_screen(NodeLogScreen(self.node_engine(), row))
        elif name in ("restart", "stop"):
            self.confirm_change(name, row)
        elif name == "shell":
            self.open_shell(row)
        elif name == "doctor":
            if not await self.app.run_action(f"doctor({row.host!r})"):
                self.app.notify(NO_DOCTOR, severity="warning")

    @work(exclusive=True, group="node-change", exit_on_error=False)
    async def confirm_change(self, action: str, row: NodeRow) -> None:
        """Say what ``action`` changes, ask, then run it through the engine and report in the timeline."""
        from ...workflows.node_actions import impact

        if row.kind not in ("webapp", "master", "coreapp"):
            self.app.notify(f"{row.host} runs no planned container here: nothing to {action}", severity="warning")
            return
        what = impact(action, row.host, row.kind, self.last_verdict, self.app.profile)
        service = {"webapp": "waweb", "master": "master", "coreapp": "wacore"}[row.kind]
        question = f"{action.capitalize()} the {row.kind} container on {row.host}?"
        details = Text.assemble((what, "bold"), f"\n\nRuns docker-compose {action} {service} on {row.host}; "
                                "recorded in the run log.")
        if not await self.app.push_screen_wait(ConfirmScreen(question, details, yes=action.capitalize())):
            self._timeline(f"{action} of {row.host} {row.kind} not confirmed: nothing changed", "note")
            return
        # one thing changes the cluster at a time (a step, an operation, another process holding the lock): the
        # change runs as the app's run, so quitting asks first and other monitors read it from the lock
        runner = self.app.runner
        if runner.refusal(f"{action} {row.host}", changes_cluster=True) is not None:
            self._timeline(f"{action} of {row.host} {row.kind} refused: something else changes the cluster now", "note")
            return
        self._timeline(f"{what} (asked from the monitor)", "warning")
        engine = self.node_engine()
        change = engine.stop if action == "stop" else engine.restart
        ended: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        runner.start(Run(f"{action} {row.host}", ended.set_result, heading=f"{action} {row.host}",
                         doing=f"{action} of {service} on {row.host}"),
                     lambda: change(row.host, row.kind, what))
        outcome = await ended
        if outcome.cancelled:
            self._timeline(f"{action} of {row.host} {row.kind} cancelled", "note")
            return
        exc = outcome.error
        logged = engine.run_log
        where = f" (run log: {logged})" if logged is not None else ""
        if exc is not None:
            text = self.app.mask(str(exc))
            nxt = getattr(exc, "next_action", "")
            self._timeline(f"✗ {action} of {row.host} {row.kind} failed: {text}" + (f" — {nxt}" if nxt else "") + where,
                           "alert")
            self.app.notify(text, title=f"{action} failed", severity="error")
            return
        self._timeline(f"{action} of {row.host} {row.kind} done; the table shows the cluster's answer{where}", "info")
        refresh = getattr(self, "refresh_versions", None)
        if refresh is not None:
            refresh()  # a restart may start another image
        wake = getattr(self, "_wake", None)
        if wake is not None:
            wake.set()  # poll now: the change shows at once

    @work(exclusive=True, group="node-shell", exit_on_error=False)
    async def open_shell(self, row: NodeRow) -> None:
        """Suspend the app and run the user's ``ssh`` to ``row``'s host (host keys checked against ours)."""
        from ...workflows.node_actions import quoted

        try:
            argv = self.node_engine().shell(row.host)
        except Exception as exc:  # noqa: BLE001 - said, never raised
            self.app.notify(self.app.mask(str(exc)), title="no shell", severity="error")
            return
        try:
            with self.app.suspend():
                print(f"wabiz-tui: {quoted(argv)}  (exit the shell to come back)", flush=True)
                status = await run_shell(argv)
        except Exception as exc:  # noqa: BLE001 - SuspendNotSupported (no terminal), ssh missing
            self.app.notify(f"cannot open a shell here: {exc}", severity="error")
            return
        self._timeline(f"shell on {row.host} ended (ssh exit status {status})", "note" if status == 0 else "warning")


async def run_shell(argv: list[str]) -> int:
    """Run ``argv`` on the terminal (the app suspended) and wait for it without blocking the event loop (the
    demo's simulated hosts answer on that loop); its exit status (255: ssh could not connect)."""
    proc = await asyncio.create_subprocess_exec(*argv)
    return await proc.wait()
