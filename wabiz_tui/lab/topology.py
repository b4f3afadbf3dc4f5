"""Names and addresses of the lab: one /24 (10.213.0.0/24) on a bridge in its own namespace ``wlab-sw``.

| member | address | namespace |
|---|---|---|
| root namespace (the product) | 10.213.0.1 on veth ``wlab-adm`` | root |
| dnsmasq | 10.213.0.2 | ``wlab-dns`` |
| registry ``docker.whatsapp.biz`` | 10.213.0.5:443 | ``wlab-reg`` |
| DB ``wa-db.lab.internal`` | 10.213.0.30 | ``wlab-db`` |
| host N | 10.213.0.(100+N) | ``wlab-hN`` |

Host N's dockerd uses ``--bip 10.213.(10+N).1/24`` and the pool ``10.213.(100+4N).0/22``, so every address in the
lab is unique inside 10.213.0.0/16 and away from 172.17/16 (lab-facts §4): at most 38 hosts.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "10.213"
LAB_NET = f"{PREFIX}.0.0/24"
ADMIN_IP = f"{PREFIX}.0.1"
DNS_IP = f"{PREFIX}.0.2"
REGISTRY_IP = f"{PREFIX}.0.5"
DB_IP = f"{PREFIX}.0.30"
SWITCH_NS = "wlab-sw"
ADMIN_VETH = "wlab-adm"
DNS_NS, REGISTRY_NS, DB_NS = "wlab-dns", "wlab-reg", "wlab-db"
DB_NAME = "wa-db.lab.internal"
REGISTRY_NAME = "docker.whatsapp.biz"
DOMAIN = "lab.internal"
MAX_HOSTS = 38
MEDIA_PATH = "/mnt/wamedia"

#: The seed's hosts (1 Webapp, 2 Masters, 2 Coreapps) and the spare Coreapp host of Multiconnect step 3.
SEED_HOSTS = (("wa-web-1", ("webapp",)), ("wa-master-1", ("master",)), ("wa-master-2", ("master",)),
              ("wa-core-1", ("coreapp",)), ("wa-core-2", ("coreapp",)), ("wa-core-3", ("coreapp",)))
#: Smaller labs keep one of each role first, then a standby Coreapp (failover needs two).
SMALL_LAYOUTS = {
    1: (("wa-web-1", ("webapp", "master", "coreapp")),),
    2: (("wa-web-1", ("webapp", "master")), ("wa-core-1", ("coreapp",))),
    3: (("wa-web-1", ("webapp",)), ("wa-master-1", ("master",)), ("wa-core-1", ("coreapp",))),
    4: (("wa-web-1", ("webapp",)), ("wa-master-1", ("master",)), ("wa-core-1", ("coreapp",)), ("wa-core-2", ("coreapp",))),
    5: SEED_HOSTS[:5],
}


@dataclass(frozen=True)
class LabHost:
    """One lab host: ``index`` 1..38, its name (``EXTERNAL_HOSTNAME``), roles, and whether it is a spare left
    out of the profile (the Multiconnect step adds it)."""

    index: int
    name: str
    roles: tuple[str, ...]
    spare: bool = False

    @property
    def ip(self) -> str:
        """Its address on the lab network: ``10.213.0.<100 + index>``."""
        return f"{PREFIX}.0.{100 + self.index}"

    @property
    def netns(self) -> str:
        """Its network namespace's name: ``wlab-h<index>``."""
        return f"wlab-h{self.index}"

    @property
    def port(self) -> str:
        """Name of its veth end on the bridge (inside ``wlab-sw``)."""
        return f"h{self.index}"

    @property
    def bip(self) -> str:
        """Its dockerd's ``--bip`` (the docker0 bridge): ``10.213.<10 + index>.1/24``."""
        return f"{PREFIX}.{10 + self.index}.1/24"

    @property
    def pool(self) -> str:
        """Its dockerd's ``--default-address-pool``: a /22 at ``10.213.<100 + 4 * index>.0`` cut in /24s."""
        return f"base={PREFIX}.{100 + 4 * self.index}.0/22,size=24"

    @property
    def cgroup_parent(self) -> str:
        """Its dockerd's ``--cgroup-parent`` (``/wlab-h<index>``), where its containers' memory is read."""
        return f"/wlab-h{self.index}"


def layout(n: int) -> tuple[LabHost, ...]:
    """The hosts of an ``n``-host lab. 6 is the seed's layout with wa-core-3 as the spare; more hosts are more
    spare Coreapps (wa-core-4…). Raises ValueError outside 1..38."""
    if not 1 <= n <= MAX_HOSTS:
        raise ValueError(f"--hosts: {n} is outside 1..{MAX_HOSTS} (the lab's address plan)")
    if n in SMALL_LAYOUTS:
        return tuple(LabHost(i + 1, name, roles) for i, (name, roles) in enumerate(SMALL_LAYOUTS[n]))
    hosts = [LabHost(i + 1, name, roles) for i, (name, roles) in enumerate(SEED_HOSTS[:5])]
    hosts += [LabHost(i, f"wa-core-{i - 3}", ("coreapp",), spare=True) for i in range(6, n + 1)]
    return tuple(hosts)


def hosts_file(hosts: tuple[LabHost, ...]) -> str:
    """The lab's name table (dnsmasq ``--addn-hosts``): hosts, DB, registry."""
    lines = [f"{h.ip} {h.name} {h.name}.{DOMAIN}" for h in hosts]
    lines += [f"{DB_IP} {DB_NAME} wa-db", f"{REGISTRY_IP} {REGISTRY_NAME}"]
    return "\n".join(lines) + "\n"
