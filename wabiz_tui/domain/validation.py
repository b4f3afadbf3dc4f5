"""Pure validation of profile values, shared by the TUI forms, the CLI and the workflows.

Every check returns :class:`FieldError` items that name the field (dotted path, e.g.
``db.password`` or ``hosts[2].ssh.port``) and say how to fix the value. Nothing here raises on bad
input; :func:`validate_profile` collects every problem so a form can show them all at once.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .docker_access import DOCKER_SUDO_MODES
from .model import ClusterProfile, DbEngine, HostSpec, MediaKind, Role, split_host_port

#: Characters the client cannot handle in ``WA_DB_PASSWORD`` (seed "Prima di iniziare";
#: WADebug ``check_mysql_password.INVALID_CHARACTERS``; field case R05).
DB_PASSWORD_FORBIDDEN = "?{}&~!()^="
#: Characters that would break ``db.env`` (an env file read line by line, no quoting).
DB_PASSWORD_UNSAFE = {"\n": "a line break", "\r": "a carriage return", "#": "#", " ": "a space",
                      "'": "a single quote", '"': "a double quote", "$": "$", "\\": "a backslash",
                      "`": "a backquote"}
ALLOWED_SHARDS = (1, 2, 4, 8, 16, 32)
#: Minimum DB password length, as Meta's deployment templates require (DBPassword 8-41 characters, [DT]).
MIN_DB_PASSWORD = 8
#: Most jump hosts a profile's ``ssh.jump`` may chain.
MAX_JUMP_HOPS = 8

# ``\Z`` and re.ASCII throughout: ``$`` also matches before a final newline, ``\d`` any Unicode digit,
# and a value that passes must be the value used (issue 14.6).
_VERSION_RE = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)\Z", re.ASCII)
_HOST_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z", re.ASCII)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z", re.ASCII)
_USER_RE = re.compile(r"[a-z_][a-z0-9_.-]{0,31}\Z", re.IGNORECASE | re.ASCII)
_SAFE_PATH_RE = re.compile(r"/[A-Za-z0-9_./@+-]*\Z", re.ASCII)
_DIGITS_RE = re.compile(r"[0-9]+\Z", re.ASCII)
_PORT_TEXT_RE = re.compile(r"[0-9]{1,5}\Z", re.ASCII)
#: longest value echoed in a message (a 1 MB value is cut, its length said)
MAX_ECHO = 60


def show(value: object) -> str:
    """``repr(value)`` cut to :data:`MAX_ECHO` characters, for messages that quote what was typed."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO else f"{text[:MAX_ECHO]}… ({len(str(value))} characters)"


def _spaced(value: str, field: str) -> list["FieldError"]:
    """Spaces or line breaks around a value are refused, never silently stripped (the value is used as written)."""
    if value != value.strip():
        return [FieldError(field, "has spaces or a line break before or after it: remove them")]
    return []


@dataclass(frozen=True)
class FieldError:
    """A refused value: ``field`` is the dotted field path, ``message`` says what is wrong and the fix."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ProfileInvalid(ValueError):
    """Raised by callers that need a valid profile; ``errors`` holds every :class:`FieldError`."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"2.41.2"`` → ``(2, 41, 2)``; None when ``text`` is not ``X.Y.Z`` (a leading ``v`` is refused)."""
    m = _VERSION_RE.match(text)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


#: The start of a typed value that may be quoted back: up to three dot-separated groups of 1-3 digits.
_VERSION_START_RE = re.compile(r"v?[0-9]{1,3}(?:\.[0-9]{1,3}){0,2}", re.ASCII | re.IGNORECASE)


def version_shape_problem(value: str) -> str:
    """Why ``value`` is not a version ``X.Y.Z``, quoting at most its version-shaped start (``"2.43.1"``), never the
    rest: a version box is where a password lands when a Tab did not move on (issue 17: ``2.43.1`` + the backup
    password was echoed whole). E.g. ``"is not a version X.Y.Z such as 2.41.2: 14 more characters after '2.43.1'"``."""
    start = _VERSION_START_RE.match(value)
    prefix = start.group(0) if start else ""
    hint = " (drop the leading 'v')" if value.strip().lower().startswith("v") else ""
    shape = "a version X.Y.Z such as 2.41.2"
    if not value:
        return f"is empty: type {shape}"
    if prefix == value:
        return f"{value!r} is not {shape}{hint}"
    if prefix:
        return f"is not {shape}: {len(value) - len(prefix)} more characters after {prefix!r}{hint}"
    return f"is not {shape} ({len(value)} characters, not starting with a digit)"


def check_version(value: str, field: str = "wa_api_version") -> list[FieldError]:
    """``WA_API_VERSION`` must be ``X.Y.Z`` digits, e.g. ``2.41.2`` (the image tag is ``v`` + it); the message never
    quotes more than the value's version-shaped start (:func:`version_shape_problem`)."""
    if parse_version(value) is None:
        return [FieldError(field, version_shape_problem(value))]
    return []


def check_hostname(value: str, field: str) -> list[FieldError]:
    """A DNS name or an IPv4/IPv6 address, usable on a command line and in compose."""
    v = value
    if not v.strip():
        return [FieldError(field, "is empty: enter the host name or IP address")]
    if _spaced(v, field):
        return _spaced(v, field)
    try:
        ipaddress.ip_address(v)
        return []
    except ValueError:
        pass
    if len(v) > 253 or not all(_HOST_LABEL_RE.match(p) for p in v.rstrip(".").split(".")):
        bad = sorted({c for c in v if not (c.isalnum() or c in ".-")})
        detail = f"characters {' '.join(repr(c) for c in bad)} are not allowed" if bad else "a label is empty or too long"
        return [FieldError(field, f"{show(v)} is not a valid host name ({detail[:120]}); use letters, digits, '-' and '.'")]
    return []


def check_port(value: int, field: str) -> list[FieldError]:
    """A TCP port number, 1-65535."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        return [FieldError(field, f"{show(value)} is not a port: use a number from 1 to 65535")]
    return []


_PATH_EXAMPLES = {"media path": "/mnt/wamedia", "monitoring .env path": "/opt/whatsapp-monitoring/.env"}


def check_abs_path(value: str, field: str, what: str = "path") -> list[FieldError]:
    """An absolute POSIX path with only safe characters (it reaches remote command lines)."""
    if not value.startswith("/"):
        example = _PATH_EXAMPLES.get(what, "/home/wa/biz")
        return [FieldError(field, f"{show(value)} is not absolute: give the full {what}, e.g. {example}")]
    if not _SAFE_PATH_RE.match(value) or "/../" in value + "/" or value.endswith("/.."):
        return [FieldError(field, f"{show(value)} has characters or '..' not allowed in a {what}; use letters, digits and / . _ - @ +")]
    return []


_SINCE_RE = re.compile(r"(\d+(\.\d+)?|(\d+[smh])+|\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?)\Z",
                       re.ASCII)


def check_since(value: str, field: str = "since") -> list[FieldError]:
    """``--since`` values docker accepts: ``10m``, ``1h30m``, ``2026-11-30``, ``2026-11-30T10:00:00``, a Unix time."""
    if not _SINCE_RE.match(value):
        return [FieldError(field, f"{show(value)} is not a duration like 10m or 2h, a date like 2026-11-30T10:00:00, or a Unix time")]
    return []


def check_db_password(value: str, field: str = "db.password") -> list[FieldError]:
    """``WA_DB_PASSWORD``: not empty, none of ``?{}&~!()^=`` (seed), nothing that breaks ``db.env``."""
    if not value:
        return [FieldError(field, "is empty: enter the database user's password")]
    if len(value) < MIN_DB_PASSWORD:
        return [FieldError(field, f"is shorter than {MIN_DB_PASSWORD} characters: use a longer password on the database server")]
    forbidden = [c for c in DB_PASSWORD_FORBIDDEN if c in value]
    if forbidden:
        chars = " ".join(f"'{c}'" for c in forbidden)
        return [FieldError(field, f"contains {chars}: the WhatsApp client cannot use a DB password with any of "
                                  f"{DB_PASSWORD_FORBIDDEN} — change the password on the database server")]
    if "\n" in value or "\r" in value:
        return [FieldError(field, "contains a line break, which db.env cannot hold; choose a password without it")]
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in value):
        return [FieldError(field, "contains a control character, which db.env cannot hold; choose a password without it")]
    return []


def db_password_cautions(value: str) -> list[str]:
    """Characters that ``db.env`` holds but that often break hand-written shell or ``.env`` handling
    (field case R05: ``$``, ``#``, quotes, spaces): a warning to show, not a refusal."""
    found = [name for c, name in DB_PASSWORD_UNSAFE.items() if c in value and c not in "\n\r"]
    if not found:
        return []
    return [f"db.password contains {', '.join(found)}: fine in db.env as wabiz-tui writes it, but quote it in any "
            "hand-written shell command or .env file"]


def check_db(profile: ClusterProfile) -> list[FieldError]:
    """The ``db.env`` values and the rule that the DB is not on a compute host (seed)."""
    db = profile.db
    errors = check_hostname(db.hostname, "db.hostname") + check_port(db.port, "db.port")
    if not db.username:
        errors.append(FieldError("db.username", "is empty: enter the database user name"))
    elif not _USER_RE.match(db.username):
        errors.append(FieldError("db.username", f"{show(db.username)} is not a DB user name: start with a letter or _, then letters, digits, _ . -"))
    errors += check_db_password(db.password)
    if not isinstance(db.connection_idle_timeout_ms, int) or db.connection_idle_timeout_ms < 0:
        errors.append(FieldError("db.connection_idle_timeout_ms", "must be a whole number of milliseconds (0 leaves it out)"))
    if db.name_prefix and not re.fullmatch(r"[A-Za-z0-9_]{1,32}", db.name_prefix, re.ASCII):
        errors.append(FieldError("db.name_prefix", "use up to 32 letters, digits or _"))
    compute = {h.external_hostname for h in profile.hosts} | {h.ssh.host for h in profile.hosts if h.ssh.host}
    if db.hostname and db.hostname in compute and db.hostname not in ("127.0.0.1", "localhost"):
        errors.append(FieldError("db.hostname", f"{show(db.hostname)} is one of the compute hosts: the seed requires a standalone DB server"))
    if db.engine not in (DbEngine.MYSQL, DbEngine.PGSQL):
        errors.append(FieldError("db.engine", "must be MYSQL or PGSQL"))
    from .envrules import profile_errors  # python-dotenv: loaded when a profile is checked, not for --help
    errors += [FieldError(f, m) for f, m in profile_errors(profile)]  # values compose/the client would misread
    return errors


def split_jump(value: str) -> list[tuple[str, str, int | None]]:
    """``"ops@bastion:2222,10.0.0.5"`` → ``[("ops", "bastion", 2222), ("", "10.0.0.5", None)]``.

    Each hop is ``[user@]host[:port]`` (an IPv6 address with a port in brackets, ``[fd00::1]:22``; an
    ``ssh://`` prefix is accepted, as in OpenSSH's ProxyJump). Raises ValueError saying what is wrong.
    """
    hops: list[tuple[str, str, int | None]] = []
    for raw in value.split(","):
        item = raw.strip()
        if item.startswith("ssh://"):
            item = item[len("ssh://"):].rstrip("/")
        if not item:
            raise ValueError("has an empty hop: separate hops with single commas, e.g. ops@bastion1,bastion2:2222")
        user, _, hostport = item.rpartition("@")
        port: int | None = None
        if hostport.startswith("["):
            host, sep, rest = hostport[1:].partition("]")
            if not sep or (rest and not rest.startswith(":")):
                raise ValueError(f"{show(item)}: write an IPv6 address with a port as [address]:port")
            port_text = rest[1:] if rest else None
        elif hostport.count(":") == 1:
            host, port_text = hostport.split(":")
        else:
            host, port_text = hostport, None
        if port_text is not None:
            if not _PORT_TEXT_RE.match(port_text) or not 1 <= int(port_text) <= 65535:
                raise ValueError(f"{show(item)}: {show(port_text)} is not a port (1-65535)")
            port = int(port_text)
        if user and not _USER_RE.match(user):
            raise ValueError(f"{show(item)}: {show(user)} is not a valid user name")
        if check_hostname(host, "jump") and not _NAME_RE.match(host):
            raise ValueError(f"{show(item)}: {show(host)} is not a host name, IP address or ~/.ssh/config alias")
        hops.append((user, host, port))
    return hops


def check_jump(value: str, field: str) -> list[FieldError]:
    """Jump hosts: ``[user@]host[:port]``, comma-separated for a chain (empty: none, or ~/.ssh/config's)."""
    if not value.strip():
        return []
    try:
        hops = split_jump(value)
    except ValueError as exc:
        return [FieldError(field, f"{exc}; give jump hosts as [user@]host[:port], comma-separated for a chain")]
    if len(hops) > MAX_JUMP_HOPS:
        return [FieldError(field, f"lists {len(hops)} jump hosts; at most {MAX_JUMP_HOPS} are supported")]
    return []


def check_host(host: HostSpec, index: int) -> list[FieldError]:
    """One host: its ``EXTERNAL_HOSTNAME``, SSH target, remote directory and roles."""
    p = f"hosts[{index}]"
    errors = check_hostname(host.external_hostname, f"{p}.external_hostname")
    s = host.ssh
    if not s.alias:
        errors += check_hostname(s.host, f"{p}.ssh.host")
        if not s.user:
            errors.append(FieldError(f"{p}.ssh.user", "is empty: enter the SSH user (or an ~/.ssh/config alias)"))
    elif not _NAME_RE.match(s.alias):
        errors.append(FieldError(f"{p}.ssh.alias", f"{show(s.alias)} is not a plain ~/.ssh/config Host name"))
    if s.user and not _USER_RE.match(s.user):
        errors.append(FieldError(f"{p}.ssh.user", f"{show(s.user)} is not a valid user name"))
    errors += check_port(s.port, f"{p}.ssh.port")
    errors += check_jump(s.jump, f"{p}.ssh.jump")
    if s.docker_sudo not in DOCKER_SUDO_MODES:
        errors.append(FieldError(f"{p}.ssh.docker_sudo", f"{show(s.docker_sudo)} is not one of {', '.join(DOCKER_SUDO_MODES)}: "
                                                        "never (default), auto (sudo -n only when the Docker socket is denied) "
                                                        "or always"))
    errors += check_abs_path(host.remote_dir, f"{p}.remote_dir", "remote directory")
    if not host.roles:
        errors.append(FieldError(f"{p}.roles", "is empty: give the host at least one of webapp, master, coreapp"))
    if len(set(host.roles)) != len(host.roles):
        errors.append(FieldError(f"{p}.roles", "lists a role twice"))
    return errors


def check_topology(profile: ClusterProfile) -> list[FieldError]:
    """The minimum a cluster needs to start: a Webapp, a Master, a Coreapp; unique host names."""
    errors: list[FieldError] = []
    for role in (Role.WEBAPP, Role.MASTER, Role.COREAPP):
        if not profile.hosts_with(role):
            errors.append(FieldError("hosts", f"no host runs a {role.label}: give at least one host the role {role.value}"))
    seen: set[str] = set()
    for i, h in enumerate(profile.hosts):
        if h.external_hostname in seen:
            errors.append(FieldError(f"hosts[{i}].external_hostname", f"{show(h.external_hostname)} is used by two hosts; each host needs its own"))
        seen.add(h.external_hostname)
    if profile.shards not in ALLOWED_SHARDS:
        errors.append(FieldError("shards", f"{profile.shards} is not allowed: use one of {', '.join(map(str, ALLOWED_SHARDS))}"))
    return errors


def check_media(profile: ClusterProfile) -> list[FieldError]:
    """A host-path media volume needs an absolute path (usually the NFS mount point)."""
    if profile.media.kind is MediaKind.HOST_PATH:
        return check_abs_path(profile.media.host_path, "media.host_path", "media path")
    return []


def check_webapp(profile: ClusterProfile) -> list[FieldError]:
    """The Webapp API URL must be ``https://host:port`` with a TLS trust choice."""
    w = profile.webapp
    errors: list[FieldError] = []
    m = re.fullmatch(r"(https?)://(\[[0-9a-fA-F:]+\]|[^/:\s]+)(?::([0-9]{1,5}))?/?", w.url, re.ASCII)
    if not m:
        errors.append(FieldError("webapp.url", f"{show(w.url)} is not a URL like https://webapp-host:9090"))
    else:
        if m[1] != "https":
            errors.append(FieldError("webapp.url", "uses http://: the Webapp only speaks HTTPS (port 443 in the container, 9090 on the host); use https://"))
        errors += check_hostname(m[2].strip("[]"), "webapp.url")
        if m[3]:
            errors += check_port(int(m[3]), "webapp.url")
    if not w.ca_file and not w.self_signed_ok:
        errors.append(FieldError("webapp.ca_file", "choose how to trust the Webapp's TLS: a CA file, or accept its self-signed certificate explicitly"))
    if not w.admin_user:
        errors.append(FieldError("webapp.admin_user", "is empty: the default admin user is 'admin'"))
    errors += check_admin_password(w.admin_password)
    return errors


def check_admin_password(value: str, field: str = "webapp.admin_password") -> list[FieldError]:
    """Webapp password policy: 8-64 chars with a digit, an upper, a lower and a special (FB-login)."""
    if not value:
        return [FieldError(field, "is empty: choose the admin password that replaces the default at first login")]
    missing = [name for ok, name in (
        (8 <= len(value) <= 64, "8 to 64 characters"),
        (any(c.isdigit() for c in value), "a digit"),
        (any(c.isupper() for c in value), "an upper-case letter"),
        (any(c.islower() for c in value), "a lower-case letter"),
        (any(not c.isalnum() for c in value), "a special character")) if not ok]
    if missing:
        return [FieldError(field, f"needs {', '.join(missing)}")]
    return []


def check_registration(profile: ClusterProfile) -> list[FieldError]:
    """``POST /v1/account`` fields: cc and phone digits, method, cert, optional 6-digit PIN."""
    r = profile.registration
    errors: list[FieldError] = []
    if not _DIGITS_RE.match(r.cc) or len(r.cc) > 3:
        errors.append(FieldError("registration.cc", f"{show(r.cc)} is not a country calling code: 1 to 3 digits, no '+'"))
    if not _DIGITS_RE.match(r.phone_number) or not 4 <= len(r.phone_number) <= 14:
        errors.append(FieldError("registration.phone_number", "use the number without country code, digits only"))
    if not r.cert.strip():
        errors.append(FieldError("registration.cert", "is empty: paste the base64 certificate from WhatsApp Manager"))
    elif not re.fullmatch(r"[A-Za-z0-9+/=\s]+", r.cert, re.ASCII):
        errors.append(FieldError("registration.cert", "is not base64: paste the certificate exactly as WhatsApp Manager shows it"))
    if r.pin and not re.fullmatch(r"[0-9]{6}", r.pin, re.ASCII):
        errors.append(FieldError("registration.pin", "the two-step verification PIN has 6 digits (leave it empty if not enabled)"))
    return errors


#: Longest grace and poll floor accepted (seconds): an hour. Longer would hide an outage for longer than any
#: failover takes (the simulator's and Meta's templates' failovers take seconds, wa-onprem-api.md §4).
MAX_MONITOR_SECONDS = 3600.0


def check_monitor_timing(grace: float | None, poll_floor: float | None,
                         names: tuple[str, str] = ("monitoring.grace", "monitoring.poll_floor")) -> list[FieldError]:
    """The health monitor's ``grace`` (0 to an hour) and ``poll_floor`` (over 0, up to an hour), in seconds; None is
    the default. ``names``: the fields as the user wrote them (the profile's, or the flags ``--grace``/``--poll-floor``)."""
    errors: list[FieldError] = []
    if grace is not None and not 0 <= grace <= MAX_MONITOR_SECONDS:
        errors.append(FieldError(names[0], f"{grace:g} s is out of range: give 0 to {MAX_MONITOR_SECONDS:g} seconds "
                                           "(how long a failover may leave a shard unserved, e.g. 30)"))
    if poll_floor is not None and not 0 < poll_floor <= MAX_MONITOR_SECONDS:
        errors.append(FieldError(names[1], f"{poll_floor:g} s is out of range: give more than 0 and at most "
                                           f"{MAX_MONITOR_SECONDS:g} seconds (the fewest seconds between two health polls, "
                                           "e.g. 2)"))
    return errors


def check_monitoring(profile: ClusterProfile) -> list[FieldError]:
    """The optional ``monitoring`` section: ``from_host`` is one of the profile's hosts; targets are ``host:port``;
    ``env_file`` an absolute path (on ``from_host``); ``grace`` and ``poll_floor`` are in range
    (:func:`check_monitor_timing`)."""
    m = profile.monitoring
    timing = check_monitor_timing(m.grace, m.poll_floor)
    if not (m.from_host or m.host_exporters or m.mysqld_exporter or m.targets or m.env_file):
        return timing
    names = [h.external_hostname for h in profile.hosts]
    errors: list[FieldError] = []
    if m.from_host not in names:
        # env_file alone is read on from_host too: say so, the user may have set no scrape probe at all (s8 trial)
        why = ("the host that holds the .env of monitoring.env_file (where Meta's monitoring stack runs)" if m.env_file and not
               (m.host_exporters or m.mysqld_exporter or m.targets) else
               "the host the scrape ports are probed from (the one nearest to Prometheus)")
        errors.append(FieldError("monitoring.from_host", f"{show(m.from_host)} is not one of the hosts "
                                                         f"({', '.join(names)}): name {why}"))
    for i, t in enumerate(m.targets):
        host, port = split_host_port(t)
        errors += check_hostname(host, f"monitoring.targets[{i}]") if _PORT_TEXT_RE.match(port) else [
            FieldError(f"monitoring.targets[{i}]", f"{show(t)} is not host:port, e.g. wa-core-1:9100")]
        if _PORT_TEXT_RE.match(port):
            errors += check_port(int(port), f"monitoring.targets[{i}]")
    if m.env_file:
        errors += check_abs_path(m.env_file, "monitoring.env_file", "monitoring .env path")
    if m.mysqld_exporter:
        host, port = split_host_port(m.mysqld_exporter)
        errors += check_hostname(host, "monitoring.mysqld_exporter")
        if port and not _PORT_TEXT_RE.match(port):
            errors.append(FieldError("monitoring.mysqld_exporter", f"{show(m.mysqld_exporter)} is not host[:port], e.g. wa-mon-1:9104"))
        elif port:
            errors += check_port(int(port), "monitoring.mysqld_exporter")
    return errors + timing


def check_cluster_name(value: str, field: str = "name") -> list[FieldError]:
    """A cluster's name: letters, digits, _ . - (max 63), starting with a letter or digit."""
    if _NAME_RE.match(value or ""):
        return []
    return [FieldError(field, f"{show(value)} is not a cluster name: letters, digits, _ . - (max 63)")]


def validate_profile(profile: ClusterProfile, *, registration: bool = False) -> list[FieldError]:
    """Every problem of ``profile`` (``registration=True`` also checks the registration fields)."""
    errors: list[FieldError] = check_cluster_name(profile.name)
    errors += check_version(profile.wa_api_version)
    for i, h in enumerate(profile.hosts):
        errors += check_host(h, i)
    errors += check_topology(profile)
    errors += check_db(profile)
    errors += check_media(profile)
    errors += check_webapp(profile)
    errors += check_monitoring(profile)
    if registration:
        errors += check_registration(profile)
    return errors


def require_valid(profile: ClusterProfile, *, registration: bool = False) -> None:
    """Raise :class:`ProfileInvalid` listing every problem, or return when the profile is valid."""
    errors = validate_profile(profile, registration=registration)
    if errors:
        raise ProfileInvalid(errors)
