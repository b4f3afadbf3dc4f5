"""Real OpenSSH test hosts (Debian `openssh-server`): one `sshd` per simulated host on a loopback
port, each with its own host key, an authorized client key and default behaviour otherwise (client-sent
environment variables are dropped: no AcceptEnv). On each, `docker` and `docker-compose` are shims
(`shim.py`) that forward to the simulated host, so the HA install runs through real OpenSSH, real
bash and real SFTP. Skips locally without sshd; fails in CI."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import need_tool
from wabiz_tui.demo import start_demo

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OpenSshHost:
    name: str
    port: int
    process: subprocess.Popen
    host_key_pub: str


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def start_sshd(base: Path, name: str, client_pub: Path, sim, user: str, *, path: str = "/usr/local/bin:/usr/bin:/bin",
               env: dict[str, str] | None = None, options: tuple[str, ...] = ()) -> OpenSshHost:
    """An sshd for ``name`` on a free loopback port; ``client_pub`` is its authorized_keys file.

    With ``sim`` (a simulated cluster), ``docker``/``docker-compose`` on its PATH forward to the
    simulated host; with None it is a plain OpenSSH host. ``path`` follows the host's own ``bin`` in the
    sessions' PATH; ``env`` adds variables to every session (sshd's ``SetEnv``); ``options`` are more
    sshd_config lines (e.g. ``AllowTcpForwarding no``).
    """
    d = base / name
    (d / "bin").mkdir(parents=True)
    # An empty HOME (SetEnv overrides the login's): the test user's own dotfiles are not sourced by the
    # session's bash. A developer's ~/.bashrc running `pyenv rehash` left a stale lock behind when a
    # cancel test killed the session, and every later login then hung on it.
    (d / "home").mkdir()
    keygen(d / "host_key")
    port = free_port()
    if sim is not None:
        sim_known = d / "sim_known_hosts"
        sim_known.write_text(sim.known_hosts_path.read_text())
        (d / "bin" / "sim.json").write_text(json.dumps({"port": sim.ssh_port(name), "key": str(sim.client_key_path),
                                                        "known_hosts": str(sim_known), "user": sim.ssh_user,
                                                        "root": str(sim.host_root(name))}))
        for tool in ("docker", "docker-compose"):
            shutil.copy(HERE / "shim.py", d / "bin" / tool)
            (d / "bin" / tool).chmod(0o755)
    (d / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {d / 'host_key'}", f"AuthorizedKeysFile {client_pub}",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
        f"PidFile {d / 'sshd.pid'}", "SetEnv " + " ".join(f"{k}={v}" for k, v in {"PATH": f"{d / 'bin'}:{path}", "HOME": str(d / "home"), **(env or {})}.items()),
        "Subsystem sftp internal-sftp", "PermitRootLogin prohibit-password", f"AllowUsers {user}", "LogLevel ERROR",
        *options, ""]))
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory sshd insists on
    proc = subprocess.Popen([shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-f", str(d / "sshd_config"), "-E", str(d / "sshd.log")])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"sshd for {name} did not start: {(d / 'sshd.log').read_text()}")
    pub = " ".join((d / "host_key.pub").read_text().split()[:2])
    return OpenSshHost(name, port, proc, pub)


@pytest.fixture
async def openssh_cluster(tmp_path):
    """(DemoSession, profile on real OpenSSH hosts, their known_hosts file, the hosts)."""
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
    if not sshd:
        need_tool("sshd")
    need_tool("ssh")
    session = await start_demo(tmp_path / "demo", speed=0.05, spare_hosts=())
    user = getpass.getuser()
    keygen(tmp_path / "client_key")
    hosts: list[OpenSshHost] = []
    try:
        for h in session.profile.hosts:
            hosts.append(start_sshd(tmp_path / "hosts", h.external_hostname, tmp_path / "client_key.pub", session.cluster, user))
        known = tmp_path / "known_hosts"
        known.write_text("".join(f"[127.0.0.1]:{o.port} {o.host_key_pub}\n" for o in hosts))
        by_name = {o.name: o for o in hosts}
        profile = session.profile.with_changes(
            known_hosts=str(known),
            hosts=tuple(h.__class__(h.external_hostname,
                                    h.ssh.__class__(host="127.0.0.1", port=by_name[h.external_hostname].port, user=user,
                                                    key_file=str(tmp_path / "client_key"), use_agent=False),
                                    h.roles, str(session.cluster.host_root(h.external_hostname)) + "/home/wa/biz")
                        for h in session.profile.hosts))
        yield session, profile, known, hosts
    finally:
        for o in hosts:
            o.process.terminate()
            try:
                o.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                o.process.kill()
        await session.stop()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (for an sshd listener: the processes serving its connections)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def stop_sshd(host: OpenSshHost) -> None:
    """Stop an sshd started by :func:`start_sshd` and whatever serves its connections (even if SIGSTOPped)."""
    import signal

    for pid in descendants(host.process.pid) + [host.process.pid]:
        for sig in (signal.SIGCONT, signal.SIGKILL if pid != host.process.pid else signal.SIGTERM):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    try:
        host.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        host.process.kill()
        host.process.wait(timeout=5)


@dataclass
class SshLab:
    """Plain OpenSSH hosts on loopback, sharing one authorized_keys file and one known_hosts file."""

    base: Path
    user: str
    key: Path                 # an unencrypted client key
    encrypted_key: Path       # the same kind of key, encrypted with the passphrase "correct horse"
    known_hosts: Path
    hosts: dict[str, OpenSshHost]

    def add(self, name: str, *, trusted: bool = True) -> OpenSshHost:
        host = start_sshd(self.base / "hosts", name, self.base / "authorized_keys", None, self.user)
        self.hosts[name] = host
        if trusted:
            with open(self.known_hosts, "a") as fh:
                fh.write(f"[127.0.0.1]:{host.port} {host.host_key_pub}\n")
        return host


PASSPHRASE = "correct horse"


@pytest.fixture
def ssh_lab(tmp_path):
    """A factory of plain sshd test hosts (no simulator): ``lab.add("bastion")``; all stopped at the end."""
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
    if not sshd:
        need_tool("sshd")
    need_tool("ssh-keygen")
    keygen(tmp_path / "client_key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", str(tmp_path / "encrypted_key")], check=True)
    (tmp_path / "authorized_keys").write_text((tmp_path / "client_key.pub").read_text() + (tmp_path / "encrypted_key.pub").read_text())
    (tmp_path / "known_hosts").write_text("")
    lab = SshLab(tmp_path, getpass.getuser(), tmp_path / "client_key", tmp_path / "encrypted_key", tmp_path / "known_hosts", {})
    try:
        yield lab
    finally:
        for h in lab.hosts.values():
            stop_sshd(h)
