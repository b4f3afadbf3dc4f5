"""What the wizard's step screens and the operation screens share for showing a workflow's events:
one dispatcher for the host events and a host → pane map (no DOM query per output line)."""

from __future__ import annotations

from typing import Any

from ...workflows.events import (EngineNote, Finding, HealthUpdated, HostCommand, HostFinished, HostKeyQuestion, HostOutput,
                                Message)
from ..widgets.findings import FindingsList
from ..widgets.host_log import HostLogGrid, HostLogPane


class HostEventsMixin:
    """Mixed into a ``Screen`` that shows one :class:`HostLogGrid` (``PANE_GRID_ID``), a
    :class:`FindingsList` and a message log (:meth:`add_message`).

    :meth:`show_event` handles the events both kinds of screens show the same way and returns False
    for the others (step started/finished, progress), which each screen handles itself. The screen
    provides ``host_results`` (dict), ``key_questions`` (list), ``last_command`` (dict), ``wapp``,
    :meth:`add_message` and :meth:`show_health`; :meth:`host_finished` is its hook for a finished host.
    """

    #: The id of the screen's pane grid (without ``#``).
    PANE_GRID_ID = "host-grid"
    _panes: dict[str, HostLogPane] | None = None

    def pane_for(self, host: str) -> HostLogPane | None:
        """The pane of ``host`` (None when the screen has no pane for it): one DOM query per grid."""
        if self._panes is None:
            grids = self.query(f"#{self.PANE_GRID_ID}")  # type: ignore[attr-defined]
            if not grids:
                return None
            self._panes = {p.host: p for p in grids.first(HostLogGrid).panes}
        return self._panes.get(host)

    async def replace_panes(self, hosts: list[tuple[str, str]], container: str) -> None:
        """Rebuild the pane grid when the profile's hosts changed (same classes, before the findings)."""
        grid = self.query_one(f"#{self.PANE_GRID_ID}", HostLogGrid)  # type: ignore[attr-defined]
        if [p.host for p in grid.panes] == [h for h, _ in hosts]:
            return
        new = HostLogGrid(hosts, id=self.PANE_GRID_ID, classes=" ".join(c for c in grid.classes if c != "host-grid"))
        self._panes = None
        await grid.remove()
        await self.query_one(container).mount(new, before=self.query_one(FindingsList))  # type: ignore[attr-defined]
        self.wapp.release_frozen()  # type: ignore[attr-defined]

    def show_event(self, event: Any) -> bool:
        """Show a host event, finding, host-key question, health answer or message; False for others."""
        mask = self.wapp.mask  # type: ignore[attr-defined]
        if isinstance(event, HostOutput):
            pane = self.pane_for(event.host)
            if pane is not None:
                pane.write(mask(event.line), note=isinstance(event, EngineNote))
            else:
                self.add_message(f"[{event.host}] {event.line}")
        elif isinstance(event, HostCommand):
            self.last_command[event.host] = mask(event.command)  # type: ignore[attr-defined]
            pane = self.pane_for(event.host)
            if pane is not None:
                pane.set_status("running")
                pane.write(f"$ {mask(event.command)}")
            else:
                self.add_message(f"[{event.host}] $ {event.command}")
        elif isinstance(event, HostFinished):
            self.host_results[event.host] = event  # type: ignore[attr-defined]
            status = "ok" if event.ok else (f"failed exit {event.exit_status}" if event.exit_status is not None
                                            else "failed")
            pane = self.pane_for(event.host)
            if pane is not None:
                pane.set_status(status)
            elif not event.ok:
                self.add_message(f"[{event.host}] {status} {event.error}")
            self.host_finished(event, pane)
        elif isinstance(event, Finding):
            self.query_one(FindingsList).add(event)  # type: ignore[attr-defined]
        elif isinstance(event, HostKeyQuestion):
            self.key_questions.append(event)  # type: ignore[attr-defined]
        elif isinstance(event, HealthUpdated):
            self.show_health(event.verdict)
        elif isinstance(event, Message):
            self.add_message(event.text)
        else:
            return False
        return True

    def show_output_lines(self, events: list[HostOutput]) -> None:
        """Show a run of output lines (in emission order): one batch per pane, masked as one block when no secret
        is in it; lines of a host without a pane go to the message log, in order."""
        mask = self.wapp.mask  # type: ignore[attr-defined]
        batches: dict[HostLogPane, list[str]] = {}
        for event in events:
            pane = self.pane_for(event.host)
            if pane is None:
                self.add_message(f"[{event.host}] {event.line}")
            else:
                batches.setdefault(pane, []).append(event.line)
        for pane, lines in batches.items():
            block = "\n".join(lines)
            if mask(block) != block:  # a secret somewhere: mask line by line, so no line is merged or split
                lines = [mask(line) for line in lines]
            pane.write_many(lines)

    def host_finished(self, event: HostFinished, pane: HostLogPane | None) -> None:
        """Hook: ``event.host`` finished its part (its pane status is already set)."""

    def add_message(self, text: str) -> None:
        """Append a line to the screen's message log."""
        raise NotImplementedError

    def show_health(self, verdict: Any) -> None:
        """A health answer arrived: note its headline in the message log (screens may show more)."""
        self.add_message(f"Health: {verdict.headline}")
