"""Collect ``docker-compose logs`` into one ``debug_output.txt`` per host (seed, troubleshooting),
optionally bundled with the health answer, ``GET /v1/support`` and ``docker-compose ps`` of every
host into one ``.tar.gz`` for a support ticket.

Output is streamed to disk one channel read at a time (memory stays flat whatever the size) and every
line passes through the secret redactor on its way (DB password, admin password, PIN, certificate, API token).
Layout: ``<out>/<cluster>-<YYYYmmdd-HHMMSS>/<host>/debug_output.txt``.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..api.client import ApiError
from ..config.atomic import write_atomic
from ..domain.commands import UnsafeValue, docker_logs, logs_option_supported, usage_answer
from ..domain.model import ClusterProfile, HostSpec, Role
from ..domain.validation import check_since
from ..remote.errors import RemoteError
from .base import Procedure
from .stepinfo import StepInfo
from .events import Message, Progress
from .plan import Action, ProcedurePlan, planned
from .runlog import unique_directory

LOG_STEPS: tuple[StepInfo, ...] = (
    StepInfo(1, "collect", "Collect logs", "docker-compose logs on each chosen host, streamed to debug_output.txt."),
    StepInfo(2, "bundle", "Support bundle", "Health, /v1/support and ps of every host, packed with the logs as .tar.gz."),
)

DEBUG_OUTPUT = "debug_output.txt"
#: Emit a Progress event at most every this many bytes per host.
PROGRESS_EVERY = 256 * 1024
#: Bytes buffered per output file before a write to disk.
WRITE_BUFFER = 1 << 20


@dataclass(frozen=True)
class LogRequest:
    """What to collect: ``hosts`` (EXTERNAL_HOSTNAMEs; empty = all), ``service`` (waweb/master/wacore or
    None for all), ``since`` (docker format) and ``tail`` (lines per container)."""

    hosts: tuple[str, ...] = ()
    service: str | None = None
    since: str | None = None
    tail: int | None = None

    def problems(self, known_hosts: list[str]) -> list[str]:
        """Field-named problems with the request (empty when valid)."""
        out = [f"--host: {h!r} is not a host of the profile (hosts: {', '.join(known_hosts)})"
               for h in self.hosts if h not in known_hosts]
        if self.service and self.service not in {r.service for r in Role}:
            out.append(f"--service: {self.service!r} is not one of waweb, master, wacore")
        if self.since:
            out += [f"--since: {e.message}" for e in check_since(self.since)]
        if self.tail is not None and self.tail < 0:
            out.append("--tail: give a line count of 0 or more")
        return out


def compose_file_missing(lines: Sequence[str], compose_path: str) -> bool:
    """True when compose's answer (``lines``, stdout and stderr merged) says the compose file at
    ``compose_path`` does not exist: the cluster is not installed on that host, docker itself is fine.

    Observed here with Debian's docker-compose 1.29.2 (``-f`` a missing file, exit status 1, on stderr):
    ``.FileNotFoundError: [Errno 2] No such file or directory: '/tmp/small/nope/prod-multiconnect-compose.yml'``
    (``ERROR: `` before it on a terminal); Compose v2 words it ``open PATH: no such file or directory``.
    """
    return any(compose_path in line and "no such file or directory" in line.lower() for line in lines)


def uninstalled_refusal(profile: ClusterProfile, profile_ref: str) -> str:
    """Why logs cannot be collected when wabiz-tui uninstalled the cluster and has not started it since (the run
    state, read as health reads it: ``workflows.monitor.planned_state_reader``), naming the install command with
    ``profile_ref`` (the path or name the user gave); "" when collecting may go on.

    The one check ``wabiz-tui logs`` and F4 share: after an uninstall compose answers with no line at all, so a
    collection would write one empty debug_output.txt per host posing as logs (trial s8 M6/N4)."""
    from .monitor import uninstalled_words

    gone = uninstalled_words(profile)
    if not gone:
        return ""
    return (f"logs {profile.name}: {gone}: no container of the cluster runs, so there are no logs "
            f"to collect (nothing was written); `wabiz-tui install {profile_ref}` installs it again")


class LogCollection(Procedure):
    """Collects logs; :attr:`directory` is the run's folder and :attr:`files` the written files per host."""

    steps = LOG_STEPS
    procedure = "logs"
    directory: Path | None = None
    bundle_path: Path | None = None
    files: dict[str, Path]

    def plan(self, request: LogRequest | None = None, out: str = "<out>") -> ProcedurePlan:
        """Step 1's ``logs`` command per chosen host (its file in the step's note) and step 2's calls (with
        ``--bundle`` only). Raises ``UnsafeValue`` for a ``since``/``service`` that cannot be quoted."""
        request = request or LogRequest()
        p = self.profile
        hosts = self._hosts(request)
        collect = [Action(h.external_hostname, text) for h in hosts for text in self._planned_logs(h, request)]
        bundle = ([Action("", f"GET {p.webapp.url}/v1/health"), Action("", f"GET {p.webapp.url}/v1/support")]
                  + [Action(h.external_hostname, self.invocation(h).ps()) for h in p.hosts])
        where = f"-> {out}/{p.name}-<time>/<host>/{DEBUG_OUTPUT}"
        return ProcedurePlan(self.procedure, p.name, (planned(self.steps[0], collect, where),
                                                      planned(self.steps[1], bundle, "only with --bundle")))

    def _planned_logs(self, host: HostSpec, request: LogRequest) -> list[str]:
        """The commands step 1 runs on ``host``: one ``logs``, or (``--since`` on compose v1, see
        :meth:`_collect_per_container`) ``ps -q`` per service and ``docker logs`` per container found."""
        inv = self.invocation(host)
        if not (request.since and not logs_option_supported(inv.flavour, "--since")):
            return [inv.logs(request.service, request.tail, request.since)]
        sample = "0" * 12  # docker_logs() takes only a real id: the placeholder is put in after
        each = docker_logs(sample, since=request.since, tail=request.tail, sudo=self.sudo(host)).replace(sample, "<id>")
        services = [request.service] if request.service else [r.service for r in Role]
        return [inv.command("ps", "-q", s) for s in services] + [f"{each}  (for each <id> listed)"]

    def _hosts(self, request: LogRequest) -> tuple[HostSpec, ...]:
        if not request.hosts:
            return self.profile.hosts
        return tuple(h for h in self.profile.hosts if h.external_hostname in request.hosts)

    async def run(self, request: LogRequest, out_dir: Path, *, bundle: bool = False) -> bool:
        """The whole sequence: step 1 into ``out_dir``, then with ``bundle`` step 2 when logs were written
        (a failed host does not stop the bundle: what was collected is packed). True when all went well."""
        ok = await self.collect(request, out_dir)
        if bundle and self.directory is not None and self.directory.exists():
            ok = await self.bundle() and ok
        return ok

    async def collect(self, request: LogRequest, out_dir: Path) -> bool:
        """Step 1: one ``debug_output.txt`` per chosen host under a new folder in ``out_dir``."""
        problems = request.problems([h.external_hostname for h in self.profile.hosts])
        if problems:
            self._start(1)
            for p in problems:
                self.emit(Message(f"invalid: {p}"))
            return self._finish(1, False, problems[0], "fix the option and run again")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.profile.name)
        self.directory = unique_directory(Path(out_dir), f"{safe}-{stamp}")
        self.files: dict[str, Path] = {}
        return await self._on_hosts(1, self._hosts(request), lambda h: self._collect_host(h, request),
                                    f"collecting logs into {self.directory}")

    async def _collect_host(self, host: HostSpec, request: LogRequest) -> str:
        inv = self.invocation(host)
        per_container = bool(request.since) and not logs_option_supported(inv.flavour, "--since")
        try:
            command = "" if per_container else inv.logs(request.service, request.tail, request.since)
        except UnsafeValue as exc:
            raise RemoteError(host.external_hostname, str(exc), "fix the option") from None
        assert self.directory is not None  # collect() makes it before the hosts run
        target = self.directory / host.external_hostname / DEBUG_OUTPUT
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        redact = self._redact
        written = 0
        next_report = PROGRESS_EVERY
        head: list[str] = []
        with open(target, "w", encoding="utf-8", buffering=WRITE_BUFFER) as fh:
            target.chmod(0o600)

            def writer(prefix: str = "") -> Callable[[list[str]], None]:
                """A line callback writing into the host's log file, each line prefixed with ``prefix``."""
                def on_lines(lines: list[str]) -> None:
                    """Write a batch of lines (redacted, one buffered write), keep the first 3 lines for the summary,
                    count the bytes written (UTF-8) and emit Progress every PROGRESS_EVERY bytes (256 KiB)."""
                    nonlocal written, next_report
                    if len(head) < 3:
                        head.extend(lines[:3 - len(head)])
                    # one redaction, one encode and one buffered write per channel read, not per line
                    text = redact("\n".join(f"{prefix}{line}" for line in lines) if prefix else "\n".join(lines)) + "\n"
                    fh.write(text)
                    written += len(text) if text.isascii() else len(text.encode("utf-8", "replace"))
                    if written >= next_report:
                        next_report = written + PROGRESS_EVERY
                        self.emit(Progress(host.external_hostname, written))
                return on_lines

            if per_container:
                status, what = await self._collect_per_container(host, request, writer), "docker logs"
            else:
                status, what = await self._run(host, command, echo=False, on_lines=writer(), pty=True), f"{inv.flavour} logs"
        self.emit(Progress(host.external_hostname, written, written))
        usage = usage_answer(head)
        if usage is not None:  # compose explained its options instead of printing logs: the file holds no logs
            raise RemoteError(host.external_hostname, f"{what} answered with its usage text, not logs ({usage!r}); "
                              f"{target} holds no logs", "run again without the option the host's compose lacks")
        if status != 0 and compose_file_missing(head, inv.compose_path):
            self._not_installed(host, inv.compose_path)
        self.files[host.external_hostname] = target
        if status != 0:
            raise RemoteError(host.external_hostname, f"{what} exited with status {status}; {target} may be partial",
                              "read the end of the file for the error; check docker on the host")
        self.emit(Message(f"{host.external_hostname}: {written} bytes written to {target}"))
        return str(target)

    async def _collect_per_container(self, host: HostSpec, request: LogRequest,
                                     writer: Callable[[str], Callable[[list[str]], None]]) -> int | None:
        """Compose v1 has no ``logs --since`` (:data:`~wabiz_tui.domain.commands.LOGS_OPTIONS`): find the
        project's containers per service (``ps -q SERVICE``, by compose's labels) and run ``docker logs
        --since`` on each, each line prefixed ``<service>_<n>  | `` as compose v1 prefixes its own.
        Returns the first failure: a non-zero exit status, or None for a run ended by a signal (0 when all
        succeeded)."""
        inv = self.invocation(host)
        found: list[tuple[str, str]] = []
        for service in [request.service] if request.service else [r.service for r in Role]:
            ids: list[str] = []
            status = await self._run(host, inv.command("ps", "-q", service), ids.append, echo=False)
            if status != 0 and compose_file_missing(ids, inv.compose_path):
                self._not_installed(host, inv.compose_path)
            if status != 0:
                return status
            ids = [i.strip() for i in ids if re.fullmatch(r"[0-9a-f]{12,64}", i.strip())]
            found += [(f"{service}_{n}", cid) for n, cid in enumerate(ids, 1)]
        width = max((len(name) for name, _ in found), default=0) + 1
        first_bad: int | None = 0
        for name, cid in found:
            try:
                command = docker_logs(cid, since=request.since, tail=request.tail, sudo=self.sudo(host))
            except UnsafeValue as exc:
                raise RemoteError(host.external_hostname, str(exc), "fix the option") from None
            status = await self._run(host, command, echo=False, on_lines=writer(f"{name.ljust(width)} | "), pty=True)
            if first_bad == 0 and status != 0:  # None (ended on a signal) is a failure too
                first_bad = status
        return first_bad

    def _not_installed(self, host: HostSpec, compose_path: str) -> None:
        """Raise the failure of a host where the cluster is not installed (its compose file is absent); its
        ``debug_output.txt`` is removed (it would hold compose's error, not logs)."""
        if self.directory is not None:
            (self.directory / host.external_hostname / DEBUG_OUTPUT).unlink(missing_ok=True)
        raise RemoteError(host.external_hostname, f"not installed ({compose_path} "
                          "is absent: no containers, no logs)",
                          f"run install first (wabiz-tui install {self.settings.profile_path or self.profile.name})",
                          retry_helps=False)

    async def bundle(self) -> bool:
        """Step 2: add ``health.json``, ``support.json`` and each host's ``ps.txt``; pack it all as .tar.gz."""
        await self._begin(2)
        if self.directory is None or not self.directory.exists():
            return self._finish(2, False, "no collected logs to bundle", "collect the logs first")
        redact = self._redact
        notes: list[str] = []
        for name, call in (("health.json", self._client().health), ("support.json", self._client().support)):
            try:
                body = await call()
                write_atomic(self.directory / name, redact(json.dumps(body, indent=2)) + "\n", mode=0o600)
            except ApiError as exc:
                notes.append(f"{name}: {exc}")
        redact = self._redact  # the token exists now
        for host in self.profile.hosts:
            lines: list[str] = []
            try:
                await self._run(host, self.invocation(host).ps(), lines.append)
            except RemoteError as exc:  # one host's failure is written down, never fatal for the bundle
                lines.append(f"ps failed: {exc}")
            (self.directory / host.external_hostname).mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(self.directory / host.external_hostname / "ps.txt", "\n".join(redact(l) for l in lines) + "\n",
                         mode=0o600)
        if notes:
            write_atomic(self.directory / "bundle-notes.txt", "\n".join(redact(n) for n in notes) + "\n", mode=0o600)
        # this run's own log (the commands that collected the logs) lives in its own folder (issue 13.10): packed
        # as run-log/ beside the collected files
        run_log = [(path, f"run-log/{path.name}") for path in (self._runlog.flush() if self._runlog else [])]
        self.bundle_path = self.directory.with_suffix(".tar.gz")
        changed = pack_complete(self.directory, self.bundle_path, run_log)
        for name in changed:
            self.emit(Message(f"{name} was still being written while it was packed: the bundle holds it up to that "
                              "moment", notice=True))
        return self._finish(2, True, f"bundle written to {self.bundle_path}" + (f" ({len(notes)} part(s) missing, see bundle-notes.txt)" if notes else ""))


def pack_complete(directory: Path, target: Path, extra: Sequence[tuple[Path, str]] = ()) -> list[str]:
    """Pack ``directory`` into the .tar.gz ``target`` (mode 600), plus the ``extra`` files as ``(path, name
    inside the directory)``, each file read whole first and added with the size of what was read, so a member
    is never cut at a size taken before its last write landed (the truncated ``.log`` files of issue 14.7:
    ``tarfile.add`` takes the size from ``stat`` and reads that many bytes). Returns the files whose size
    changed while packing (written to meanwhile). Raises ``OSError`` when a file cannot be read or written."""
    changed = []
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        tar.add(directory, arcname=directory.name, recursive=False)
        members = [(path, str(path.relative_to(directory))) for path in sorted(directory.rglob("*"))]
        for path, name in [*members, *extra]:
            arcname = f"{directory.name}/{name}"
            if path.is_dir():
                tar.add(path, arcname=arcname, recursive=False)
                continue
            data = path.read_bytes()
            info = tar.gettarinfo(str(path), arcname=arcname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            if path.stat().st_size != len(data):
                changed.append(arcname)
    return changed
