"""Embedded simulated WhatsApp Business API On-Premises cluster (design.md section 5).

Real SSH endpoints per host (asyncssh) with a small shell and a docker/docker-compose emulator,
a cluster brain (roles, election, registration, shards, failover) and a real HTTPS Webapp API.
"""

from . import compose as _compose, docker as _docker, probes as _probes  # noqa: F401 - register their programs
from .daemon import ContainerInfo
from .cluster import DEMO_HOSTS, SimHost, SimulatedCluster

__all__ = ["SimulatedCluster", "SimHost", "DEMO_HOSTS", "ContainerInfo"]
