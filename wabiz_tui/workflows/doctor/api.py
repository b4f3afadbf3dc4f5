"""``doctor``'s probes of the Webapp API and of what the cluster answered to the API before (design.md §10, issue 16
item 1 "the API: TLS, login, health, support, shards, with the error envelope decoded"), and of the monitoring
stack's scrape targets (docs/field-reports.md FR45). Every call is a read: ``GET`` only, and the login the health
watch already makes; nothing is registered, set or uploaded.

Facts (all ``P_API`` from this machine, host "", except the scrape probes ``P_SCRAPE`` made from
``monitoring.from_host``); ``data["kind"]`` says which:

- ``address``: one per address the Webapp's host name resolves to, with a TCP connection to the port: data
  ``{"name", "address", "family": "IPv4"|"IPv6", "answered": bool}`` (field case R15: ``localhost`` answering ``::1``
  where nothing listens; httpx tries the next address, Postman and others do not);
- ``health`` (ok) or the failure's kind (``http``, ``auth``, ``tls``, ``not_tls``, ``dns``, ``unreachable``,
  ``timeout``, ``config``) for the login + ``GET /v1/health``: data ``{"status", "code", "key", "title",
  "details", "next_action", "severity"}`` with the error envelope decoded by the diagnosis catalogue;
- ``verdict``: one per finding of the health verdict judged against the plan (``workflows.monitor``: the shards
  from ``GET /v1/account/shards``): data ``{"key", "severity", "title", "next_action", "node_host"}``;
- ``node_error``: one per node the health answer reports with an error (its row's reason: ``error 1014 Internal
  error: connection to wa-core-1:6250 failed: Connection refused...``): data ``{"node_host", "container", "target",
  "port", "how"}`` (target "" when the words name no connection);
- ``anonymous``: ``GET /v1/health`` without a token, as an orchestrator's healthcheck calls it (R16): data
  ``{"status", "code"}``;
- ``shards``: ``GET /v1/account/shards`` against the profile: data ``{"shards", "profile_shards"}``;
- ``support``: ``GET /v1/support``'s shard map (wa-onprem-api.md §3.8): data ``{"nodes", "owners": {shard:
  [node...]}, "shards"}``;
- ``registration``: the last ``POST /v1/account`` answer the install recorded in the run state
  (``last_registration``), or the profile's certificate when the cluster is not registered (FR27): data
  ``{"status", "code", "title", "details", "key", "at"}`` or ``{"cert": "missing"|"not_base64"}``.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Awaitable, TypeVar
from urllib.parse import urlsplit

from ...api.client import ApiError
from ...config.runstate import read_run_state
from ...domain.diagnosis import diagnose_api_error, diagnose_transport
from ...domain.doctor import P_API
from ...domain.doctor_rules_api import P_SCRAPE
from ...domain.doctor_rules_path import connection_failure
from ...domain.health import ClusterVerdict, Level
from ...domain.validation import validate_profile
from ...remote.dblogin import probe_port
from ...remote.errors import RemoteError
from .probes import TCP_TIMEOUT, DoctorProbes

T = TypeVar("T")

#: Registration answers recorded in the run state by step 8 (``workflows.ha_install``) under this key.
LAST_REGISTRATION = "last_registration"


class ApiProbes(DoctorProbes):
    """The Webapp API, the recorded registration answer, and the monitoring scrape targets."""

    async def _api(self) -> None:
        """Every API probe; the calls that need a token run after the health poll's login (one login)."""
        await asyncio.gather(self._addresses(), self._timed(P_API, "", "GET /v1/health (no token)", self._anonymous()))
        registered = await self._health()
        if registered:  # before registration no shard has an owner and the count is the plan's: nothing to learn
            await asyncio.gather(self._timed(P_API, "", "GET /v1/account/shards", self._shards()),
                                 self._timed(P_API, "", "GET /v1/support", self._support()))
        self._registration(registered)

    # ---- transport: where the name points ----------------------------------------------------------------
    async def _addresses(self) -> None:
        parts = urlsplit(self.profile.webapp.url)
        name, port = parts.hostname or "", parts.port or 443
        if not name:
            return
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(name, port, type=socket.SOCK_STREAM), self.probe_timeout)
        except (OSError, TimeoutError):
            return  # the health poll says "cannot resolve" with the client's own words
        addresses = list(dict.fromkeys((info[0], str(info[4][0])) for info in infos))
        if len(addresses) < 2:
            return  # one address: the health poll's own answer is the whole story

        async def one(family: int, address: str) -> None:
            """A TCP connection from this machine to one ``address`` of the Webapp's name (``family`` AF_INET or
            AF_INET6) within TCP_TIMEOUT seconds: one P_API fact ``kind="address"``, ``answered`` True/False. Never
            raises."""
            text = "IPv6" if family == socket.AF_INET6 else "IPv4"
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), TCP_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                self._fact(P_API, "", f"tcp connect {address}:{port} ({name})",
                           f"{name} -> {address} ({text}): {getattr(exc, 'strerror', None) or 'no answer'}", False,
                           kind="address", name=name, address=address, family=text, answered=False)
                return
            writer.close()
            self._fact(P_API, "", f"tcp connect {address}:{port} ({name})", f"{name} -> {address} ({text}): connected",
                       True, kind="address", name=name, address=address, family=text, answered=True)

        await asyncio.gather(*(one(f, a) for f, a in addresses))

    # ---- login and health ---------------------------------------------------------------------------------
    async def _health(self) -> bool | None:
        """Login + ``GET /v1/health`` judged against the plan. Returns whether the cluster says it is registered
        (None when the API did not answer)."""
        url = self.profile.webapp.url
        command = f"GET {url}/v1/health (after POST /v1/users/login)"
        try:
            result = await asyncio.wait_for(self.health.poll_once(), self.probe_timeout)
        except TimeoutError:
            self._fact(P_API, "", command, f"no answer within {self.probe_timeout:g} s", None, timeout=True, why="timed out")
            return None
        if result.error is not None:
            self._api_error(command, result.error)
            if result.error.kind == "tls":
                await self._timed(P_API, "", "TLS handshake without verification", self._certificate())
            return None
        verdict = result.verdict
        level = verdict.level.value if verdict is not None else "?"
        self._fact(P_API, "", command, f"health answered: {level}" + (f" ({verdict.headline})" if verdict else ""), True,
                   kind="health", registered=bool(verdict and verdict.registered))
        for d in result.current_findings:
            self._fact(P_API, "", command, d.evidence or d.title, d.severity == "info", kind="verdict", key=d.key,
                       severity=d.severity, title=d.title, next_action=d.next_action, node_host=d.host)
        self._node_errors(command, verdict)
        return bool(verdict and verdict.registered)

    def _node_errors(self, command: str, verdict: ClusterVerdict | None) -> None:
        """Each node the Webapp reports with an error, in the API's own words (``error 1014 Internal error: connection
        to wa-core-1:6250 failed: Connection refused. Please check if wacore is running``, observed on the lab): the
        evidence of what the Webapp could not reach, and where its containers' path is to be probed."""
        for n in verdict.nodes if verdict is not None else ():
            if n.level is not Level.FAILURE or not n.reason.startswith("error "):
                continue
            failed = connection_failure(n.reason)
            target, port, how = failed if failed else ("", 0, "")
            self._fact(P_API, "", command, f"{n.host}: {n.reason}", False, kind="node_error", node_host=n.host,
                       container=n.container_id, target=target, port=port, how=how)

    async def _certificate(self) -> None:
        """FR16: what the Webapp presents when this machine does not trust it (read without verifying, nothing sent):
        subject, issuer, self-signed or not, expiry, names; and what the profile trusts."""
        from cryptography import x509  # asyncssh's dependency; only needed on this path

        parts = urlsplit(self.profile.webapp.url)
        name, port = parts.hostname or "", parts.port or 443
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        _, writer = await asyncio.wait_for(asyncio.open_connection(name, port, ssl=context, server_hostname=name),
                                           TCP_TIMEOUT)
        try:
            der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        finally:
            writer.close()
        cert = x509.load_der_x509_certificate(der)
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        try:
            names = ", ".join(str(n.value) for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
        except x509.ExtensionNotFound:
            names = "none"
        w = self.profile.webapp
        trust = f"the profile trusts {w.ca_file}" if w.ca_file else "the profile gives no CA file"
        self._fact(P_API, "", f"TLS handshake with {name}:{port} without verification",
                   f"it presents {subject} issued by {issuer}{' (self-signed)' if subject == issuer else ''}, valid until "
                   f"{cert.not_valid_after_utc:%Y-%m-%d}, names {names}; {trust}", True, kind="certificate",
                   subject=subject, issuer=issuer, self_signed=subject == issuer, names=names, ca_file=w.ca_file)

    def _api_error(self, command: str, exc: ApiError) -> None:
        """One failed call as a fact with its envelope (or transport failure) decoded by the catalogue."""
        d = diagnose_api_error(exc.status, exc.code, exc.details, exc.title) if exc.kind in ("http", "auth") and \
            (exc.code or exc.status == 401) else diagnose_transport(exc.kind, str(exc))
        self._fact(P_API, "", command, str(exc), False, kind=exc.kind, status=exc.status, code=exc.code,
                   details=exc.details, key=d.key if d else "", title=d.title if d else exc.title,
                   severity=d.severity if d else "error", next_action=(d.next_action if d else "") or exc.next_action)

    async def _anonymous(self) -> None:
        client = self.health.client
        try:
            error = await client.call_without_token("/v1/health")
        except ApiError:
            return  # transport: the health poll's fact says it
        command = f"GET {self.profile.webapp.url}/v1/health without Authorization"
        if error is None:
            self._fact(P_API, "", command, "HTTP 200 without a token", True, kind="anonymous", status=200, code=0)
        else:
            self._fact(P_API, "", command, str(error), error.status == 401, kind="anonymous", status=error.status,
                       code=error.code)

    # ---- shards and support ---------------------------------------------------------------------------------
    async def _read(self, command: str, call: Awaitable[T]) -> T | None:
        """``call``'s answer, or None with its failure made a fact."""
        try:
            return await call
        except ApiError as exc:
            self._api_error(command, exc)
            return None

    async def _shards(self) -> None:
        command = "GET /v1/account/shards"
        shards = await self._read(command, self.health.client.get_shards())
        if shards is None:
            return
        want = self.profile.shards
        self._fact(P_API, "", command, f"the cluster runs {shards} shard(s); the profile says {want}", shards == want,
                   kind="shards", shards=shards, profile_shards=want)

    async def _support(self) -> None:
        command = "GET /v1/support"
        body = await self._read(command, self.health.client.support())
        if body is None:
            return
        info = body.get("support")
        if not isinstance(info, dict):
            self._fact(P_API, "", command, "support answered without a support object", None, why="not understood")
            return
        # HA/MC: keyed by node; single instance: the object itself (no shard map to read)
        nodes = {k: v for k, v in info.items() if isinstance(v, dict)} if "multi_connect" not in info else {}
        owners: dict[str, list[str]] = {}
        for node, entry in nodes.items():
            for pair in entry.get("shards") or ():
                if isinstance(pair, (list, tuple)) and pair:
                    owners.setdefault(str(pair[0]), []).append(node)
        shards = self.profile.shards
        try:
            want = {str(s) for s in range(shards)}
        except TypeError:
            want = set()
        unowned = sorted(want - set(owners), key=int)
        doubled = sorted((s for s, n in owners.items() if len(n) > 1), key=int)
        words = (f"{len(nodes)} node(s); shard owners: "
                 + (", ".join(f"{s} -> {'/'.join(n)}" for s, n in sorted(owners.items(), key=lambda kv: int(kv[0])))
                    or "none"))
        self._fact(P_API, "", command, words, not unowned and not doubled, kind="support", nodes=len(nodes),
                   owners=owners, unowned=unowned, doubled=doubled, shards=shards)

    # ---- registration: the last answer, and the certificate ------------------------------------------------
    def _registration(self, registered: bool | None) -> None:
        if registered is not False:
            return  # registered now (whatever it said before), or the API did not say: an old answer proves nothing
        state = read_run_state(self.profile) or {}
        last = state.get(LAST_REGISTRATION)
        if isinstance(last, dict) and last.get("code"):
            code, status = int(last.get("code", 0)), int(last.get("status", 0))
            details, title = str(last.get("details", "")), str(last.get("title", ""))
            d = diagnose_api_error(status, code, details, title)
            self._fact(P_API, "", "POST /v1/account (the install's step 8, recorded in the run state)",
                       f"answered HTTP {status} {title} (code {code}): {details}".strip(), False, kind="registration",
                       status=status, code=code, title=d.title if d else title, details=details,
                       key=d.key if d else "", next_action=d.next_action if d else "", at=str(last.get("at", "")))
        for error in validate_profile(self.profile, registration=True):
            if error.field == "registration.cert":
                self._fact(P_API, "", "the profile's registration.cert", f"registration.cert {error.message}", False,
                           kind="registration", cert="missing" if "empty" in error.message else "not_base64")

    # ---- monitoring scrape targets (FR45, field case R27) -----------------------------------------------------
    async def _scrape(self) -> None:
        """From ``monitoring.from_host``, a TCP connection to every scrape target (SSH ``direct-tcpip``: the host
        itself connects, as Prometheus there would)."""
        mon = self.profile.monitoring
        source = next((h for h in self.profile.hosts if mon.from_host and h.external_hostname == mon.from_host), None)
        targets = mon.scrape_targets(self.profile.hosts) if source is not None else []
        if source is None or not targets:
            return  # no monitoring section (or a from_host validation already named)
        try:
            conn = await self._pool.get(source)
        except RemoteError:
            return  # the SSH fact of that host says why

        async def one(target: str, port: int, what: str) -> None:
            """One scrape target ``target:port`` (``what``: its role) connected from ``monitoring.from_host`` through
            SSH direct-tcpip within TCP_TIMEOUT seconds: one P_SCRAPE fact, ``timeout`` set when nothing answered."""
            command = f"tcp connect {target}:{port} from {mon.from_host} (ssh direct-tcpip)"
            probe = await probe_port(conn, target, port, read_first=False, timeout=TCP_TIMEOUT)
            line = f"{what} {target}:{port} answers from {mon.from_host}" if probe.reached else \
                f"{what} {target}:{port} from {mon.from_host}: {probe.error}"
            self._fact(P_SCRAPE, mon.from_host, command, line, probe.reached, target=target, port=port, what=what,
                       timeout=(not probe.reached) and probe.error.startswith("no answer"))

        await asyncio.gather(*(self._timed(P_SCRAPE, mon.from_host, f"tcp {t}:{p}", one(t, p, w)) for t, p, w in targets))

