"""Which hosts of a cluster a node talks to: the other hosts whose way to and from the node ``doctor`` on one node
(``--host``, the monitor's ``d``) probes.

No list of which role connects to which is documented: the nodes advertise their ``HOSTNAME`` and published ports
to each other through the DB (the compose file's comments: "*_EXTERNAL_PORTS must equal the host-published ports",
wa-onprem-api.md §1.6 key points; §1.7 sets ``COREAPP_EXTERNAL_PORTS`` on every Master and Coreapp alike), so any
node may be asked to connect to any other node's published ports. A node's peers are therefore every other host of
the cluster, whatever its roles: nothing a real cluster may need is skipped. The published ports are those of
``domain.preflight.ROLE_PORTS`` (wa-onprem-api.md §1.6/§1.8): a Webapp's 9090 (443 in the container), a Coreapp's
6250-6253, a Master's 6254-6257 (6250-6253 in the container: a Coreapp may hold 6250-6253 on the same host).

What stays cheap is the shape, not the set: doctor on one node probes the node itself, the node to each peer's
published ports and each peer to the node's ports (linear in hosts, never every pair of peers).
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import ClusterProfile


def peer_hosts(profile: ClusterProfile, named: Iterable[str]) -> tuple[str, ...]:
    """The ``EXTERNAL_HOSTNAME`` s of every host of ``profile`` that is not one of the ``named`` hosts, in profile
    order (a host holding several roles, e.g. a Master with a Coreapp, appears once). Unknown names are ignored (the
    caller refuses them first); with no known name named, every host."""
    wanted = set(named)
    return tuple(dict.fromkeys(h.external_hostname for h in profile.hosts if h.external_hostname not in wanted))
