"""What ``doctor`` advises when the SSH connection to a host fails on its key (field cases R29, R30): how to trust an
unknown key with wabiz-tui itself, naming the hop (a jump host) that presented it."""

from __future__ import annotations

from ...remote.errors import HostKeyUnknown, RemoteError

#: wabiz-tui's trust-on-first-use: ``--trust-new-host-keys`` on every command that opens SSH connections
#: (``cli/common.py``), the TUI's host-key question; both record the key in the app's own known_hosts.
TRUST_HOW = ("then trust it with wabiz-tui: run the command again with --trust-new-host-keys (doctor too), or accept "
             "it when the TUI asks; either records it in wabiz-tui's own known_hosts (a changed key is always refused)")


def ssh_advice(exc: RemoteError) -> str:
    """``exc``'s next action, with how to trust the key when the host (or a jump host: ``exc.hop``) presented one no
    trusted known_hosts file holds."""
    if isinstance(exc, HostKeyUnknown):
        which = f"the {exc.hop}'s key" if exc.hop else "the key"
        return (f"compare {which} {exc.key_type} {exc.fingerprint} ({exc.address}:{exc.port}) with the machine's own "
                f"(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub there), {TRUST_HOW}")
    return exc.next_action
