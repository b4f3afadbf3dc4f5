"""Errors of the remote layer. Every message names the host and says what to do; none carries a secret."""

from __future__ import annotations


class RemoteError(Exception):
    """Base class: ``host`` is the EXTERNAL_HOSTNAME, ``next_action`` a suggestion in words; ``retry_helps`` False
    when running the same step again cannot help before ``next_action`` is done (e.g. "run install first")."""

    #: the remote command's exit status when the error is a command's failure (None otherwise)
    exit_status: int | None = None

    def __init__(self, host: str, message: str, next_action: str = "", *, retry_helps: bool = True):
        self.host = host
        self.next_action = next_action
        self.retry_helps = retry_helps
        super().__init__(f"{host}: {message}")


class HostUnreachable(RemoteError):
    """TCP connection refused, timed out, DNS failure, or the connection was lost."""


class AuthenticationFailed(RemoteError):
    """The SSH server refused every key/agent identity offered."""


class HostKeyUnknown(RemoteError):
    """The host's key is in no trusted known_hosts file. ``key_type`` and ``fingerprint`` (SHA256:…) describe it.

    ``address``/``port`` are those of the machine that presented the key: for a route through jump
    hosts it may be a jump host, which ``hop`` then names (e.g. ``"jump host bastion:2222"``; "" for
    the cluster host itself). Trusting records ``address``/``port``.
    """

    def __init__(self, host: str, address: str, port: int, key_type: str, fingerprint: str, public_key: str):
        self.address, self.port, self.key_type, self.fingerprint, self.public_key = address, port, key_type, fingerprint, public_key
        self.hop = ""
        super().__init__(host, f"unknown host key {key_type} {fingerprint} for {address}:{port}",
                         "compare the fingerprint with the host's (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and trust it")


class HostKeyChanged(RemoteError):
    """The host presents a key different from the one recorded: possible man-in-the-middle."""


class UploadFailed(RemoteError):
    """A file could not be uploaded completely; ``path`` is the remote path."""
