"""Which hosts of a cluster a node talks to: what ``doctor`` on one node (``--host``, the monitor's ``d``) probes
besides the node itself, instead of the whole fleet (issue 17: ``d`` on one node of 50 looked up 52 names).

The connections between roles, each both ways: a Webapp reaches the Masters and every Coreapp on their coreapp
ports (the Webapp's own error words name them: ``connection to wa-core-1:6250 failed``, issue 16's lab trial), and
Masters and Coreapps share the coreapp ports 6250-6253 (``COREAPP_EXTERNAL_PORTS`` on both services of the official
multiconnect compose file, wa-onprem-api.md §2): the Masters watch one another and every Coreapp. No Coreapp is
known to connect to another Coreapp (the Master hands out the shards), so a Coreapp's peers are the Webapps and the
Masters.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import ClusterProfile, Role

#: Role pairs that connect to each other (either way).
LINKS: frozenset[frozenset[Role]] = frozenset({
    frozenset({Role.WEBAPP, Role.MASTER}),
    frozenset({Role.WEBAPP, Role.COREAPP}),
    frozenset({Role.MASTER}),
    frozenset({Role.MASTER, Role.COREAPP}),
})


def linked(a: Iterable[Role], b: Iterable[Role]) -> bool:
    """True when a host with roles ``a`` and a host with roles ``b`` talk to each other (:data:`LINKS`)."""
    b = tuple(b)
    return any(frozenset({x, y}) in LINKS for x in a for y in b)


def peer_hosts(profile: ClusterProfile, named: Iterable[str]) -> tuple[str, ...]:
    """The ``EXTERNAL_HOSTNAME`` s of the hosts that talk to one of the ``named`` hosts (not those themselves), in
    profile order; unknown names are ignored (the caller refuses them first)."""
    wanted = set(named)
    roles = [h.roles for h in profile.hosts if h.external_hostname in wanted]
    return tuple(h.external_hostname for h in profile.hosts
                 if h.external_hostname not in wanted and any(linked(h.roles, r) for r in roles))
