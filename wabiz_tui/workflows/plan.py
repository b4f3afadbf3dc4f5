"""The dry-run plan of a procedure as data: its steps, in order, each with the exact commands and API calls.

Every procedure's ``plan(...)`` returns a :class:`ProcedurePlan`; ``wabiz-tui plan``, the headless commands'
confirmations and the TUI's confirmations all render it (:meth:`ProcedurePlan.text`), so no face knows the
order of a procedure. Building a plan contacts nothing: the compose flavour of a host is the one known so
far (``docker-compose`` before a host was probed), which the first line of :meth:`ProcedurePlan.text` says.
Secrets are masked (``********``) in every action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Iterable

from ..domain.hostnames import host_ranges
from .stepinfo import StepInfo


#: First line of every rendered plan: the one thing a dry run cannot know.
FLAVOUR_NOTE = ("# compose runs as `docker compose` (v2 plugin) where a host has it, else `docker-compose` (v1): "
                "detected on each host at run time")


@dataclass(frozen=True)
class Action:
    """One thing a step does: ``host`` is an EXTERNAL_HOSTNAME for a remote command or upload, or ``""`` for a
    call to the cluster's API (through the Webapp); ``text`` is the exact command line, ``put FILE -> PATH``
    for an SFTP upload, or ``METHOD URL [body]`` for an API call."""

    host: str
    text: str


@dataclass(frozen=True)
class PlannedStep:
    """Step ``number`` (the procedure's own numbering, as in its ``StepInfo`` table) with its ``title``,
    its ``actions`` in the order they run (hosts run in parallel), and an optional ``note`` (a condition:
    "only with --dbupgrade-host", "offered after the run")."""

    number: int
    key: str
    title: str
    actions: tuple[Action, ...] = ()
    note: str = ""

    @property
    def hosts(self) -> tuple[str, ...]:
        """The hosts the step touches, in profile order (empty for an API-only step)."""
        return tuple(dict.fromkeys(a.host for a in self.actions if a.host))


@dataclass(frozen=True)
class ProcedurePlan:
    """What ``procedure`` would do on cluster ``cluster``: ``steps`` in order; ``files`` the rendered files
    (name, text with secrets masked) that are uploaded; ``notes`` lines said before the steps."""

    procedure: str
    cluster: str
    steps: tuple[PlannedStep, ...]
    files: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    def step(self, number: int) -> PlannedStep:
        """The step numbered ``number`` (KeyError when the plan has none)."""
        for s in self.steps:
            if s.number == number:
                return s
        raise KeyError(number)

    def summary(self, done: Collection[int] = ()) -> list[str]:
        """One line per step: ``N. title on HOSTS`` and its note; what a confirmation dialog shows. HOSTS as counts
        and ranges (``43 hosts: wa-core-1…wa-core-43``: a 50-host list ran off an 80x24 dialog, issue 17); a step
        numbered in ``done`` (a resumed run's finished steps) says it is done and skipped instead of its hosts."""
        out = []
        for s in self.steps:
            if s.number in done:
                out.append(f"{s.number}. {s.title}: done, skipped")
                continue
            where = f" on {host_ranges(s.hosts)}" if s.hosts else ""
            out.append(f"{s.number}. {s.title}{where}" + (f" ({s.note})" if s.note else ""))
        return out

    def text(self, *, files: bool = True) -> str:
        """The plan as plain text: the flavour note, the notes, the files (with ``files``), then per step its
        header and one line per action (``host$ command`` or ``api: call``)."""
        lines = [FLAVOUR_NOTE, *self.notes]
        if files:
            for name, body in self.files:
                lines += [f"== file {name}", body.rstrip()]
        for s in self.steps:
            lines.append(f"== step {s.number}: {s.title}" + (f" ({s.note})" if s.note else ""))
            lines += [f"{a.host}$ {a.text}" if a.host else f"api: {a.text}" for a in s.actions]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data (the same fields)."""
        return {"procedure": self.procedure, "cluster": self.cluster, "notes": list(self.notes),
                "files": [{"name": n, "text": t} for n, t in self.files],
                "steps": [{"number": s.number, "key": s.key, "title": s.title, "note": s.note, "hosts": list(s.hosts),
                           "actions": [{"host": a.host, "text": a.text} for a in s.actions]} for s in self.steps]}


def planned(info: StepInfo, actions: Iterable[Action] = (), note: str = "") -> PlannedStep:
    """A :class:`PlannedStep` for the step described by ``info`` (a ``StepInfo``: number, key, title)."""
    return PlannedStep(info.number, info.key, info.title, tuple(actions), note)
