"""Lab faults for the public field reports of ``docs/field-reports.md`` (FR29–FR37): the registry's CA gone from
one host's Docker trust, a host port already taken, the DB user allowed from the admin machine only, a short DB
idle timeout, a read-only DB, the media inode table exhausted, one host's media path not shared, and one host's
``db.env`` / compose file edited by hand.

Each injector returns the facts :func:`undo` needs; :mod:`.faults` records them in the ledger (``lab status``
lists them) and ``lab fault clear`` calls :func:`undo`. MariaDB only for the DB modes (the PostgreSQL lab has
no such user model): a PostgreSQL lab gets :class:`LabBadArgument`.
"""

from __future__ import annotations

import os
import shlex
import time

from . import services
from .errors import LabBadArgument, LabError
from .host import tcp_open
from .proc import Proc, run
from .state import Ledger, Paths
from .topology import ADMIN_IP, MEDIA_PATH, REGISTRY_NAME

DB_MODES = ("host-restrict", "idle-timeout", "read-only")
#: Where the product writes a host's files (the profile's ``remote_dir`` in the lab profile).
REMOTE_DIR = "/home/wa/biz"
CERTS_DIR = f"/etc/docker/certs.d/{REGISTRY_NAME}"
BACKUP = ".wabiz-fault"
#: The idle timeout the ``idle-timeout`` mode sets (seconds): a session idle longer is closed by the server.
IDLE_TIMEOUT_S = 2
_KINDS = {"db-host-restrict", "db-idle-timeout", "db-read-only", "media-inodes", "registry-ca", "port",
          "media-private", "file-edit"}


def owns(kind: str) -> bool:
    """True if ``kind`` (a ledger fault's ``kind``) was injected by this module."""
    return kind in _KINDS


def _faults():
    from . import faults  # faults imports this module at its top
    return faults


def _host_argv(paths: Paths, host: str) -> list[str]:
    from . import host as hostmod
    h = _faults()._host(_faults()._ledger(paths), host)
    return hostmod.enter(h["anchor"][0])


def _sh(paths: Paths, host: str, script: str, *, check: bool = True, input: str | None = None):
    from .host import CLEAN_ENV
    return run(_host_argv(paths, host) + ["sh", "-c", script], check=check, input=input, env=CLEAN_ENV)


def db_fault(paths: Paths, engine: str, mode: str) -> dict:
    """``host-restrict``: the lab user may log in only from the admin address (others get MariaDB error 1130);
    ``idle-timeout``: the server closes sessions idle more than :data:`IDLE_TIMEOUT_S` s (error 2006 on the next
    query); ``read-only``: the server refuses writes (error 1290) — the lab user loses ``READ_ONLY ADMIN``, which
    its ``ALL ON *.*`` grant includes and which would let it write anyway. Returns the facts :func:`undo` needs."""
    if engine == "postgres":
        raise LabBadArgument(f"db fault {mode}: the PostgreSQL lab has no such fault; bring the lab up with --db mysql")
    u = services.DB_USER
    if mode == "host-restrict":
        services.mysql_root(paths, f"RENAME USER '{u}'@'%' TO '{u}'@'{ADMIN_IP}';")
        return {}
    if mode == "idle-timeout":
        previous = services.mysql_root(paths, "SELECT @@GLOBAL.wait_timeout;").strip()
        services.mysql_root(paths, f"SET GLOBAL wait_timeout={IDLE_TIMEOUT_S};")
        return {"previous": int(previous)}
    services.mysql_root(paths, f"REVOKE READ_ONLY ADMIN ON *.* FROM '{u}'@'%'; SET GLOBAL read_only=1;")
    return {}


def exhaust_inodes(paths: Paths) -> dict:
    """Remount the media tmpfs with as many inodes as it holds: blocks stay free, a new file gets ENOSPC."""
    st = os.statvfs(paths.media)
    used = st.f_files - st.f_ffree
    run(["mount", "-o", f"remount,nr_inodes={max(used, 1)}", str(paths.media)])
    return {"previous": st.f_files}


def registry_ca(paths: Paths, host: str) -> None:
    """Take the lab CA out of ``host``'s Docker trust for the registry: its pulls fail with x509 unknown authority."""
    done = _sh(paths, host, f"cd {CERTS_DIR} && for f in *.crt; do mv \"$f\" \"$f{BACKUP}\"; echo \"$f\"; done")
    moved = done.stdout.split()
    if not moved or moved == ["*.crt"]:
        raise LabError(f"{host}: no CA file in {CERTS_DIR}")
    _faults()._record(_faults()._ledger(paths), "registry-ca", host=host, files=moved)


def port(paths: Paths, host: str, number: int) -> None:
    """A process listening on ``host``'s TCP ``number`` on every address (as another service would): a container
    publishing that port cannot start."""
    if not 1 <= number <= 65535:
        raise LabBadArgument(f"port {number}: use 1-65535")
    ledger = _faults()._ledger(paths)
    h = _faults()._host(ledger, host)
    code = ("import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
            f"s.bind(('0.0.0.0',{number}));s.listen(8);time.sleep(10**9)")
    proc = services.spawn(f"wlab-h{h['index']}", ["python3", "-c", code], paths.run / f"port-{host}-{number}.log")
    deadline = time.monotonic() + 10
    while not tcp_open(h["ip"], number, 0.2):
        if not proc.alive() or time.monotonic() > deadline:
            proc.stop(2)
            raise LabError(f"{host}: could not listen on port {number} (already in use?)")
        time.sleep(0.05)
    _faults()._record(ledger, "port", host=host, port=number, proc=proc.to_json())


def media_private(paths: Paths, host: str) -> None:
    """Unmount the shared media volume from ``host``'s media path, leaving the plain directory under it (as on a
    host where the share was never mounted): what it writes there, the other hosts do not see."""
    _sh(paths, host, f"umount -l {MEDIA_PATH}")
    _faults()._record(_faults()._ledger(paths), "media-private", host=host)


def edit_file(paths: Paths, host: str, name: str, change: str, key: str = "", value: str = "") -> None:
    """Edit ``host``'s ``REMOTE_DIR/name`` as a person would, keeping a backup: ``change`` ``set`` puts
    ``KEY=VALUE`` in an env file (replacing the line of that key), ``tab`` turns the first indented line's leading
    spaces into a tab (YAML forbids tabs)."""
    if change == "set" and (not key or "=" in key or "\n" in key + value):  # before the lab is looked at
        raise LabBadArgument("dbenv fault: give HOST KEY VALUE (KEY not empty, without '='; no line break)")
    path = f"{REMOTE_DIR}/{name}"
    got = _sh(paths, host, f"cat {shlex.quote(path)}", check=False)
    if got.returncode != 0:
        raise LabError(f"{host}: no {path} (install the cluster first)")
    lines = got.stdout.splitlines()
    if change == "set":
        kept = [l for l in lines if not l.startswith(f"{key}=")]
        lines = kept + [f"{key}={value}"]
    elif change == "tab":
        i = next((i for i, l in enumerate(lines) if l.startswith("  ")), None)
        if i is None:
            raise LabError(f"{host}: {path} has no indented line")
        lines[i] = "\t" + lines[i].lstrip(" ")
    else:
        raise LabBadArgument(f"file edit {change!r}: use set or tab")
    q = shlex.quote(path)
    _sh(paths, host, f"[ -e {q}{BACKUP} ] || cp -p {q} {q}{BACKUP}")
    _sh(paths, host, f"cat > {q}", input="\n".join(lines) + "\n")
    _faults()._record(_faults()._ledger(paths), "file-edit", host=host, path=path)


def undo(paths: Paths, ledger: Ledger, f: dict) -> None:
    """Undo one recorded fault of this module."""
    kind, u = f["kind"], services.DB_USER
    if kind == "db-host-restrict":
        services.mysql_root(paths, f"RENAME USER '{u}'@'{ADMIN_IP}' TO '{u}'@'%';")
    elif kind == "db-idle-timeout":
        services.mysql_root(paths, f"SET GLOBAL wait_timeout={int(f['previous'])};")
    elif kind == "db-read-only":
        services.mysql_root(paths, f"SET GLOBAL read_only=0; GRANT READ_ONLY ADMIN ON *.* TO '{u}'@'%';")
    elif kind == "media-inodes":
        run(["mount", "-o", f"remount,nr_inodes={int(f['previous'])}", str(paths.media)])
    elif kind == "registry-ca":
        for name in f["files"]:
            _sh(paths, f["host"], f"mv {CERTS_DIR}/{name}{BACKUP} {CERTS_DIR}/{name}", check=False)
    elif kind == "port":
        Proc.from_json(f["proc"]).stop(5)
    elif kind == "media-private":
        _sh(paths, f["host"], f"mount --bind {shlex.quote(str(paths.media))} {MEDIA_PATH}", check=False)
    elif kind == "file-edit":
        q = shlex.quote(f["path"])
        _sh(paths, f["host"], f"[ -e {q}{BACKUP} ] && mv {q}{BACKUP} {q}", check=False)
