"""What a run did, as it happened, and the report written at its end (issue 17, "Reports").

:class:`RunRecord` watches a procedure's events (already masked by the event sink): each step with its hosts,
start and end times, outcome and per-host errors; the findings; the health verdicts heard. :func:`write_report`
writes it as ``report.md`` and ``report.json`` into the run's log folder (the state directory's ``logs/``,
next to the hosts' ``.log`` files), every string masked once more with the procedure's redactor
(:func:`~.sink.scrub`), mode 600. :func:`record_abort` writes the operator's abort (quit, Ctrl-C, SIGTERM)
into the run log and the journal.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..config.atomic import write_atomic
from ..domain.hostnames import host_ranges
from .events import Emit, Event, Finding, HealthUpdated, HostFinished, HostOutput, StepFinished, StepStarted
from .sink import scrub

if TYPE_CHECKING:
    from .base import Procedure

T = TypeVar("T")

#: The report files' names inside the run's log folder.
REPORT_MD, REPORT_JSON = "report.md", "report.json"


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass
class StepRecord:
    """One step as it ran: ``started``/``ended`` are epoch seconds (``ended`` None while it runs), ``hosts``
    maps each host to "ok" or its error."""

    procedure: str
    number: int
    title: str
    started: float
    hosts: dict[str, str] = field(default_factory=dict)
    ended: float | None = None
    ok: bool | None = None
    summary: str = ""
    next_action: str = ""

    @property
    def seconds(self) -> float | None:
        """How long the step took (None while it runs)."""
        return None if self.ended is None else round(self.ended - self.started, 1)


@dataclass
class HealthRecord:
    """A health verdict in a report: ``level`` (``ok``/``warning``/``critical``…) and its ``headline``."""

    level: str
    headline: str
    at: str

    @classmethod
    def of(cls, verdict: Any) -> "HealthRecord":
        """From a ``domain.health.ClusterVerdict``."""
        level = getattr(verdict, "level", "")
        return cls(str(getattr(level, "value", level)), str(getattr(verdict, "headline", verdict)), _stamp(time.time()))


class RunRecord:
    """Watches a procedure's events (:meth:`tee` wraps the face's ``emit``); see the module doc."""

    def __init__(self, procedure: str) -> None:
        self.procedure = procedure
        self.started = time.time()
        self.steps: list[StepRecord] = []
        self.findings: list[Finding] = []
        #: the health before the run (:meth:`set_before`), else the first verdict heard during it
        self.health_before: HealthRecord | None = None
        self.before_measured = False
        self.health_after: HealthRecord | None = None
        #: the abort record (:func:`record_abort`) when the operator aborted the run
        self.aborted: dict[str, Any] | None = None
        #: the report written when the run was aborted (:func:`recorded`)
        self.report_path: Path | None = None

    def tee(self, emit: Emit) -> Emit:
        """An ``emit`` that records ``event`` then passes it on to ``emit``."""
        observe = self.observe

        def both(event: Event) -> None:
            """Record ``event`` (HostOutput lines skipped: a report keeps no output) and pass it to ``emit``."""
            if type(event) is not HostOutput:  # the hot path: output lines, which a report does not keep
                observe(event)
            emit(event)
        return both

    def observe(self, event: Event) -> None:
        """Record what ``event`` says of the run; nothing once the run was aborted (what follows an abort, e.g. a
        command failing "killed by a signal" as its connection drops, is the abort's doing, already recorded)."""
        if self.aborted is not None:
            return
        if isinstance(event, StepStarted):
            self.steps.append(StepRecord(event.procedure, event.number, event.title, time.time(),
                                         {h: "" for h in event.hosts}))
        elif isinstance(event, HostFinished) and self.steps:
            self.steps[-1].hosts[event.host] = "ok" if event.ok else (event.cause or "failed")
        elif isinstance(event, StepFinished):
            # the open step of that number, else its last record: a step may report twice (the Upgrade's roles
            # report the ``up -d`` then the health that follows it; the later outcome is the step's)
            step = (next((s for s in reversed(self.steps) if s.number == event.number and s.ended is None), None)
                    or next((s for s in reversed(self.steps) if s.number == event.number), None))
            if step is None:  # a step that reports without starting (a refusal before it runs)
                step = StepRecord(event.procedure, event.number, "", time.time())
                self.steps.append(step)
            step.ended, step.ok, step.summary, step.next_action = time.time(), event.ok, event.summary, event.next_action
        elif isinstance(event, Finding):
            self.findings.append(event)
        elif isinstance(event, HealthUpdated):
            heard = HealthRecord.of(event.verdict)
            if self.health_before is None:
                self.health_before = heard
            self.health_after = heard

    def set_before(self, verdict: Any, error: str = "") -> None:
        """The health measured before the run started (``verdict`` None: no answer, ``error`` says why)."""
        self.before_measured = True
        self.health_before = (HealthRecord.of(verdict) if verdict is not None else
                              HealthRecord("unknown", f"no health answer: {error}", _stamp(time.time())))

    @property
    def running(self) -> StepRecord | None:
        """The step that has started and not ended (None between steps)."""
        return next((s for s in reversed(self.steps) if s.ended is None), None)


async def measure_before(engine: "Procedure") -> None:
    """Poll health once before a run (``engine.poll_health``) and record it as the health before; a cluster
    that does not answer is recorded as such, never raised."""
    try:
        verdict = await engine.poll_health(None)
    except Exception as exc:  # noqa: BLE001 - any failure to answer is what the report says
        engine.record.set_before(None, str(exc))
    else:
        engine.record.set_before(verdict)
    engine.record.health_after = None  # the after is what the run itself hears


def report_data(engine: "Procedure", outcome: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report of ``engine``'s run as plain JSON data (secrets masked): ``outcome`` is ``done``, ``failed``
    or ``aborted`` (always ``aborted`` once :func:`record_abort` ran); ``extra`` adds fields (an upgrade's versions, a backup path...)."""
    record: RunRecord = engine.record
    if record.aborted is not None:  # a run aborted by the operator may still return (its connections dropped)
        outcome = "aborted"
    profile = engine.profile
    # a procedure with per-host outcomes (the Uninstall's "removed, volumes kept", "FAILED: …") reports them per host
    outcomes_of = getattr(engine, "host_outcomes", None)
    outcomes: dict[str, str] = outcomes_of() if callable(outcomes_of) else {}
    versions = {"wa_api_version": profile.wa_api_version}
    for name in ("source", "target"):
        if isinstance(getattr(engine, name, None), str):
            versions[name] = getattr(engine, name)
    data: dict[str, Any] = {
        "procedure": record.procedure, "cluster": profile.name, "outcome": outcome,
        "started": _stamp(record.started), "ended": _stamp(time.time()),
        "seconds": round(time.time() - record.started, 1), "versions": versions,
        "hosts": [{"external_hostname": h.external_hostname, "roles": [r.value for r in h.roles],
                   **({"outcome": outcomes[h.external_hostname]} if h.external_hostname in outcomes else {})}
                  for h in profile.hosts],
        "steps": [{**{k: v for k, v in asdict(s).items() if k not in ("started", "ended")},
                   "started": _stamp(s.started), "seconds": s.seconds} for s in record.steps],
        "health_before": asdict(record.health_before) if record.health_before else None,
        "health_before_measured": record.before_measured,
        "health_after": asdict(record.health_after) if record.health_after else None,
        "findings": [asdict(f) for f in record.findings],
        **({"aborted": record.aborted["line"]} if record.aborted else {}),
        **(extra or {}),
    }
    masked: dict[str, Any] = scrub(data, engine._redact)  # noqa: SLF001 - the procedure's redactor: the secrets in force
    return masked


def render_markdown(data: dict[str, Any]) -> str:
    """The report as Markdown (the same facts as the JSON)."""
    v = data["versions"]
    version = (f"{v['source']} → {v['target']}" if "target" in v else v["wa_api_version"])
    lines = [f"# {data['procedure'].capitalize()} of cluster {data['cluster']}: {data['outcome']}", "",
             f"- started {data['started']}, ended {data['ended']} ({data['seconds']} s)",
             f"- WA_API_VERSION: {version}"]
    for key, value in data.items():
        if key not in ("procedure", "cluster", "outcome", "started", "ended", "seconds", "versions", "hosts", "steps",
                       "health_before", "health_before_measured", "health_after", "findings"):
            lines.append(f"- {key.replace('_', ' ')}: {value}")
    before = data["health_before"]
    label = "before" if data["health_before_measured"] else "first heard during the run"
    lines += ["", "## Health", "",
              f"- {label}: " + (f"{before['level']}: {before['headline']}" if before else "not measured"),
              "- after: " + (f"{data['health_after']['level']}: {data['health_after']['headline']}"
                             if data["health_after"] else "not measured"),
              "", "## Hosts", ""]
    if any("outcome" in h for h in data["hosts"]):
        lines += ["| host | roles | outcome |", "|---|---|---|"]
        lines += [f"| {h['external_hostname']} | {', '.join(h['roles'])} | {h.get('outcome', '').replace('|', chr(92) + '|')} |"
                  for h in data["hosts"]]
    else:
        lines += ["| host | roles |", "|---|---|"]
        lines += [f"| {h['external_hostname']} | {', '.join(h['roles'])} |" for h in data["hosts"]]
    lines += ["", "## Steps", "", "| step | title | result | seconds | hosts | summary |", "|---|---|---|---|---|---|"]
    for s in data["steps"]:
        result = "running (aborted)" if s["ok"] is None else ("ok" if s["ok"] else "FAILED")
        hosts = _host_cell(s["hosts"], "not finished" if s["ok"] is None else "no answer")
        cells = [f"{s['procedure']} {s['number']}", s["title"], result,
                 "" if s["seconds"] is None else str(s["seconds"]), hosts, s["summary"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", "## Findings", ""]
    lines += [f"- {f['severity']} [{f['key']}] {f['host'] + ': ' if f['host'] else ''}{f['title']} — {f['remedy']}"
              for f in data["findings"]] or ["- none"]
    return "\n".join(lines) + "\n"


def _host_cell(hosts: dict[str, str], silent: str) -> str:
    """The hosts of a step in one table cell: hosts with the same result together, each error once and without
    the host name the error already starts with (``wa-core-1, wa-core-2: up -d wacore exited with status 1``;
    the s8 trial saw ``wa-core-1: wa-core-1: …`` twice in one cell); ``silent`` for a host with no result."""
    grouped: dict[str, list[str]] = {}
    for host, result in hosts.items():
        text = result or silent
        grouped.setdefault(text.removeprefix(f"{host}: "), []).append(host)
    return "; ".join(host_ranges(names) if text == "ok" else f"{host_ranges(names)}: {text}"
                     for text, names in grouped.items())


def write_report(engine: "Procedure", outcome: str, extra: dict[str, Any] | None = None) -> Path | None:
    """Write ``report.md`` and ``report.json`` of ``engine``'s run into its run-log folder (mode 600); returns
    the Markdown file's path, or None when the run has no run log (no ``settings.log_dir``). Raises OSError
    when the state directory cannot be written."""
    runlog = engine._runlog  # noqa: SLF001 - the report goes next to the run's own log
    if runlog is None:
        return None
    data = report_data(engine, outcome, extra)
    directory = runlog.directory
    write_atomic(directory / REPORT_JSON, json.dumps(data, indent=2), mode=0o600)
    path = directory / REPORT_MD
    write_atomic(path, render_markdown(data), mode=0o600)
    return path


def abort_text(engine: "Procedure", reason: str) -> dict[str, Any]:
    """The abort record of ``engine``'s run: time, the running step (number, title, hosts), ``reason``."""
    step = engine.record.running
    hold = getattr(getattr(engine, "session", None), "hold", None)
    # the running step's own procedure: an install runs its preflight's steps in its run
    return {"at": _stamp(time.time()), "procedure": step.procedure if step else engine.procedure, "reason": reason,
            "step": step.number if step else None, "title": step.title if step else "",
            "hosts": sorted(step.hosts) if step else [],
            # the remote commands the abort hangs up, each with its hosts (none: it stopped between commands)
            "cut": [{"command": command, "hosts": list(hosts)} for command, hosts in hold.in_flight()] if hold else []}


def record_abort(engine: "Procedure", reason: str) -> dict[str, Any]:
    """Write that the operator aborted ``engine``'s run (``reason``, e.g. "quit from the TUI", "Ctrl-C") into its
    run log (``run.log`` and every open host file: a line ``ABORTED <time>: ...``) and its journal (when it has
    one), masked. Returns the record. A local disk problem is swallowed: the abort must never fail the exit."""
    record: dict[str, Any] = scrub(abort_text(engine, reason), engine._redact)  # noqa: SLF001
    where = (f"{record['procedure']} step {record['step']} ({record['title']}) on {host_ranges(record['hosts']) or 'no host'}"
             if record["step"] is not None else f"{record['procedure']} between steps")
    cut = "; ".join(f"`{c['command']}` on {host_ranges(c['hosts'])}" for c in record["cut"])
    what = (f"hung up {cut}: " if cut else
            "no remote command was running (none was cut): " if record["step"] is not None else "")
    line = f"ABORTED {record['at']}: {where}: {what}{record['reason']}"
    runlog = engine._runlog  # noqa: SLF001
    try:
        if runlog is not None:
            runlog.mark(line, record["hosts"])
        journal = engine.settings.journal
        if journal is not None:
            journal.record_abort(record)
    except OSError:
        pass
    record["line"] = line
    running = engine.record.running
    if running is not None:  # the step's hosts say what the abort did to them; the later events are its echo
        for c in record["cut"]:
            for host in c["hosts"]:
                if not running.hosts.get(host):
                    running.hosts[host] = f"hung up by the quit: `{c['command']}`"
    engine.record.aborted = record
    return record


#: What the headless commands record as the reason of an abort.
HEADLESS_ABORT = "interrupted by Ctrl-C or SIGTERM"


async def recorded(engine: "Procedure", work: Awaitable[T], reason: str = HEADLESS_ABORT) -> T:
    """Await ``work`` (the run of ``engine``); when it is interrupted (the task cancelled by Ctrl-C, or
    ``KeyboardInterrupt`` raised by the SIGTERM handler) the abort is recorded (:func:`record_abort`), the report
    written with outcome ``aborted``, and the interruption raised again."""
    try:
        return await work
    except (asyncio.CancelledError, KeyboardInterrupt):
        if engine.record.aborted is not None:
            raise  # already recorded by the face (a quit confirmed in the TUI), with its own reason
        record_abort(engine, reason)
        try:
            engine.record.report_path = write_report(engine, "aborted")
        except OSError:
            pass  # the abort line is written; a full disk must not turn an abort into a crash
        raise
