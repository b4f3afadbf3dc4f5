"""The demo: start the simulated cluster in-process and build a profile that points at it.

The profile reaches the simulated hosts over real SSH on loopback and trusts their host keys through
the known_hosts file the simulator writes (never by turning verification off); the Webapp API is
verified with the simulator's CA certificate.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from .config.profile import save_profile
from .domain.model import (ClusterProfile, CodeMethod, DbEngine, DbEnv, HostSpec, MediaVolume, Registration, Role,
                           SshTarget, WebappApi)
from .sim import DEMO_HOSTS, SimHost, SimulatedCluster

DEMO_VERSION = "2.41.2"
#: Demo-only credentials for the simulated cluster (no real system uses them).
DEMO_DB_PASSWORD = "Demo-db-pass-2026"
DEMO_ADMIN_PASSWORD = "Demo-Admin-2026#"
DEMO_BUSINESS = "Demo Pizza Srl"


@dataclass
class DemoSession:
    """A running simulated cluster with its profile (``profile_path`` is the saved YAML, mode 600)."""

    cluster: SimulatedCluster
    profile: ClusterProfile
    profile_path: Path

    async def stop(self) -> None:
        """Stop the simulated cluster."""
        await self.cluster.stop()


def demo_profile(cluster: SimulatedCluster, name: str = "demo") -> ClusterProfile:
    """A valid profile for a started ``cluster``: the seed's layout, MySQL env, named media volume."""
    hosts = tuple(
        HostSpec(external_hostname=h.external_hostname,
                 ssh=SshTarget(host="127.0.0.1", port=cluster.ssh_port(h.external_hostname), user=cluster.ssh_user,
                               key_file=str(cluster.client_key_path), use_agent=False),
                 roles=tuple(Role(r) for r in h.roles), remote_dir=f"/home/{cluster.ssh_user}/biz")
        for h in cluster.hosts)
    return ClusterProfile(
        name=name, wa_api_version=DEMO_VERSION, hosts=hosts,
        db=DbEnv(engine=DbEngine.MYSQL, hostname="wa-db.demo.internal", port=3306, username="waent",
                 password=DEMO_DB_PASSWORD),
        media=MediaVolume(),
        webapp=WebappApi(url=cluster.webapp_url, ca_file=str(cluster.ca_cert_path), admin_password=DEMO_ADMIN_PASSWORD),
        registration=Registration(cc="1", phone_number="6315550000", method=CodeMethod.SMS,
                                  cert=base64.b64encode(DEMO_BUSINESS.encode()).decode()),
        known_hosts=str(cluster.known_hosts_path),
    )


async def start_demo(workdir: Path, *, speed: float = 1.0, hosts: tuple[SimHost, ...] = DEMO_HOSTS,
                     profile_dir: Path | None = None) -> DemoSession:
    """Start a simulated cluster under ``workdir`` and save its profile (in ``profile_dir`` or ``workdir``).

    ``speed`` scales every simulated delay (0.05 in tests, 1.0 for people).
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = SimulatedCluster(workdir / "cluster", hosts, speed=speed)
    await cluster.start()
    try:
        profile = demo_profile(cluster)
        path = save_profile(profile, (profile_dir or workdir) / "demo.yaml")
    except BaseException:
        await cluster.stop()
        raise
    return DemoSession(cluster, profile, path)
