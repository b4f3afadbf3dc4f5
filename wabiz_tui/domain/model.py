"""The cluster profile as plain data: hosts and roles, ``db.env`` values, media volume, Webapp API.

Pure data classes with no I/O. ``config.profile`` loads and saves them as YAML; ``domain.validation``
checks them; ``domain.render`` turns them into ``prod-multiconnect-compose.yml`` and ``db.env``.
Field names follow the seed document and the official setup scripts
(``reference/official-setup-scripts/``): ``WA_API_VERSION``, ``EXTERNAL_HOSTNAME``, ``WA_DB_*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from enum import Enum


class Role(str, Enum):
    """A cluster role and the compose service that runs it (seed, HA step 5)."""

    WEBAPP = "webapp"
    MASTER = "master"
    COREAPP = "coreapp"

    @property
    def service(self) -> str:
        """The service name in ``prod-multiconnect-compose.yml``: ``waweb``, ``master`` or ``wacore``."""
        return {Role.WEBAPP: "waweb", Role.MASTER: "master", Role.COREAPP: "wacore"}[self]

    @property
    def label(self) -> str:
        """The field's word for the role: Webapp, Master, Coreapp."""
        return {Role.WEBAPP: "Webapp", Role.MASTER: "Master", Role.COREAPP: "Coreapp"}[self]


#: Start order of the seed's loops (HA step 5, and the upgrade section): Webapps, Masters, Coreapps.
ROLE_ORDER: tuple[Role, ...] = (Role.WEBAPP, Role.MASTER, Role.COREAPP)


@dataclass(frozen=True)
class SshTarget:
    """How to reach a host by SSH.

    ``alias`` names a ``~/.ssh/config`` Host entry; when set, ``host``/``port``/``user`` may be empty
    and come from that file. ``key_file`` is a private key path; ``use_agent`` allows the SSH agent.
    ``port`` is a TCP port (1-65535). ``jump`` lists jump hosts to go through, in order, as
    ``[user@]host[:port]`` separated by commas (each may also be a ``~/.ssh/config`` alias); empty means
    the ``ProxyJump`` of ``~/.ssh/config``, if any, else a direct connection. ``docker_sudo`` says
    whether docker may run through passwordless sudo on the host: ``never``, ``auto`` (only when the
    Docker socket is denied to the SSH user) or ``always`` (see ``domain.docker_access``).
    """

    host: str = ""
    port: int = 22
    user: str = ""
    key_file: str = ""
    use_agent: bool = True
    alias: str = ""
    jump: str = ""
    docker_sudo: str = "never"


@dataclass(frozen=True)
class HostSpec:
    """One compute host of the cluster.

    ``external_hostname`` is the ``EXTERNAL_HOSTNAME`` given to compose on that host: the name or IP
    other hosts' containers use to reach it (official compose file comments). It also identifies the
    host in panes and health node keys (``<external_hostname>:<container-id>``).
    ``remote_dir`` is the absolute directory that receives the compose file and ``db.env``.
    """

    external_hostname: str
    ssh: SshTarget
    roles: tuple[Role, ...]
    remote_dir: str = "/home/wa/biz"

    def has(self, role: Role) -> bool:
        """True when this host runs ``role``."""
        return role in self.roles


class DbEngine(str, Enum):
    """``WA_DB_ENGINE`` values (seed, HA step 3)."""

    MYSQL = "MYSQL"
    PGSQL = "PGSQL"


@dataclass(frozen=True)
class DbEnv:
    """The ``db.env`` values (seed, HA step 3; official ``db.env``).

    ``connection_idle_timeout_ms`` is ``WA_DB_CONNECTION_IDLE_TIMEOUT`` in milliseconds (MySQL only,
    wa-onprem-api.md §1.2); 0 leaves the line out. ``name_prefix`` is ``WA_DB_NAME_PREFIX`` (optional).
    """

    engine: DbEngine = DbEngine.MYSQL
    hostname: str = ""
    port: int = 3306
    username: str = ""
    password: str = ""
    connection_idle_timeout_ms: int = 180000
    name_prefix: str = ""


class MediaKind(str, Enum):
    """Where the media volume lives (seed, HA step 4)."""

    NAMED_VOLUME = "volume"
    HOST_PATH = "host_path"


#: Mount point of the media volume inside Webapp and Coreapp containers (official compose file).
CONTAINER_MEDIA_PATH = "/usr/local/wamedia"


@dataclass(frozen=True)
class MediaVolume:
    """The media volume: the named volume ``whatsappMedia`` or a host path (usually an NFS mount)."""

    kind: MediaKind = MediaKind.NAMED_VOLUME
    host_path: str = ""


@dataclass(frozen=True)
class WebappApi:
    """How to reach the Webapp API.

    ``url`` is ``https://host:port`` (a load balancer when there are several Webapps).
    TLS trust is either ``ca_file`` (PEM path) or ``self_signed_ok`` (an explicit opt-in that still
    uses TLS but does not verify the chain). ``admin_password`` replaces the default ``secret`` at the
    first login (wa-onprem-api.md §3.1).
    """

    url: str = ""
    ca_file: str = ""
    self_signed_ok: bool = False
    admin_user: str = "admin"
    admin_password: str = ""
    initial_password: str = "secret"


class CodeMethod(str, Enum):
    """How the registration code is delivered (``POST /v1/account`` field ``method``)."""

    SMS = "sms"
    VOICE = "voice"


@dataclass(frozen=True)
class Registration:
    """Fields of ``POST /v1/account`` (wa-onprem-api.md §3.4)."""

    cc: str = ""
    phone_number: str = ""
    method: CodeMethod = CodeMethod.SMS
    cert: str = ""
    pin: str = ""


#: Ports of the official monitoring stack's exporters (Setup-Scripts monitoring/*.yml): node-exporter and cAdvisor on
#: every host (host-exporter-compose.yml), mysqld-exporter next to Prometheus (monitoring-compose.yml).
NODE_EXPORTER_PORT, CADVISOR_PORT, MYSQLD_EXPORTER_PORT = 9100, 8080, 9104


def split_host_port(text: str) -> tuple[str, str]:
    """``"host:port"`` → ``("host", "port")``; ``"host"`` → ``("host", "")`` (the port is not checked here)."""
    host, sep, port = text.rpartition(":")
    return (host, port) if sep else (text, "")


@dataclass(frozen=True)
class Monitoring:
    """Where the monitoring stack scrapes from and what (optional; the seed recommends monitoring).

    ``from_host`` is the ``EXTERNAL_HOSTNAME`` of the profile host the scrape ports are probed from (where
    Prometheus runs, or the host nearest to it: Meta advises monitoring on a spare machine, which wabiz-tui
    does not reach by SSH); "" means no monitoring checks. ``host_exporters`` says
    node-exporter (9100) and cAdvisor (8080) run on every cluster host; ``mysqld_exporter`` is
    ``host[:port]`` of mysqld-exporter (default port 9104); ``targets`` are extra ``host:port`` scrape targets.
    ``grace``: seconds a start or a failover may leave nodes transitional or a shard unserved before the
    health monitor (TUI, ``health``, ``exporter``) calls it failing; ``poll_floor``: the fewest seconds between
    two health polls of this cluster. None: the tool's default (``workflows.settings.monitor_settings``).
    ``env_file``: the absolute path, on ``from_host``, of the ``.env`` Meta's monitoring stack reads
    (``WA_WEB_ENDPOINT``, ``WA_WEB_USERNAME``, ``WA_WEB_PASSWORD``); "" means doctor does not check it (FR45).
    """

    from_host: str = ""
    host_exporters: bool = False
    mysqld_exporter: str = ""
    targets: tuple[str, ...] = ()
    grace: float | None = None
    poll_floor: float | None = None
    env_file: str = ""

    def scrape_targets(self, hosts: tuple["HostSpec", ...]) -> list[tuple[str, int, str]]:
        """``(host, port, what)`` for every target to probe, in a stable order without repeats."""
        out: list[tuple[str, int, str]] = []
        if self.host_exporters:
            for h in hosts:
                out += [(h.external_hostname, NODE_EXPORTER_PORT, "node-exporter"), (h.external_hostname, CADVISOR_PORT, "cAdvisor")]
        if self.mysqld_exporter:
            host, port = split_host_port(self.mysqld_exporter)
            out.append((host, int(port) if port.isdigit() else MYSQLD_EXPORTER_PORT, "mysqld-exporter"))
        for t in self.targets:
            host, port = split_host_port(t)
            if port.isdigit():
                out.append((host, int(port), "scrape target"))
        first: dict[tuple[str, int], tuple[str, int, str]] = {}
        for target in out:
            first.setdefault((target[0], target[1]), target)
        return list(first.values())


@dataclass(frozen=True)
class ClusterProfile:
    """A whole cluster: everything the wizard needs to install and operate it.

    ``wa_api_version`` is ``WA_API_VERSION`` (``X.Y.Z``). ``installed`` is set once the install
    procedure finished. ``known_hosts`` optionally names an extra known_hosts file to trust
    (the demo uses it for the simulated hosts). ``secret_refs`` pairs a secret's field path
    (``db.password``, ``webapp.admin_password``, ``registration.pin``, ``registration.cert``) with the
    ``env:VAR`` reference it was read from, so saving writes the reference back, not the value.
    ``monitoring`` (optional) says where Prometheus scrapes from, for the preflight's scrape-port probes.
    """

    name: str
    wa_api_version: str
    hosts: tuple[HostSpec, ...]
    db: DbEnv = field(default_factory=DbEnv)
    media: MediaVolume = field(default_factory=MediaVolume)
    webapp: WebappApi = field(default_factory=WebappApi)
    registration: Registration = field(default_factory=Registration)
    shards: int = 1
    installed: bool = False
    known_hosts: str = ""
    secret_refs: tuple[tuple[str, str], ...] = ()
    monitoring: Monitoring = field(default_factory=Monitoring)

    def hosts_with(self, role: Role) -> tuple[HostSpec, ...]:
        """The hosts that run ``role``, in profile order."""
        return tuple(h for h in self.hosts if h.has(role))

    def host(self, external_hostname: str) -> HostSpec:
        """The host named ``external_hostname``; raises KeyError when there is none."""
        for h in self.hosts:
            if h.external_hostname == external_hostname:
                return h
        raise KeyError(external_hostname)

    def with_changes(self, **changes: Any) -> "ClusterProfile":
        """A copy with some fields replaced (profiles are immutable)."""
        return replace(self, **changes)


#: Every secret field of a profile as ``(section, field)``: the one list the redaction of every face, the
#: ``env:VAR`` references and ``profile show`` derive from (issue 14.7: never a hand-kept list of values).
SECRET_FIELDS: tuple[tuple[str, str], ...] = (
    ("db", "password"), ("webapp", "admin_password"), ("webapp", "initial_password"),
    ("registration", "pin"), ("registration", "cert"))


def secret_values(profile: "ClusterProfile") -> tuple[str, ...]:
    """The values of every :data:`SECRET_FIELDS` field of ``profile`` (as written and stripped: a certificate
    pasted with its line break must be masked both ways); empty ones left out."""
    out: list[str] = []
    for section, key in SECRET_FIELDS:
        value = getattr(getattr(profile, section), key, "")
        if isinstance(value, str) and value:
            out += [value] + ([value.strip()] if value.strip() != value else [])
    return tuple(out)
