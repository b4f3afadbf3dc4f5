"""Real faults injected into a running lab, each undone by :func:`clear` (faults in force are kept in the ledger
under ``faults`` and shown by ``lab status``).

Every fault acts on the real part: a container is killed by its host's dockerd, a dockerd gets SIGTERM, a
frozen host's processes get SIGSTOP, a cut is an iptables rule in the namespaces, a DNS name leaves dnsmasq's
table, the registry or the DB server is stopped, the DB user's password or connection limit is changed, the
media filesystem is filled or remounted read-only.
"""

from __future__ import annotations

import os
import secrets
import signal

from . import host as hostmod
from . import services
from . import egress
from . import field_faults as field
from . import field_faults_net as field_net
from . import field_faults_db as field_db
from . import registry_faults
from .errors import LabBadArgument, LabError, LabNotUp
from .netns import nsexec
from .proc import Proc, pids_in_mnt_ns, run
from .state import Ledger, Paths
from .topology import DB_IP, DB_NS

CUT_COMMENT = "wabiz-lab-fault"
#: ``lab fault db MODE`` and ``lab fault media MODE``: checked before the lab is looked at
DB_MODES = ("down", "password", "max-connections") + field.DB_MODES + field_db.DB_MODES
MEDIA_MODES = ("full", "readonly", "inodes")
#: Why there is no clock-skew fault: hosts share the machine's kernel clock. Linux time namespaces
#: (CLONE_NEWTIME) offset only CLOCK_MONOTONIC and CLOCK_BOOTTIME, never CLOCK_REALTIME (time_namespaces(7)),
#: and changing the realtime clock would change it for the whole machine.
NO_CLOCK_SKEW = ("clock skew cannot be injected: lab hosts share the machine's clock, and Linux time namespaces "
                 "offset only the monotonic and boot-time clocks, not the wall clock (time_namespaces(7))")


def _ledger(paths: Paths) -> Ledger:
    ledger = Ledger.load(paths)
    if ledger is None or ledger.data.get("phase") != "up":
        raise LabNotUp()
    return ledger


def _host(ledger: Ledger, name: str) -> dict:
    for h in ledger.data["hosts"]:
        if h["name"] == name:
            return h
    raise LabBadArgument(f"no lab host named {name!r} (hosts: {', '.join(h['name'] for h in ledger.data['hosts'])})")


def _record(ledger: Ledger, kind: str, **facts) -> None:
    ledger.add("faults", {"kind": kind, **facts})


def in_host(paths: Paths, host: str, argv: list[str], *, check: bool = True, timeout: float = 60):
    """Run ``argv`` as root inside lab host ``host`` (its mount, net and UTS namespaces)."""
    h = _host(_ledger(paths), host)
    return run(hostmod.enter(h["anchor"][0]) + argv, check=check, timeout=timeout, env=hostmod.CLEAN_ENV)


def container(paths: Paths, host: str, target: str, action: str = "kill") -> list[str]:
    """``docker kill`` (or ``stop``) the containers of compose service ``target`` on ``host`` (or the container
    whose name/id is ``target``); returns the ids acted on. Not recorded: a restart policy or the operator
    undoes it, as in production."""
    if action not in ("kill", "stop"):
        raise LabBadArgument(f"container action {action!r}: use kill or stop")
    ids = in_host(paths, host, [hostmod.DEBIAN_DOCKER, "ps", "-q", "--filter",
                                f"label=com.docker.compose.service={target}"]).stdout.split()
    ids = ids or [target]
    in_host(paths, host, [hostmod.DEBIAN_DOCKER, action, *ids])
    return ids


def stop_dockerd(paths: Paths, host: str) -> int:
    """SIGTERM the host's dockerd (it stops its containers, as a real daemon stop does); returns its PID.
    :func:`clear` starts it again through the host's init."""
    ledger = _ledger(paths)
    h = _host(ledger, host)
    pid = hostmod.daemons(paths, _lab_host(h)).get("dockerd")
    if not pid:
        raise LabError(f"{host}: dockerd is not running")
    os.kill(pid, signal.SIGTERM)
    _record(ledger, "dockerd-stopped", host=host)
    return pid


def freeze(paths: Paths, host: str) -> int:
    """SIGSTOP every process of ``host`` but its init (sshd, dockerd, containerd, containers): the host hangs
    without closing a connection. Returns how many processes were stopped."""
    ledger = _ledger(paths)
    h = _host(ledger, host)
    n = _signal_host(h, signal.SIGSTOP)
    _record(ledger, "frozen", host=host)
    return n


def _signal_host(h: dict, sig: int) -> int:
    anchor = Proc.from_json(h["anchor"])
    pids = [p for p in pids_in_mnt_ns(h["mntns"]) if p != anchor.pid]
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return len(pids)


def _lab_host(h: dict):
    from .control import host_from
    return host_from(h)


def _ends(ledger: Ledger, a: str, b: str) -> list[tuple[str, str]]:
    """(netns, the other end's IP) for both ends of a cut; ``db`` names the DB server."""
    def end(name: str) -> tuple[str, str]:
        """``(netns, ip)`` of one end of a cut: a host by name, or ``db`` for the DB server."""
        if name == "db":
            return DB_NS, DB_IP
        h = _host(ledger, name)
        return f"wlab-h{h['index']}", h["ip"]
    (ns_a, ip_a), (ns_b, ip_b) = end(a), end(b)
    return [(ns_a, ip_b), (ns_b, ip_a)]


def _cut_rule(op: str, ns: str, peer_ip: str) -> list[str]:
    # raw PREROUTING sees every packet arriving on eth0, for the host and for its containers (after DNAT would be
    # too late for published ports, so raw is used): dropping on both ends cuts both directions.
    return nsexec(ns) + ["iptables", "-w", "-t", "raw", op, "PREROUTING", "-s", peer_ip, "-m", "comment", "--comment",
                         CUT_COMMENT, "-j", "DROP"]


def cut(paths: Paths, a: str, b: str) -> None:
    """Drop all traffic between host ``a`` and host ``b`` (or ``db``), both directions."""
    if a == b:
        raise LabBadArgument(f"cut {a} {b}: give two different hosts (or a host and db)")
    ledger = _ledger(paths)
    for ns, peer in _ends(ledger, a, b):
        run(_cut_rule("-I", ns, peer))
    _record(ledger, "cut", a=a, b=b)


def remove_dns_name(paths: Paths, name: str) -> None:
    """Remove ``name`` from the lab DNS (dnsmasq re-reads its hosts file on SIGHUP): lookups get NXDOMAIN."""
    ledger = _ledger(paths)
    path = services.dns_hosts_path(paths)
    lines = path.read_text().splitlines()
    kept = [l for l in lines if name not in l.split()[1:]]
    if len(kept) == len(lines):
        raise LabBadArgument(f"{name!r} is not a lab DNS name")
    path.write_text("\n".join(kept) + "\n")
    Proc.from_json(ledger.data["services"]["dns"]).signal(signal.SIGHUP)
    _record(ledger, "dns-removed", name=name, lines=[l for l in lines if l not in kept])


def registry(paths: Paths, mode: str) -> None:
    """``down``: stop the registry (pulls fail with ``connection refused``); ``deny``: restart it requiring a
    login no one has (HTTP 401: pulls fail with ``no basic auth credentials``); ``forbid``: a TLS front answering
    HTTP 403 in its place (:mod:`.registry_front`, a proxy forbidding the hosts), which dockerd 20.10 words as
    ``error parsing HTTP 403 response body: invalid character '<' looking for beginning of value: …``."""
    if mode not in ("down", "deny", "forbid"):
        raise LabBadArgument(f"registry fault {mode!r}: use down, deny (HTTP 401) or forbid (HTTP 403)")
    ledger = _ledger(paths)
    Proc.from_json(ledger.data["services"]["registry"]).stop(10)
    if mode == "deny":
        ledger.data["services"]["registry"] = services.start_registry(paths, deny=True).to_json()
    elif mode == "forbid":
        ledger.data["services"]["registry"] = services.start_registry_front(paths).to_json()
    _record(ledger, f"registry-{mode}")


def db(paths: Paths, mode: str) -> None:
    """``down``: stop the DB server; ``password``: change the lab user's password (logins fail with access denied);
    ``max-connections``: let the lab user open no new connection (MariaDB: ``MAX_USER_CONNECTIONS 1`` and the lab
    holds that one connection, so a new login gets error 1226 "has exceeded the 'max_user_connections' resource";
    connections already open stay, as on a saturated server; PostgreSQL: ``CONNECTION LIMIT 0``). A global
    ``max_connections`` of 1 with two sessions open did not refuse a third non-admin login on MariaDB 10.11 here
    (observed), and MariaDB counts toward a per-user limit only sessions opened after it was set, hence the
    holder."""
    if mode not in DB_MODES:  # before the lab is looked at: a typo is said as such, lab up or not
        raise LabBadArgument(f"db fault {mode!r}: use {', '.join(DB_MODES)}")
    ledger = _ledger(paths)
    engine = ledger.data["db"]["engine"]
    if mode == "down":
        Proc.from_json(ledger.data["services"]["db"]).stop(30)
    elif mode == "password":
        _set_password(paths, engine, secrets.token_hex(12))
    elif mode == "max-connections":
        if engine == "postgres":
            services.psql(paths, f"ALTER ROLE {services.DB_USER} CONNECTION LIMIT 0;")
        else:
            _user_limit(paths, 1)
            holder = services.hold_connection(paths)
            _record(ledger, "db-max-connections", holder=holder.to_json())
            return
    elif mode in field.DB_MODES:
        _record(ledger, f"db-{mode}", **field.db_fault(paths, engine, mode))
        return
    else:
        _record(ledger, f"db-{mode}", **field_db.db_fault(paths, ledger, engine, mode))
        return
    _record(ledger, f"db-{mode}")


def _user_limit(paths: Paths, n: int) -> None:
    """MariaDB per-user connection limit of the lab user (0 = unlimited)."""
    services.mysql_root(paths, f"GRANT USAGE ON *.* TO '{services.DB_USER}'@'%' WITH MAX_USER_CONNECTIONS {n};")


def _set_password(paths: Paths, engine: str, password: str) -> None:
    if engine == "postgres":
        services.psql(paths, f"ALTER ROLE {services.DB_USER} PASSWORD '{password}';")
    else:
        services.mysql_root(paths, f"ALTER USER '{services.DB_USER}'@'%' IDENTIFIED BY '{password}';")


def media(paths: Paths, mode: str) -> None:
    """``full``: shrink the shared media tmpfs to what it holds (writes fail with ENOSPC); ``readonly``: remount it read-only
    (the remount changes the filesystem itself, so every host's bind mount turns read-only)."""
    if mode not in MEDIA_MODES:
        raise LabBadArgument(f"media fault {mode!r}: use full, readonly or inodes")
    ledger = _ledger(paths)
    if mode == "full":  # shrink the tmpfs limit to what is used: no memory is spent filling it
        st = os.statvfs(paths.media)
        used_kib = (st.f_blocks - st.f_bfree) * st.f_frsize // 1024
        run(["mount", "-o", f"remount,size={used_kib + 4}k", str(paths.media)])
    elif mode == "readonly":
        run(["mount", "-o", "remount,ro", str(paths.media)])
    else:
        _record(ledger, "media-inodes", **field.exhaust_inodes(paths))
        return
    _record(ledger, f"media-{mode}")


def dbupgrade(paths: Paths, reason: str) -> None:
    """Make the stand-in dbupgrade service fail with ``reason`` (the lab settings row's ``dbupgrade_fault``; an empty
    one would mean no fault there, so it is refused)."""
    if not reason.strip():
        raise LabBadArgument("dbupgrade fault: give the REASON it fails with, e.g. 'schema lock held'")
    ledger = _ledger(paths)
    services.set_lab_setting(paths, ledger.data["db"]["engine"], "dbupgrade_fault", reason)
    _record(ledger, "dbupgrade", reason=reason)


def clear(paths: Paths) -> list[str]:
    """Undo every recorded fault (newest first); returns what was undone, in words."""
    ledger = _ledger(paths)
    done = []
    for f in reversed(ledger.data.get("faults", [])):
        kind = f["kind"]
        if field.owns(kind):
            field.undo(paths, ledger, f)
        elif field_net.owns(kind):
            field_net.undo(paths, ledger, f)
        elif field_db.owns(kind):
            field_db.undo(paths, ledger, f)
        elif egress.owns(kind):
            egress.undo(paths, ledger, f)
        elif registry_faults.owns(kind):
            registry_faults.undo(paths, ledger, f)
        elif kind == "dockerd-stopped":
            h = _host(ledger, f["host"])
            Proc.from_json(h["anchor"]).signal(signal.SIGUSR1)
            hostmod.wait_ready(paths, _lab_host(h), Proc.from_json(h["anchor"]))
        elif kind == "frozen":
            _signal_host(_host(ledger, f["host"]), signal.SIGCONT)
        elif kind == "cut":
            for ns, peer in _ends(ledger, f["a"], f["b"]):
                run(_cut_rule("-D", ns, peer), check=False)
        elif kind == "dns-removed":
            path = services.dns_hosts_path(paths)
            path.write_text(path.read_text() + "\n".join(f["lines"]) + "\n")
            Proc.from_json(ledger.data["services"]["dns"]).signal(signal.SIGHUP)
        elif kind.startswith("registry-"):
            Proc.from_json(ledger.data["services"]["registry"]).stop(10)
            ledger.data["services"]["registry"] = services.start_registry(paths).to_json()
        elif kind == "db-down":
            spoof = ledger.data["db"].get("spoof", False)
            proc = (services.run_postgres(paths) if ledger.data["db"]["engine"] == "postgres"
                    else services.run_mariadb(paths, spoof=spoof))
            ledger.data["services"]["db"] = proc.to_json()
        elif kind == "db-password":
            _set_password(paths, ledger.data["db"]["engine"], services.DB_PASSWORD)
        elif kind == "db-max-connections":
            if ledger.data["db"]["engine"] == "postgres":
                services.psql(paths, f"ALTER ROLE {services.DB_USER} CONNECTION LIMIT -1;")
            else:
                if f.get("holder"):
                    Proc.from_json(f["holder"]).stop(5)
                _user_limit(paths, 0)
        elif kind == "media-full":
            from .control import MEDIA_SIZE
            run(["mount", "-o", f"remount,size={MEDIA_SIZE}", str(paths.media)])
        elif kind == "media-readonly":
            run(["mount", "-o", "remount,rw", str(paths.media)])
        elif kind == "dbupgrade":
            services.set_lab_setting(paths, ledger.data["db"]["engine"], "dbupgrade_fault", None)
        done.append(kind)
    ledger.set("faults", [])
    return done
