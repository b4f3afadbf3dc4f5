"""``doctor``'s probes of the way out and of the business's own servers (rules: ``domain/doctor_rules_egress.py``):

- from each Coreapp and Master host, TCP to WhatsApp's servers on 5222 and 443 (the hosts Meta's debug tool checks,
  WhatsApp/WADebug ``check_network.py``), through an SSH ``direct-tcpip`` channel (the host itself connects, as the
  containers do through its NAT); and the same through the HTTP proxy the containers are given (``HTTPS_PROXY`` and
  friends in the running containers' environment, else in ``db.env``): ``CONNECT host:port`` and the proxy's status;
- from each Coreapp host, an idle connection to the chat port: two connections to ``g.whatsapp.net:5222``, one used
  at once, one after :data:`IDLE_S` s of silence; each sends one newline and waits :data:`REACT_S` s for any
  reaction (data, or the server closing). The fresh one reacting and the idle one not means the path forgot the
  idle connection (FR12). A server that does not react to the fresh one makes the probe inconclusive (said so).
  Idle timeouts longer than :data:`IDLE_S` are out of its reach: they show as ``gateway_status`` flapping;
- from each Coreapp host, the webhook URL (``GET /v1/settings/application``) and any URL given with ``--url``
  (a media link), fetched with ``curl`` (GET, no body: nothing is posted to the business's server);
- on each host, ``docker stats --no-stream`` of the cluster's containers with each one's CPU budget
  (``HostConfig.NanoCpus`` / ``CpuQuota``, else the host's CPUs).

Read-only and time-limited like every doctor probe; proxy credentials are masked in every fact.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from typing import Any
from urllib.parse import urlsplit

import asyncssh

from ...api.client import ApiError
from ...domain.commands import cluster_listing
from ...domain.doctor_rules_egress import (CHAT_PORT, HTTPS_PORT, P_EGRESS, P_IDLE, P_PROXY, P_RESOURCES, P_URL,
                                           P_WEBHOOK, saturated)
from ...domain.model import HostSpec, Role
from .paths import ContainerPathProbes
from .probes import CURL_NO_ANSWER, TCP_TIMEOUT

#: WhatsApp's servers and the ports the client uses (Meta, "Set Up and Debug Your Network"; WADebug's list).
CHAT_HOST = "g.whatsapp.net"
HTTPS_HOSTS = ("g.whatsapp.net", "v.whatsapp.net", "mmg.whatsapp.net", "graph.facebook.com")
#: Seconds the idle connection stays silent, and seconds a reaction is awaited.
IDLE_S, REACT_S = 5.0, 2.0
#: Seconds a business URL may take. The Coreapp's own download timeout is not documented; this is the time limit
#: of Meta's debug tool for the webhook (WADebug ``check_webhook.py`` ``REQ_TIMEOUT = 5``).
URL_LIMIT_S = 5.0
_PROXY_VAR = re.compile(r"^(https?|all)_proxy=(.+)$", re.I)
_CURL_FORMAT = "%{http_code} %{time_total}\\n"


def split_url(url: str) -> tuple[str, str | None, str, str]:
    """``(scheme + "//" or "", userinfo, host[:port], "/" + rest or "")`` of a URL, with or without a scheme
    (``user:pw@proxy:3128``). The userinfo is what stands before the authority's LAST ``@`` (so a password holding
    ``@`` stays whole), None without an ``@``."""
    scheme, sep, rest = url.partition("//") if "//" in url else ("", "", url)
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    return scheme + sep, userinfo if at else None, host, slash + tail


def url_secrets(url: str) -> list[str]:
    """What in a URL may be a secret, longest first: its ``user:password``, the password alone, and its query string
    (media links carry signed tokens there)."""
    _, userinfo, host, path = split_url(url)
    found = [userinfo, userinfo.partition(":")[2]] if userinfo else []
    query = (path or host).partition("?")[2].partition("#")[0]
    if query:
        found.append(query)
    return sorted({f for f in found if f}, key=len, reverse=True)


def mask_proxy(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@`` (with or without a scheme; a password may hold ``@``)."""
    scheme, userinfo, host, path = split_url(url)
    return url if userinfo is None else f"{scheme}***@{host}{path}"


def proxy_address(url: str) -> tuple[str, int] | None:
    """``(host, port)`` of a proxy URL (``http://host:port``, ``host:port``); port 80/443 by scheme when absent.
    None when it has no host."""
    parts = urlsplit(url if "//" in url else f"http://{url}")
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def parse_percent(text: str) -> float:
    """``"12.5%"`` → 12.5; anything else → 0.0."""
    try:
        return float(text.strip().rstrip("%"))
    except ValueError:
        return 0.0


def cpu_budget_pct(nano_cpus: str, quota: str, period: str, ncpu: int) -> float:
    """A container's CPU budget in ``docker stats`` percent (100 = one CPU): its ``--cpus`` (NanoCpus), else its
    CFS quota/period, else every CPU of the host."""
    try:
        if int(nano_cpus) > 0:
            return int(nano_cpus) / 1e7
        if int(quota) > 0 and int(period) > 0:
            return 100.0 * int(quota) / int(period)
    except ValueError:
        pass
    return 100.0 * max(ncpu, 1)


class EgressProbes(ContainerPathProbes):
    """Egress to WhatsApp, the proxy, idle connections, business URLs, container resources."""

    #: Business URLs to fetch from every Coreapp host (``doctor --url``).
    urls: tuple[str, ...] = ()
    _webhook: "asyncio.Task[str] | None" = None

    async def _egress(self, host: HostSpec, docker_up: bool) -> None:
        name = host.external_hostname
        parts = []
        talks = host.has(Role.COREAPP) or host.has(Role.MASTER)
        if talks:
            parts.append(self._timed(P_EGRESS, name, "egress to WhatsApp", self._egress_tcp(host, docker_up)))
        if host.has(Role.COREAPP):
            parts.append(self._timed(P_IDLE, name, f"idle connection to {CHAT_HOST}:{CHAT_PORT}", self._idle(host)))
            parts.append(self._timed(P_WEBHOOK, name, "webhook URL", self._webhook_probe(host)))
            parts += [self._timed(P_URL, name, f"curl {url}", self._url(host, url)) for url in self.urls]
        if docker_up:
            parts.append(self._timed(P_RESOURCES, name, "docker stats --no-stream", self._resources(host)))
        await asyncio.gather(*parts)

    # ---- WhatsApp's servers, direct and through the proxy ------------------------------------------------
    async def _egress_tcp(self, host: HostSpec, docker_up: bool) -> None:
        targets = [(CHAT_HOST, CHAT_PORT)] + [(t, HTTPS_PORT) for t in HTTPS_HOSTS]
        proxy = await self._proxy(host, docker_up)
        work = [self._direct(host, t, p) for t, p in targets]
        if proxy is not None:
            work += [self._through(host, proxy, CHAT_HOST, p) for p in (HTTPS_PORT, CHAT_PORT)]
        if docker_up and host.has(Role.COREAPP):
            work.append(self._inside(host))
        await asyncio.gather(*work)

    async def _inside(self, host: HostSpec) -> None:
        """From inside the running Coreapp container, as Meta's debug tool does (``nc -z HOST PORT -w N``; bash's
        ``/dev/tcp`` or python3 where the image has them: :meth:`connect_inside`): a host firewall's FORWARD/DOCKER-USER
        rule can stop the containers while the host itself gets out. A container that is restarting answers ``docker
        exec`` with "is restarting": "not checked", never a failure."""
        _, ids = await self._sh(host, cluster_listing(host.remote_dir, service="wacore", stopped=False,
                                                      sudo=self.session.sudo(host)))
        cid = next((i.strip() for i in ids if re.fullmatch(r"[0-9a-f]{6,64}", i.strip())), "")
        if not cid:
            return

        async def one(port: int) -> None:
            """A TCP connection from inside container ``cid`` to g.whatsapp.net:``port`` (5222 chat, 443 HTTPS; Meta,
            "Set Up and Debug Your Network"): one P_EGRESS fact ``via="container"``, ok None when nothing could be
            probed (restarting container, no tool in the image)."""
            tool, command, answer = await self.connect_inside(host, cid, CHAT_HOST, port)
            if answer.ok is None:  # nothing probed (a restarting container, no tool): never a failure
                self._fact(P_EGRESS, host.external_hostname, command, answer.line, None, why=answer.why,
                           target=CHAT_HOST, port=port, via="container", container=cid)
                return
            self._fact(P_EGRESS, host.external_hostname, command, answer.line, answer.ok, target=CHAT_HOST, port=port,
                       via="container", container=cid, timeout=answer.timeout, tool=tool)

        await asyncio.gather(*(one(p) for p in (CHAT_PORT, HTTPS_PORT)))

    async def _direct(self, host: HostSpec, target: str, port: int) -> None:
        command = f"tcp connect {target}:{port} from {host.external_hostname} (ssh direct-tcpip)"
        conn = await self._pool.get(host)
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            _, writer = await asyncio.wait_for(conn.open_connection(target, port), TCP_TIMEOUT)
        except asyncssh.ChannelOpenError as exc:
            if conn.is_closed():  # asyncssh's "SSH connection closed": no refusal by the network path
                self._lost_fact(P_EGRESS, host.external_hostname, command, target=target, port=port, via="host")
                return
            self._fact(P_EGRESS, host.external_hostname, command, f"{target}:{port}: {exc.reason or 'refused'}", False,
                       target=target, port=port, via="host", timeout=False)
            return
        except TimeoutError:
            self._fact(P_EGRESS, host.external_hostname, command, f"{target}:{port}: no answer in {TCP_TIMEOUT:g} s",
                       False, target=target, port=port, via="host", timeout=True)
            return
        writer.close()
        self._fact(P_EGRESS, host.external_hostname, command, f"connected in {(loop.time() - start) * 1000:.0f} ms",
                   True, target=target, port=port, via="host", timeout=False)

    async def _proxy(self, host: HostSpec, docker_up: bool) -> tuple[str, int, str] | None:
        """The proxy the containers use (their environment), else the one ``db.env`` names; a fact either way."""
        name = host.external_hostname
        found: list[str] = []
        source = ""
        if docker_up:
            _, ids = await self._sh(host, cluster_listing(host.remote_dir, stopped=False, sudo=self.session.sudo(host)))
            ids = [i.strip() for i in ids if re.fullmatch(r"[0-9a-f]{6,64}", i.strip())]
            if ids:
                fmt = shlex.quote("{{range .Config.Env}}{{println .}}{{end}}")
                # only the proxy lines leave the host: the environment also holds WA_DB_PASSWORD
                _, found = await self._sh(host, self._docker(host, f"docker inspect -f {fmt} {' '.join(ids)}")
                                          + " | grep -iE '^(https?|all)_proxy='")
                source = "container"
        if not [l for l in found if _PROXY_VAR.match(l.strip())]:
            path = shlex.quote(f"{host.remote_dir}/db.env")
            _, found = await self._sh(host, f"grep -iE '^(https?|all)_proxy=' {path}")
            source = "db.env"
        settings = [m for m in (_PROXY_VAR.match(l.strip()) for l in found) if m]
        if not settings:
            return None
        https = next((m for m in settings if m.group(1).lower() == "https"), settings[0])
        url = https.group(2).strip().strip("'\"")
        self.extra_secrets.extend(url_secrets(url))
        address = proxy_address(url)
        names = sorted({m.group(0).split("=", 1)[0] for m in settings})
        shown = mask_proxy(url)
        self._fact(P_PROXY, name, f"proxy variables ({source})", f"{', '.join(names)} = {shown} (from the {source})",
                   address is not None, source=source, names=names, url=shown,
                   proxy_host=address[0] if address else "", proxy_port=address[1] if address else 0)
        return (address[0], address[1], shown) if address else None

    async def _through(self, host: HostSpec, proxy: tuple[str, int, str], target: str, port: int) -> None:
        proxy_host, proxy_port, shown = proxy
        command = f"CONNECT {target}:{port} through {shown} from {host.external_hostname}"
        conn = await self._pool.get(host)
        facts: dict[str, Any] = {"target": target, "port": port, "via": "proxy", "proxy": shown}
        try:
            reader, writer = await asyncio.wait_for(conn.open_connection(proxy_host, proxy_port), TCP_TIMEOUT)
        except asyncssh.ChannelOpenError as exc:
            if conn.is_closed():
                self._lost_fact(P_EGRESS, host.external_hostname, command, **facts)
                return
            self._fact(P_EGRESS, host.external_hostname, command, f"the proxy {proxy_host}:{proxy_port}: "
                       f"{exc.reason or 'refused'}", False, status=0, timeout=False, **facts)
            return
        except TimeoutError:
            self._fact(P_EGRESS, host.external_hostname, command, f"the proxy {proxy_host}:{proxy_port} does not "
                       f"answer in {TCP_TIMEOUT:g} s", False, status=0, timeout=True, **facts)
            return
        try:
            writer.write(f"CONNECT {target}:{port} HTTP/1.1\r\nHost: {target}:{port}\r\n\r\n".encode())
            line = (await asyncio.wait_for(reader.readline(), TCP_TIMEOUT + 3)).decode("latin-1").strip()
        except (TimeoutError, asyncssh.Error, OSError):
            line = ""
        finally:
            writer.close()
        parts = line.split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self._fact(P_EGRESS, host.external_hostname, command,
                   f"the proxy answered: {line}" if line else "the proxy gave no answer to CONNECT", status == 200,
                   status=status, timeout=not line, **facts)

    # ---- an idle chat connection -------------------------------------------------------------------------
    async def _idle(self, host: HostSpec) -> None:
        name = host.external_hostname
        command = (f"two connections to {CHAT_HOST}:{CHAT_PORT} from {name}: one used at once, one after {IDLE_S:g} s "
                   "idle")
        conn = await self._pool.get(host)
        try:
            fresh, idle = await asyncio.gather(self._react(conn, 0.0), self._react(conn, IDLE_S))
        except (asyncssh.ChannelOpenError, TimeoutError) as exc:
            if conn.is_closed():
                self._lost_fact(P_IDLE, name, command, target=CHAT_HOST, port=CHAT_PORT, idle_s=IDLE_S)
                return
            self._fact(P_IDLE, name, command, f"{CHAT_HOST}:{CHAT_PORT} cannot be reached ({exc})", None,
                       why="no chat connection to test", target=CHAT_HOST, port=CHAT_PORT, idle_s=IDLE_S)
            return
        if not fresh:
            self._fact(P_IDLE, name, command, "the server did not react to a fresh connection either: inconclusive",
                       None, why="the server gives no reaction to probe", target=CHAT_HOST, port=CHAT_PORT,
                       idle_s=IDLE_S)
            return
        line = ("the idle connection still carries data" if idle else
                f"after {IDLE_S:g} s idle the connection carries nothing (no answer in {REACT_S:g} s), while a fresh "
                "one answers at once")
        self._fact(P_IDLE, name, command, line, idle, target=CHAT_HOST, port=CHAT_PORT, idle_s=IDLE_S, survived=idle)

    @staticmethod
    async def _react(conn: asyncssh.SSHClientConnection, idle: float) -> bool:
        """Open a connection to the chat port, wait ``idle`` s, send a newline: whether anything came back (data,
        or the server closing) within :data:`REACT_S` s."""
        reader, writer = await asyncio.wait_for(conn.open_connection(CHAT_HOST, CHAT_PORT), TCP_TIMEOUT)
        try:
            await asyncio.sleep(idle)
            writer.write(b"\n")
            await asyncio.wait_for(reader.read(64), REACT_S)
            return True
        except TimeoutError:
            return False
        except (asyncssh.Error, OSError):
            return True  # the server (or the path, with a reset) closed it: the path still carried the bytes
        finally:
            writer.close()

    # ---- business URLs -----------------------------------------------------------------------------------
    async def _webhook_url(self) -> str:
        if not self.api:
            return ""
        if self._webhook is None:
            self._webhook = asyncio.ensure_future(self._client().webhook_url())
        try:
            return await asyncio.shield(self._webhook)
        except ApiError:
            return ""

    async def _curl(self, host: HostSpec, url: str, limit: float) -> tuple[str, int | None, int, float, str]:
        """``curl`` ``url`` (GET) from ``host``: (command, exit status, HTTP code, seconds, curl's error line or "").
        The URL's credentials and query are secrets of this run (masked in every fact); only http(s) URLs are
        fetched (anything else could be read by curl as an option). Raises ``ValueError`` for another scheme."""
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {mask_proxy(url)}")
        self.extra_secrets.extend(url_secrets(url))
        command = f"curl -sS -o /dev/null -w {shlex.quote(_CURL_FORMAT)} --max-time {limit:g} {shlex.quote(url)}"
        status, lines = await self._sh(host, command)
        code, seconds, error = 0, 0.0, ""
        for line in lines:
            # the -w line (stdout) and curl's own words (stderr, "curl: (N) ...") come as whole lines
            if "curl: (" in line and not error:
                error = line[line.index("curl: ("):].strip()
            match = re.match(r"\s*(\d{3}) (\d+(?:\.\d+)?)\s*$", line)
            if match:
                code, seconds = int(match.group(1)), float(match.group(2))
        return command, status, code, seconds, error

    async def _webhook_probe(self, host: HostSpec) -> None:
        url = await self._webhook_url()
        if not url.startswith("https://"):
            return
        name = host.external_hostname
        command, status, code, seconds, line = await self._curl(host, url, URL_LIMIT_S)
        if status == 127:
            self._fact(P_WEBHOOK, name, command, "curl is not installed", None, why="curl missing", url=url)
            return
        problem = ("" if status == 0 else "untrusted" if status in (35, 51, 58, 60, 77, 83, 90, 91) else
                   "timeout" if status == 28 else "refused" if status in (6, 7) else "http")
        self._fact(P_WEBHOOK, name, command, f"HTTP {code} in {seconds:.2f} s" if status == 0 else line or
                   CURL_NO_ANSWER.get(status or 0, f"curl exit {status}"), status == 0, url=url, problem=problem,
                   code=code, seconds=seconds)

    async def _url(self, host: HostSpec, url: str) -> None:
        name = host.external_hostname
        if not url.lower().startswith(("http://", "https://")):
            self._fact(P_URL, name, "curl", f"not fetched: not an http(s) URL: {mask_proxy(url)}", None, why="bad URL",
                       url=mask_proxy(url))
            return
        command, status, code, seconds, line = await self._curl(host, url, URL_LIMIT_S)
        if status == 127:
            self._fact(P_URL, name, command, "curl is not installed", None, why="curl missing", url=url)
            return
        problem = ("slow" if status == 28 else "unresolved" if status == 6 else "refused" if status == 7 else
                   "http" if status == 0 and code >= 400 else "" if status == 0 else "error")
        text = (f"HTTP {code} in {seconds:.2f} s" if status == 0 else
                f"{line} (limit {URL_LIMIT_S:g} s)" if status == 28 else line or f"curl exit {status}")
        self._fact(P_URL, name, command, text, problem == "", url=url, code=code, seconds=seconds, limit=URL_LIMIT_S,
                   problem=problem)

    # ---- container resources -----------------------------------------------------------------------------
    async def _resources(self, host: HostSpec) -> None:
        name = host.external_hostname
        fmt = shlex.quote('{{.Id}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} '
                          '{{index .Config.Labels "com.docker.compose.service"}}')
        _, ids = await self._sh(host, cluster_listing(host.remote_dir, stopped=False, sudo=self.session.sudo(host)))
        ids = [i.strip() for i in ids if re.fullmatch(r"[0-9a-f]{6,64}", i.strip())]
        if not ids:
            return
        _, inspect = await self._sh(host, self._docker(host, f"docker inspect -f {fmt} {' '.join(ids)}"))
        _, cpus = await self._sh(host, "nproc")
        ncpu = int(cpus[-1]) if cpus and cpus[-1].strip().isdigit() else 1
        stats_fmt = shlex.quote("{{.ID}} {{.CPUPerc}} {{.MemPerc}} {{.MemUsage}}")
        command = self._docker(host, f"docker stats --no-stream --format {stats_fmt} {' '.join(ids)}")
        _, stats = await self._sh(host, command)
        info = {}
        for line in inspect:
            fields = line.split()
            if len(fields) >= 5:
                info[fields[0]] = (cpu_budget_pct(fields[1], fields[2], fields[3], ncpu), fields[4])
        for line in stats:
            fields = line.split(None, 3)
            if len(fields) < 4:
                continue
            full = next((k for k in info if k.startswith(fields[0])), None)
            if full is None:
                continue
            budget, service = info[full]
            cpu, mem = parse_percent(fields[1]), parse_percent(fields[2])
            self._fact(P_RESOURCES, name, command, f"{service}: CPU {fields[1]} (budget {budget:.0f}%), memory "
                       f"{fields[2]} ({fields[3]})", not saturated(cpu, budget, mem), service=service,
                       container=fields[0], cpu_pct=cpu,
                       cpu_budget_pct=budget, mem_pct=mem, mem_usage=fields[3])
