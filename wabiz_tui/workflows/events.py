"""Plain event dataclasses that workflows emit and every face (TUI, headless, tests) consumes.

A workflow is given an ``emit(event)`` callable; it never imports a UI. Hosts are named by their
``EXTERNAL_HOSTNAME``. No event ever carries a secret: commands are masked before they are emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union


@dataclass(frozen=True)
class StepStarted:
    """Step ``number`` (1-based, as in the seed) of ``procedure`` titled ``title`` has begun on ``hosts``."""

    number: int
    title: str
    hosts: tuple[str, ...] = ()
    procedure: str = "install"


@dataclass(frozen=True)
class StepFinished:
    """Step ``number`` ended; ``ok`` False means the procedure must not go on. ``summary`` in words."""

    number: int
    ok: bool
    summary: str
    next_action: str = ""
    procedure: str = "install"


@dataclass(frozen=True)
class HostCommand:
    """``command`` (secrets masked) starts on ``host``; shown at the top of that host's pane."""

    host: str
    command: str


@dataclass(frozen=True)
class HostOutput:
    """One line of output (ANSI stripped, no trailing newline) from ``host``."""

    host: str
    line: str


@dataclass(frozen=True)
class EngineNote(HostOutput):
    """A line wabiz-tui itself writes in ``host``'s output (``ERROR: <why the host failed>``, ``next: <action>``): shown
    and logged as output, but never taken for what the host's commands printed.

    The type tells it apart, not the text: docker-compose 1.29's own errors start with ``ERROR:`` too (observed with
    compose 1.29.2 here: ``ERROR: for wacore  Cannot start service wacore: …`` then ``ERROR: Encountered errors while
    bringing up the project.``), and such a line is the cause a failed host's summary must show."""


@dataclass(frozen=True)
class HostFinished:
    """``host`` is done with its part of the step. ``exit_status`` None when it never ran or was killed.

    ``error`` is a one-line reason when ``ok`` is False (connection refused, exit status 1, ...).
    """

    host: str
    ok: bool
    exit_status: int | None = None
    error: str = ""

    @property
    def cause(self) -> str:
        """``error`` without its leading ``host: `` (a ``RemoteError``'s text starts with its host), for a line that
        names the host already: ``logs step 1 wa-web-1: FAILED: not installed (…)``, not ``… wa-web-1: wa-web-1: …``."""
        prefix = f"{self.host}: "
        return self.error[len(prefix):] if self.error.startswith(prefix) else self.error


@dataclass(frozen=True)
class Finding:
    """Something the operator should know: ``severity`` is ``info``, ``warning`` or ``error``; ``key`` is a
    stable catalogue key (``domain.diagnosis``) and ``evidence`` the line or answer that showed it."""

    key: str
    severity: str
    title: str
    remedy: str = ""
    host: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class CheckDone:
    """A preflight check's result: ``host`` ("" for the cluster), ``name``, ``level`` ok/warning/failure, ``reason``."""

    host: str
    name: str
    level: str
    reason: str


@dataclass(frozen=True)
class HostKeyQuestion:
    """``host`` presented a key no trusted known_hosts file has: a face may show the key type and
    SHA256 fingerprint and, if the operator accepts, add ``public_key`` for ``address:port`` to the
    app's known_hosts (``remote.ssh.trust_host_key``) and run the step again."""

    host: str
    address: str
    port: int
    key_type: str
    fingerprint: str
    public_key: str


@dataclass(frozen=True)
class HealthUpdated:
    """A new ``GET /v1/health`` answer judged against the plan (``domain.health.ClusterVerdict``)."""

    verdict: Any


@dataclass(frozen=True)
class Progress:
    """``host`` has done ``done`` of ``total`` (None when unknown) ``unit`` (e.g. bytes) of the step's work."""

    host: str
    done: int
    total: int | None = None
    unit: str = "bytes"


@dataclass(frozen=True)
class Message:
    """A line for the step's own log (not tied to a host). ``notice`` lines are shown even by terse faces."""

    text: str
    notice: bool = False


Event = Union[StepStarted, StepFinished, HostCommand, HostOutput, HostFinished, Finding, CheckDone, HostKeyQuestion, HealthUpdated, Progress,
              Message]
Emit = Callable[[Event], None]


def discard(_event: Event) -> None:
    """An ``emit`` that drops every event."""
