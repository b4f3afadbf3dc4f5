"""``doctor``'s collectors: gather facts on every layer of every host in parallel, each probe bounded in time,
changing nothing on the hosts; then :func:`wabiz_tui.domain.doctor.reason` names the causes (design.md §10).

Per host (over the operator's SSH connection): SSH and the clock (skew measured around the ``date`` call only);
Docker (``docker info``); ``docker-compose config --services`` with the variables the steps use; every container
of the cluster's project directory (Webapp, Master, Coreapp and dbupgrade alike) sampled over a window (status,
exit code, restart count), with OOMKilled, health and image, and its recent log scanned by the diagnosis
catalogue; ``getent hosts`` of every ``EXTERNAL_HOSTNAME``, the DB host and the registry, on the host and inside
one running container; TCP from the host to every published port of the other hosts and to the DB (an SSH
``direct-tcpip`` channel: the host itself connects, nothing needs installing; bash ``/dev/tcp`` where sshd
refuses forwarding); the DB login with db.env's values through that host; the registry's answer for the image
(``curl -I``, read-only); ``df`` space and inodes of Docker's root and the media path; the media path's owner,
mode and mount options. From this machine: the Webapp API (login and health, the error envelope decoded).

Every command is read-only: nothing is pulled, started, written or removed. A probe that does not answer within
its time limit is a fact too (``ok`` None, ``data["timeout"]``). Facts never hold a secret: each line passes the
run's redactor (db.env's password, the admin password, the API token).
"""

from __future__ import annotations

import asyncio
import dataclasses
import posixpath
import shlex
import time
from typing import Any, Awaitable, Callable

from ..api.client import ApiError
from ..domain.commands import SAMPLE_FORMAT, WORKING_DIR_LABEL, docker_logs
from ..domain.crashloop import StateSample, judge_samples, parse_sample
from ..domain.diagnosis import diagnose_api_error, diagnose_lines, diagnose_retry_loop, diagnose_transport
from ..domain.docker_access import socket_denied, with_sudo
from ..domain.doctor import (P_API, P_CLOCK, P_COMPOSE, P_CONTAINER, P_DB_LOGIN, P_DISK, P_DNS, P_DNS_CONTAINER,
                             P_DOCKER, P_ENV, P_LOGS, P_MEDIA, P_REGISTRY, P_SSH, P_TCP, Fact, Report, reason)
from ..domain.envrules import ERROR, WARNING, check_db_env_text, effective, read_env_text
from ..domain.model import ClusterProfile, DbEngine, DbEnv, HostSpec, MediaKind, Role
from ..domain.render import DB_ENV_FILE
from ..domain.preflight import CLOCK_WARN_S, ROLE_PORTS
from ..remote.dblogin import DbLoginError, probe_port, read_db_facts
from ..remote.errors import RemoteError
from .base import Procedure
from .events import Message

#: Seconds one probe may take before it counts as "did not answer".
PROBE_TIMEOUT = 10.0
#: Seconds a TCP connection may take (a firewall that drops packets makes it time out).
TCP_TIMEOUT = 3.0
#: Container state samples and the window they span (seconds).
SAMPLES, WINDOW = 3, 2.0
#: Log lines read per container.
LOG_TAIL = 200
REGISTRY = "docker.whatsapp.biz"
#: Below this free space (KiB) or at 100 % use, a path is out of space for doctor (the preflight's 2 GiB threshold
#: is for pulling images; a media volume of a few hundred MiB is not a fault by itself).
FULL_KB = 64 * 1024
#: dbupgrade is the service of dbupgrade-compose.yml (seed, upgrade), listed with the others by the project label.
SERVICE_FORMAT = '{{.ID}} {{.Label "com.docker.compose.service"}}'
EXTRA_FORMAT = "{{.State.OOMKilled}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.Config.Image}}"
#: ``curl`` exit statuses (curl(1) "EXIT CODES"): 6 could not resolve host, 7 failed to connect, 28 timeout.
CURL_NO_ANSWER = {6: "could not resolve the host", 7: "failed to connect", 28: "timed out", 35: "TLS handshake failed",
                  60: "certificate not trusted"}


class Doctor(Procedure):
    """Collect the facts (:meth:`collect`) and reason over them (:meth:`run`). ``hosts``: only these
    ``EXTERNAL_HOSTNAME`` s are probed (the cluster-wide facts, DB and API, are still gathered)."""

    procedure = "doctor"
    uses_compose = False

    def __init__(self, profile: ClusterProfile, *, hosts: tuple[str, ...] = (), probe_timeout: float = PROBE_TIMEOUT,
                 window: float = WINDOW, api: bool = True, **kw: Any):
        super().__init__(profile, **kw)
        self.only = hosts
        self.probe_timeout = probe_timeout
        self.window = window
        self.api = api
        self.facts: list[Fact] = []

    # ---- plumbing ---------------------------------------------------------------------------------------
    def _fact(self, probe: str, host: str, command: str, line: str, ok: bool | None, **data: Any) -> Fact:
        clean = {k: self._redact(v) if isinstance(v, str) else v for k, v in data.items()}
        fact = Fact(probe, host, self._redact(command), self._redact(line.strip())[:300], ok, clean)
        self.facts.append(fact)
        return fact

    async def _timed(self, probe: str, host: str, command: str, work: Awaitable[None]) -> None:
        """Run one probe within :attr:`probe_timeout`; a timeout or an SSH failure becomes an ``unknown`` fact."""
        try:
            await asyncio.wait_for(work, self.probe_timeout)
        except TimeoutError:
            self._fact(probe, host, command, f"no answer within {self.probe_timeout:g} s", None, timeout=True,
                       why="timed out")
        except RemoteError as exc:
            self._fact(probe, host, command, str(exc), None, why="the command could not run")

    async def _sh(self, host: HostSpec, command: str) -> tuple[int | None, list[str]]:
        lines: list[str] = []
        status = await self.session.run(host, command, lines.append, echo=False, quiet=True,
                                        timeout=self.probe_timeout + 1)
        return status, lines

    def _docker(self, host: HostSpec, command: str) -> str:
        return with_sudo(command, self.session.sudo(host))

    # ---- the run ----------------------------------------------------------------------------------------
    async def collect(self) -> list[Fact]:
        """Every fact, hosts in parallel. Returns :attr:`facts` (also kept there)."""
        hosts = [h for h in self.profile.hosts if not self.only or h.external_hostname in self.only]
        self.emit(Message(f"doctor: probing {len(hosts)} host(s), each probe within {self.probe_timeout:g} s"))
        work = [self._host(h) for h in hosts]
        if self.api:
            work.append(self._api())
        await asyncio.gather(*work)
        return self.facts

    async def run(self) -> Report:
        """Collect, then reason: the :class:`~wabiz_tui.domain.doctor.Report`."""
        await self.collect()
        return reason(self.facts)

    async def _host(self, host: HostSpec) -> None:
        name = host.external_hostname
        try:
            await asyncio.wait_for(self._pool.get(host), self.probe_timeout)
        except (RemoteError, TimeoutError) as exc:
            self._fact(P_SSH, name, f"ssh {name}", str(exc) or f"no answer within {self.probe_timeout:g} s", False)
            return
        self._fact(P_SSH, name, "ssh", f"connected as {host.ssh.user or 'the configured user'}", True)
        start = time.time()
        try:
            status, lines = await asyncio.wait_for(self._sh(host, "date +%s.%N"), self.probe_timeout)
        except (RemoteError, TimeoutError) as exc:
            self._fact(P_CLOCK, name, "date +%s.%N", str(exc) or f"no answer within {self.probe_timeout:g} s", None,
                       timeout=isinstance(exc, TimeoutError), why="date did not answer")
        else:
            self._clock(name, status, lines, start, time.time())
        docker_up = await self._docker_state(host)
        parts: list[Awaitable[None]] = [self._names(host), self._tcp(host), self._db(host), self._disk(host, docker_up),
                                        self._registry(host)]
        if self.profile.media.kind is MediaKind.HOST_PATH:
            parts.append(self._timed(P_MEDIA, name, "stat/findmnt", self._media(host)))
        if docker_up:
            parts += [self._timed(P_COMPOSE, name, "docker-compose config --services", self._compose(host)),
                      self._containers(host)]
        await asyncio.gather(*parts)

    def _clock(self, name: str, status: int | None, lines: list[str], start: float, end: float) -> None:
        """Skew = the host's time minus the middle of the call (seconds); the call's duration bounds the error."""
        text = lines[-1].strip() if lines else ""
        try:
            remote = float(text)
        except ValueError:
            self._fact(P_CLOCK, name, "date +%s.%N", text or f"status {status}", None, why="date gave no time")
            return
        skew = remote - (start + end) / 2
        self._fact(P_CLOCK, name, "date +%s.%N", f"{skew:+.2f} s against this machine (call took {end - start:.2f} s)",
                   abs(skew) < CLOCK_WARN_S, skew_s=round(skew, 2))

    async def _docker_state(self, host: HostSpec) -> bool:
        name = host.external_hostname
        # ``docker version``, not ``docker info --format``: with the daemon stopped Debian's 20.10 client answers the
        # latter with only a template error ("executing "" at <.ServerVersion>: reflect: indirection through nil
        # pointer"), while both it and the 28 client answer ``version`` with "Cannot connect to the Docker daemon at
        # unix:///var/run/docker.sock. Is the docker daemon running?" (observed here, exit 1)
        command = "docker version --format '{{.Server.Version}}'"
        try:
            await asyncio.wait_for(self.session.docker_access(host), self.probe_timeout)
            status, lines = await asyncio.wait_for(self._sh(host, self._docker(host, command)), self.probe_timeout)
        except TimeoutError:
            self._fact(P_DOCKER, name, command, f"no answer within {self.probe_timeout:g} s", None, timeout=True,
                       why="timed out")
            return False
        except RemoteError as exc:
            self._fact(P_DOCKER, name, command, str(exc), None, why="the command could not run")
            return False
        text = [l for l in lines if l.strip()]
        if status == 0 and text:
            version = next((l.split(":", 1)[1].strip() for l in text if "Server Version:" in l), text[-1].strip())
            self._fact(P_DOCKER, name, command, f"Docker {version} answers", True, daemon="up")
            return True
        daemon = "denied" if socket_denied(lines) else "down" if any(
            k.key == "DOCKER_DAEMON_DOWN" for k in diagnose_lines(lines)) else "error"
        self._fact(P_DOCKER, name, command, text[-1] if text else f"status {status}", False, daemon=daemon)
        return False

    async def _compose(self, host: HostSpec) -> None:
        inv = self.session.invocation(host)
        command = inv.command("config", "--services")
        status, lines = await self._sh(host, command)
        text = [l.strip() for l in lines if l.strip()]
        if status == 0:
            self._fact(P_COMPOSE, host.external_hostname, command, f"{inv.flavour}: services {', '.join(text)}", True,
                       flavour=inv.flavour, services=text)
        else:
            self._fact(P_COMPOSE, host.external_hostname, command, text[-1] if text else f"status {status}", False,
                       flavour=inv.flavour, services=[])

    # ---- containers and logs ----------------------------------------------------------------------------
    async def _containers(self, host: HostSpec) -> None:
        name = host.external_hostname
        label = shlex.quote(f"label={WORKING_DIR_LABEL}={host.remote_dir}")
        command = self._docker(host, f"docker ps -a --filter {label} --format {shlex.quote(SERVICE_FORMAT)}")
        found: dict[str, str] = {}

        async def listing() -> None:
            status, lines = await self._sh(host, command)
            for line in lines:
                cid, _, service = line.strip().partition(" ")
                if cid and all(c in "0123456789abcdef" for c in cid) and service:
                    found.setdefault(service, cid)

        await self._timed(P_CONTAINER, name, command, listing())
        running: list[str] = []
        await asyncio.gather(*(self._timed(P_CONTAINER, name, f"docker inspect {cid}", self._container(host, service, cid, running))
                               for service, cid in found.items()))
        for role in host.roles:
            if role.service not in found:
                self._fact(P_CONTAINER, name, command, "missing (no container)", False, service=role.service,
                           missing=True, running=False)
        if running:
            await self._names_inside(host, running[0])

    async def _container(self, host: HostSpec, service: str, cid: str, running: list[str]) -> None:
        name = host.external_hostname
        samples: list[StateSample] = []
        for n in range(SAMPLES):
            if n:
                await asyncio.sleep(self.window / (SAMPLES - 1))
            _, lines = await self._sh(host, self._docker(host, f"docker inspect -f {shlex.quote(SAMPLE_FORMAT)} {cid}"))
            sample = parse_sample(lines[-1] if lines else "")
            if sample is not None:
                samples.append(sample)
        _, extra = await self._sh(host, self._docker(host, f"docker inspect -f {shlex.quote(EXTRA_FORMAT)} {cid}"))
        oom, health, image = ((extra[-1].split() if extra else []) + ["", "", ""])[:3]
        verdict = judge_samples(service, samples, self.window)
        last = samples[-1] if samples else StateSample("unknown", 0, 0)
        if verdict.crash_loop:
            code = max((x.exit_code for x in samples if x.status != "running"), default=last.exit_code)
            line = f"restarting (exit code {code}, {last.restarts} restarts)"
        elif verdict.ok:
            line = f"running ({last.restarts} restarts before)" if last.restarts else "running"
        else:
            line = f"{last.status} (exit code {last.exit_code})"
        bad_health = health == "unhealthy"
        expected_exit = service == "dbupgrade" and last.status == "exited" and last.exit_code == 0
        ok = (verdict.ok and oom != "true" and not bad_health) or expected_exit
        self._fact(P_CONTAINER, name, f"docker inspect {cid}", line + (f", health {health}" if bad_health else ""), ok,
                   service=service, container=cid, states=[s.status for s in samples], exit_code=last.exit_code,
                   restarts=last.restarts, oom=oom == "true", health=health, image=image, running=last.status == "running",
                   missing=False)
        if last.status == "running":
            running.append(cid)
        await self._logs(host, service, cid)

    async def _logs(self, host: HostSpec, service: str, cid: str) -> None:
        command = docker_logs(cid, tail=LOG_TAIL, sudo=self.session.sudo(host))
        _, lines = await self._sh(host, command)
        # read from the newest line back: each key's evidence is its latest line (a container restarted after an earlier
        # fault still holds that fault's lines; observed on the lab: DB words from before the DB came back)
        newest = list(reversed(lines))
        found = diagnose_lines(newest, host.external_hostname)
        retry = diagnose_retry_loop(lines, host.external_hostname)
        if retry is not None:
            found.append(retry)
        for d in found:
            back = next((i for i, l in enumerate(newest) if l.strip()[:300] == d.evidence), len(lines))
            self._fact(P_LOGS, host.external_hostname, command, d.evidence, d.severity != "error", service=service,
                       key=d.key, severity=d.severity, title=d.title, next_action=d.next_action, lines_back=back)
        if not found:
            self._fact(P_LOGS, host.external_hostname, command, f"no catalogued words in {len(lines)} line(s)", True,
                       service=service, lines=len(lines))

    # ---- names ------------------------------------------------------------------------------------------
    def _lookups(self) -> list[str]:
        return list(dict.fromkeys([h.external_hostname for h in self.profile.hosts] + [self.profile.db.hostname, REGISTRY]))

    async def _names(self, host: HostSpec) -> None:
        async def one(target: str) -> None:
            command = f"getent hosts {shlex.quote(target)}"
            status, lines = await self._sh(host, command)
            if status == 127:
                self._fact(P_DNS, host.external_hostname, command, "getent is not installed", None, name=target,
                           why="getent missing")
                return
            answer = next((l.strip() for l in lines if l.strip()), "")
            self._fact(P_DNS, host.external_hostname, command,
                       answer if status == 0 else f"{command}: not found (exit status {status})", status == 0, name=target)

        await asyncio.gather(*(self._timed(P_DNS, host.external_hostname, f"getent hosts {t}", one(t)) for t in self._lookups()))

    async def _names_inside(self, host: HostSpec, cid: str) -> None:
        """Names resolved inside one running container (the containers of a host share its network settings)."""
        names = [h.external_hostname for h in self.profile.hosts] + [self.profile.db.hostname]

        async def one(target: str) -> None:
            command = self._docker(host, f"docker exec {cid} getent hosts {shlex.quote(target)}")
            status, lines = await self._sh(host, command)
            text = next((l.strip() for l in lines if l.strip()), "")
            if status in (126, 127) or "executable file not found" in text:
                self._fact(P_DNS_CONTAINER, host.external_hostname, command, text or f"status {status}", None,
                           name=target, container=cid, why="getent is not in the image")
                return
            self._fact(P_DNS_CONTAINER, host.external_hostname, command,
                       text if status == 0 else f"not found (exit status {status})", status == 0, name=target,
                       container=cid, service=self._service_of(host.external_hostname, cid))

        await asyncio.gather(*(self._timed(P_DNS_CONTAINER, host.external_hostname, f"docker exec {cid} getent hosts {t}", one(t))
                               for t in dict.fromkeys(names)))

    def _service_of(self, host: str, cid: str) -> str:
        return next((str(f.get("service")) for f in self.facts if f.probe == P_CONTAINER and f.host == host
                     and f.get("container") == cid), "")

    # ---- network ----------------------------------------------------------------------------------------
    async def _tcp(self, host: HostSpec) -> None:
        targets: list[tuple[str, int, str]] = [(self.profile.db.hostname, int(self.profile.db.port), "db")]
        for other in self.profile.hosts:
            if other is host:
                continue
            for role in other.roles:
                targets += [(other.external_hostname, port, role.value) for port in ROLE_PORTS[role]]
        await asyncio.gather(*(self._timed(P_TCP, host.external_hostname, f"tcp {t}:{p}", self._connect(host, t, p, w))
                               for t, p, w in targets))

    async def _connect(self, host: HostSpec, target: str, port: int, what: str) -> None:
        name = host.external_hostname
        command = f"tcp connect {target}:{port} from {name} (ssh direct-tcpip)"
        probe = await probe_port(await self._pool.get(host), target, port, read_first=False, timeout=TCP_TIMEOUT)
        if probe.prohibited:
            command = f"timeout {TCP_TIMEOUT:g} bash -c '</dev/tcp/{target}/{port}'"
            status, lines = await self._sh(host, f"timeout {TCP_TIMEOUT:g} bash -c {shlex.quote(f'</dev/tcp/{target}/{port}')}")
            if status in (126, 127):
                self._fact(P_TCP, name, command, "sshd refuses forwarding and bash is not there", None, target=target,
                           port=port, what=what, why="no way to connect from this host")
                return
            text = next((l.strip() for l in reversed(lines) if l.strip()), "")
            self._fact(P_TCP, name, command, text or ("connected" if status == 0 else f"no answer in {TCP_TIMEOUT:g} s"),
                       status == 0, target=target, port=port, what=what, timeout=status == 124)
            return
        if probe.reached:
            self._fact(P_TCP, name, command, f"connected in {probe.seconds * 1000:.0f} ms", True, target=target,
                       port=port, what=what, timeout=False)
        else:
            self._fact(P_TCP, name, command, f"{target}:{port}: {probe.error}", False, target=target, port=port, what=what,
                       timeout=probe.error.startswith("no answer"))

    # ---- the database -----------------------------------------------------------------------------------
    async def _db(self, host: HostSpec) -> None:
        """db.env as the host has it (judged, compared with the profile), then the login with its values."""
        db = self.profile.db
        try:
            db = await asyncio.wait_for(self._db_env(host), self.probe_timeout)
        except (TimeoutError, RemoteError):
            pass  # said by the facts that follow: the login is tried with the profile's values
        await self._db_login(host, db)

    async def _db_env(self, host: HostSpec) -> DbEnv:
        """Read ``remote_dir/db.env`` (never shown: only the names of findings and differences become facts, and its
        password is masked like the profile's); returns the DB values the containers on this host get (the profile's
        where the file lacks one)."""
        name, path = host.external_hostname, posixpath.join(host.remote_dir, DB_ENV_FILE)
        command = f"cat {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        if status != 0:
            self._fact(P_ENV, name, command, f"{path} cannot be read (status {status})", None, why="no db.env on the host")
            return self.profile.db
        text = "\n".join(lines) + "\n"
        values = {k: v for k, (v, _) in effective(read_env_text(text)[0]).items()}
        if values.get("WA_DB_PASSWORD"):
            self.extra_secrets.append(values["WA_DB_PASSWORD"])
        for finding in check_db_env_text(text):
            if finding.severity in (ERROR, WARNING):
                self._fact(P_ENV, name, command, str(finding), finding.severity != ERROR, key=finding.key,
                           severity=finding.severity, field=finding.field, source=finding.source, fix=finding.fix)
        db = self.profile.db
        mine = {"WA_DB_ENGINE": db.engine.value, "WA_DB_HOSTNAME": db.hostname, "WA_DB_PORT": str(db.port),
                "WA_DB_USERNAME": db.username, "WA_DB_PASSWORD": db.password}
        differs = [k for k, v in mine.items() if k in values and values[k] != v]
        self._fact(P_ENV, name, command, f"{path} differs from the profile in {', '.join(differs)}" if differs
                   else f"{path} has the profile's DB values", not differs, differs=differs)
        try:
            return dataclasses.replace(db, engine=DbEngine(values.get("WA_DB_ENGINE", db.engine.value).upper()),
                                       hostname=values.get("WA_DB_HOSTNAME", db.hostname),
                                       port=int(values.get("WA_DB_PORT", db.port)),
                                       username=values.get("WA_DB_USERNAME", db.username),
                                       password=values.get("WA_DB_PASSWORD", db.password))
        except ValueError:
            return db  # a value the client cannot read either: its finding says so

    async def _db_login(self, host: HostSpec, db: DbEnv) -> None:
        name = host.external_hostname
        engine = "mysql" if db.engine is DbEngine.MYSQL else "postgresql"
        command = f"{engine} login {db.username}@{db.hostname}:{db.port} from {name} (db.env values, ssh tunnel)"
        try:
            facts = await read_db_facts(await self._pool.get(host), db, timeout=self.probe_timeout)
        except DbLoginError as exc:
            self._fact(P_DB_LOGIN, name, command, str(exc), False, user=db.username, refused=exc.refused)
            return
        except (RemoteError, OSError) as exc:
            self._fact(P_DB_LOGIN, name, command, f"no tunnel: {exc.__class__.__name__}", None, user=db.username,
                       why="no SSH tunnel")
            return
        self._fact(P_DB_LOGIN, name, command, f"logged in; server {facts.version}", True, user=db.username,
                   refused=False, version=facts.version)

    # ---- registry, disk, media --------------------------------------------------------------------------
    async def _registry(self, host: HostSpec) -> None:
        repo = "web" if Role.WEBAPP in host.roles else "coreapp"
        image = f"{REGISTRY}/{repo}:v{self.profile.wa_api_version}"
        url = f"https://{REGISTRY}/v2/{repo}/manifests/v{self.profile.wa_api_version}"
        ca = f"/etc/docker/certs.d/{REGISTRY}/ca.crt"  # the CA dockerd trusts for it, when the site has one
        name = host.external_hostname
        command = f"curl -sSI --max-time {TCP_TIMEOUT:g} -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' {url}"

        async def go() -> None:
            nonlocal command
            if (await self._sh(host, f"test -r {ca}"))[0] == 0:
                command = command.replace(" -H ", f" --cacert {ca} -H ", 1)
            status, lines = await self._sh(host, command)
            if status == 127:
                self._fact(P_REGISTRY, name, command, "curl is not installed", None, image=image, why="curl missing")
                return
            head = next((l.strip() for l in lines if l.startswith("HTTP/")), "")
            code = int(head.split()[1]) if len(head.split()) > 1 and head.split()[1].isdigit() else 0
            auth = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("www-authenticate:")), "")
            if code == 0:
                # curl 7.88 follows its "curl: (60) SSL certificate problem" line with advice (observed on the lab)
                text = next((l.strip() for l in lines if l.startswith("curl: (")), "") or next(
                    (l.strip() for l in reversed(lines) if l.strip()), "")
                self._fact(P_REGISTRY, name, command, text or CURL_NO_ANSWER.get(status or 0, f"curl status {status}"),
                           False, image=image, code=0)
            elif code == 401 and auth.lower().startswith("bearer"):
                # token auth (Docker Hub style): anonymous pulls fetch a token first; a 401 here proves nothing
                self._fact(P_REGISTRY, name, command, f"{head} ({auth.split(',')[0]})", None, image=image, code=code,
                           why="token authentication: anonymous access not judged")
            else:
                self._fact(P_REGISTRY, name, command, head + (f" ({auth})" if auth else ""), code < 400, image=image, code=code)

        await self._timed(P_REGISTRY, name, command, go())

    async def _disk(self, host: HostSpec, docker_up: bool) -> None:
        paths = ["/var/lib/docker"]
        if docker_up:
            _, lines = await self._sh(host, self._docker(host, "docker info --format '{{.DockerRootDir}}'"))
            root = lines[-1].strip() if lines else ""
            paths = [root] if root.startswith("/") else paths
        if self.profile.media.kind is MediaKind.HOST_PATH:
            paths.append(self.profile.media.host_path)
        await asyncio.gather(*(self._timed(P_DISK, host.external_hostname, f"df -Pk {p}", self._df(host, p)) for p in paths))

    async def _df(self, host: HostSpec, path: str) -> None:
        command = f"df -Pk {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        row = _df_row(lines)
        if status != 0 or row is None:
            self._fact(P_DISK, host.external_hostname, command, lines[-1] if lines else f"status {status}", None,
                       path=path, why="df could not read it")
            return
        avail, use = row[2], row[3]
        _, ilines = await self._sh(host, f"df -Pi {shlex.quote(path)}")
        irow = _df_row(ilines)
        iuse = irow[3] if irow else 0
        line = f"{path}: {avail} KiB free, {use}% used, inodes {iuse}% used"
        self._fact(P_DISK, host.external_hostname, command, line, use < 100 and avail >= FULL_KB and iuse < 100,
                   path=path, avail_kb=avail, use_pct=use, iuse_pct=iuse)

    async def _media(self, host: HostSpec) -> None:
        path = self.profile.media.host_path
        command = f"stat -c '%U %a' {shlex.quote(path)}; findmnt -no OPTIONS --target {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        text = [l.strip() for l in lines if l.strip()]
        first = text[0].split() if text else []
        if len(first) != 2 or not first[1].isdigit():
            self._fact(P_MEDIA, host.external_hostname, command, text[0] if text else f"status {status}", False, path=path,
                       exists=False)
            return
        owner, mode = first
        options = text[1] if len(text) > 1 else ""
        readonly = "ro" in options.split(",")
        self._fact(P_MEDIA, host.external_hostname, command,
                   f"{path}: owner {owner}, mode {mode}" + (f", mounted {options}" if options else ""),
                   not readonly and mode == "755", path=path, owner=owner, mode=mode, readonly=readonly, exists=True)

    # ---- the API ----------------------------------------------------------------------------------------
    async def _api(self) -> None:
        url = self.profile.webapp.url
        command = f"GET {url}/v1/health (after POST /v1/users/login)"
        try:
            result = await asyncio.wait_for(self.health.poll_once(), self.probe_timeout)
        except TimeoutError:
            self._fact(P_API, "", command, f"no answer within {self.probe_timeout:g} s", None, timeout=True, why="timed out")
            return
        if result.error is None:
            level = result.verdict.level.value if result.verdict is not None else "?"
            self._fact(P_API, "", command, f"health answered: {level}", True, kind="health")
            return
        exc = result.error
        found = _api_diagnosis(exc)
        self._fact(P_API, "", command, str(exc), False, kind=exc.kind, status=exc.status, code=exc.code,
                   key=found[0] if found else "", title=found[1] if found else exc.title,
                   next_action=found[2] if found else exc.next_action)


def _api_diagnosis(exc: ApiError) -> tuple[str, str, str] | None:
    d = diagnose_api_error(exc.status, exc.code, exc.details, exc.title) if exc.kind == "http" else \
        diagnose_transport(exc.kind, str(exc))
    return (d.key, d.title, d.next_action) if d is not None else None


def _df_row(lines: list[str]) -> tuple[int, int, int, int] | None:
    """(total, used, available, use %) of the last ``df -P`` data row (KiB, or inodes with ``-i``)."""
    for line in reversed(lines):
        parts = line.split()
        if len(parts) >= 6 and parts[1].isdigit() and parts[2].isdigit() and parts[3].isdigit() and parts[4].endswith("%"):
            pct = parts[4].rstrip("%")
            return int(parts[1]), int(parts[2]), int(parts[3]), int(pct) if pct.isdigit() else 0
    return None


