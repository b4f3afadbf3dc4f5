"""Bring the lab up, report on it, take it down. Everything made is recorded in the ledger first
(:class:`state.Ledger`), so ``down`` — and a failed ``up`` — remove exactly what was made and nothing else.
"""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import signal
import time
from pathlib import Path

from . import host as hostmod
from . import egress, netns, services
from .errors import LabError, LabRefused
from .proc import Proc, is_zombie, mnt_ns, pids_in_mnt_ns, pss_kib, run, start_time
from .state import Ledger, Paths
from .topology import (DB_IP, DB_NS, DNS_IP, DNS_NS, MEDIA_PATH, REGISTRY_IP, REGISTRY_NS, LabHost, hosts_file,
                       layout)

TOOLS = ("ip", "nsenter", "unshare", "sshd", "dockerd", "containerd", "docker-compose", "docker-registry", "dnsmasq",
         "openssl", "ssh-keygen", "mariadbd", "mariadb-install-db", "setpriv")
#: A size limit, not an allocation (tmpfs takes memory only for what is written): above the product's 20 GiB disk
#: warning threshold for the media path.
MEDIA_SIZE = "24g"
DEFAULT_VERSIONS = ("2.41.2",)


class LabAlreadyUp(LabError):
    """``lab up`` while a lab is up."""


def check_can_run() -> None:
    """Raise :class:`LabRefused` (one sentence) unless this is Linux, we are root and the tools are installed."""
    if platform.system() != "Linux":
        raise LabRefused(f"the lab needs Linux (network namespaces, veth, overlayfs); this is {platform.system()}")
    if os.geteuid() != 0:
        raise LabRefused("the lab needs root (it creates network namespaces, mounts and one dockerd per host): "
                         "run it with sudo")
    missing = [t for t in TOOLS if shutil.which(t, path=hostmod.CLEAN_ENV["PATH"]) is None]
    if missing:
        raise LabRefused(f"the lab needs {', '.join(missing)}: apt-get install docker.io docker-compose docker-registry "
                         "dnsmasq-base openssh-server mariadb-server iproute2")


def host_from(data: dict) -> LabHost:
    """A :class:`LabHost` from its ledger dict (``index``, ``name``, ``roles``, optional ``spare``)."""
    return LabHost(data["index"], data["name"], tuple(data["roles"]), data.get("spare", False))


def is_up(paths: Paths) -> bool:
    """Whether a lab is up: its ledger says so and every host's anchor is alive."""
    ledger = Ledger.load(paths)
    return bool(ledger and ledger.data.get("phase") == "up"
                and all(Proc.from_json(h["anchor"]).alive() for h in ledger.data["hosts"]))


def up(paths: Paths = Paths(), *, hosts: int = 6, db: str = "mysql", versions: tuple[str, ...] = DEFAULT_VERSIONS,
       db_version_spoof: bool = False, speed: float = 1.0, build_images: bool = True, log=print) -> Ledger:
    """Bring up an ``hosts``-host lab with a ``db`` (``mysql`` = MariaDB, or ``postgres``) server and the stand-in
    images of ``versions`` in its registry. Returns the ledger (``ledger.data`` has the facts: hosts, code, db…).

    Raises :class:`LabRefused` when the lab cannot run here, :class:`LabAlreadyUp` when one is up, and
    :class:`LabError` when a step fails (after removing what it made)."""
    check_can_run()
    if db not in ("mysql", "postgres"):
        raise LabError(f"--db: {db!r} is not mysql or postgres")
    plan = layout(hosts)
    if is_up(paths):
        raise LabAlreadyUp(f"a lab is already up ({paths.state}); `wabiz-tui lab down` first, or use it as is")
    if Ledger.load(paths) is not None:
        log("lab: removing what a previous lab left")
        down(paths, log=lambda *_: None)
    t0 = time.monotonic()
    ledger = Ledger(paths)
    ledger.data.update(db={"engine": db, "spoof": db_version_spoof}, versions=list(versions), speed=speed,
                       code=f"{secrets.randbelow(900000) + 100000}")
    ledger.save()
    try:
        _bring_up(paths, ledger, plan, log)
        if build_images:
            from .imagebuild import ensure_images
            ensure_images(paths, ledger, versions, log=log)
        ledger.set("phase", "up")
    except BaseException:
        log("lab: bring-up failed; removing what it made")
        down(paths, log=lambda *_: None)
        raise
    ledger.set("up_seconds", round(time.monotonic() - t0, 2))
    return ledger


def _bring_up(paths: Paths, ledger: Ledger, plan: tuple[LabHost, ...], log) -> None:
    client_key = hostmod.keygen(paths.client_key, "wabiz-tui lab client")
    ca, _crt, _key = services.ensure_ca(paths)
    paths.media.mkdir(parents=True, exist_ok=True)
    run(["mount", "-t", "tmpfs", "-o", f"size={MEDIA_SIZE},mode=755", "wlab-media", str(paths.media)])
    ledger.add("mounts", str(paths.media))
    os.chown(paths.media, hostmod.UID, hostmod.UID)  # the operator's share, writable by the SSH user
    hostmod.make_mount_points(ledger)
    netns.make_switch(ledger)
    for ns, ip, port in ((DNS_NS, DNS_IP, "dns"), (REGISTRY_NS, REGISTRY_IP, "reg"), (DB_NS, DB_IP, "db")):
        netns.add_member(ledger, ns, ip, port)
    for h in plan:
        netns.add_member(ledger, h.netns, h.ip, h.port)
    _start_service(ledger, "dns", lambda: services.start_dns(paths, hosts_file(plan) + egress.dns_lines()))
    _start_service(ledger, "registry", lambda: services.start_registry(paths))
    egress.start(paths, ledger, plan)  # router, fake WhatsApp, proxy, business servers (FR11-FR13, FR18, FR28)
    pub = client_key.with_suffix(".pub").read_text()
    for h in plan:
        cfg = hostmod.prepare(paths, h, ca, pub)
        anchor = hostmod.launch(paths, h, cfg)
        ledger.add("hosts", {"index": h.index, "name": h.name, "roles": list(h.roles), "spare": h.spare, "ip": h.ip,
                             "anchor": anchor.to_json(), "mntns": mnt_ns(anchor.pid)})
    engine = ledger.data["db"]["engine"]
    if engine == "postgres":
        _start_service(ledger, "db", lambda: services.start_postgres(paths))
    else:
        _start_service(ledger, "db", lambda: services.start_mariadb(paths, spoof=ledger.data["db"]["spoof"]))
    services.write_lab_settings(paths, engine, ledger.data["code"], ledger.data["speed"])
    ledger.data["db"]["version"] = services.db_version(paths, engine)
    for entry in ledger.data["hosts"]:
        entry["mntns"] = mnt_ns(entry["anchor"][0])
        entry["daemons"] = hostmod.wait_ready(paths, host_from(entry), Proc.from_json(entry["anchor"]))
    ledger.save()
    write_known_hosts(paths, ledger)
    log(f"lab: {len(plan)} hosts, DNS, registry and {engine} up")


def _start_service(ledger: Ledger, name: str, start) -> None:
    proc = start()
    ledger.data["services"][name] = proc.to_json()
    ledger.save()


def write_known_hosts(paths: Paths, ledger: Ledger) -> Path:
    """known_hosts for the profile: each host's real ed25519 key under its name and its address."""
    lines = []
    for h in ledger.data["hosts"]:
        pub = (paths.host_keys(h["name"]) / "ssh_host_ed25519_key.pub").read_text().split()
        lines.append(f"{h['name']},{h['ip']} {pub[0]} {pub[1]}")
    paths.known_hosts.write_text("\n".join(lines) + "\n")
    return paths.known_hosts


def down(paths: Paths = Paths(), log=print) -> list[str]:
    """Remove everything the ledger says a bring-up made: hosts (their anchors stop dockerd, containers, sshd),
    services, the media tmpfs, namespaces and the admin veth, the ``wlab-h*`` cgroup directories, mount points
    it created, and ``run/``. Returns problems (empty when all is gone). Safe to call twice."""
    check_can_run()
    ledger = Ledger.load(paths)
    if ledger is None:
        log("lab: no lab is up")
        return []
    problems = []
    for h in ledger.data.get("hosts", []):
        hostmod.stop(Proc.from_json(h["anchor"]))
    for name in ledger.data.get("services", {}):  # registry, dns, db and the egress servers
        Proc.from_json(ledger.data["services"][name]).stop(20)
    for m in reversed(ledger.data.get("mounts", [])):
        if os.path.ismount(m) and run(["umount", m], check=False).returncode != 0:
            run(["umount", "-l", m], check=False)
    problems += netns.remove(ledger.data.get("netns", []), ledger.data.get("links", []))
    problems += remove_cgroups()
    for d in reversed(ledger.data.get("dirs", [])):
        try:
            os.rmdir(d)
        except OSError as exc:
            problems.append(f"{d}: {exc.strerror}")
    shutil.rmtree(paths.run, ignore_errors=True)
    if paths.run.exists():
        problems.append(f"{paths.run} could not be removed")
    log("lab: down" + ("" if not problems else " with problems: " + "; ".join(problems)))
    return problems


def lab_cgroups() -> list[Path]:
    """The ``/sys/fs/cgroup/<controller>/wlab-h*`` directories present now (dockerd's ``--cgroup-parent``)."""
    root = Path("/sys/fs/cgroup")
    return sorted(p for p in root.glob("*/wlab-h*") if p.is_dir())


def remove_cgroups() -> list[str]:
    """rmdir the lab's cgroup trees depth-first (cgroupfs refuses rmdir of a non-empty group)."""
    problems = []
    for top in lab_cgroups():
        for d in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)) + [top]:
            for _ in range(20):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                problems.append(f"cgroup {d} still busy")
    return problems


def status(paths: Paths = Paths()) -> dict | None:
    """The lab as it is now, or None when none is up: ``hosts`` (name, ip, roles, spare, daemons {name: {pid,
    alive, pss_kib}}, cgroup memory bytes), ``services`` (same shape), ``db`` facts, ``media``, ``shortcuts``
    (the ways the lab differs from production, in words), ``code``, ``versions``, ``profile`` path."""
    ledger = Ledger.load(paths)
    if ledger is None:
        return None
    data = ledger.data
    hosts = []
    for h in data.get("hosts", []):
        anchor = Proc.from_json(h["anchor"])
        lab_host = host_from(h)
        pids = hostmod.daemons(paths, lab_host) if anchor.alive() else {}
        daemons = {"anchor": _daemon(anchor.pid, anchor.alive())}
        for name in ("sshd", "dockerd"):
            pid = pids.get(name)
            daemons[name] = _daemon(pid, bool(pid) and _alive_pid(pid))
        ns_pss = sum(pss_kib(p) for p in pids_in_mnt_ns(h["mntns"])) if anchor.alive() and h.get("mntns") else 0
        hosts.append({"name": h["name"], "ip": h["ip"], "roles": h["roles"], "spare": h.get("spare", False),
                      "daemons": daemons, "pss_kib": ns_pss, "containers_memory": _cgroup_memory(lab_host)})
    svc = {name: _daemon(p[0], Proc.from_json(p).alive()) for name, p in data.get("services", {}).items()}
    return {"phase": data.get("phase"), "hosts": hosts, "services": svc, "db": data.get("db", {}),
            "code": data.get("code"), "versions": data.get("versions", []), "media": media_facts(paths),
            "shortcuts": shortcuts(data), "profile": str(paths.profile), "up_seconds": data.get("up_seconds"),
            "faults": data.get("faults", [])}


def _alive_pid(pid: int) -> bool:
    """Alive and not a zombie (daemon PIDs come from the anchor's ready file, written when they started)."""
    return start_time(pid) is not None and not is_zombie(pid)


def _daemon(pid: int | None, alive: bool) -> dict:
    return {"pid": pid, "alive": alive, "pss_kib": pss_kib(pid) if pid and alive else 0}


def _cgroup_memory(h: LabHost) -> int:
    try:
        return int(Path(f"/sys/fs/cgroup/memory{h.cgroup_parent}/memory.usage_in_bytes").read_text())
    except (OSError, ValueError):
        return 0


def why_no_nfs(filesystems: str | None = None, modules: bool | None = None, release: str | None = None) -> str:
    """Why the media path is not an NFS export on this machine, in one clause, from the kernel itself: the
    ``nfs`` (client) and ``nfsd`` (server) filesystem types in ``/proc/filesystems`` (``filesystems``: its text)
    and loadable-module support (``modules``: whether ``/proc/modules`` exists). Observed here (kernel
    6.18.44-fc-v1272, a Firecracker guest): neither type, no ``/proc/modules``, ``modprobe nfsd`` answers "Module
    nfsd not found in directory /lib/modules/…"; the empty ``/proc/fs/nfsd`` is procfs's own mount point, not nfsd;
    and Debian 12 has no FUSE NFS client (``fuse-nfs`` has no candidate), so a user-space server (nfs-ganesha)
    would export to hosts that cannot mount it."""
    if filesystems is None:
        try:
            filesystems = Path("/proc/filesystems").read_text()
        except OSError:
            filesystems = ""
    modules = Path("/proc/modules").exists() if modules is None else modules
    release = release or platform.release()
    types = {line.split()[-1] for line in filesystems.splitlines() if line.strip()}
    lacking = [t for t in ("nfs", "nfsd") if t not in types]
    if not lacking:
        return "the kernel has NFS, but the lab does not export over it yet"
    what = " or ".join({"nfs": "NFS client (nfs)", "nfsd": "NFS server (nfsd)"}[t] for t in lacking)
    loadable = "" if modules else " and cannot load modules"
    return f"kernel {release} has no {what} in /proc/filesystems{loadable}"


def media_facts(paths: Paths) -> dict:
    """The media volume as ``lab status`` shows it: ``{'path', 'kind', 'how'}`` (a shared tmpfs, and why it is not NFS
    on this kernel)."""
    return {"path": MEDIA_PATH, "kind": "shared directory",
            "how": f"one tmpfs ({MEDIA_SIZE}) at {paths.media} bind-mounted into every host at {MEDIA_PATH} "
                   f"(not NFS: {why_no_nfs()})"}


def shortcuts(data: dict) -> list[str]:
    """The ways this lab is not production, said plainly (shown by ``lab status``)."""
    out = ["docker on each host is Debian's 20.10 client (/usr/bin/docker bind-mounted over /usr/local/bin/docker)",
           f"media path is a shared directory bind-mounted into every host, not an NFS export ({why_no_nfs()})",
           "WhatsApp images are lab stand-ins (wabiz_tui.lab.node), not Meta's",
           f"WhatsApp's servers are a lab stand-in at {egress.WA_IP} behind the lab router {egress.GW_IP} (lab.egress)",
           "hosts share the machine's kernel, PID table and clock (no PID or time namespace)"]
    db = data.get("db", {})
    if db.get("spoof"):
        out.append(f"MariaDB announces version {services.SPOOF_VERSION} (--db-version-spoof)")
    elif db.get("engine") == "mysql":
        out.append(f"DB is MariaDB and says so ({db.get('version', '?')}): not a MySQL 5.7/8.0")
    return out


def freeze_signal(frozen: bool) -> int:
    """The signal that freezes (``SIGSTOP``) or thaws (``SIGCONT``) a process."""
    return signal.SIGSTOP if frozen else signal.SIGCONT


def set_db_spoof(paths: Paths, spoof: bool) -> str:
    """Restart the lab's MariaDB announcing :data:`services.SPOOF_VERSION` (``spoof``) or its real version; data
    kept. Returns the version it now reports. Raises :class:`LabError` on PostgreSQL or with no lab up."""
    ledger = Ledger.load(paths)
    if ledger is None or ledger.data.get("phase") != "up":
        raise LabError("no lab is up")
    if ledger.data["db"]["engine"] != "mysql":
        raise LabError("the version spoof applies to MariaDB only (this lab runs PostgreSQL)")
    Proc.from_json(ledger.data["services"]["db"]).stop(30)
    ledger.data["services"]["db"] = services.run_mariadb(paths, spoof=spoof).to_json()
    ledger.data["db"].update(spoof=spoof, version=services.db_version(paths, "mysql"))
    ledger.save()
    return ledger.data["db"]["version"]
