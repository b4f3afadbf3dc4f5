"""Which hosts a node talks to (``domain.peers``): whose way to and from the node doctor on one node probes; and the
name-lookup line of a big cluster said as a count and runs."""

from __future__ import annotations

import dataclasses

from tests.domain.test_validation import good_profile
from wabiz_tui.domain.doctor import P_DNS, Clear, Fact, Facts
from wabiz_tui.domain.doctor_rules import name_unresolved
from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.domain.peers import peer_hosts


def test_every_other_host_is_a_peer_another_coreapp_too():
    # no link list is documented (the nodes advertise their ports to each other through the DB): a Coreapp's
    # Coreapp-to-Coreapp path is probed too (the s8 review found it skipped)
    p = good_profile()
    assert peer_hosts(p, ["wa-core-1"]) == ("wa-web-1", "wa-master-1", "wa-master-2", "wa-core-2")
    assert peer_hosts(p, ["wa-web-1"]) == ("wa-master-1", "wa-master-2", "wa-core-1", "wa-core-2")


def test_the_named_hosts_are_never_their_own_peers_and_unknown_names_are_ignored():
    p = good_profile()
    assert peer_hosts(p, ["wa-core-1", "wa-master-2"]) == ("wa-web-1", "wa-master-1", "wa-core-2")
    assert peer_hosts(p, ["wa-core-1", "nope"]) == ("wa-web-1", "wa-master-1", "wa-master-2", "wa-core-2")
    assert peer_hosts(p, [h.external_hostname for h in p.hosts]) == ()


def test_a_host_holding_a_master_and_a_coreapp_is_one_peer():
    p = good_profile()
    both = HostSpec("wa-mc-1", SshTarget("127.0.0.16", 22, "wa"), (Role.MASTER, Role.COREAPP))
    p = dataclasses.replace(p, hosts=p.hosts + (both,))
    assert peer_hosts(p, ["wa-core-2"]).count("wa-mc-1") == 1
    assert "wa-mc-1" not in peer_hosts(p, ["wa-mc-1"])


def test_the_names_looked_up_on_50_hosts_are_a_count_and_runs_not_52_names():
    names = ([f"wa-web-{i}" for i in range(1, 5)] + [f"wa-master-{i}" for i in range(1, 4)]
             + [f"wa-core-{i}" for i in range(1, 44)] + ["wa-db.internal", "docker.whatsapp.biz"])
    facts = Facts(Fact(P_DNS, "wa-core-7", f"getent hosts {n}", f"10.0.0.1 {n}", True, {"name": n}) for n in names)
    [clear] = [o for o in name_unresolved(facts) if isinstance(o, Clear)]
    assert "52 lookups of 52 hosts:" in clear.note and "wa-core-1…wa-core-43" in clear.note, clear.note
    assert "wa-core-17" not in clear.note and clear.note.count("wa-") <= 8, clear.note
