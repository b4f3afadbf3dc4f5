"""Pure parts of the preflight: topology advice from the seed's guidelines, and the parsing and
judging of what the probe commands print (``df``, ``ss``, the MySQL greeting, clocks).

Guidelines (seed, "Linee guida e best practice"): at least 2 Webapps for 100-150 messages/s, behind
a load balancer when there are several; 3 Masters recommended, more than 3 never needed; shards + X
Coreapps on different hosts tolerate X host failures; the DB on its own server a few ms away;
MySQL 5.7.x/8.0.x or PostgreSQL 11/12/13.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from .model import ClusterProfile, Role
from .validation import db_password_cautions

#: Host ports each role publishes (official compose file: ${EXTERNAL_WEBAPP_PORT:-9090}:443, 6250-6253, 6254-6257).
ROLE_PORTS: dict[Role, tuple[int, ...]] = {Role.WEBAPP: (9090,), Role.COREAPP: (6250, 6251, 6252, 6253),
                                            Role.MASTER: (6254, 6255, 6256, 6257)}
#: Free space below which the Docker data root or media path is a warning / a failure (KiB).
DISK_WARN_KB = 10 * 1024 * 1024
DISK_FAIL_KB = 2 * 1024 * 1024
#: Clock offset (seconds) that is a warning / a failure: nodes and the DB compare timestamps.
CLOCK_WARN_S = 2.0
CLOCK_FAIL_S = 30.0
#: DB round trip (ms) above which the seed's "a few milliseconds" is exceeded.
DB_LATENCY_WARN_MS = 10.0

OK, WARNING, FAILURE = "ok", "warning", "failure"


@dataclass(frozen=True)
class Check:
    """One preflight result: ``host`` ("" for the cluster), ``name`` of the check, ``level`` ok/warning/failure."""

    host: str
    name: str
    level: str
    reason: str


def topology_advice(profile: ClusterProfile) -> list[Check]:
    """The seed's sizing guidelines applied to the plan (cluster-level checks)."""
    out: list[Check] = []
    web = profile.hosts_with(Role.WEBAPP)
    masters = profile.hosts_with(Role.MASTER)
    cores = profile.hosts_with(Role.COREAPP)
    if len(web) < 2:
        out.append(Check("", "webapps", WARNING, f"{len(web)} Webapp: the seed recommends at least 2 for 100-150 messages/s"))
    else:
        host = urlparse(profile.webapp.url).hostname or ""
        if host in {h.external_hostname for h in web} | {h.ssh.host for h in web}:
            out.append(Check("", "webapps", WARNING, f"{len(web)} Webapps but webapp.url points at one of them ({host}): "
                                                     "put a load balancer in front and use its URL"))
        else:
            out.append(Check("", "webapps", OK, f"{len(web)} Webapps behind {host}"))
    if len(masters) > 3:
        out.append(Check("", "masters", WARNING, f"{len(masters)} Masters: more than 3 never helps (seed)"))
    elif len(masters) != 3:
        out.append(Check("", "masters", WARNING if len(masters) < 2 else OK,
                         f"{len(masters)} Master(s): 3 on different hosts are recommended"))
    else:
        out.append(Check("", "masters", OK, "3 Masters"))
    if len(cores) < profile.shards + 1:
        out.append(Check("", "coreapps", WARNING, f"{len(cores)} Coreapp(s) for {profile.shards} shard(s): no standby — "
                                                  f"shards + X Coreapps tolerate X failures"))
    else:
        out.append(Check("", "coreapps", OK, f"{len(cores)} Coreapps for {profile.shards} shard(s): tolerates "
                                             f"{len(cores) - profile.shards} failure(s)"))
    compute = {h.external_hostname for h in profile.hosts} | {h.ssh.host for h in profile.hosts}
    if profile.db.hostname in compute:
        out.append(Check("", "database host", FAILURE, f"the DB {profile.db.hostname} runs on a compute host: use a standalone server"))
    for caution in db_password_cautions(profile.db.password):
        out.append(Check("", "database password", WARNING, caution))
    shared = [h.external_hostname for h in profile.hosts if h.has(Role.MASTER) and h.has(Role.COREAPP)]
    if shared:
        out.append(Check("", "placement", OK, f"Master and Coreapp share {', '.join(shared)} (fine: Masters are light)"))
    return out


def parse_df_available(output: str) -> dict[str, int]:
    """``df -Pk`` output → ``{mount point: available KiB}``."""
    out = {}
    for line in output.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 6 and parts[3].isdigit():
            out[parts[5]] = int(parts[3])
    return out


def parse_listening_ports(output: str) -> set[int]:
    """``ss -ltn`` output → the set of TCP ports something listens on."""
    ports = set()
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "LISTEN":
            _, _, port = parts[3].rpartition(":")
            if port.isdigit():
                ports.add(int(port))
    return ports


def planned_ports(roles: tuple[Role, ...]) -> dict[int, Role]:
    """Host ports the roles of one host will publish, each with its role."""
    return {port: role for role in roles for port in ROLE_PORTS[role]}


def judge_clock(offset_s: float, uncertainty_s: float = 0.0) -> tuple[str, str]:
    """The level and reason for a host clock ``offset_s`` seconds away from this machine's, measured within
    ``uncertainty_s`` (half the round trip of the measurement): only an offset beyond the thresholds by more than
    the uncertainty counts."""
    a = abs(offset_s)
    sure = max(0.0, a - uncertainty_s)
    within = f" (measured ± {uncertainty_s:.1f} s)" if uncertainty_s >= 0.05 else ""
    if sure >= CLOCK_FAIL_S:
        return FAILURE, f"clock {offset_s:+.0f} s off: synchronise it (NTP) before starting{within}"
    if sure >= CLOCK_WARN_S:
        return WARNING, f"clock {offset_s:+.1f} s off: enable NTP{within}"
    return OK, f"clock within {a:.1f} s{within}"


def judge_disk(where: str, available_kb: int) -> tuple[str, str]:
    """The level and reason for the free space at ``where``."""
    gib = available_kb / 1024 / 1024
    if available_kb < DISK_FAIL_KB:
        return FAILURE, f"{where}: only {gib:.1f} GiB free"
    if available_kb < DISK_WARN_KB:
        return WARNING, f"{where}: {gib:.1f} GiB free, getting low"
    return OK, f"{where}: {gib:.0f} GiB free"
