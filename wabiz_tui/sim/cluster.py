"""``SimulatedCluster``: wires hosts, SSH servers, the cluster brain and the Webapp together.

Slightly over 400 lines because it is the one handle the tests, the demo and the benchmarks drive:
most of it is some thirty fault and fact setters (``set_docker_fault``, ``set_disk_free``...), each a
few lines reaching one host's context or the brain; they read best side by side as one API.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import asyncssh

from .brain import Brain
from .certs import TlsMaterial, generate_ssh_key, generate_tls, known_hosts_line, reissue_tls
from .daemon import ContainerInfo
from .fs import Sandbox
from .host import HostContext
from .mysqlserver import SimMysqlServer
from .probes import REGISTRY_NAME
from .resolver import HOST_RESOLV_CONF, SITE_DNS
from .pgserver import SimPostgresServer
from .sshd import SshHost
from .webapp import WebappApi
from .webapp_listener import WebappServer


@dataclass(frozen=True)
class SimHost:
    """One simulated host: its ``EXTERNAL_HOSTNAME`` and the roles the demo plan gives it
    (subset of ``("webapp", "master", "coreapp")``; informative, the containers started decide)."""

    external_hostname: str
    roles: tuple[str, ...]


#: The seed's HA layout: 1 Webapp, 2 Masters, 2 Coreapps, each on its own host.
DEMO_HOSTS: tuple[SimHost, ...] = (
    SimHost("wa-web-1", ("webapp",)),
    SimHost("wa-master-1", ("master",)),
    SimHost("wa-master-2", ("master",)),
    SimHost("wa-core-1", ("coreapp",)),
    SimHost("wa-core-2", ("coreapp",)),
)


class SimulatedCluster:
    """An in-process WhatsApp Business API On-Premises cluster: one real SSH server per host and a
    real HTTPS Webapp API, all on the running asyncio loop.

    ``workdir`` receives keys (``keys/``), the TLS cert (``tls/``) and one sandbox per host
    (``hosts/<name>/``). ``speed`` multiplies every simulated delay (0.05 in tests, 1.0 in the demo).
    Use ``async with SimulatedCluster(tmp) as sim:`` or ``await start()`` / ``await stop()``.
    """

    def __init__(self, workdir: Path, hosts: Sequence[SimHost] = DEMO_HOSTS, *, speed: float = 1.0,
                 ssh_user: str = "wa", bind: str = "127.0.0.1") -> None:
        names = [h.external_hostname for h in hosts]
        if len(set(names)) != len(names):
            raise ValueError("SimulatedCluster: duplicate external_hostname in hosts")
        self.workdir = Path(workdir)
        self.hosts: tuple[SimHost, ...] = tuple(hosts)
        self.ssh_user = ssh_user
        self.bind = bind
        self.brain = Brain(speed)
        self.client_key_path = self.workdir / "keys" / "id_ed25519"
        self.known_hosts_path = self.workdir / "keys" / "known_hosts"
        self.ca_cert_path = self.workdir / "tls" / "webapp-ca.pem"
        self._ctx: dict[str, HostContext] = {}
        self._ssh: dict[str, SshHost] = {}
        self._webapp: WebappServer | None = None
        self._api: WebappApi | None = None
        self._tls: TlsMaterial | None = None
        self._db_servers: dict[str, SimMysqlServer | SimPostgresServer] = {}
        self._tasks: set[asyncio.Task] = set()
        self._started = False

    # ---------------------------------------------------------------- properties
    @property
    def speed(self) -> float:
        """Multiplier of every simulated delay (1.0: real time, 0: instant); the brain's."""
        return self.brain.speed

    @speed.setter
    def speed(self, value: float) -> None:
        """Set the multiplier of every simulated delay (applies to delays armed from now on)."""
        self.brain.speed = value

    @property
    def sms_outbox(self) -> list[tuple[str, str]]:
        """``(phone "+<cc><number>", code)`` for every code sent by ``POST /v1/account``."""
        return self.brain.sms_outbox

    @property
    def webapp_url(self) -> str:
        """``https://127.0.0.1:PORT`` (port chosen at start, stable for the whole run)."""
        if self._webapp is None:
            raise RuntimeError("SimulatedCluster not started")
        return self._webapp.url

    @property
    def webapp_listening(self) -> bool:
        """True while the Webapp port accepts connections (a ``waweb`` container runs)."""
        return bool(self._webapp and self._webapp.listening)

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Generate keys/cert under workdir, start one SSH server per host, prepare the Webapp port."""
        if self._started:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        client_key = generate_ssh_key(self.client_key_path)
        authorized = asyncssh.import_authorized_keys(client_key.export_public_key("openssh").decode())
        tls = generate_tls(self.workdir / "tls")
        self._tls = tls
        self.ca_cert_path = tls.cert_path
        lines = []
        try:
            for h in self.hosts:
                root = self.workdir / "hosts" / h.external_hostname
                (root / "home" / self.ssh_user).mkdir(parents=True, exist_ok=True)
                (root / "tmp").mkdir(exist_ok=True)
                (root / "etc").mkdir(exist_ok=True)
                (root / "etc" / "resolv.conf").write_text(f"nameserver {SITE_DNS}\n")
                ctx = HostContext(h.external_hostname, self.ssh_user, Sandbox(root), self.brain)
                self._ctx[h.external_hostname] = ctx
                self.brain.dns[h.external_hostname] = f"127.0.0.{10 + len(self._ctx)}"
                host_key = generate_ssh_key(self.workdir / "keys" / f"host_{h.external_hostname}")
                srv = SshHost(ctx, host_key, authorized, self.bind)
                await srv.listen()
                self._ssh[h.external_hostname] = srv
                lines.append(known_hosts_line(self.bind, srv.port, host_key))
            self.known_hosts_path.write_text("\n".join(lines) + "\n")
            self.brain.dns.setdefault(REGISTRY_NAME, "127.0.0.253")
            for engine, server_class in (("MYSQL", SimMysqlServer), ("PGSQL", SimPostgresServer)):
                db_server = server_class(self.brain.db, self.bind)
                await db_server.start()
                self._db_servers[engine] = db_server
                self.brain.db.server_ports[engine] = db_server.port
            self.brain.db.server_host = self.bind
            self._api = WebappApi(self.brain)
            self._webapp = WebappServer(self._api, tls.server_context(), self.bind)
            await self._webapp.prepare()
            self.brain.change_hooks.append(self._webapp.sync)
        except BaseException:
            await self.stop()
            raise
        self._started = True

    async def stop(self) -> None:
        """Close SSH servers and sessions, the Webapp listener, and every brain timer."""
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.brain.close()
        for srv in self._ssh.values():
            await srv.close()
        for db_server in self._db_servers.values():
            await db_server.close()
        self._db_servers.clear()
        if self._webapp is not None:
            await self._webapp.close()
        self._started = False

    async def __aenter__(self) -> "SimulatedCluster":
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # ---------------------------------------------------------------- lookups
    def _host(self, external_hostname: str) -> HostContext:
        try:
            return self._ctx[external_hostname]
        except KeyError:
            raise KeyError(f"unknown simulated host: {external_hostname}") from None

    def ssh_port(self, external_hostname: str) -> int:
        """TCP port of that host's SSH server on ``bind``."""
        self._host(external_hostname)
        return self._ssh[external_hostname].port

    def host_root(self, external_hostname: str) -> Path:
        """Real directory that is ``/`` for that host (SFTP chroot and shell sandbox)."""
        return self._host(external_hostname).sandbox.root

    def containers(self, external_hostname: str) -> list[ContainerInfo]:
        """Snapshot of the containers (running and exited) on that host."""
        self._host(external_hostname)
        return [c.info() for c in self.brain.on_host(external_hostname)]

    def on_sms(self, callback: Callable[[str, str], None]) -> None:
        """Call ``callback(phone, code)`` for each registration code sent."""
        self.brain.sms_callbacks.append(callback)

    def health(self) -> dict[str, dict]:
        """The body ``GET /v1/health`` would return under ``"health"`` right now."""
        return self.brain.health()

    # ---------------------------------------------------------------- faults
    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def kill_container(self, external_hostname: str, service: str) -> None:
        """``docker kill`` the running container of ``service`` on that host (exit 137).

        Raises ``KeyError`` if no such running container.
        """
        self._host(external_hostname)
        for c in self.brain.on_host(external_hostname):
            if c.service == service and c.running:
                self.brain.stop(c, 137)
                return
        raise KeyError(f"no running container for service {service!r} on {external_hostname}")

    def kill_main_process(self, external_hostname: str, service: str) -> None:
        """``kill -9`` the main process of ``service``'s running container from the host (not through Docker):
        its ``restart:`` policy restarts it (see ``Brain.kill_main_process``). Raises ``KeyError`` if none runs."""
        self._host(external_hostname)
        for c in self.brain.on_host(external_hostname):
            if c.service == service and c.running:
                self.brain.kill_main_process(c)
                return
        raise KeyError(f"no running container for service {service!r} on {external_hostname}")

    def set_host_unreachable(self, external_hostname: str, unreachable: bool) -> None:
        """Stop accepting SSH (and drop open sessions) on that host, or accept again (same port)."""
        srv = self._ssh[self._host(external_hostname).name]
        if unreachable:
            if srv._acceptor is not None:
                srv._acceptor.close()
                srv._acceptor = None
            for conn in list(srv.connections):
                conn.abort()
            srv.connections.clear()
        else:
            self._spawn(srv.listen())

    async def wait_reachable(self, external_hostname: str) -> None:
        """Await until a host made reachable again is accepting SSH."""
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def set_host_latency(self, external_hostname: str, seconds: float) -> None:
        """Slow host fault: delay every SSH command on that host by ``seconds`` (not scaled)."""
        self._ssh[self._host(external_hostname).name].latency = max(0.0, seconds)

    def set_webapp_error(self, status: int | None, code: int = 1014) -> None:
        """Answer every Webapp request with this status (e.g. 500/502/503) and envelope ``code`` (1014 "Internal
        error", 1016 "System overloaded"; wa-onprem-api.md §3.2) until ``None``."""
        if self._api is None:
            raise RuntimeError("SimulatedCluster not started")
        self._api.state.error_status = status
        self._api.state.error_code = code

    def set_shards_busy(self, times: int) -> None:
        """The next ``times`` POST /v1/account/shards answer 403 (the server is temporarily unavailable)."""
        if self._api is None:
            raise RuntimeError("SimulatedCluster not started")
        self._api.state.shards_busy = max(0, int(times))

    def set_registration_sunset(self, on: bool) -> None:
        """Make ``POST /v1/account`` answer 403 code 1005 ``biz_link_on_prem_reg_blocked``."""
        self.brain.sunset = on

    # ---------------------------------------------------------------- preflight facts and faults
    def set_database(self, hostname: str, port: int = 3306, *, engine: str = "MYSQL", version: str = "8.0.33",
                     reachable: bool = True, username: str | None = None, password: str | None = None,
                     user_plugin: str | None = None, default_plugin: str | None = None,
                     user_table_readable: bool | None = None, privileges: tuple[str, ...] | None = None) -> None:
        """Declare the external DB the hosts reach (resolvable name, port, engine ``MYSQL``/``PGSQL``, server
        version) and what a login to it finds; the arguments left None keep their value.

        ``username``/``password``: the one account (a wrong password is refused like the real server);
        ``user_plugin``: the account's MySQL auth plugin; ``default_plugin``: what the MySQL handshake
        announces ("" = the server's own default, ``caching_sha2_password`` from 8.0 on);
        ``user_table_readable``: whether the account may read ``mysql.user``; ``privileges``: on ``*.*``
        (``SHOW GRANTS``; PostgreSQL: ``CREATE`` gives ``rolcreatedb``, ``ALL PRIVILEGES`` a superuser).
        A real server speaking the engine's wire protocol answers on loopback; the hosts reach it at
        ``hostname:port`` (``nc``, and SSH ``direct-tcpip`` tunnels).
        """
        db = self.brain.db
        db.hostname, db.port, db.engine, db.version, db.reachable = hostname, int(port), engine, version, reachable
        for name, value in (("username", username), ("password", password), ("user_plugin", user_plugin),
                            ("default_plugin", default_plugin), ("user_table_readable", user_table_readable),
                            ("privileges", privileges)):
            if value is not None:
                setattr(db, name, tuple(value) if name == "privileges" else value)
        self.brain.dns[hostname] = "127.0.0.250"

    def set_clock_offset(self, external_hostname: str, seconds: float) -> None:
        """The host's clock runs ``seconds`` ahead (negative: behind)."""
        self._host(external_hostname).clock_offset = seconds

    def set_disk_free(self, external_hostname: str, kbytes: int) -> None:
        """What ``df`` reports as available on the host (KiB)."""
        self._host(external_hostname).disk_free_kb = int(kbytes)

    def set_engine_version(self, external_hostname: str, version: str) -> None:
        """The dockerd version that host runs (``docker version``; compose 1.29 cannot recreate on 25+)."""
        self._host(external_hostname).engine_version = version

    def set_resolv_conf(self, external_hostname: str, nameservers: Sequence[str] | None) -> None:
        """The host's /etc/resolv.conf: these ``nameserver`` lines (``["127.0.0.53"]``: systemd-resolved's stub only;
        ``[]``: no nameserver), or None to remove the file. Its containers' resolvers follow (:mod:`.resolver`)."""
        path = self.host_root(external_hostname) / HOST_RESOLV_CONF.lstrip("/")
        if nameservers is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text("".join(f"nameserver {s}\n" for s in nameservers))

    def upgrade_engine_without_resolv_conf(self, external_hostname: str, version: str = "28.0.1") -> None:
        """Field report FR44 (moby/moby#49665): the host's Docker Engine upgraded to ``version`` (28 or later) while
        the host has no /etc/resolv.conf (it resolves through systemd-resolved's NSS module): from 28 dockerd no
        longer gives the containers Google's DNS, so they resolve nothing."""
        self.set_engine_version(external_hostname, version)
        self.set_resolv_conf(external_hostname, None)

    def set_unresolvable(self, external_hostname: str, *names: str) -> None:
        """On that host, these names do not resolve (``getent hosts`` fails)."""
        self._host(external_hostname).unresolvable = set(names)

    def set_port_taken(self, external_hostname: str, *ports: int) -> None:
        """Something else listens on these ports on that host."""
        self._host(external_hostname).ports_taken = set(ports)

    def set_docker_fault(self, external_hostname: str, fault: str | None) -> None:
        """``daemon_down`` or ``socket_denied``: how ``docker`` answers on that host (None: normal)."""
        if fault not in (None, "daemon_down", "socket_denied"):
            raise ValueError(f"unknown docker fault {fault!r}")
        self._host(external_hostname).docker_fault = fault

    def set_sudo(self, external_hostname: str, mode: str) -> None:
        """What ``sudo`` does for the login user on that host: ``passwordless`` (the default: it runs the
        command as root, to whom the Docker socket is never denied), ``password`` (``sudo -n`` answers
        "sudo: a password is required", exit 1) or ``absent`` (not installed)."""
        if mode not in ("passwordless", "password", "absent"):
            raise ValueError(f"unknown sudo mode {mode!r}")
        self._host(external_hostname).sudo = mode

    def set_start_fault(self, external_hostname: str, service: str, log_lines: list[str] | None) -> None:
        """Containers of ``service`` on that host print ``log_lines`` and exit with code 1 when started
        (None clears it). Used to make catalogued faults appear in real container logs."""
        key = (self._host(external_hostname).name, service)
        if log_lines:
            self.brain.start_faults[key] = list(log_lines)
        else:
            self.brain.start_faults.pop(key, None)

    def set_compose_flavours(self, external_hostname: str, *, v2: bool = True, v1: bool = True) -> None:
        """Which compose flavours the host has: the ``docker compose`` plugin (v2), ``docker-compose`` (v1)."""
        ctx = self._host(external_hostname)
        ctx.compose_v2, ctx.compose_v1 = v2, v1

    def set_missing_commands(self, external_hostname: str, names: set[str]) -> None:
        """Programs the host lacks (e.g. ``{"nc"}``: minimal hosts have no netcat); empty restores them."""
        self._host(external_hostname).missing_commands = set(names)

    def set_registry_denied(self, on: bool) -> None:
        """The registry refuses to pull images (``docker pull`` says "pull access denied")."""
        self.brain.registry_denied = on

    def ssh_connections(self, external_hostname: str) -> int:
        """How many SSH connections the host has accepted since the cluster started."""
        return self._ssh[self._host(external_hostname).name].accepted

    def commands_run(self, external_hostname: str) -> int:
        """How many commands (SSH exec sessions) the host has run since the cluster started."""
        return self._ssh[self._host(external_hostname).name].commands

    def running_commands(self, external_hostname: str) -> list[str]:
        """The command lines of the SSH sessions still running on that host (a command ends when it
        finishes, or when its client closes the channel or the connection)."""
        return list(self._ssh[self._host(external_hostname).name].running.values())

    def set_log_volume(self, external_hostname: str, nbytes: int) -> None:
        """Make every container's full ``logs`` on that host print about ``nbytes`` more bytes of log lines."""
        self._host(external_hostname).log_filler_bytes = max(0, int(nbytes))

    def share_path(self, path: str, hosts: Sequence[str] | None = None, *, mode: int = 0o755) -> Path:
        """Mount one directory tree at ``path`` on ``hosts`` (default: all), as an NFS share would: a file
        written there on one host is seen on the others. Returns the real directory. SFTP does not see
        mounts (its chroot is the host's own root); the shell, docker and compose do."""
        vdir = Sandbox.normalize("/", path)
        real = self.workdir / "shared" / (vdir.strip("/").replace("/", "__") or "root")
        for name in hosts if hosts is not None else [h.external_hostname for h in self.hosts]:
            self._host(name).sandbox.mount(vdir, real)
        real.chmod(mode)
        return real

    def load_image(self, external_hostname: str, image: str) -> None:
        """The host holds ``image`` without a pull (``docker load`` on an air-gapped site)."""
        self._host(external_hostname).images.add(image)

    def set_registry_unreachable(self, on: bool) -> None:
        """The registry cannot be reached (pulls fail with ``Get "https://…/v2/": … no such host``)."""
        self.brain.registry_unreachable = on

    def set_runtime_fault(self, external_hostname: str, on: bool) -> None:
        """The host's container runtime refuses new containers (``up`` answers "OCI runtime create failed")."""
        name = self._host(external_hostname).name
        (self.brain.runtime_faults.add if on else self.brain.runtime_faults.discard)(name)

    def set_exporters(self, external_hostname: str, *ports: int) -> None:
        """Monitoring exporters listen on these ports of that host (e.g. 9100 node-exporter, 8080 cAdvisor)."""
        self.brain.listening[self._host(external_hostname).name] = set(ports)

    def set_port_filtered(self, external_hostname: str, port: int, on: bool = True) -> None:
        """A firewall drops connections to that host's ``port``: ``nc -w N`` times out after N seconds."""
        key = (self._host(external_hostname).name, int(port))
        (self.brain.filtered.add if on else self.brain.filtered.discard)(key)

    def cut(self, a: str, b: str, on: bool = True) -> None:
        """Drop every packet between hosts ``a`` and ``b`` (both directions), as ``lab fault cut A B`` does."""
        key = frozenset((self._host(a).name, self._host(b).name))
        (self.brain.cuts.add if on else self.brain.cuts.discard)(key)

    def set_certificate_error(self, code: int | None) -> None:
        """``POST /v1/account`` answers certificate error ``code`` (430, 432 or 433, Meta's error table) until None."""
        if self._api is None:
            raise RuntimeError("SimulatedCluster not started")
        if code not in (None, 430, 432, 433):
            raise ValueError(f"certificate error {code} is not one of 430, 432, 433")
        self._api.state.cert_error = code

    def set_webapp_certificate(self, fault: str | None) -> None:
        """Serve a Webapp certificate that is ``expired`` or issued for a ``wrong_name`` (None: the good one).

        Same key and issuer as the CA clients trust, so only the dates or the name fail verification."""
        if fault not in (None, "expired", "wrong_name"):
            raise ValueError(f"unknown certificate fault {fault!r}")
        if self._webapp is None or self._tls is None:
            raise RuntimeError("SimulatedCluster not started")
        cert = self._tls.cert_path if fault is None else reissue_tls(self._tls, fault)
        self._webapp.ssl_context.load_cert_chain(str(cert), str(self._tls.key_path))

    async def set_webapp_plain_http(self, on: bool) -> None:
        """The Webapp port answers in plain HTTP (a non-TLS service on it) until set back to False."""
        if self._webapp is None:
            raise RuntimeError("SimulatedCluster not started")
        await self._webapp.set_plain_http(on)

    def set_dbupgrade_failure(self, on: bool) -> None:
        """Make the next dbupgrade containers fail their schema upgrade and exit with code 1."""
        self.brain.dbupgrade_fails = on

    async def settle(self) -> None:
        """Wait for pending asynchronous effects (Webapp listener up/down, SSH re-listen)."""
        await self.brain.settle()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
