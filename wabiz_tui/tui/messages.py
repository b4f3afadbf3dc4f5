"""The Textual messages that bring the engines' events and the demo's SMS to the app.

Engines call ``emit(event)`` with plain ``workflows.events`` dataclasses. The app keeps them, in order, in
its inbox (:class:`EventInbox`) and posts one :class:`EngineEvents` when the inbox turns non-empty: a burst
of output lines (hundreds per SSH read) is then shown in one handler call instead of one message per line
(the streaming benchmark's 500,000 lines), and the key presses queued behind it wait for one batch only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from textual.message import Message


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


class EventInbox:
    """Engine events in emission order, each with the handler that shows it.

    ``notify()`` is called (to post :class:`EngineEvents`) when an event arrives in an empty inbox;
    :meth:`deliver` shows every waiting event; a display error is given to ``on_error`` and never stops the
    run or the events after it.
    """

    def __init__(self, notify: Callable[[], Any], on_error: Callable[[Exception], None]) -> None:
        self._events: deque[tuple[Show, Any]] = deque()
        self._notify = notify
        self._on_error = on_error

    def emitter(self, show: Show) -> Callable[[Any], None]:
        """An engine's ``emit``: its events are shown by ``show``, in order with every other engine's."""
        events = self._events

        def emit(event: Any) -> None:
            events.append((show, event))
            if len(events) == 1:
                self._notify()

        return emit

    def deliver(self) -> None:
        """Show every waiting event."""
        events = self._events
        while events:
            show, event = events.popleft()
            try:
                show(event)
            except Exception as exc:  # noqa: BLE001 - a display problem must not break the run
                self._on_error(exc)
