"""SSH connections with host-key verification always on (asyncssh).

Trust comes from known_hosts files: the app's own (keys the operator accepted), the user's
``~/.ssh/known_hosts``, and an optional profile-supplied file (the demo's simulated hosts).
``asyncssh.connect`` is never called with ``known_hosts=None``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import asyncssh

from ..domain.model import HostSpec
from .errors import AuthenticationFailed, HostKeyChanged, HostKeyUnknown, HostUnreachable, RemoteError

#: Seconds: TCP + handshake + authentication; keepalive every 15 s, 3 misses drop the host.
CONNECT_TIMEOUT = 10.0
KEEPALIVE_INTERVAL = 15.0
KEEPALIVE_COUNT_MAX = 3


@dataclass
class SshSettings:
    """Client-wide SSH settings: trusted known_hosts files and whether ``~/.ssh/config`` is read.

    ``known_hosts`` paths that do not exist are skipped. ``read_user_config`` False is used by the
    tests so a developer's own config and agent never leak in.
    """

    known_hosts: Sequence[Path] = field(default_factory=list)
    read_user_config: bool = True
    connect_timeout: float = CONNECT_TIMEOUT
    keepalive_interval: float = KEEPALIVE_INTERVAL


def _known_hosts_paths(settings: SshSettings) -> list[str]:
    paths = [Path(p).expanduser() for p in settings.known_hosts]
    if settings.read_user_config:
        paths.append(Path("~/.ssh/known_hosts").expanduser())
    return [str(p) for p in paths if p.is_file()]


def _connect_kwargs(host: HostSpec, settings: SshSettings) -> dict:
    s = host.ssh
    user_config = Path("~/.ssh/config").expanduser()
    kwargs: dict = {
        "known_hosts": _known_hosts_paths(settings) or asyncssh.import_known_hosts(""),
        "config": [str(user_config)] if settings.read_user_config and user_config.is_file() else None,
        "connect_timeout": settings.connect_timeout,
        "keepalive_interval": settings.keepalive_interval,
        "keepalive_count_max": KEEPALIVE_COUNT_MAX,
    }
    if not s.alias:
        kwargs["port"] = s.port
    elif s.port != 22:
        kwargs["port"] = s.port
    if s.user:
        kwargs["username"] = s.user
    if s.key_file:
        kwargs["client_keys"] = [str(Path(s.key_file).expanduser())]
    if not s.use_agent or not settings.read_user_config:
        kwargs["agent_path"] = None
    return kwargs


async def _describe_host_key(address: str, port: int, timeout: float) -> tuple[str, str, str]:
    key = await asyncio.wait_for(asyncssh.get_server_host_key(address, port, config=None), timeout)
    if key is None:
        return "unknown", "unknown", ""
    return key.get_algorithm(), key.get_fingerprint("sha256"), key.export_public_key().decode().strip()


def _recorded(paths: list[str], address: str, port: int) -> list[str]:
    """SHA256 fingerprints of the keys recorded for ``address:port`` in ``paths`` (empty: unknown host)."""
    name = address if port == 22 else f"[{address}]:{port}"
    found: list[str] = []
    for p in paths:
        try:
            kh = asyncssh.read_known_hosts(p)
        except (OSError, ValueError):
            continue
        trusted, *_ = kh.match(name, "", port)
        found += [k.get_fingerprint("sha256") for k in trusted]
    return found


async def connect(host: HostSpec, settings: SshSettings) -> asyncssh.SSHClientConnection:
    """Open an authenticated SSH connection to ``host``.

    Raises :class:`HostKeyUnknown` (with the key's SHA256 fingerprint), :class:`HostKeyChanged`,
    :class:`AuthenticationFailed` or :class:`HostUnreachable`; messages name the host.
    """
    target = host.ssh.alias or host.ssh.host
    name = host.external_hostname
    kwargs = _connect_kwargs(host, settings)
    try:
        return await asyncssh.connect(target, **kwargs)
    except asyncssh.HostKeyNotVerifiable:
        port = kwargs.get("port", 22)
        try:
            key_type, fp, public = await _describe_host_key(target, port, settings.connect_timeout)
        except (OSError, asyncssh.Error, asyncio.TimeoutError):
            key_type, fp, public = "unknown", "unavailable", ""
        paths = _known_hosts_paths(settings)
        recorded = _recorded(paths, target, port)
        if recorded:
            entry = target if port == 22 else f"[{target}]:{port}"
            raise HostKeyChanged(name, f"the host key of {target}:{port} CHANGED: recorded {', '.join(recorded)}, "
                                       f"now presented {key_type} {fp}; refusing to connect",
                                 f"if the host was really reinstalled, remove the old key (ssh-keygen -R '{entry}' -f <known_hosts file>) "
                                 "and connect again; otherwise treat it as an attack") from None
        raise HostKeyUnknown(name, target, port, key_type, fp, public) from None
    except asyncssh.PermissionDenied:
        raise AuthenticationFailed(name, f"SSH authentication refused for user {host.ssh.user or '(from ssh config)'} at {target}",
                                   "check the user, the key file or the agent, and the host's authorized_keys") from None
    except (asyncio.TimeoutError, TimeoutError):
        raise HostUnreachable(name, f"no SSH answer from {target} within {settings.connect_timeout:.0f} s",
                              "check the address, the port and the firewall") from None
    except ConnectionRefusedError:
        raise HostUnreachable(name, f"connection refused by {target}:{kwargs.get('port', 22)}",
                              "is sshd running, and is the port right?") from None
    except OSError as exc:
        raise HostUnreachable(name, f"cannot reach {target}: {exc.strerror or exc}",
                              "check the host name (DNS), the address and the network") from None
    except asyncssh.Error as exc:
        raise RemoteError(name, f"SSH error with {target}: {exc.reason}", "retry; if it persists check sshd's log") from None


def trust_host_key(known_hosts_file: Path, address: str, port: int, public_key: str) -> None:
    """Append an accepted key to the app's known_hosts (``[addr]:port key`` for non-22 ports), mode 600."""
    known_hosts_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = address if port == 22 else f"[{address}]:{port}"
    fd = os.open(known_hosts_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(f"{name} {public_key}\n")
