"""One lab host: its files (accounts, sshd config, host key, CA trust), its anchor process (the host's init,
:mod:`anchor`) and the checks that its sshd and dockerd answer.

Each host has its own ``/run`` (so its own ``docker.sock``, ``docker.pid``, containerd socket), ``/var/lib/docker``,
``/etc/docker``, ``/etc/{passwd,group,shadow,hosts,resolv.conf,hostname}``, ``/home``, ``/tmp``, and sees the
shared media directory at :data:`topology.MEDIA_PATH`. dockerd runs with no ``-H``/``--data-root``: the private
paths make every default per-host, so plain ``docker``/``docker-compose`` over SSH reach that host's daemon
(lab-facts §4). ``docker`` resolves to Debian's 20.10 client: ``/usr/bin/docker`` is bind-mounted over
``/usr/local/bin/docker`` (a Docker 28 client on this machine that comes first in PATH).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .errors import LabError
from .netns import NETNS_DIR
from .proc import Proc, mnt_ns, pids_in_mnt_ns, run
from .state import Ledger, Paths
from .topology import DNS_IP, DOMAIN, MEDIA_PATH, REGISTRY_NAME, LabHost

USER, UID = "wa", 2000
DEBIAN_DOCKER, SHADOWING_DOCKER = "/usr/bin/docker", "/usr/local/bin/docker"
CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
ANCHOR = Path(__file__).with_name("anchor.py")
#: Mount points the host view needs on the machine's own filesystem (created when missing, removed by down).
MOUNT_POINTS = ("/var/lib/docker", "/etc/docker", MEDIA_PATH)


def keygen(path: Path, comment: str) -> Path:
    """An ed25519 key pair at ``path`` (kept if present: host keys survive ``down``/``up`` so trust survives)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return path


def _accounts() -> tuple[str, str, str]:
    """passwd, group and shadow for a host: the machine's accounts (system users sshd needs) plus ``wa`` (uid
    2000, in ``docker``). Shadow is written fresh with ``*`` (no password: key login works with UsePAM no)."""
    passwd = [l for l in Path("/etc/passwd").read_text().splitlines() if l and not l.startswith(f"{USER}:")]
    passwd.append(f"{USER}:x:{UID}:{UID}:wabiz lab:/home/{USER}:/bin/bash")
    groups, has_docker = [], False
    for line in Path("/etc/group").read_text().splitlines():
        if not line or line.startswith(f"{USER}:"):
            continue
        name, pw, gid, members = line.split(":", 3)
        if name == "docker":
            has_docker = True
            members = ",".join([m for m in members.split(",") if m] + [USER])
        groups.append(":".join((name, pw, gid, members)))
    if not has_docker:
        used = {int(g.split(":")[2]) for g in groups}
        groups.append(f"docker:x:{next(g for g in range(990, 60000) if g not in used)}:{USER}")
    groups.append(f"{USER}:x:{UID}:")
    shadow = [f"{l.split(':', 1)[0]}:*:19000:0:99999:7:::" for l in passwd]
    return "\n".join(passwd) + "\n", "\n".join(groups) + "\n", "\n".join(shadow) + "\n"


def sshd_config(host: LabHost, key: Path) -> str:
    """The host's sshd config (lab-facts §8): key auth for ``wa`` only, on the host's address."""
    return "\n".join([
        f"ListenAddress {host.ip}", f"HostKey {key}", "PidFile /run/sshd.pid", "UsePAM no",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PermitRootLogin no", f"AllowUsers {USER}",
        "AuthorizedKeysFile .ssh/authorized_keys", "Subsystem sftp internal-sftp", "MaxStartups 100:30:200",
        "MaxSessions 50", "ClientAliveInterval 30", ""])


def prepare(paths: Paths, host: LabHost, ca_cert: Path, client_pub: str) -> Path:
    """Write the host's files under ``run/hN`` and its anchor config; returns the config path."""
    hrun = paths.host_run(host.index)
    if hrun.exists():
        shutil.rmtree(hrun)
    etc, home = hrun / "etc", hrun / "home"
    for d in (etc, hrun / "docker-lib", hrun / "etc-docker" / "certs.d" / REGISTRY_NAME, home / USER / ".ssh"):
        d.mkdir(parents=True, exist_ok=True)
    passwd, group, shadow = _accounts()
    files = {"passwd": passwd, "group": group, "shadow": shadow, "hostname": host.name + "\n",
             "hosts": f"127.0.0.1 localhost\n{host.ip} {host.name} {host.name}.{DOMAIN}\n",
             "resolv.conf": f"nameserver {DNS_IP}\nsearch {DOMAIN}\n"}
    for name, text in files.items():
        (etc / name).write_text(text)
    (etc / "shadow").chmod(0o640)
    shutil.copy(ca_cert, hrun / "etc-docker" / "certs.d" / REGISTRY_NAME / "ca.crt")
    key = keygen(paths.host_keys(host.name) / "ssh_host_ed25519_key", f"root@{host.name}")
    (hrun / "sshd_config").write_text(sshd_config(host, key))
    ssh_dir = home / USER / ".ssh"
    (ssh_dir / "authorized_keys").write_text(client_pub)
    (ssh_dir / "authorized_keys").chmod(0o600)
    ssh_dir.chmod(0o700)
    (home / USER).chmod(0o755)
    for p in (home / USER, ssh_dir, ssh_dir / "authorized_keys"):
        os.chown(p, UID, UID)
    mounts = [("tmpfs", "mode=755", "/run"), ("mkdir", "", "/run/sshd"), ("tmpfs", "mode=1777", "/tmp"),
              ("bind", str(hrun / "docker-lib"), "/var/lib/docker"), ("bind", str(hrun / "etc-docker"), "/etc/docker"),
              ("bind", str(home), "/home"), ("bind", str(paths.media), MEDIA_PATH)]
    mounts += [("bind", str(etc / name), f"/etc/{name}") for name in files]
    if Path(SHADOWING_DOCKER).exists():
        mounts.append(("bind", DEBIAN_DOCKER, SHADOWING_DOCKER))
    cfg = {"hostname": host.name, "cgroup_tmp": str(hrun / "cgroup-move"), "mounts": mounts,
           "ready": str(hrun / "ready.json"),
           "sshd": ["/usr/sbin/sshd", "-D", "-e", "-f", str(hrun / "sshd_config")], "sshd_log": str(hrun / "sshd.log"),
           "dockerd": ["/usr/sbin/dockerd", "--storage-driver", "overlay2", "--bip", host.bip,
                       "--default-address-pool", host.pool, "--cgroup-parent", host.cgroup_parent],
           "dockerd_log": str(hrun / "dockerd.log")}
    path = hrun / "anchor.json"
    path.write_text(json.dumps(cfg, indent=1))
    return path


def make_mount_points(ledger: Ledger) -> None:
    """Create the mount points the host views need on the machine's filesystem, recording the ones made."""
    for d in MOUNT_POINTS:
        if not os.path.isdir(d):
            os.makedirs(d, mode=0o755)
            ledger.add("dirs", d)


def launch(paths: Paths, host: LabHost, cfg: Path) -> Proc:
    """Start the host's anchor in a fresh mount + UTS namespace inside its netns; returns its identity."""
    log = open(paths.host_run(host.index) / "anchor.log", "ab")
    p = subprocess.Popen(["nsenter", f"--net={NETNS_DIR / host.netns}", "unshare", "--mount", "--uts", "--propagation",
                          "private", sys.executable, str(ANCHOR), str(cfg)],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=CLEAN_ENV)
    log.close()
    time.sleep(0.01)
    return Proc.of(p.pid)


def docker_ping(anchor_pid: int) -> bool:
    """Whether the host's dockerd answers ``GET /_ping`` on its own ``/run/docker.sock`` (reached through the
    anchor's root, ``/proc/PID/root``)."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(1)
            s.connect(f"/proc/{anchor_pid}/root/run/docker.sock")
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b"OK" in s.recv(4096)
    except OSError:
        return False


def tcp_open(ip: str, port: int, timeout: float = 0.5) -> bool:
    """True if a TCP connection to ``ip:port`` succeeds within ``timeout`` seconds."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_ready(paths: Paths, host: LabHost, anchor: Proc, timeout: float = 30) -> dict:
    """Wait until the host's sshd accepts TCP and its dockerd answers; returns ``ready.json`` (daemon PIDs).
    Raises :class:`LabError` with the tail of the failing daemon's log."""
    hrun = paths.host_run(host.index)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not anchor.alive():
            raise LabError(f"{host.name}: the host init exited: {_tail(hrun / 'anchor.log')}")
        if tcp_open(host.ip, 22, 0.2) and docker_ping(anchor.pid):
            return json.loads((hrun / "ready.json").read_text())
        time.sleep(0.05)
    which = "dockerd" if tcp_open(host.ip, 22) else "sshd"
    raise LabError(f"{host.name}: {which} did not answer within {timeout:.0f} s: {_tail(hrun / (which + '.log'))}")


def _tail(path: Path, n: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-n:])
    except OSError:
        return "(no log)"


def enter(anchor_pid: int) -> list[str]:
    """Prefix running a command inside a host (its mount, net and UTS namespaces)."""
    return ["nsenter", "-t", str(anchor_pid), "-m", "-n", "-u"]


def daemons(paths: Paths, host: LabHost) -> dict:
    """The host's daemon PIDs as its anchor last wrote them (``{"sshd": pid|None, "dockerd": pid|None}``)."""
    try:
        return json.loads((paths.host_run(host.index) / "ready.json").read_text())
    except (OSError, ValueError):
        return {}


def stop(anchor: Proc, timeout: float = 40) -> None:
    """Stop a host: TERM its anchor (it stops dockerd, sshd and everything left in the host), wait; if the anchor
    is stuck, KILL every process of its mount namespace."""
    ns = mnt_ns(anchor.pid) if anchor.alive() else None
    if ns is not None:  # a frozen host must be able to stop
        for pid in pids_in_mnt_ns(ns):
            _signal(pid, signal.SIGCONT)
    anchor.signal(signal.SIGTERM)
    if anchor.wait_gone(timeout) or ns is None:
        return
    for pid in pids_in_mnt_ns(ns):
        _signal(pid, signal.SIGKILL)
    anchor.wait_gone(5)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
