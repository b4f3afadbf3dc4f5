"""Which hosts a node talks to (``domain.peers``): what doctor on one node looks at besides the node."""

from __future__ import annotations

from tests.domain.test_validation import good_profile
from wabiz_tui.domain.model import Role
from wabiz_tui.domain.peers import linked, peer_hosts


def test_a_coreapps_peers_are_the_webapps_and_masters_not_the_other_coreapps():
    p = good_profile()
    assert peer_hosts(p, ["wa-core-1"]) == ("wa-web-1", "wa-master-1", "wa-master-2")
    assert peer_hosts(p, ["wa-web-1"]) == ("wa-master-1", "wa-master-2", "wa-core-1", "wa-core-2")
    assert peer_hosts(p, ["wa-master-1"]) == ("wa-web-1", "wa-master-2", "wa-core-1", "wa-core-2")
    assert peer_hosts(p, ["wa-core-1", "wa-core-2"]) == ("wa-web-1", "wa-master-1", "wa-master-2")
    assert peer_hosts(p, ["nope"]) == ()


def test_links_go_both_ways():
    for a in Role:
        for b in Role:
            assert linked([a], [b]) == linked([b], [a])
    assert not linked([Role.COREAPP], [Role.COREAPP]) and linked([Role.MASTER], [Role.MASTER])
