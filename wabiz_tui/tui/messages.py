"""The Textual messages that bring the engines' events and the demo's SMS to the app.

Engines call ``emit(event)`` with plain ``workflows.events`` dataclasses. The app keeps them, in order, in
its inbox (:class:`EventInbox`) and posts one :class:`EngineEvents` when the inbox turns non-empty: a burst
of output lines (hundreds per SSH read) is then shown in one handler call instead of one message per line
(the streaming benchmark's 500,000 lines). Consecutive output lines of one engine are shown as one batch
(``lines``), and one delivery stops after a time budget, leaving the rest for the next turn of the event
loop: a key press then waits for one slice, not for a backlog of 5 hosts' output (issue 17).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from textual.message import Message

from ..workflows.events import HostOutput


class EngineEvents(Message):
    """Engine events wait in the app's inbox (the handler shows them all, in order)."""


class SmsReceived(Message):
    """The demo's simulated cluster sent the registration code ``code`` to ``phone``."""

    def __init__(self, phone: str, code: str) -> None:
        super().__init__()
        self.phone = phone
        self.code = code


#: Where an event is shown: a screen's (or the wizard's) handler of one event.
Show = Callable[[Any], None]
#: Where a run of consecutive ``HostOutput`` events of one engine is shown at once (same order).
ShowLines = Callable[[list[Any]], None]


#: Most output lines shown in one call (then the budget is checked again).
RUN_MAX = 250


class _Route:
    """One engine's handlers: ``show`` for any event, ``lines`` (optional) for a run of output lines."""

    __slots__ = ("show", "lines")

    def __init__(self, show: Show, lines: ShowLines | None) -> None:
        self.show = show
        self.lines = lines


class EventInbox:
    """Engine events in emission order, each with the handler that shows it.

    ``notify()`` is called (to post :class:`EngineEvents`) when an event arrives in an empty inbox;
    :meth:`deliver` shows the waiting events; a display error is given to ``on_error`` and never stops the
    run or the events after it.
    """

    def __init__(self, notify: Callable[[], Any], on_error: Callable[[Exception], None]) -> None:
        self._events: deque[tuple[_Route, Any]] = deque()
        self._notify = notify
        self._on_error = on_error

    def emitter(self, show: Show, lines: ShowLines | None = None) -> Callable[[Any], None]:
        """An engine's ``emit``: its events are shown by ``show``, in order with every other engine's; runs of
        consecutive ``HostOutput`` events by ``lines`` when given (a list, in emission order)."""
        events = self._events
        route = _Route(show, lines)

        def emit(event: Any) -> None:
            """Queue ``event`` with this engine's handlers; the first event into an empty inbox calls ``notify`` (the
            app then posts :class:`EngineEvents`)."""
            events.append((route, event))
            if len(events) == 1:
                self._notify()

        return emit

    def __len__(self) -> int:
        return len(self._events)

    def deliver(self, budget: float | None = None) -> bool:
        """Show the waiting events, in order: all of them, or (``budget`` seconds) those that fit in the budget,
        at least one. Returns True when events are left (the caller asks for another delivery)."""
        events = self._events
        deadline = time.perf_counter() + budget if budget is not None else None
        while events:
            route, event = events.popleft()
            try:
                if route.lines is not None and type(event) is HostOutput:
                    run = [event]
                    while (events and events[0][0] is route and type(events[0][1]) is HostOutput
                           and len(run) < RUN_MAX):
                        run.append(events.popleft()[1])
                    route.lines(run)
                else:
                    route.show(event)
            except Exception as exc:  # noqa: BLE001 - a display problem must not break the run
                self._on_error(exc)
            if deadline is not None and events and time.perf_counter() > deadline:
                return True
        return False
