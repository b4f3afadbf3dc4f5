"""Preflight: before any container starts, check every host in parallel and the plan itself, and
report a table of host × check with ok / warning / failure and a reason (issue "Preflight").

Per host: SSH; Docker daemon reachable with permission; compose flavour and version; free disk on
the Docker data root and the media path; the ports its roles will publish are free; every other
host's ``EXTERNAL_HOSTNAME`` and the DB host resolve; the DB answers on its port, reached from the host
through the SSH connection itself (round trip, what a MySQL greeting announces), then one login through
an SSH tunnel (server version judged once, auth plugin, privileges); the media path (mode 755, writable, shared with the other hosts);
the clock against this machine's; the ``WA_API_VERSION`` image can be pulled. Cluster: the seed's
topology advice; with a ``monitoring`` section, the scrape ports probed from its host (field case R27).
The probes use ``getent``, ``df``, ``ss``, ``date`` and ``docker`` (``nc`` or bash only where sshd refuses forwarding).
"""

from __future__ import annotations

import shlex
import time
import dataclasses
from typing import Any

from ..domain.diagnosis import diagnose_lines, diagnosis_for
from ..domain.docker_access import with_sudo
from ..domain.envrules import preflight_rows
from ..domain.model import ClusterProfile, HostSpec, MediaKind, Role
from ..domain.preflight import (FAILURE, OK, WARNING, Check, judge_clock,
                                judge_disk, parse_df_available, parse_listening_ports, planned_ports, topology_advice)
from ..domain.validation import check_abs_path, validate_profile
from ..remote.errors import RemoteError
from ..remote.ssh import PassphraseCallback
from .stepinfo import StepInfo
from .events import CheckDone, Emit, Message
from .keyfiles import key_file_error
from .offprocess import run_in_child
from .preflight_db import PreflightDb
from .settings import RunSettings

PREFLIGHT_STEPS = (StepInfo(1, "plan", "Plan advice", "The seed's sizing guidelines applied to the hosts and roles."),
                   StepInfo(2, "hosts", "Host checks", "Check every host in parallel before anything starts."))
DOCKER_ROOT = "/var/lib/docker"
#: Seconds a scrape-port probe waits before it counts as dropped by a firewall.
SCRAPE_TIMEOUT_S = 3


def parse_remote_time(out: str) -> tuple[float, float] | None:
    """``date +%s%N``'s answer as (seconds since the epoch, resolution in seconds); None when it is no time.

    ``1764915000123456789`` (GNU date) -> (1764915000.123456789, 0.0); ``1764915000N`` or ``1764915000%N`` (a date
    without ``%N``) or ``1764915000`` -> (1764915000.5, 0.5): whole seconds are truncated, so the time is within
    half a second of the middle of that second."""
    text = out.strip().splitlines()[-1].strip() if out.strip() else ""
    digits = text.removesuffix("%N").removesuffix("N")
    if not digits.isdigit():
        return None
    if len(digits) >= 17:  # seconds (10 digits until 2286) followed by 9 digits of nanoseconds
        return int(digits[:-9]) + int(digits[-9:]) / 1e9, 0.0
    return float(digits) + 0.5, 0.5


class Preflight(PreflightDb):
    """Runs the checks; :attr:`results` holds every :class:`Check` once done."""

    steps = PREFLIGHT_STEPS
    procedure = "preflight"
    uses_compose = False  # it checks both flavours itself

    def __init__(self, profile: ClusterProfile, **kw: Any):
        #: the face's own ``emit``: :meth:`run_off_loop` hands it the events of the child, masked there already
        self._face = kw["emit"]
        super().__init__(profile, **kw)
        self.results: list[Check] = []
        #: hosts whose TCP probe reached the DB port, and the first MySQL greeting read
        self._db_reached: list[str] = []
        #: hosts that could not probe the DB port at all (no forwarding, no nc, no bash)
        self._db_unknown: list[str] = []
        self._db_greeting = ""
        #: hosts that wrote their media marker (only they take part in the "really shared" check)
        self._media_writers: set[str] = set()

    def _record(self, check: Check) -> None:
        """Keep ``check`` in :attr:`results` and emit it, its reason masked (it may quote a host's output, e.g. the
        last line of a failed ``docker pull``), since the CLI prints :attr:`results` itself."""
        check = Check(check.host, check.name, check.level, self._redact(check.reason))
        self.results.append(check)
        self.emit(CheckDone(check.host, check.name, check.level, check.reason))

    async def _probe(self, host: HostSpec, command: str, *, pty: bool = False) -> tuple[int | None, str]:
        lines: list[str] = []
        status = await self._run(host, command, lines.append, echo=False, pty=pty)
        return status, "\n".join(lines)

    async def run(self) -> bool:
        """Validate the profile (field errors block), then run every check. True when nothing failed."""
        errors = validate_profile(self.profile)
        if errors:
            self._start(1)
            for e in errors:
                self.emit(Message(f"invalid: {e}"))
            return self._finish(1, False, f"{len(errors)} invalid value(s): {errors[0]}", "fix the values, then run the preflight again")
        await self._begin(1)
        advice = topology_advice(self.profile) + [Check(*r) for r in preflight_rows(self.profile)] + self._local_files() + self._registration_number()
        for check in advice:
            self._record(check)
        self._finish(1, not any(c.level == FAILURE for c in advice), f"{len(advice)} guideline(s) checked")
        marker = f".wabiz-preflight-{int(time.time())}"
        hosts_ok = await self._on_hosts(2, self.profile.hosts, lambda h: self._host_checks(h, marker), "host checks")
        checked = {c.host for c in self.results if c.name == "ssh"}
        for h in self.profile.hosts:
            if h.external_hostname not in checked:
                self._record(Check(h.external_hostname, "ssh", FAILURE, "not reachable or not trusted: see the host's error above"))
        await self._database_login()
        if self.profile.media.kind is MediaKind.HOST_PATH:
            await self._media_shared(marker)
        await self._monitoring()
        failures = [c for c in self.results if c.level == FAILURE]
        warnings = [c for c in self.results if c.level == WARNING]
        summary = f"{len(failures)} failure(s), {len(warnings)} warning(s) in {len(self.results)} checks"
        self.emit(Message(f"preflight: {summary}", notice=True))
        return hosts_ok and not failures

    async def run_off_loop(self) -> bool:
        """:meth:`run` then :meth:`close` in a child process (``offprocess.run_in_child``): this process only receives
        the events, in order (masked and written to the run log in the child), and any passphrase question, asked
        with ``settings.ssh.passphrase`` here. Returns what :meth:`run` returns and fills :attr:`results`; cancelling
        the caller cancels the checks and waits until the child has closed its connections. Raises
        ``offprocess.ChildFailed`` when the child dies without an answer."""
        ssh = self.settings.ssh
        settings = dataclasses.replace(self.settings, ssh=dataclasses.replace(ssh, passphrase=None))
        ok, self.results = await run_in_child(f"{__name__}:checks_in_child", self.profile, settings, emit=self._face,
                                              ask=ssh.passphrase, name="preflight")
        return bool(ok)

    def _registration_number(self) -> list[Check]:
        """The number to register is not in another saved profile (field case R23): told before anything
        starts, as a warning (registration itself refuses it unless the operator confirms)."""
        duplicate = self.duplicate_number()
        if duplicate is None:
            return []
        self.report([duplicate])
        return [Check("", "registration number", WARNING,
                      f"{duplicate.title}: {duplicate.evidence}; registering it here disconnects the other cluster")]

    def _local_files(self) -> list[Check]:
        """Files the profile names on this machine: the Webapp CA and the SSH keys must be readable."""
        import ssl
        from pathlib import Path

        out: list[Check] = []
        ca = self.profile.webapp.ca_file
        if ca:
            try:
                ssl.create_default_context(cafile=ca)
                out.append(Check("", "webapp CA file", OK, f"{ca} is a readable CA certificate"))
            except (OSError, ssl.SSLError) as exc:
                out.append(Check("", "webapp CA file", FAILURE,
                                 f"webapp.ca_file {ca} cannot be used ({getattr(exc, 'strerror', None) or exc.__class__.__name__}): "
                                 "give the PEM of the CA that signed the Webapp's certificate"))
        for i, h in enumerate(self.profile.hosts):
            key = h.ssh.key_file
            if key and not Path(key).expanduser().is_file():
                out.append(Check(h.external_hostname, "ssh key", FAILURE, f"hosts[{i}].ssh.key_file {key} does not exist"))
            elif (error := key_file_error(f"hosts[{i}].ssh.key_file", key)) is not None:
                out.append(Check(h.external_hostname, "ssh key", FAILURE, str(error)))
        return out

    async def _host_checks(self, host: HostSpec, marker: str) -> str:
        name = host.external_hostname
        await self._clock(host)
        self._record(Check(name, "ssh", OK, f"connected as {host.ssh.user or 'the configured user'}"))
        await self._docker(host)
        await self._disk(host)
        await self._ports(host)
        await self._names(host)
        await self._database(host)
        if self.profile.media.kind is MediaKind.HOST_PATH:
            await self._media_local(host, marker)
        await self._image(host)
        return "checked"

    async def _docker(self, host: HostSpec) -> None:
        name = host.external_hostname
        access = await self.docker_access(host)
        if not access.usable:
            self._record(Check(name, "docker", FAILURE, f"{access.problem}: {access.next_action}"))
        else:
            status, out = await self._probe(host, with_sudo("docker info", access.sudo))
            if status == 0:
                version = next((line.split(":", 1)[1].strip() for line in out.splitlines() if "Server Version:" in line), "")
                via = f" through sudo -n ({self._sudo_field(host)}: {host.ssh.docker_sudo})" if access.sudo else " with permission"
                self._record(Check(name, "docker", OK, f"Docker {version} reachable{via}".replace("  ", " ")))
            else:
                found = diagnose_lines(out.splitlines(), name)
                reason = found[0].title + ": " + found[0].next_action if found else f"docker info failed (status {status})"
                self._record(Check(name, "docker", FAILURE, reason))
        status, out = await self._probe(host, "docker compose version")
        if status == 0 and "version" in out.lower():
            self._record(Check(name, "compose", OK, f"v2 plugin: {out.strip().splitlines()[0]}"))
            return
        status, out = await self._probe(host, "docker-compose version")
        if status == 0:
            self._record(Check(name, "compose", OK, f"v1: {out.strip().splitlines()[0] if out.strip() else 'docker-compose'}"))
        else:
            self._record(Check(name, "compose", FAILURE, "neither docker compose (v2) nor docker-compose (v1) found: install one"))

    async def _disk(self, host: HostSpec) -> None:
        paths = [DOCKER_ROOT]
        if self.profile.media.kind is MediaKind.HOST_PATH:
            paths.append(self.profile.media.host_path)
        for path in paths:
            status, out = await self._probe(host, f"df -Pk {shlex.quote(path)}")
            free = parse_df_available(out)
            if status != 0 or not free:
                self._record(Check(host.external_hostname, f"disk {path}", WARNING, f"df could not read {path}"))
            else:
                self._record(Check(host.external_hostname, f"disk {path}", *judge_disk(path, min(free.values()))))

    async def _ports(self, host: HostSpec) -> None:
        status, out = await self._probe(host, "ss -ltnH")
        if status != 0:
            self._record(Check(host.external_hostname, "ports", WARNING, "ss is not available: ports not checked"))
            return
        taken = parse_listening_ports(out)
        wanted = planned_ports(host.roles)
        busy = sorted(p for p in wanted if p in taken)
        own = {role for role in {wanted[p] for p in busy} if await self.service_state(host, role.service) == "running"}
        busy = [p for p in busy if wanted[p] not in own]  # held by the cluster's own running container: fine
        if own and not busy:
            self._record(Check(host.external_hostname, "ports", OK,
                               f"in use by its own running {', '.join(sorted(r.label for r in own))} (already started)"))
            return
        if busy:
            roles = ", ".join(sorted({wanted[p].label for p in busy}))
            self._record(Check(host.external_hostname, "ports", FAILURE,
                               f"port(s) {', '.join(map(str, busy))} needed by the {roles} are already in use: stop what holds them"))
        else:
            self._record(Check(host.external_hostname, "ports", OK, f"{len(wanted)} port(s) free"))

    async def _clock(self, host: HostSpec) -> float:
        """Record the host's clock check; returns the seconds from connecting to the answer of ``date``.

        The connection is made first, so the round trip holds the command alone (the SSH handshake of 50 hosts
        at once took seconds, and its half was read as clock skew: issue 17). The offset is the remote time
        minus the midpoint of send and receive; anything that delayed the answer (a busy event loop) widens the
        round trip, and the check warns only beyond :data:`CLOCK_WARN_S` plus half of it. ``date +%s%N`` gives
        nanoseconds with GNU coreutils; a ``date`` without ``%N`` prints it literally (busybox builds without
        the feature), and whole seconds are then used (half a second more of uncertainty).
        """
        connecting = self.session.hold.stopwatch()  # a quit question open meanwhile: its time is not the host's
        await self.session.connect(host)
        clock = self.session.hold.stopwatch()
        status, out = await self._probe(host, "date +%s%N")
        rtt, received = clock(), time.time()
        remote = parse_remote_time(out) if status == 0 else None
        if remote is not None:
            seconds, resolution = remote
            offset = seconds - (received - rtt / 2)  # sent at received - rtt: a wait at the hold is not in it
            self._record(Check(host.external_hostname, "clock", *judge_clock(offset, rtt / 2 + resolution)))
        return connecting()

    async def _names(self, host: HostSpec) -> None:
        names = list(dict.fromkeys([h.external_hostname for h in self.profile.hosts if h is not host]
                                   + [self.profile.db.hostname]))
        missing = await self._unresolved(host, names)
        if missing:
            self._record(Check(host.external_hostname, "names", FAILURE,
                               f"does not resolve {', '.join(missing)}: fix DNS or /etc/hosts on {host.external_hostname}"))
        else:
            self._record(Check(host.external_hostname, "names", OK, f"resolves the {len(names)} other host(s) and the DB"))

    async def _unresolved(self, host: HostSpec, names: list[str]) -> list[str]:
        """The ``names`` that ``host`` cannot resolve, asked in one ``getent hosts NAME...`` (one command per host,
        not one per name: 50 hosts asked 2,450 commands, issue 17).

        glibc's ``getent hosts`` prints one line per key found (address, canonical name, aliases) and exits 2 when
        one or more keys were not found (observed here: ``getent hosts localhost nosuchhost.invalid 127.0.0.1``
        printed 2 lines and exited 2). A name found under another canonical name (a DNS search domain, a CNAME)
        is not in the output; when the names not seen outnumber the keys not found, each of those is asked alone.
        """
        if not names:
            return []
        status, out = await self._probe(host, "getent hosts " + " ".join(shlex.quote(n) for n in names))
        if status == 0:
            return []
        lines = [line for line in out.splitlines() if line.strip()]
        seen = {word for line in lines for word in line.split()[1:]}
        unseen = [n for n in names if n not in seen]
        if status == 2 and len(names) - len(lines) == len(unseen):
            return unseen
        missing = []
        for name in unseen:
            status, _ = await self._probe(host, f"getent hosts {shlex.quote(name)}")
            if status != 0:
                missing.append(name)
        return missing

    async def _media_local(self, host: HostSpec, marker: str) -> None:
        path = self.profile.media.host_path
        if check_abs_path(path, "media.host_path"):
            return
        status, out = await self._probe(host, f"stat -c %a {shlex.quote(path)}")
        if status != 0:
            self._record(Check(host.external_hostname, "media", FAILURE, f"{path} does not exist: mount the shared media volume there"))
            return
        mode = out.strip()
        status, _ = await self._probe(host, f"touch {shlex.quote(path + '/' + marker + '-' + host.external_hostname)}")
        if status == 0:
            self._media_writers.add(host.external_hostname)
        if status != 0:
            self._record(Check(host.external_hostname, "media", FAILURE, f"{path} is not writable by the SSH user"))
        elif mode != "755":
            self._record(Check(host.external_hostname, "media", WARNING, f"{path} has mode {mode}; the seed asks for 755 (chmod -R 755)"))
        else:
            self._record(Check(host.external_hostname, "media", OK, f"{path} mode 755, writable"))

    async def _media_shared(self, marker: str) -> None:
        """A file each host wrote must be seen by every other host: the media path is really shared."""
        path = self.profile.media.host_path
        # a host that could not write its marker (path missing, not writable) already failed the media
        # check: it neither looks nor is looked for, so no second, misleading "not shared" failure
        hosts = tuple(h for h in self.profile.hosts if h.external_hostname in self._media_writers)
        markers = {other.external_hostname: f"{path}/{marker}-{other.external_hostname}" for other in hosts}
        for host in hosts:
            others = {name: file for name, file in markers.items() if name != host.external_hostname}
            if not others:
                continue
            try:  # one ``ls -1d`` per host lists the markers it sees (it prints each existing path as given)
                _, out = await self._probe(host, "ls -1d " + " ".join(shlex.quote(f) for f in others.values()))
            except RemoteError:
                out = ""
            present = {line.strip() for line in out.splitlines()}
            missing = [name for name, file in others.items() if file not in present]
            if missing:
                self._record(Check(host.external_hostname, "media shared", FAILURE,
                                   f"does not see the files written by {', '.join(missing)} in {path}: it is not the same shared volume"))
            else:
                self._record(Check(host.external_hostname, "media shared", OK, f"{path} is shared with every other host"))
        for host in hosts:  # only once every host has looked: on a real share the markers are the same files
            try:
                await self._probe(host, f"rm -f {shlex.quote(path + '/' + marker + '-' + host.external_hostname)}")
            except RemoteError:
                pass

    async def _image(self, host: HostSpec) -> None:
        """Each image the host's roles run: present on the host → ok with a note, no pull (air-gapped sites
        load images with ``docker load``); missing → ``docker pull``, and a failed pull is a failure with the
        registry's own words. ``docker image inspect`` answers ``Error: No such image: …`` (exit 1) for a
        missing one; a pull with the registry unreachable: ``Error response from daemon: Get
        "https://docker.whatsapp.biz/v2/": dial tcp: lookup docker.whatsapp.biz on …: no such host``
        (both observed with docker 20.10 here)."""
        repos = sorted({"web" if role is Role.WEBAPP else "coreapp" for role in host.roles})
        if not (await self.docker_access(host)).usable:
            self._record(Check(host.external_hostname, "image", WARNING, "images not checked: docker cannot be used (see the docker check)"))
            return
        for repo in repos:
            image = f"docker.whatsapp.biz/{repo}:v{self.profile.wa_api_version}"
            status, _ = await self._probe(host, with_sudo(f"docker image inspect -f '{{{{.Id}}}}' {shlex.quote(image)}", self.sudo(host)))
            if status == 0:
                self._record(Check(host.external_hostname, "image", OK, f"{image} is already on the host (not pulled)"))
                continue
            status, out = await self._probe(host, with_sudo(f"docker pull {shlex.quote(image)}", self.sudo(host)), pty=True)
            if status == 0:
                self._record(Check(host.external_hostname, "image", OK, f"{image} pulled"))
                continue
            diagnoses = diagnose_lines(out.splitlines(), host.external_hostname)
            words = next((line.strip() for line in reversed(out.splitlines()) if line.strip()), f"status {status}")
            reason = f"{image} is not on the host and cannot be pulled: {words}"
            reason += (f" ({diagnoses[0].title}): {diagnoses[0].next_action}" if diagnoses
                       else "; or load the image on the host (docker load) where the registry cannot be reached")
            self.report(diagnoses)
            self._record(Check(host.external_hostname, "image", FAILURE, reason))

    # ---- monitoring scrape ports (field case R27) ---------------------------------------------------
    async def _monitoring(self) -> None:
        """From ``monitoring.from_host``, probe every scrape target with ``nc -vz -w 3``: a timeout is a
        firewall dropping the scrape (SCRAPE_PORT_BLOCKED), a refusal an exporter that is not running.
        Warnings only: monitoring is recommended by the seed, never required to install."""
        mon = self.profile.monitoring
        targets = mon.scrape_targets(self.profile.hosts)
        if not mon.from_host or not targets:
            return
        try:
            source = self.profile.host(mon.from_host)
        except KeyError:
            return  # validation already named monitoring.from_host
        for host, port, what in targets:
            check = f"scrape {port}"
            try:
                status, out = await self._probe(source, f"nc -vz -w {SCRAPE_TIMEOUT_S} {shlex.quote(host)} {port}")
            except RemoteError as exc:
                self._record(Check(host, check, WARNING, f"not probed: {mon.from_host} is not reachable ({exc})"))
                continue
            low = out.lower()
            if status == 0:
                self._record(Check(host, check, OK, f"{what} on {host}:{port} answers from {mon.from_host}"))
            elif status == 127:
                self._record(Check(host, check, WARNING, f"nc is not installed on {mon.from_host}: {host}:{port} not probed"))
            elif any(w in low for w in ("getaddrinfo", "name or service not known", "could not resolve", "no address associated")):
                self._record(Check(host, check, WARNING, f"{mon.from_host} cannot resolve {host}: fix DNS or /etc/hosts there, "
                                                         f"or name the target by an address {mon.from_host} resolves"))
            elif "refused" in low:
                self._record(Check(host, check, WARNING, f"nothing listens on {host}:{port}: start the {what} "
                                                         "(Setup-Scripts monitoring/*-compose.yml) on that host"))
            else:
                evidence = out.strip().splitlines()[-1] if out.strip() else f"nc {host} {port}: no answer in {SCRAPE_TIMEOUT_S} s"
                self.report([diagnosis_for("SCRAPE_PORT_BLOCKED", evidence, host)])
                self._record(Check(host, check, WARNING, f"{host}:{port} ({what}) timed out from {mon.from_host} after "
                                                         f"{SCRAPE_TIMEOUT_S} s: a firewall drops the scrape; open the port"))


async def checks_in_child(profile: ClusterProfile, settings: RunSettings, *, emit: Emit,
                          ask: PassphraseCallback | None) -> tuple[bool, list[Check]]:
    """The child's side of :meth:`Preflight.run_off_loop`: a :class:`Preflight` of ``profile`` with ``settings``
    (``ask`` as its passphrase callback) run and closed; returns ``(run's answer, results)``."""
    check = Preflight(profile, emit=emit, settings=dataclasses.replace(
        settings, ssh=dataclasses.replace(settings.ssh, passphrase=ask)))
    try:
        return await check.run(), check.results
    finally:
        await check.close()
