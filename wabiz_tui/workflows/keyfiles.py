"""The profile's SSH key files checked on this machine before anything connects: a public key or any other file
given as ``ssh.key_file`` is refused with the field and the fix (``init``'s prompt, ``profile import``, every command
that validates its profile, the preflight), rather than when the first host is reached."""

from __future__ import annotations

from pathlib import Path

from ..domain.model import ClusterProfile
from ..domain.validation import FieldError


def key_file_error(field: str, value: str) -> FieldError | None:
    """The error of ``value`` given as the SSH private key of ``field`` (e.g. ``hosts[0].ssh.key_file``), or None
    (a private key, encrypted or not; empty or absent: other checks say so where it matters)."""
    if not value.strip() or not Path(value.strip()).expanduser().is_file():
        return None
    # asyncssh (and the warnings its crypto imports print) only for a file to read: a refusal of another field
    # before it stays one line on stderr
    from ..remote.ssh import private_key_problem

    problem = private_key_problem(value.strip())
    return FieldError(field, problem) if problem else None


def key_file_errors(profile: ClusterProfile) -> list[FieldError]:
    """:func:`key_file_error` of every host's ``ssh.key_file`` (one error per host, in host order)."""
    errors = (key_file_error(f"hosts[{i}].ssh.key_file", h.ssh.key_file) for i, h in enumerate(profile.hosts))
    return [e for e in errors if e is not None]
