"""Real parts, hermetic: one dockerd of our own (Debian's 20.10, own data-root, exec-root, pid file and
socket, no docker0, address pool 10.252/16 so it never meets the lab's 10.213/16), Debian's
docker-compose 1.29 and an OpenSSH ``sshd`` per test whose sessions reach that dockerd through
``DOCKER_HOST`` (sshd ``SetEnv``) with Debian's ``/usr/bin/docker`` ahead of ``/usr/local/bin/docker``
(a Docker 28 client). The product drives them over real SSH exactly as on a field host.

Stand-in images ``docker.whatsapp.biz/web:v2.41.2`` and ``…/coreapp:v2.41.2`` are ``FROM scratch``
with static busybox and the two official entry scripts; what a node does is decided per test through
its environment and the media volume (``LAB_CRASH`` file: exit 1, after the seconds it holds; ``WA_DB_UPGRADE``: exit
``LAB_UPGRADE_EXIT``). The registry is unreachable by construction: ``docker.whatsapp.biz`` does not
resolve here, so a pull fails with Docker's own words.

Skips locally without root or the programs (with the reason); fails in CI (``CI=true``).
"""

from __future__ import annotations

import getpass
from contextlib import asynccontextmanager
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import IN_CI
from tests.openssh.conftest import OpenSshHost, keygen, start_sshd, stop_sshd
from wabiz_tui.domain.model import ClusterProfile, DbEnv, HostSpec, Role, SshTarget, WebappApi
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.workflows.settings import RunSettings

DOCKERD = "/usr/sbin/dockerd"
DOCKER = "/usr/bin/docker"          # Debian's 20.10 client, matching the daemon
BUSYBOX = "/bin/busybox"            # busybox-static
VERSION = "2.41.2"
ADDRESS_POOL = "base=10.252.0.0/16,size=24"

WAIT_ON_MYSQL = """#!/bin/sh
# stand-in: the real script waits for the DB; this one starts the node at once
exec "$@"
"""
LAUNCH = """#!/bin/sh
# stand-in node: its behaviour comes from the environment and the media volume
M=/usr/local/wamedia
echo "stand-in node $(hostname) starting"
if [ -n "$WA_DB_UPGRADE" ]; then echo "dbupgrade finished"; exit "${LAB_UPGRADE_EXIT:-0}"; fi
if [ -f "$M/LAB_CRASH" ]; then  # its content: seconds to run before the crash (empty: at once)
  sleep "$(cat "$M/LAB_CRASH")" 2>/dev/null; echo "stand-in: exiting 1 because $M/LAB_CRASH exists"; exit 1
fi
trap 'echo "stand-in: stopping"; exit 0' TERM INT
echo "stand-in node ready"
while :; do sleep 1 & wait $!; done
"""
DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY wait_on_mysql.sh launch_within_docker.sh /opt/whatsapp/bin/
"""


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (required in CI: .ci/run installs docker.io, docker-compose, openssh-server, busybox-static)")
    pytest.skip(reason)


@dataclass
class RealDocker:
    """The test dockerd: ``host`` is its ``DOCKER_HOST`` URL, ``data_root`` its storage."""

    base: Path
    host: str
    data_root: Path
    pid: int

    def env(self) -> dict[str, str]:
        """Environment for a local ``docker``/``docker-compose`` aimed at this daemon."""
        return {**os.environ, "DOCKER_HOST": self.host, "PATH": f"/usr/bin:{os.environ.get('PATH', '')}"}

    def docker(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run Debian's docker client against this daemon; text output, stderr merged."""
        return subprocess.run([DOCKER, *args], env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=check, timeout=timeout)

    def volume_dir(self, name: str) -> Path:
        """Where a local named volume's files live (to plant a stand-in's ``LAB_CRASH`` marker)."""
        return self.data_root / "volumes" / name / "_data"

    def clean(self) -> None:
        """Remove every container, volume and network left by a test (images stay)."""
        ids = self.docker("ps", "-aq").stdout.split()
        if ids:
            self.docker("rm", "-f", "-v", *ids, check=False)
        self.docker("volume", "prune", "-f", check=False)
        self.docker("network", "prune", "-f", check=False)

    def build_images(self, version: str = VERSION) -> None:
        """Build the web and coreapp stand-ins for ``version`` (one image, two names, as both run the scripts)."""
        ctx = self.base / "image"
        ctx.mkdir(exist_ok=True)
        shutil.copy(BUSYBOX, ctx / "busybox")
        for name, text in (("wait_on_mysql.sh", WAIT_ON_MYSQL), ("launch_within_docker.sh", LAUNCH), ("Dockerfile", DOCKERFILE)):
            (ctx / name).write_text(text)
            (ctx / name).chmod(0o755)
        self.docker("build", "-q", "--network", "none", "-t", f"docker.whatsapp.biz/coreapp:v{version}", str(ctx), timeout=120)
        self.docker("tag", f"docker.whatsapp.biz/coreapp:v{version}", f"docker.whatsapp.biz/web:v{version}")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process we started (by its PID), wait for it, SIGKILL after 30 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def real_docker():
    """A dockerd of our own for the whole session, with the stand-in images built; stopped by its PID."""
    if os.geteuid() != 0:
        _missing("real-Docker tests need root (dockerd)")
    for path in (DOCKERD, DOCKER, BUSYBOX, "/usr/sbin/sshd"):
        if not os.path.exists(path):
            _missing(f"{path} is not installed here")
    if not shutil.which("docker-compose"):
        _missing("docker-compose is not installed here")
    base = Path(tempfile.mkdtemp(prefix="wabiz-realdocker-"))
    sock = base / "docker.sock"
    log = open(base / "dockerd.log", "wb")
    proc = subprocess.Popen([DOCKERD, "--data-root", str(base / "data"), "--exec-root", str(base / "exec"),
                             "--pidfile", str(base / "docker.pid"), "-H", f"unix://{sock}", "--bridge=none",
                             "--iptables=false", "--default-address-pool", ADDRESS_POOL],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    docker = RealDocker(base, f"unix://{sock}", base / "data", proc.pid)
    try:
        deadline = time.monotonic() + 30
        while docker.docker("version", check=False, timeout=10).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dockerd did not start: {(base / 'dockerd.log').read_text()[-2000:]}")
            time.sleep(0.2)
        docker.build_images()
        yield docker
    finally:
        if proc.poll() is None:
            try:
                docker.clean()
            except Exception:  # the daemon's own stop removes nothing, but stops them all
                pass
            stop(proc)
        log.close()
        subprocess.run(["umount", "-R", str(base / "data")], stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class RealMariaDb:
    """A mariadbd of our own on 127.0.0.1:``port`` with the account ``user``/``password`` (all privileges)."""

    port: int
    user: str = "waent"
    password: str = "Pass-word-42"


@pytest.fixture(scope="session")
def real_mariadb():
    """Debian's MariaDB 10.11, unspoofed (greets ``5.5.5-10.11.19-MariaDB…``), in a temporary datadir
    (lab-facts §7); stopped by its PID at the end."""
    from tests.openssh.conftest import free_port

    if os.geteuid() != 0:
        _missing("the real MariaDB test server runs as the mysql user: needs root")
    for tool in ("mariadbd", "mariadb-install-db", "mariadb"):
        if not shutil.which(tool):
            _missing(f"{tool} is not installed here (mariadb-server)")
    base = Path(tempfile.mkdtemp(prefix="wabiz-mariadb-"))
    shutil.chown(base, "mysql", "mysql")
    subprocess.run(["mariadb-install-db", "--no-defaults", "--user=mysql", f"--datadir={base / 'data'}",
                    "--auth-root-authentication-method=socket"], check=True, capture_output=True, timeout=120)
    port = free_port()
    log = open(base / "mariadbd.log", "wb")
    proc = subprocess.Popen(["mariadbd", "--no-defaults", "--user=mysql", f"--datadir={base / 'data'}", f"--socket={base / 'sock'}",
                             f"--pid-file={base / 'pid'}", "--bind-address=127.0.0.1", f"--port={port}", "--skip-name-resolve",
                             "--innodb-buffer-pool-size=32M", "--performance-schema=OFF"], stdout=log, stderr=subprocess.STDOUT)
    db = RealMariaDb(port)
    try:
        deadline = time.monotonic() + 30
        sql = (f"CREATE USER IF NOT EXISTS '{db.user}'@'%' IDENTIFIED BY '{db.password}'; "
               f"GRANT ALL ON *.* TO '{db.user}'@'%' WITH GRANT OPTION;")
        while subprocess.run(["mariadb", "-S", str(base / "sock"), "-e", sql], capture_output=True).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mariadbd did not start: {(base / 'mariadbd.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield db
    finally:
        stop(proc)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class DockerHost:
    """One real host for the product: sshd on loopback, its sessions on the test dockerd."""

    docker: RealDocker
    sshd: OpenSshHost
    profile: ClusterProfile
    settings: RunSettings
    remote_dir: Path

    def compose(self, *args: str, file: str = "prod-multiconnect-compose.yml", check: bool = False) -> subprocess.CompletedProcess:
        """Run docker-compose locally in the host's directory, as the product does on the host."""
        env = {**self.docker.env(), "EXTERNAL_HOSTNAME": self.profile.hosts[0].external_hostname, "WA_API_VERSION": VERSION}
        return subprocess.run(["docker-compose", "-f", str(self.remote_dir / file), "--project-directory", str(self.remote_dir), *args],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=check, timeout=120)


def make_host(real_docker: RealDocker, tmp_path: Path, *, name: str = "wa-real-1", path: str = "/usr/bin:/usr/local/bin:/bin",
              roles: tuple[Role, ...] = (Role.WEBAPP, Role.MASTER, Role.COREAPP), db: DbEnv | None = None,
              webapp_url: str = "https://127.0.0.1:9", self_signed_ok: bool = True, options: tuple[str, ...] = ()) -> DockerHost:
    """An sshd whose sessions use the test dockerd, and a one-host profile for it (remote_dir ``<tmp>/biz``)."""
    keygen(tmp_path / "client_key")
    user = getpass.getuser()
    sshd = start_sshd(tmp_path / "hosts", name, tmp_path / "client_key.pub", None, user, path=path,
                      env={"DOCKER_HOST": real_docker.host}, options=options)
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {sshd.host_key_pub}\n")
    remote_dir = tmp_path / "biz"
    profile = ClusterProfile(
        name="real", wa_api_version=VERSION,
        hosts=(HostSpec(name, SshTarget(host="127.0.0.1", port=sshd.port, user=user, key_file=str(tmp_path / "client_key"),
                                        use_agent=False), roles, str(remote_dir)),),
        db=db or DbEnv(hostname="127.0.0.1", port=1, username="waent", password="Pass-word-42"),
        webapp=WebappApi(url=webapp_url, self_signed_ok=self_signed_ok, admin_password="Admin-pass-42"),
        known_hosts=str(known))
    settings = RunSettings(ssh=SshSettings(known_hosts=[known], read_user_config=False), poll_interval=0.2,
                           health_timeout=10, grace=1.0, command_timeout=120, preflight=False,
                           state_window=3.0)
    return DockerHost(real_docker, sshd, profile, settings, remote_dir)


@asynccontextmanager
async def installing(host: DockerHost, steps: tuple[int, ...] = (1, 2, 3, 4, 5)):
    """An :class:`HaInstall` on ``host`` that ran ``steps`` (each must pass): yields ``(workflow, events)``."""
    from tests.engine.test_ha_install import Recorder
    from wabiz_tui.workflows.ha_install import HaInstall

    events = Recorder()
    wf = HaInstall(host.profile, emit=events, settings=host.settings)
    try:
        for step in steps:
            assert await wf.run_step(step), events.text()
        yield wf, events
    finally:
        await wf.close()


@pytest.fixture
def docker_host(real_docker, tmp_path):
    """A one-host cluster (Webapp + Master + Coreapp) on real OpenSSH + real dockerd + real compose 1.29."""
    host = make_host(real_docker, tmp_path)
    try:
        yield host
    finally:
        stop_sshd(host.sshd)
        real_docker.clean()
