"""``doctor``'s container probes: every container of the cluster's project directory (Webapp, Master, Coreapp and
dbupgrade alike) sampled over a window, with OOMKilled, health and image, its recent log through the catalogue, and
name resolution inside one running container of the host."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from typing import Any

import yaml

from ...domain.commands import SAMPLE_FORMAT, cluster_listing, docker_logs
from ...domain.crashloop import StateSample, judge_samples, parse_sample
from ...domain.diagnosis import diagnose_lines, diagnose_retry_loop, info_retries
from ...domain.doctor import P_COMPOSE_SHAPE, P_CONTAINER, P_DNS_CONTAINER, P_LOGS, P_PORT_HOLDER, P_RESOLV
from ...domain.doctor_rules_field import P_IMAGE
from ...domain.doctor_rules_net import WEBDB_RACE, compose_shapes, nameservers, taken_port
from ...domain.doctor_rules_path import NOT_RUNNING, db_wait_is_current, getent_addresses
from ...domain.model import HostSpec
from ...domain.render import compose_document
from ...domain.versions import image_listing, parse_images
from ...remote.errors import RemoteError
from .probes import EXTRA_FORMAT, LOG_TAIL, SAMPLES, SERVICE_FORMAT, DoctorProbes

#: The published ports and dockerd's start error of a container (JSON has no spaces; the error comes last). A start
#: that failed on a taken port leaves State.Error = "driver failed programming external connectivity on endpoint
#: ...: Error starting userland proxy: listen tcp4 0.0.0.0:9090: bind: address already in use" (lab, dockerd 20.10).
PORTS_FORMAT = "{{json .HostConfig.PortBindings}} {{.State.Error}}"


#: compose's warnings among ``config``'s output lines (its stderr comes with them). docker-compose 1.29.2 here, stderr
#: not a terminal: "The NOPE_X variable is not set. Defaulting to a blank string." (on a terminal: "WARNING: ...").
_COMPOSE_WARNING = re.compile(r"^(WARNING: |The \S+ variable is not set\. )")


def compose_yaml(lines: list[str]) -> Any:
    """``docker-compose config``'s stdout ``lines`` loaded as YAML; None when it is not YAML. Give stdout only: any
    stderr line (e.g. a Python deprecation warning of compose 1.29's libraries) breaks the YAML. compose's own
    warning lines are left out still, for a caller that has only the merged output (a terminal merges them)."""
    try:
        return yaml.safe_load("\n".join(l for l in lines if not _COMPOSE_WARNING.match(l)))
    except yaml.YAMLError:
        return None


class ContainerProbes(DoctorProbes):
    """Containers, their logs, and names resolved inside them."""

    # ---- containers and logs ----------------------------------------------------------------------------
    async def _containers(self, host: HostSpec) -> None:
        name = host.external_hostname
        command = cluster_listing(host.remote_dir, SERVICE_FORMAT, sudo=self.session.sudo(host))
        found: dict[str, str] = {}

        async def listing() -> None:
            """``docker ps -a`` of the cluster's containers on the host into ``found`` (service -> container id, first
            id seen per service); lines whose first word is not a hex id are skipped."""
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
        # a container that restarts answers docker exec with "is restarting" (no lookup made): ask a steady one
        steady = [cid for cid in running if any(f.ok and f.get("container") == cid for f in self.facts
                                                if f.probe == P_CONTAINER and f.host == name)]
        if steady or running:
            await self._names_inside(host, (steady or running)[0])

    async def _images(self, host: HostSpec) -> None:
        """The image of each cluster container on ``host`` (a host not probed in full: ``--host``), one ``image``
        fact each (service, image), so ``VERSION_SKEW`` compares the named node's version with the others'. One
        ``docker ps``: ``{{.Image}}`` is the image the container was created from, e.g.
        ``docker.whatsapp.biz/coreapp:v2.43.1`` (docker ps --format, docs.docker.com/reference/cli/docker/container/ls).
        A failure is no fact: the rule then compares only what was read."""
        try:
            await asyncio.wait_for(self.session.docker_access(host), self.probe_timeout)
            command = image_listing(host.remote_dir, sudo=self.session.sudo(host))
            status, lines = await asyncio.wait_for(self._sh(host, command), self.probe_timeout)
        except (RemoteError, TimeoutError):
            return
        if status != 0:
            return
        for service, image in parse_images(lines):
            self._fact(P_IMAGE, host.external_hostname, command, f"{service}: {image}", True, service=service,
                       image=image)

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
        published, state_error = await self._bindings(host, cid)
        verdict = judge_samples(service, samples, self.window)
        last = samples[-1] if samples else StateSample("unknown", 0, 0)
        if verdict.crash_loop:
            code = max((x.exit_code for x in samples if x.status != "running"), default=last.exit_code)
            line = f"restarting (exit code {code}, {last.restarts} restarts)"
        elif verdict.ok:
            line = f"running ({last.restarts} restarts before)" if last.restarts else "running"
        else:
            line = f"{last.status} (exit code {last.exit_code})" + (f": {state_error}" if state_error else "")
        bad_health = health == "unhealthy"
        expected_exit = service == "dbupgrade" and last.status == "exited" and last.exit_code == 0
        ok = (verdict.ok and oom != "true" and not bad_health) or expected_exit
        self._fact(P_CONTAINER, name, f"docker inspect {cid}", line + (f", health {health}" if bad_health else ""), ok,
                   service=service, container=cid, states=[s.status for s in samples], exit_code=last.exit_code,
                   restarts=last.restarts, oom=oom == "true", health=health, image=image, running=last.status == "running",
                   missing=False, published=published, state_error=state_error)
        port = taken_port(state_error)
        if port is not None:
            await self._port_holder(host, port)
        if last.status == "running":
            running.append(cid)
        await self._logs(host, service, cid, crash_loop=verdict.crash_loop)

    async def _logs(self, host: HostSpec, service: str, cid: str, *, crash_loop: bool = False) -> None:
        """The container's last :data:`LOG_TAIL` lines through the catalogue: one P_LOGS fact per key found, its
        newest line as evidence (``lines_back`` from the end), or one "no catalogued words" fact. ``crash_loop``: Docker
        keeps restarting it (then a newest "Waiting for database" line is a new start's, see
        ``domain.doctor_rules_path.db_wait_is_current``)."""
        command = docker_logs(cid, tail=LOG_TAIL, sudo=self.session.sudo(host))
        _, lines = await self._sh(host, command)
        # read from the newest line back: each key's evidence is its latest line (a container restarted after an earlier
        # fault still holds that fault's lines; observed on the lab: DB words from before the DB came back)
        newest = list(reversed(lines))
        found = diagnose_lines(newest, host.external_hostname)
        retry = diagnose_retry_loop(lines, host.external_hostname)
        if retry is not None:
            found.append(retry)
        last = next((i for i, l in enumerate(newest) if l.strip()), 0)
        at = {d.key: next((i for i, l in enumerate(newest) if l.strip()[:300] == d.evidence), len(lines)) for d in found}
        # the wait for the DB is a fault only while it is the newest line; further back it is a normal start
        others = any(d.key != "DB_WAITING" and d.severity == "error" for d in found)
        current = bool(newest) and db_wait_is_current(newest[last], crash_loop=crash_loop, other_errors=others)
        found = [d for d in found if d.key != "DB_WAITING" or (at[d.key] == last and current)]
        for d in found:
            back = at[d.key]
            # the whole line, not the catalogue's evidence (already cut to 300 characters before any masking)
            whole = newest[back].strip() if back < len(newest) else d.evidence
            severity, title = d.severity, d.title
            if d.key == "DB_WAITING":  # still waiting now
                severity, title = "error", f"{service} is still waiting for its database (its newest log line)"
            self._fact(P_LOGS, host.external_hostname, command, whole, severity != "error", service=service,
                       key=d.key, severity=severity, title=title, next_action=d.next_action, lines_back=back)
        race = next((i for i, l in enumerate(newest) if WEBDB_RACE.search(l)), None) if service == "waweb" else None
        if race is not None:  # FR06: not in the catalogue (its DB words would blame the DB server)
            self._fact(P_LOGS, host.external_hostname, command, newest[race].strip(), False, service=service,
                       key="WEBDB_CREATE_RACE", severity="error", lines_back=race, next_action="restart waweb once",
                       title="the web database was created by another Webapp at the same moment")
        if not found and race is None:
            retries = info_retries(lines)
            self._fact(P_LOGS, host.external_hostname, command, f"no catalogued words in {len(lines)} line(s)", True,
                       service=service, lines=len(lines), info_retries=len(retries),
                       info_line=retries[-1].strip() if retries else "")

    async def _names_inside(self, host: HostSpec, cid: str) -> None:
        """Names resolved inside one running container (the containers of a host share its network settings)."""
        names = [h.external_hostname for h in self.profile.hosts] + [self.profile.db.hostname]

        async def one(target: str) -> None:
            """``getent hosts TARGET`` inside container ``cid`` within 0.9 x probe_timeout seconds (a resolver that does
            not answer made getent wait 10.4 s in the offline lab, observed): one P_DNS_CONTAINER fact, ok None when it
            timed out or the container was not running (no lookup made)."""
            command = self._docker(host, f"docker exec {cid} getent hosts {shlex.quote(target)}")
            try:  # within the probe's limit, so the fact keeps the name: an unreachable resolver makes getent wait
                status, lines = await asyncio.wait_for(self._sh(host, command), self.probe_timeout * 0.9)
            except TimeoutError:  # (10.4 s for a container given 8.8.8.8 in the offline lab, observed)
                self._fact(P_DNS_CONTAINER, host.external_hostname, command,
                           f"no answer within {self.probe_timeout * 0.9:g} s", None, name=target, container=cid,
                           service=self._service_of(host.external_hostname, cid), timeout=True, why="timed out")
                return
            text = next((l.strip() for l in lines if l.strip()), "")
            if any(w in text for w in NOT_RUNNING):  # no lookup happened
                self._fact(P_DNS_CONTAINER, host.external_hostname, command, text, None, name=target, container=cid,
                           why="the container is not running: no lookup was made")
                return
            if status in (126, 127) or "executable file not found" in text:
                self._fact(P_DNS_CONTAINER, host.external_hostname, command, text or f"status {status}", None,
                           name=target, container=cid, why="getent is not in the image")
                return
            self._fact(P_DNS_CONTAINER, host.external_hostname, command,
                       text if status == 0 else f"not found (exit status {status})", status == 0, name=target,
                       addresses=getent_addresses(lines) if status == 0 else [], container=cid,
                       service=self._service_of(host.external_hostname, cid))

        await asyncio.gather(*(self._timed(P_DNS_CONTAINER, host.external_hostname, f"docker exec {cid} getent hosts {t}", one(t))
                               for t in dict.fromkeys(names)))
        if any(f.probe == P_DNS_CONTAINER and f.host == host.external_hostname and (f.ok is False or f.get("timeout"))
               for f in self.facts):
            await asyncio.gather(self._resolv(host, cid), self._resolv(host, None))  # why the container does not resolve

    async def _resolv(self, host: HostSpec, cid: str | None) -> None:
        """The nameservers of /etc/resolv.conf on the host (``cid`` None) or inside container ``cid`` (FR43/FR44)."""
        where = "container" if cid else "host"
        command = self._docker(host, f"docker exec {cid} cat /etc/resolv.conf") if cid else "cat /etc/resolv.conf"

        async def go() -> None:
            """Read /etc/resolv.conf on the host or in the container: one P_RESOLV fact with its ``nameservers``
            (list[str]); a missing file is a failure (FR44), an unreadable one unknown (ok None)."""
            status, lines = await self._sh(host, command)
            servers = nameservers(lines)
            if status != 0:
                text = next((l.strip() for l in reversed(lines) if l.strip()), f"status {status}")
                missing = "No such file" in text  # no resolver configuration at all (FR44)
                self._fact(P_RESOLV, host.external_hostname, command, text, False if missing else None, where=where,
                           nameservers=[], why="" if missing else "not readable")
                return
            self._fact(P_RESOLV, host.external_hostname, command,
                       f"nameserver {', '.join(servers)}" if servers else "no nameserver line", bool(servers),
                       where=where, nameservers=servers)

        await self._timed(P_RESOLV, host.external_hostname, command, go())

    # ---- ports and the compose file ---------------------------------------------------------------------
    async def _bindings(self, host: HostSpec, cid: str) -> tuple[list[str], str]:
        """(published ports as ``host_port:container_port/proto``, dockerd's State.Error) of container ``cid``."""
        _, lines = await self._sh(host, self._docker(host, f"docker inspect -f {shlex.quote(PORTS_FORMAT)} {cid}"))
        raw, _, error = (lines[-1] if lines else "").partition(" ")
        try:
            bindings = json.loads(raw) or {}
        except ValueError:
            return [], error.strip()
        published = [f"{b.get('HostPort', '')}:{port}" for port, binds in sorted(bindings.items()) for b in binds or [{}]]
        return published, error.strip()

    async def _port_holder(self, host: HostSpec, port: int) -> None:
        """Who listens on ``port`` of ``host``: ``ss -ltnp`` (process names only for the SSH user's own, all with
        root) and the container publishing it, if one does."""
        name = host.external_hostname
        ss = f"ss -ltnp 'sport = :{port}'"
        ps = self._docker(host, f"docker ps --filter publish={port} --format '{{{{.Names}}}}'")

        async def go() -> None:
            """Who holds ``port`` now (``ss -ltnp`` and ``docker ps --filter publish=PORT``): one P_PORT_HOLDER fact
            naming the container or process (``holder``), ok None when the port is free; ss shows the process name only
            to root."""
            _, listen = await self._sh(host, ss)
            _, holders = await self._sh(host, ps)
            row = next((l.strip() for l in listen if l.startswith("LISTEN")), "")
            container = next((l.strip() for l in holders if l.strip()), "")
            process = row.split("users:", 1)[1] if "users:" in row else ""
            holder = (f"container {container}" if container else f"process {process}" if process else
                      "a process that is not a container (its name needs root: sudo ss -ltnp)" if row else "")
            self._fact(P_PORT_HOLDER, name, f"{ss}; {ps}", row or f"nothing listens on {port} now", False if row else None,
                       port=port, holder=holder, why="" if row else "the port is free now")

        await self._timed(P_PORT_HOLDER, name, ss, go())

    def _compose_shape(self, host: HostSpec, command: str, document: Any) -> None:
        """Per planned service of ``docker-compose config``'s ``document`` (as the host's compose reads the files) its
        published ports and network_mode next to what the profile renders (FR15, FR24). Only those keys become facts
        (the output also holds db.env's values)."""
        seen = compose_shapes(document)
        expected = compose_shapes(compose_document(self.profile.db.engine, self.profile.media))
        planned = {r.service for r in host.roles}
        for service, shape in seen.items():
            if service not in planned:
                continue
            want = expected.get(service, {})
            ports = ", ".join(shape["ports"]) or "no ports"
            mode = f", network_mode {shape['network_mode']}" if shape["network_mode"] else ""
            self._fact(P_COMPOSE_SHAPE, host.external_hostname, command, f"{service}: ports {ports}{mode}", True,
                       service=service, ports=shape["ports"], network_mode=shape["network_mode"],
                       expected_ports=want.get("ports"), expected_network_mode=want.get("network_mode", ""))

    def _service_of(self, host: str, cid: str) -> str:
        return next((str(f.get("service")) for f in self.facts if f.probe == P_CONTAINER and f.host == host
                     and f.get("container") == cid), "")
