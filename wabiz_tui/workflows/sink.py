"""Where a procedure's events go: every string they carry masked, the host lines kept in the run log.

The masking walks the event's fields generically (strings inside nested dataclasses, tuples, lists and
dicts included), so a new event type is masked without being listed anywhere.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable

from ..domain.text import Redactor
from .events import Emit, HostCommand, HostOutput, Message
from .runlog import RunLog

#: the init fields of each dataclass type met so far (fields set in __post_init__ with init=False cannot be given
#: to replace(): they are derived); a type found here is a dataclass, so the per-event path skips the type tests
_FIELDS: dict[type, tuple[str, ...]] = {}


def scrub(value: Any, mask: Callable[[str], str]) -> Any:
    """``value`` with ``mask`` applied to every string in it: in dataclass fields (frozen or not, copied, never
    changed in place), tuples, lists and dict keys and values, at any depth. Enums (``Level`` is a ``str``)
    and other objects are kept as they are; an unchanged value is returned itself (no copy on the hot path).

    Every host line passes here (500,000 lines in the streaming benchmark), so the common cases come first: a
    plain ``str`` and a dataclass type already met are handled without ``isinstance``/``is_dataclass`` tests."""
    kind = type(value)
    if kind is str:
        return mask(value)
    names = _FIELDS.get(kind)
    if names is None:
        if isinstance(value, str):
            return value if isinstance(value, Enum) else mask(value)
        if isinstance(value, (tuple, list)):
            items = [scrub(v, mask) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            return type(value)(items) if not hasattr(value, "_fields") else type(value)(*items)
        if isinstance(value, dict):
            pairs = [(scrub(k, mask), scrub(v, mask)) for k, v in value.items()]
            if all(k is a and v is b for (k, v), (a, b) in zip(pairs, value.items())):
                return value
            return type(value)(pairs)
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return value
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value) if f.init)
    changes: dict[str, Any] | None = None
    for name in names:
        old = getattr(value, name)
        new = mask(old) if type(old) is str else scrub(old, mask)
        if new is not old:
            if changes is None:
                changes = {}
            changes[name] = new
    return dataclasses.replace(value, **changes) if changes else value


class EventSink:
    """Masks and forwards events to a face's ``emit``; writes host lines and commands to the run log.

    ``secrets()`` returns the secrets in force (profile passwords, PIN, the API token, a run's extra
    ones); the redactor is rebuilt only when they change. ``log_dir`` None: no run log.
    """

    def __init__(self, emit: Emit, secrets: Callable[[], Iterable[str]], *, log_dir: Path | None = None,
                 profile_name: str = "", procedure: str = "run"):
        self._emit = emit
        self._secrets = secrets
        self._redactor_for: tuple[str, ...] = ()
        self._redactor = Redactor(())
        self.runlog: RunLog | None = RunLog(log_dir, profile_name, procedure) if log_dir else None

    @property
    def redact(self) -> Redactor:
        """The redactor (``str -> str``) for the secrets in force."""
        secrets = tuple(self._secrets())
        if secrets != self._redactor_for:
            self._redactor_for = secrets
            self._redactor = Redactor(secrets)
        return self._redactor

    def __call__(self, event: Any) -> None:
        """Mask every string of ``event`` (:func:`scrub`), log host lines and commands, forward it."""
        event = scrub(event, self.redact)
        if isinstance(event, HostOutput):
            self._log(event.host, event.line)
        elif isinstance(event, HostCommand):
            self._log(event.host, f"$ {event.command}")
        self._emit(event)

    def lines(self, host: str, lines: list[str]) -> None:
        """One :class:`HostOutput` per line of ``lines`` (one channel read of ``host``), as :meth:`__call__` would
        give them, for a fraction of its cost per line: the read is masked as one block (when no secret is in it, no
        line holds one) and written to the run log at once. Every output line of a step passes here."""
        if not lines:
            return
        redact = self.redact
        host = redact(host)
        block = "\n".join(lines)
        if redact(block) != block:  # a secret somewhere: line by line, as __call__ does (no line merged or split)
            lines = [redact(line) for line in lines]
        self._log_many(host, lines)
        emit = self._emit
        for line in lines:
            emit(HostOutput(host, line))

    def raw(self, event: Any) -> None:
        """Forward an event the sink itself wrote (it carries no secret), unlogged."""
        self._emit(event)

    def _log(self, host: str, line: str) -> None:
        self._log_many(host, (line,))

    def _log_many(self, host: str, lines: list[str] | tuple[str, ...]) -> None:
        # a local disk problem stops the run log (said once, naming the path) and is never turned into a
        # failure of the host whose line it was
        if self.runlog is None:
            return
        try:
            self.runlog.write_many(host, lines)
        except OSError as exc:
            runlog, self.runlog = self.runlog, None
            try:
                runlog.close()
            except OSError:
                pass  # what could not be written is lost either way; the message says where
            self._emit(Message(f"local problem: cannot write the run log in {runlog.directory}: {exc.strerror or exc}; "
                               "the run goes on without it (free space or fix the permissions there)", notice=True))

    def close(self) -> None:
        """Close the run log; a file that cannot be completed is said as a notice, never raised."""
        if self.runlog:
            try:
                self.runlog.close()
            except OSError as exc:
                self._emit(Message(f"local problem: the run log in {self.runlog.directory} is incomplete: "
                                   f"{exc.strerror or exc}", notice=True))
