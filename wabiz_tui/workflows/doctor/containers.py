"""``doctor``'s container probes: every container of the cluster's project directory (Webapp, Master, Coreapp and
dbupgrade alike) sampled over a window, with OOMKilled, health and image, its recent log through the catalogue, and
name resolution inside one running container of the host."""

from __future__ import annotations

import asyncio
import shlex

from ...domain.commands import SAMPLE_FORMAT, WORKING_DIR_LABEL, docker_logs
from ...domain.crashloop import StateSample, judge_samples, parse_sample
from ...domain.diagnosis import diagnose_lines, diagnose_retry_loop
from ...domain.doctor import P_CONTAINER, P_DNS_CONTAINER, P_LOGS
from ...domain.model import HostSpec
from .probes import EXTRA_FORMAT, LOG_TAIL, SAMPLES, SERVICE_FORMAT, DoctorProbes


class ContainerProbes(DoctorProbes):
    """Containers, their logs, and names resolved inside them."""

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
            # the whole line, not the catalogue's evidence (already cut to 300 characters before any masking)
            whole = newest[back].strip() if back < len(newest) else d.evidence
            self._fact(P_LOGS, host.external_hostname, command, whole, d.severity != "error", service=service,
                       key=d.key, severity=d.severity, title=d.title, next_action=d.next_action, lines_back=back)
        if not found:
            self._fact(P_LOGS, host.external_hostname, command, f"no catalogued words in {len(lines)} line(s)", True,
                       service=service, lines=len(lines))

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
