"""Answering a ``HostKeyQuestion``: the operator accepted the key, so it is trusted from now on."""

from __future__ import annotations

from pathlib import Path

from .events import HostKeyQuestion


def trust_answered(question: HostKeyQuestion, known_hosts: Path) -> None:
    """Add the key of ``question`` for its ``address:port`` to ``known_hosts`` (the app's own file, mode 600;
    ``remote.ssh.trust_host_key``), so the next connection to that host is verified against it.

    Raises ``OSError`` when the file cannot be written.
    """
    from ..remote.ssh import trust_host_key

    trust_host_key(known_hosts, question.address, question.port, question.public_key)
