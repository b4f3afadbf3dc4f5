"""``doctor`` rules for this machine's SSH connections once they were open (field case R32): a host that stops
answering while doctor reads from it (the network dropped, the host froze or rebooted). The connection's keepalive
(``remote.ssh``: every 15 s, 3 misses) or a reset ends the read with "connection lost during the command"
(``remote.run``); the facts that read cut short are unknown, and this rule names why. Appended to
:data:`.doctor_rules.RULES` as :data:`SSH_RULES`."""

from __future__ import annotations

from typing import Iterator

from .doctor import HIGH, P_SSH, Fact, Facts, Found, Clear, Rule
from .doctor_rules_base import API_KEYS

_LOST = "connection lost"


def connection_lost(facts: Facts) -> Iterator[Found | Clear]:
    """A host whose SSH connection opened (its ``ssh`` fact is fine) and was lost mid-probe: one cause per host, the
    cut probes as evidence (three at most)."""
    lost: dict[str, list[Fact]] = {}
    for f in facts.all:
        if f.ok is None and f.host and _LOST in f.line:
            lost.setdefault(f.host, []).append(f)
    for host, cut in lost.items():
        opened = facts.good(P_SSH, host=host)
        yield Found(f"the SSH connection to {host} was lost while doctor read from it ({len(cut)} probe(s) cut short)",
                    tuple(opened[:1]) + tuple(cut[:3]),
                    f"check that {host} is up and the network path to it (a VPN, a firewall's idle timeout, a reboot); "
                    "its other facts are missing: run doctor again when it answers", HIGH, (host,))


SSH_RULES: tuple[Rule, ...] = (
    Rule("HOST_CONNECTION_LOST", "SSH connections stay up while probing",
         "field case R32 (asyncssh #321, #190: keepalive_interval/keepalive_count_max)", connection_lost,
         frozenset({"PROBE_TIMEOUT", "NOTHING_LISTENS", "HOST_PATH_BLOCKED"}) | API_KEYS),
)
