"""The plumbing every collector of ``doctor`` shares (:class:`DoctorProbes`): one fact made and masked, a probe run
within its time limit, a quiet command on a host; and the limits. The collectors are mixins on it
(:mod:`.containers`, :mod:`.network`, :mod:`.storage`), put together by :class:`~wabiz_tui.workflows.doctor.Doctor`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, Awaitable

import asyncssh

from ...domain.docker_access import with_sudo
from ...domain.doctor import Fact
from ...domain.peers import peer_hosts
from ...domain.model import ClusterProfile, HostSpec
from ...remote.errors import RemoteError
from ...remote.run import run_with_input
from ..base import Procedure

#: Seconds one probe may take before it counts as "did not answer".
PROBE_TIMEOUT = 10.0
#: Seconds a TCP connection may take (a firewall that drops packets makes it time out).
TCP_TIMEOUT = 3.0
#: Container state samples and the window they span (seconds).
SAMPLES, WINDOW = 3, 2.0
#: Log lines read per container.
LOG_TAIL = 200
REGISTRY = "docker.whatsapp.biz"
#: Characters of a fact's line shown (cut after masking).
LINE_MAX = 300
#: Below this free space (KiB) or at 100 % use, a path is out of space for doctor (the preflight's 2 GiB threshold
#: is for pulling images; a media volume of a few hundred MiB is not a fault by itself).
FULL_KB = 64 * 1024
#: dbupgrade is the service of dbupgrade-compose.yml (seed, upgrade), listed with the others by the project label.
SERVICE_FORMAT = '{{.ID}} {{.Label "com.docker.compose.service"}}'
EXTRA_FORMAT = "{{.State.OOMKilled}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.Config.Image}}"
#: ``curl`` exit statuses that mean no HTTP answer came (curl(1) "EXIT CODES").
CURL_NO_ANSWER = {6: "could not resolve the host", 7: "failed to connect", 28: "timed out", 35: "TLS handshake failed",
                  52: "empty reply", 56: "connection reset", 60: "certificate not trusted"}


class DoctorProbes(Procedure):
    """What the collectors share. Built through :class:`~wabiz_tui.workflows.doctor.Doctor`. ``hosts``: only these
    ``EXTERNAL_HOSTNAME`` s are probed; of the other hosts (:attr:`peers`) only their way to and from the named ones
    (the cluster-wide facts, DB and API, are still gathered)."""

    procedure = "doctor"
    uses_compose = False

    def __init__(self, profile: ClusterProfile, *, hosts: tuple[str, ...] = (), probe_timeout: float = PROBE_TIMEOUT,
                 window: float = WINDOW, api: bool = True, db_from_here: bool = False, **kw: Any):
        super().__init__(profile, **kw)
        self.only = hosts
        #: on a refused DB login, log in once more from this machine (``doctor --db-from-here``): it sends db.env's
        #: credentials over a path the cluster never uses, so only when the operator asks
        self.db_from_here = db_from_here
        self.probe_timeout = probe_timeout
        self.window = window
        self.api = api
        self.facts: list[Fact] = []

    @property
    def peers(self) -> tuple[str, ...]:
        """With ``--host``: every other host (``domain.peers.peer_hosts``: any node may connect to any other's
        published ports), whose way to and from the named hosts is probed; without it, () (every host is probed)."""
        return peer_hosts(self.profile, self.only) if self.only else ()

    # ---- plumbing ---------------------------------------------------------------------------------------

    def _masked(self, value: Any) -> Any:
        """``value`` with every secret known now masked, also inside lists, tuples and dicts (grants, names...)."""
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, (list, tuple)):
            return type(value)(self._masked(v) for v in value)
        if isinstance(value, dict):
            return {k: self._masked(v) for k, v in value.items()}
        return value

    def _fact(self, probe: str, host: str, command: str, line: str, ok: bool | None, **data: Any) -> Fact:
        clean = {k: self._masked(v) for k, v in data.items()}
        # kept whole here: cut only once masked with every secret (a cut first could split a password the final
        # masking then no longer recognises, and its first part would show)
        fact = Fact(probe, host, self._redact(command), self._redact(line.strip()), ok, clean)
        self.facts.append(fact)
        return fact

    def _final_facts(self) -> list[Fact]:
        """:attr:`facts` masked again with every secret known now (a host's db.env password is learnt while other
        hosts' facts are made), THEN each line cut to :data:`LINE_MAX` characters."""
        redact = self._redact
        return [dataclasses.replace(f, command=redact(f.command), line=redact(f.line)[:LINE_MAX],
                                    data={k: self._masked(v) for k, v in f.data.items()})
                for f in self.facts]

    async def _timed(self, probe: str, host: str, command: str, work: Awaitable[None]) -> None:
        """Run one probe within :attr:`probe_timeout`; a timeout or an SSH failure becomes an ``unknown`` fact."""
        try:
            await asyncio.wait_for(work, self.probe_timeout)
        except TimeoutError:
            self._fact(probe, host, command, f"no answer within {self.probe_timeout:g} s", None, timeout=True,
                       why="timed out")
        except RemoteError as exc:
            self._fact(probe, host, command, str(exc), None, why="the command could not run")
        except (asyncssh.DisconnectError, ConnectionError) as exc:  # the SSH connection dropped under a direct probe
            self._lost_fact(probe, host, command, exc.__class__.__name__)
        except (asyncssh.Error, OSError) as exc:  # the class only: an SSH or socket message may carry a URL
            self._fact(probe, host, command, f"the probe could not run ({exc.__class__.__name__})", None,
                       why="the probe could not run")

    def _lost_fact(self, probe: str, host: str, command: str, why: str = "the SSH connection closed",
                   **data: Any) -> None:
        """An unknown fact saying the SSH connection was lost mid-probe (field case R32: it is no network refusal;
        ``HOST_CONNECTION_LOST`` names it from the words "connection lost")."""
        self._fact(probe, host, command, f"connection lost during the probe ({why})", None, why="connection lost", **data)

    async def _sh(self, host: HostSpec, command: str) -> tuple[int | None, list[str]]:
        lines: list[str] = []
        status = await self.session.run(host, command, lines.append, echo=False, quiet=True,
                                        timeout=self.probe_timeout + 1)
        return status, lines

    async def _sh_apart(self, host: HostSpec, command: str) -> tuple[int | None, list[str], list[str]]:
        """``command``'s exit status, stdout lines and stderr lines, kept apart (for an output to parse, which a
        warning on stderr must not break). Raises :class:`RemoteError`."""
        status, out, err = await run_with_input(await self._pool.get(host), host.external_hostname, command, "",
                                                self.probe_timeout + 1)
        return status, out.splitlines(), err.splitlines()

    def _docker(self, host: HostSpec, command: str) -> str:
        return with_sudo(command, self.session.sudo(host))
