"""SSH connections with host-key verification always on, on every hop (asyncssh).

Over 400 lines because the trust files, the OpenSSH-config resolution of a target and the connect path
with its error translations are one job (a connection whose host key is verified); split, each part
would pass the same trust list and error words to the others.

Trust comes from known_hosts files: the app's own (keys the operator accepted), the user's
``~/.ssh/known_hosts``, and an optional profile-supplied file (the demo's simulated hosts).
``asyncssh.connect`` is never called with ``known_hosts=None`` nor with an empty trust list (which
asyncssh would replace by its own default file).

Where a host is reached: the profile's ``SshTarget`` first, then the OpenSSH client config
(``~/.ssh/config`` or ``SshSettings.config_file``), read with asyncssh's config parser: ``HostName``,
``User``, ``Port``, ``IdentityFile``, ``HostKeyAlias`` and ``ProxyJump``. Jump hosts (the profile's
``jump`` field, else the config's ``ProxyJump``, nested ones included) are connected one by one here,
each with the same known_hosts and keys, and passed on as ``tunnel=``; an error names the hop.

Encrypted private keys are decrypted with a passphrase asked through ``SshSettings.passphrase``
(never stored; the decrypted key is kept in memory by a :class:`KeyStore` for the pool's lifetime).
"""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import inspect
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import asyncssh
from asyncssh.config import SSHClientConfig

from ..domain.model import HostSpec, SshTarget
from ..domain.validation import MAX_JUMP_HOPS, split_jump
from .errors import (
    AuthenticationFailed,
    HostKeyChanged,
    HostKeyUnknown,
    HostUnreachable,
    RemoteError,
)

#: Seconds: TCP + handshake + authentication; keepalive every 15 s, 3 misses drop the host.
CONNECT_TIMEOUT = 10.0
KEEPALIVE_INTERVAL = 15.0
KEEPALIVE_COUNT_MAX = 3

#: ``passphrase(key_file) -> passphrase`` (plain or awaitable); raising or returning "" means "none".
PassphraseCallback = Callable[[str], "Awaitable[str] | str"]


@dataclass
class SshSettings:
    """Client-wide SSH settings.

    ``known_hosts``: trusted known_hosts files (paths that do not exist are skipped).
    ``read_user_config``: read ``~/.ssh/config`` and ``~/.ssh/known_hosts`` and use the SSH agent
    (False in the tests, so a developer's own config and agent never leak in).
    ``config_file``: an OpenSSH client config read instead of ``~/.ssh/config`` (even when
    ``read_user_config`` is False).
    ``keepalive_interval`` × ``keepalive_count_max``: how long a silent host is tolerated before its
    connection is declared lost (on every hop).
    ``passphrase``: asked for the passphrase of an encrypted private key, with the key file's path;
    None means encrypted keys cannot be used (a clear error says so).
    ``trust_new_keys_into``: when set (headless ``--trust-new-host-keys``), an UNKNOWN host key is
    recorded in this known_hosts file and the connection retried once; a CHANGED key is still refused.
    """

    known_hosts: Sequence[Path] = field(default_factory=list)
    read_user_config: bool = True
    connect_timeout: float = CONNECT_TIMEOUT
    keepalive_interval: float = KEEPALIVE_INTERVAL
    keepalive_count_max: int = KEEPALIVE_COUNT_MAX
    config_file: Path | None = None
    passphrase: PassphraseCallback | None = field(default=None, repr=False, compare=False)
    trust_new_keys_into: Path | None = None


def _known_hosts_paths(settings: SshSettings) -> list[str]:
    paths = [Path(p).expanduser() for p in settings.known_hosts]
    if settings.read_user_config:
        paths.append(Path("~/.ssh/known_hosts").expanduser())
    return [str(p) for p in paths if p.is_file()]


def _trust(settings: SshSettings) -> list[str] | asyncssh.SSHKnownHosts:
    # an empty list would make asyncssh fall back to ~/.ssh/known_hosts: give it an empty store instead
    return _known_hosts_paths(settings) or asyncssh.import_known_hosts("")


def config_paths(settings: SshSettings) -> list[str]:
    """The OpenSSH client config files read for host aliases (possibly none)."""
    if settings.config_file is not None:
        path = Path(settings.config_file).expanduser()
        return [str(path)] if path.is_file() else []
    user_config = Path("~/.ssh/config").expanduser()
    return [str(user_config)] if settings.read_user_config and user_config.is_file() else []


# ---- where to connect: hops resolved from the profile and the config ----------------------------

@dataclass(frozen=True)
class Hop:
    """One SSH connection of a route: ``name`` as written (alias or host), where it really goes."""

    name: str
    host: str
    port: int
    user: str = ""
    identity_files: tuple[str, ...] = ()
    key_file_required: bool = False
    host_key_name: str = ""
    #: the OpenSSH config sets ``Ciphers`` for it: that choice stands (:func:`cipher_option`)
    ciphers_set: bool = False

    @property
    def label(self) -> str:
        """How messages name this hop: what the operator wrote, with the port when not 22."""
        if self.name != self.host:
            return self.name
        return self.host if self.port == 22 else f"{self.host}:{self.port}"

    @property
    def known_name(self) -> str:
        """The name its key is recorded under in known_hosts (``HostKeyAlias`` or the address)."""
        return self.host_key_name or self.host


def _config(paths: list[str], name: str, user: str = "", port: int | None = None) -> SSHClientConfig | None:
    if not paths:
        return None
    try:
        # asyncssh annotates the classmethod load() as returning the base SSHConfig; it builds an instance of cls
        return cast(SSHClientConfig, SSHClientConfig.load(None, paths, False, False, False, getpass.getuser(),
                                                          user or (), name, port if port is not None else ()))
    except (OSError, ValueError) as exc:
        raise RemoteError(name, f"cannot read the SSH config {', '.join(paths)}: {exc}",
                          "fix the line named in the message, or use host/user/port in the profile instead of an alias") from None


def _hop_from_config(name: str, user: str, port: int | None, paths: list[str],
                     key_file: str = "") -> tuple[Hop, str]:
    """The hop for ``name`` with the config applied, and the config's ProxyJump for it ("" when none)."""
    cfg = _config(paths, name, user, port)

    def get(option: str) -> Any:  # asyncssh types every option as object: here str, int or a list of str
        """The config's value for ``option`` (str, int or list[str] by option), None without a config."""
        return cfg.get(option) if cfg else None

    identities = (key_file,) if key_file else tuple(str(i) for i in (get("IdentityFile") or ()))
    hop = Hop(name=name, host=str(get("Hostname") or name), port=int(port or get("Port") or 22),
              user=str(user or get("User") or ""), identity_files=identities, key_file_required=bool(key_file),
              host_key_name=str(get("HostKeyAlias") or ""), ciphers_set=bool(get("Ciphers")))
    proxy = str(get("ProxyJump") or "")
    return hop, "" if proxy.lower() == "none" else proxy


def _jump_chain(spec: str, paths: list[str], seen: tuple[str, ...], where: str) -> list[Hop]:
    """The hops of a ProxyJump-style list, as OpenSSH takes it: the first hop may itself have a
    ProxyJump in the config (followed recursively); the later ones are reached through the earlier."""
    try:
        parts = split_jump(spec)
    except ValueError as exc:
        raise RemoteError(where, f"jump host list {spec!r} {exc}", "give jump hosts as [user@]host[:port], comma-separated") from None
    chain: list[Hop] = []
    for i, (user, host, port) in enumerate(parts):
        hop, proxy = _hop_from_config(host, user, port, paths)
        if i == 0 and proxy:
            if hop.name in seen or len(seen) > MAX_JUMP_HOPS:
                raise RemoteError(where, f"the ProxyJump entries of the SSH config loop or are too deep ({' -> '.join(seen + (hop.name,))})",
                                  "fix ProxyJump in the SSH config")
            chain += _jump_chain(proxy, paths, seen + (hop.name,), where)
        chain.append(hop)
    if len(chain) > MAX_JUMP_HOPS:
        raise RemoteError(where, f"the route has {len(chain)} jump hosts; at most {MAX_JUMP_HOPS} are supported", "shorten the chain")
    return chain


def resolve_route(target: SshTarget, settings: SshSettings, where: str = "") -> tuple[list[Hop], Hop]:
    """``(jump hops in order, final hop)`` for ``target``: the profile's values win over the config's.

    With an alias the profile's port counts only when it is not 22 (the dataclass default).
    """
    paths = config_paths(settings)
    name = target.alias or target.host
    port = target.port if (not target.alias or target.port != 22) else None
    final, proxy = _hop_from_config(name, target.user, port, paths, target.key_file)
    spec = target.jump.strip() or proxy
    jumps = _jump_chain(spec, paths, (name,), where or name) if spec else []
    return jumps, final


# ---- private keys ---------------------------------------------------------------------------------

class KeyStore:
    """Private keys read from files, each decrypted at most once (the passphrase itself is never kept).

    Concurrent connections that need the same encrypted key ask for its passphrase once.
    """

    def __init__(self) -> None:
        self._keys: dict[str, list[asyncssh.SSHKeyPair]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def load(self, path: str, settings: SshSettings, where: str, *, required: bool) -> list[asyncssh.SSHKeyPair]:
        """The key pair(s) of ``path`` (with its ``-cert.pub`` if present); [] for a missing optional file. Each file
        is read once per run (cached). Raises :class:`AuthenticationFailed` (naming ``where``) for a missing
        ``required`` file, an unreadable file or one that is not a private key, an encrypted key with no passphrase
        given (or none can be asked) or a wrong one, and a missing decryption package (bcrypt)."""
        full = str(Path(path).expanduser())
        async with self._locks.setdefault(full, asyncio.Lock()):
            if full in self._keys:
                return self._keys[full]
            if not os.path.isfile(full):
                if required:
                    raise AuthenticationFailed(where, f"the key file {full} does not exist",
                                               "fix ssh.key_file in the profile (or IdentityFile in the SSH config)")
                return []
            keys = await self._decrypt(full, settings, where)
            self._keys[full] = keys
            return keys

    @staticmethod
    async def _decrypt(path: str, settings: SshSettings, where: str) -> list[asyncssh.SSHKeyPair]:
        try:
            return list(asyncssh.load_keypairs([path]))
        except asyncssh.KeyImportError as exc:
            if "passphrase" not in str(exc).lower():
                raise AuthenticationFailed(where, f"the key file {path} is not a private key asyncssh can read ({exc})",
                                           "check ssh.key_file / IdentityFile") from None
        except asyncssh.KeyEncryptionError as exc:
            raise AuthenticationFailed(where, f"cannot read the key file {path}: {_encryption_detail(exc)}",
                                       "install the missing package, or use the SSH agent") from None
        except OSError as exc:
            raise AuthenticationFailed(where, f"cannot read the key file {path}: {exc.strerror or exc}",
                                       "check the file's path and permissions") from None
        # the key is encrypted
        if settings.passphrase is None:
            raise AuthenticationFailed(where, f"the key file {path} is encrypted and no passphrase can be asked here",
                                       "load the key into the SSH agent (ssh-add) and allow the agent, or run interactively") from None
        try:
            answer = settings.passphrase(path)
            if inspect.isawaitable(answer):
                answer = await answer
        except (KeyboardInterrupt, asyncio.CancelledError):
            raise
        except Exception:  # noqa: BLE001 - the face declined (e.g. the dialog was dismissed)
            answer = ""
        if not answer:
            raise AuthenticationFailed(where, f"the key file {path} is encrypted and no passphrase was given",
                                       "enter the key's passphrase, or load the key into the SSH agent (ssh-add)")
        try:
            return list(asyncssh.load_keypairs([path], passphrase=answer))
        except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
            if "bcrypt" in str(exc):
                raise AuthenticationFailed(where, f"cannot decrypt the key file {path}: {_encryption_detail(exc)}",
                                           "install the missing package, or use the SSH agent") from None
            raise AuthenticationFailed(where, f"wrong passphrase for the key file {path}",
                                       "enter the key's passphrase again (ssh-keygen -y -f <key> checks it)") from None


def private_key_problem(path: str) -> str:
    """What makes the file ``path`` (``~`` expanded) unusable as an SSH private key, in words with the fix; "" when it
    is one (an encrypted one too: its passphrase is asked when connecting) or is absent (said where it is needed:
    preflight, the connection). A public key (``id_ed25519.pub``, the usual slip) is named as such, with the private
    key beside it when there is one. asyncssh reads the file as the connection would (``read_private_key``:
    ``KeyImportError`` "Invalid private key" for a public key or any other file, "Passphrase must be specified" for
    an encrypted key). Never raises."""
    full = Path(path).expanduser()
    if not full.is_file():
        return ""
    try:
        asyncssh.read_private_key(str(full))
        return ""
    except asyncssh.KeyImportError as exc:
        if "passphrase" in str(exc).lower():
            return ""
    except (OSError, ValueError) as exc:
        return f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}; check the path and its permissions"
    try:
        asyncssh.read_public_key(str(full))
    except (asyncssh.KeyImportError, OSError, ValueError):
        return (f"{path} is not an SSH private key (ssh-keygen -y -f {path} checks a key); give the private key, "
                "e.g. ~/.ssh/id_ed25519")
    beside = full.with_suffix("") if full.suffix == ".pub" else None
    example = str(Path(path).with_suffix("")) if beside is not None and beside.is_file() else "~/.ssh/id_ed25519"
    return f"{path} is a public key; give the private key, e.g. {example}"


def _encryption_detail(exc: Exception) -> str:
    text = str(exc)
    if "bcrypt" in text:
        return "OpenSSH-format encrypted keys need the Python package 'bcrypt' (pip install bcrypt)"
    return text


#: The private keys OpenSSH (and asyncssh) try by default when nothing else is configured.
DEFAULT_KEYS = ("id_ed25519_sk", "id_ecdsa_sk", "id_ed448", "id_ed25519", "id_ecdsa", "id_rsa", "id_dsa")


def _agent_socket(hop: Hop, settings: SshSettings) -> str:
    """The agent socket asyncssh uses: the config's ``IdentityAgent``, else ``SSH_AUTH_SOCK`` ("" for none)."""
    cfg = _config(config_paths(settings), hop.name, hop.user, hop.port)
    path = str(cfg.get("IdentityAgent") or "") if cfg else ""
    if path.lower() == "none":
        return ""
    return os.path.expanduser(path or os.environ.get("SSH_AUTH_SOCK", ""))


def _offered(hop: Hop, loaded: list[asyncssh.SSHKeyPair], settings: SshSettings, *, agent: bool, agent_allowed: bool) -> tuple[list[str], str]:
    """What the client could offer for authentication (for the refusal message), and what was missing."""
    offered: list[str] = []
    missing: list[str] = []
    if loaded:
        offered.append(f"key file {', '.join(hop.identity_files)}")
    elif hop.identity_files:
        missing.append(f"the IdentityFile {', '.join(hop.identity_files)} does not exist")
    elif settings.read_user_config:
        found = [k for k in DEFAULT_KEYS if os.path.isfile(os.path.expanduser(f"~/.ssh/{k}"))]
        if found:
            offered.append(f"default key(s) ~/.ssh/{', ~/.ssh/'.join(found)}")
        else:
            missing.append("no ssh.key_file, no IdentityFile and no default key in ~/.ssh")
    else:
        missing.append("no ssh.key_file and no IdentityFile")
    if agent:
        sock = _agent_socket(hop, settings)
        if not sock:
            missing.append("no SSH agent (SSH_AUTH_SOCK is not set)")
        elif not os.path.exists(sock):
            missing.append(f"the SSH agent socket {sock} does not exist (a stale SSH_AUTH_SOCK?)")
        else:
            offered.append(f"the SSH agent at {sock}")
    elif not agent_allowed:
        missing.append("the SSH agent is not used (ssh.use_agent is false)")
    else:
        missing.append("the SSH agent is not used here (the user's SSH configuration is not read)")
    return offered, "; ".join(missing)


# ---- host keys --------------------------------------------------------------------------------------

class _KeyWitness(asyncssh.SSHClient):
    """Records the host key a server presented when our known_hosts did not trust it (and refuses it)."""

    def __init__(self) -> None:
        self.presented: asyncssh.SSHKey | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        """asyncssh's host-key callback: keep the presented ``key`` in ``presented`` and answer False (refused), so the
        connection fails as an unknown host with the key in hand."""
        self.presented = key
        return False


def _recorded(paths: list[str], host: str, port: int) -> list[str]:
    """SHA256 fingerprints of the keys recorded for ``host:port`` in ``paths`` (empty: unknown host)."""
    found: list[str] = []
    for p in paths:
        try:
            kh = asyncssh.read_known_hosts(p)
        except (OSError, ValueError):
            continue
        trusted, *_ = kh.match(host, "", port if port != 22 else None)
        found += [k.get_fingerprint("sha256") for k in trusted]
    return found


def _entry(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


# ---- connecting -------------------------------------------------------------------------------------

#: AES-GCM ahead of asyncssh's default first cipher, chacha20-poly1305@openssh.com: asyncssh builds that one from four
#: ChaCha20 contexts of ``cryptography`` per packet, measured here (asyncssh 2.24, cryptography 51, AES-NI) at 41-51 us
#: per packet against 4-9 us for aes128-gcm, which is a single AESGCM call; the 50-host preflight received 11,484
#: packets, and the install engine's SSH reads share the UI thread. Both are AEAD ciphers an OpenSSH server offers by
#: default (sshd_config(5) ``Ciphers``); the rest of asyncssh's list follows (OpenSSH's ``^`` prefix), so a server
#: without AES-GCM still negotiates.
PREFERRED_CIPHERS = "^aes128-gcm@openssh.com,aes256-gcm@openssh.com"


def cipher_option(hop: Hop) -> dict[str, str]:
    """``{"encryption_algs": PREFERRED_CIPHERS}`` for a connection to ``hop``, or ``{}`` when the OpenSSH config sets
    ``Ciphers`` for it (``Hop.ciphers_set``, read with the rest of its config: the operator's choice stands, as
    asyncssh applies it)."""
    return {} if hop.ciphers_set else {"encryption_algs": PREFERRED_CIPHERS}


async def _connect_hop(hop: Hop, name: str, settings: SshSettings, keys: KeyStore, *,
                       tunnel: asyncssh.SSHClientConnection | None, via: str, is_jump: bool,
                       use_agent: bool) -> asyncssh.SSHClientConnection:
    """One hop with our trust, keys and keepalive; errors name ``name`` (the cluster host) and the hop."""
    what = f"jump host {hop.label}" if is_jump else hop.label
    through = f" via {via}" if via else ""
    kwargs: dict[str, Any] = {
        "port": hop.port,
        "known_hosts": _trust(settings),
        "config": config_paths(settings) or None,
        "tunnel": tunnel,            # None: never the config's ProxyJump, the chain is built here
        "connect_timeout": settings.connect_timeout,
        "keepalive_interval": settings.keepalive_interval,
        "keepalive_count_max": settings.keepalive_count_max,
    }
    if hop.user:
        kwargs["username"] = hop.user
    kwargs |= cipher_option(hop)
    loaded: list[asyncssh.SSHKeyPair] = []
    if hop.identity_files:
        for f in hop.identity_files:
            loaded += await keys.load(f, settings, name, required=hop.key_file_required)
        # none of the config's IdentityFile exists: like OpenSSH, go on with the agent (and default keys)
        kwargs["client_keys"] = loaded or ([] if settings.read_user_config else None)
    elif not settings.read_user_config:
        kwargs["client_keys"] = None  # no key of the user's ~/.ssh either (and then no agent: asyncssh)
    agent = use_agent and settings.read_user_config
    if not agent:
        kwargs["agent_path"] = None
    witness = _KeyWitness()
    # where the refusal came from, unless the hop's label already is that address ("127.0.0.1:2201: connection refused")
    said = what == f"{hop.host}:{hop.port}"
    at, by, from_ = ("", "", "") if said else (f" at {hop.host}:{hop.port}", f" by {hop.host}:{hop.port}",
                                              f" from {hop.host}:{hop.port}")
    try:
        return await asyncssh.connect(hop.name if kwargs["config"] else hop.host, client_factory=lambda: witness, **kwargs)
    except asyncssh.HostKeyNotVerifiable:
        key = witness.presented
        key_type = key.get_algorithm() if key else "unknown"
        fp = key.get_fingerprint("sha256") if key else "unavailable"
        public = key.export_public_key().decode().strip() if key else ""
        recorded = _recorded(_known_hosts_paths(settings), hop.known_name, hop.port)
        if recorded:
            raise HostKeyChanged(name, f"{what}{through}: the host key of {hop.host}:{hop.port} CHANGED: recorded {', '.join(recorded)}, "
                                       f"now presented {key_type} {fp}; refusing to connect",
                                 f"if the host was really reinstalled, remove the old key (ssh-keygen -R '{_entry(hop.known_name, hop.port)}' "
                                 "-f <known_hosts file>) and connect again; otherwise treat it as an attack") from None
        err = HostKeyUnknown(name, hop.known_name, hop.port, key_type, fp, public)
        err.hop = what if (is_jump or via) else ""
        if is_jump or via:  # say which hop: the question is about that machine, not the cluster host
            err.args = (f"{name}: {what}{through}: unknown host key {key_type} {fp} for {hop.host}:{hop.port}",)
        raise err from None
    except asyncssh.PermissionDenied:
        offered, fix = _offered(hop, loaded, settings, agent=agent, agent_allowed=use_agent)
        user = hop.user or getpass.getuser()
        if not offered:
            raise AuthenticationFailed(name, f"{what}{through}: no SSH key to offer to {hop.host}:{hop.port} as {user}: {fix}",
                                       "set ssh.key_file in the profile (or IdentityFile in ~/.ssh/config), or start "
                                       "ssh-agent, add the key with ssh-add and run wabiz-tui where SSH_AUTH_SOCK is set") from None
        raise AuthenticationFailed(name, f"{what}{through}: SSH authentication refused for user {user}{at} "
                                         f"(offered: {'; '.join(offered)}{'; ' + fix if fix else ''})",
                                   "check the user, the key file or the agent, and the host's authorized_keys") from None
    except TimeoutError:
        raise HostUnreachable(name, f"{what}{through}: no SSH answer{from_} within {settings.connect_timeout:.0f} s",
                              "check the address, the port and the firewall") from None
    except ConnectionRefusedError:
        raise HostUnreachable(name, f"{what}{through}: connection refused{by}",
                              "is sshd running, and is the port right?") from None
    except asyncssh.ChannelOpenError as exc:  # the jump host could not open the TCP connection onwards
        detail = (f"connection refused by {hop.host}:{hop.port}" if "refused" in exc.reason.lower()
                  else f"{via} could not reach {hop.host}:{hop.port} ({exc.reason})")
        raise HostUnreachable(name, f"{what}{through}: {detail}",
                              "check the address and port as seen from the jump host, and its AllowTcpForwarding") from None
    except OSError as exc:
        raise HostUnreachable(name, f"{what}{through}: cannot reach {hop.host}: {exc.strerror or exc}",
                              "check the host name (DNS), the address and the network") from None
    except asyncssh.Error as exc:
        raise RemoteError(name, f"{what}{through}: SSH error with {hop.host}:{hop.port}: {exc.reason}",
                          "retry; if it persists check sshd's log") from None


async def connect(host: HostSpec, settings: SshSettings, *, keys: KeyStore | None = None) -> asyncssh.SSHClientConnection:
    """Open an authenticated SSH connection to ``host``, through its jump hosts if any.

    Raises :class:`HostKeyUnknown` (with the key's SHA256 fingerprint, for the hop that presented it),
    :class:`HostKeyChanged`, :class:`AuthenticationFailed` or :class:`HostUnreachable`; messages name
    the host and, for a jump host, the hop. Closing the returned connection closes its jump hosts.
    """
    keys = keys or KeyStore()
    name = host.external_hostname
    jumps, final = resolve_route(host.ssh, settings, name)
    tunnel: asyncssh.SSHClientConnection | None = None
    via = ""
    try:
        for hop in jumps:
            if not hop.identity_files and host.ssh.key_file:  # a hop without its own IdentityFile uses the profile's key
                hop = dataclasses.replace(hop, identity_files=(host.ssh.key_file,))
            conn = await _connect_hop(hop, name, settings, keys, tunnel=tunnel, via=via, is_jump=True,
                                      use_agent=host.ssh.use_agent)
            conn.set_tunnel(tunnel)  # closing a hop closes the hops before it
            tunnel, via = conn, hop.label
        conn = await _connect_hop(final, name, settings, keys, tunnel=tunnel, via=via, is_jump=False,
                                  use_agent=host.ssh.use_agent)
    except BaseException:
        if tunnel is not None:
            tunnel.abort()
        raise
    conn.set_tunnel(tunnel)
    return conn


def trust_host_key(known_hosts_file: Path, address: str, port: int, public_key: str) -> None:
    """Append an accepted key to the app's known_hosts (``[addr]:port key`` for non-22 ports), mode 600."""
    known_hosts_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(known_hosts_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(f"{_entry(address, port)} {public_key}\n")
