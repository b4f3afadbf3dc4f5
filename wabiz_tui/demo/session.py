"""The demo: start the simulated cluster in-process and build a profile that points at it.

The profile reaches the simulated hosts over real SSH on loopback and trusts their host keys through
the known_hosts file the simulator writes (never by turning verification off); the Webapp API is
verified with the simulator's CA certificate.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..config.profile import save_profile
from ..domain.model import (ClusterProfile, CodeMethod, DbEngine, DbEnv, HostSpec, MediaVolume, Registration, Role,
                           SshTarget, WebappApi)
from ..sim import DEMO_HOSTS, SimHost, SimulatedCluster
from .faults import DemoFaults

DEMO_VERSION = "2.41.2"
#: Demo-only credentials for the simulated cluster (no real system uses them).
DEMO_DB_PASSWORD = "Demo-db-pass-2026"
DEMO_ADMIN_PASSWORD = "Demo-Admin-2026#"
DEMO_BUSINESS = "Demo Pizza Srl"
#: The simulated MySQL server's version (a supported 8.0.x).
DEMO_DB_VERSION = "8.0.33"


#: The NFS-like media path every demo host shares (the media form's example): choosing a host path there works.
DEMO_MEDIA_PATH = "/mnt/wamedia"

#: The seed's Multiconnect step 3 host: a spare the demo starts with but does not put in the profile.
SPARE_HOST = SimHost("wa-core-3", ("coreapp",))
#: Host counts ``demo --hosts`` takes: the usual 5, up to the largest cluster Meta supports (32 shards: about 40
#: Coreapps, 3 Masters, several Webapps; Meta's Multiconnect page, issue 17).
MIN_HOSTS, MAX_HOSTS = 5, 50


def demo_layout(n: int = MIN_HOSTS) -> tuple[tuple[SimHost, ...], SimHost]:
    """The demo's hosts for a cluster of ``n`` hosts and its spare Coreapp (the one Multiconnect step 3 adds): the
    usual 5 (1 Webapp, 2 Masters, 2 Coreapps) for ``n`` = 5; above, one Webapp per 12 hosts, 3 Masters and Coreapps
    for the rest (``n`` = 50: 4 Webapps, 3 Masters, 43 Coreapps). Raises ``ValueError`` outside 5..50."""
    if not MIN_HOSTS <= n <= MAX_HOSTS:
        raise ValueError(f"a demo cluster has {MIN_HOSTS} to {MAX_HOSTS} hosts")
    if n == MIN_HOSTS:
        return DEMO_HOSTS, SPARE_HOST
    webapps, masters = max(1, n // 12), 3
    coreapps = n - webapps - masters
    hosts = (tuple(SimHost(f"wa-web-{i}", ("webapp",)) for i in range(1, webapps + 1))
             + tuple(SimHost(f"wa-master-{i}", ("master",)) for i in range(1, masters + 1))
             + tuple(SimHost(f"wa-core-{i}", ("coreapp",)) for i in range(1, coreapps + 1)))
    return hosts, SimHost(f"wa-core-{coreapps + 1}", ("coreapp",))


@dataclass
class DemoSession:
    """A running simulated cluster with its profile (``profile_path`` is the saved YAML, mode 600).

    ``spare_hosts`` are simulated hosts that exist but are not in the profile yet (the Multiconnect
    step adds one).
    """

    cluster: SimulatedCluster
    profile: ClusterProfile
    profile_path: Path
    spare_hosts: tuple[HostSpec, ...] = ()

    def __post_init__(self) -> None:
        self._faults: DemoFaults | None = None

    @property
    def speed(self) -> float:
        """The speed factor of every simulated delay (0.05 in tests, 1.0 for people)."""
        return self.cluster.speed

    @property
    def faults(self) -> DemoFaults:
        """The fault keys' logic on this cluster (one per session: it remembers what it killed)."""
        if self._faults is None:
            self._faults = DemoFaults(self)
        return self._faults

    def on_sms(self, callback: Callable[[str, str], None]) -> None:
        """Call ``callback(phone, code)`` for each registration code the simulated cluster "sends"."""
        self.cluster.on_sms(callback)

    async def stop(self) -> None:
        """Stop the simulated cluster."""
        await self.cluster.stop()


def host_spec(cluster: SimulatedCluster, host: SimHost) -> HostSpec:
    """The profile entry for a simulated host: SSH on loopback with the simulator's client key."""
    return HostSpec(external_hostname=host.external_hostname,
                    ssh=SshTarget(host="127.0.0.1", port=cluster.ssh_port(host.external_hostname), user=cluster.ssh_user,
                                  key_file=str(cluster.client_key_path), use_agent=False),
                    roles=tuple(Role(r) for r in host.roles), remote_dir=f"/home/{cluster.ssh_user}/biz")


#: The demo cluster's number (as before: screenshots and saved demo profiles show it).
DEMO_PHONE_NUMBER = "6315550000"


def demo_phone_number(name: str) -> str:
    """The number a demo cluster named ``name`` registers (country code 1): ``demo`` keeps
    :data:`DEMO_PHONE_NUMBER`; any other name gets its own, derived from the name, so two served demos
    (``demo --serve --name milano`` / ``roma``) never share one (the install refuses a number another saved
    profile registers, field case R23). The line numbers 555-0100 to 555-0199 are reserved for fictional use in
    every North American area code (NANPA, "555 NXX Line Numbers"); the area code is any N(0-8)X but N11."""
    if name == "demo":
        return DEMO_PHONE_NUMBER
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    digest, line = divmod(digest, 100)
    areas = [f"{a}{b}{c}" for a in range(2, 10) for b in range(9) for c in range(10) if (b, c) != (1, 1)]
    return f"{areas[digest % len(areas)]}55501{line:02d}"


def demo_profile(cluster: SimulatedCluster, name: str = "demo", spare: tuple[str, ...] = ()) -> ClusterProfile:
    """A valid profile for a started ``cluster`` (hosts named in ``spare`` left out): the seed's layout,
    MySQL env, named media volume."""
    hosts = tuple(host_spec(cluster, h) for h in cluster.hosts if h.external_hostname not in spare)
    return ClusterProfile(
        name=name, wa_api_version=DEMO_VERSION, hosts=hosts,
        db=DbEnv(engine=DbEngine.MYSQL, hostname="wa-db.demo.internal", port=3306, username="waent",
                 password=DEMO_DB_PASSWORD),
        media=MediaVolume(),
        webapp=WebappApi(url=cluster.webapp_url, ca_file=str(cluster.ca_cert_path), admin_password=DEMO_ADMIN_PASSWORD),
        registration=Registration(cc="1", phone_number=demo_phone_number(name), method=CodeMethod.SMS,
                                  cert=base64.b64encode(DEMO_BUSINESS.encode()).decode()),
        known_hosts=str(cluster.known_hosts_path),
    )


def match_db_to_client(session: DemoSession, api_version: str) -> str:
    """Make the simulated DB report a server version that client ``api_version`` supports (the support
    table of ``domain.dbsupport``: MySQL 8.0.33 or 5.7.44, PostgreSQL 13.8 or 10.23), as a cluster that
    runs that client would have; returns the version set. Used when a demo installs an older client."""
    from ..domain.dbsupport import support_for

    row, db = support_for(api_version), session.profile.db
    if db.engine is DbEngine.PGSQL:
        version = "13.8" if "13" in row.postgres else "10.23"
    else:
        version = DEMO_DB_VERSION if "8.0" in row.mysql else "5.7.44"
    session.cluster.set_database(db.hostname, db.port, engine=db.engine.value, version=version)
    return version


def run_demo(workdir: Path, face: Callable[[DemoSession], Awaitable[int]], *, speed: float = 1.0,
             hosts: int = MIN_HOSTS) -> int:
    """Start the demo of ``hosts`` hosts (:func:`demo_layout`) under ``workdir``, run ``face(session)`` (the TUI) on
    it, stop the cluster at exit; returns the face's exit code."""

    async def main() -> int:
        """Start the demo cluster, run ``face(session)`` and return its exit code; the cluster is stopped even when the
        face raises."""
        layout, spare = demo_layout(hosts)
        session = await start_demo(Path(workdir), speed=speed, hosts=layout, spare_hosts=(spare,))
        try:
            return await face(session)
        finally:
            await session.stop()

    return asyncio.run(main())


async def start_demo(workdir: Path, *, speed: float = 1.0, hosts: tuple[SimHost, ...] = DEMO_HOSTS,
                     spare_hosts: tuple[SimHost, ...] = (SPARE_HOST,), profile_dir: Path | None = None,
                     shared_media: str | None = DEMO_MEDIA_PATH,
                     db_engine: DbEngine = DbEngine.MYSQL, db_version: str = DEMO_DB_VERSION,
                     name: str = "demo") -> DemoSession:
    """Start a simulated cluster under ``workdir`` and save its profile as ``<name>.yaml`` (in ``profile_dir``
    or ``workdir``); ``name`` is the cluster's name (the profile's ``name:``, the exporter's ``cluster`` label).

    ``speed`` scales every simulated delay (0.05 in tests, 1.0 for people). ``spare_hosts`` are
    started too but left out of the profile. ``shared_media`` is a directory mounted on every host like an
    NFS share (mode 755), so a profile that switches to that host path passes the "really shared" check.
    ``db_engine``/``db_version``: the simulated DB server (MySQL on 3306, PostgreSQL on 5432) the
    profile's db.env points at; its account is the profile's.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = SimulatedCluster(workdir / "cluster", tuple(hosts) + tuple(spare_hosts), speed=speed)
    await cluster.start()
    try:
        if shared_media:
            cluster.share_path(shared_media)
        spare_names = tuple(h.external_hostname for h in spare_hosts)
        profile = demo_profile(cluster, name, spare=spare_names)
        if db_engine is not DbEngine.MYSQL:
            profile = profile.with_changes(db=replace(profile.db, engine=db_engine, port=5432))
        cluster.set_database(profile.db.hostname, profile.db.port, engine=profile.db.engine.value, version=db_version,
                             username=profile.db.username, password=profile.db.password,
                             user_plugin="mysql_native_password", default_plugin="mysql_native_password")
        path = save_profile(profile, (profile_dir or workdir) / f"{name}.yaml")
        spares = tuple(host_spec(cluster, h) for h in spare_hosts)
    except BaseException:
        await cluster.stop()
        raise
    return DemoSession(cluster, profile, path, spares)
