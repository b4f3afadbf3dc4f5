"""Harness for the stand-in node: real MariaDB / PostgreSQL servers started by the tests, and the
node programs of ``image_tree()`` run as plain local processes with the environment compose gives.

MariaDB as in lab-facts §7 (``mariadb-install-db --no-defaults`` + ``mariadbd --no-defaults`` on
127.0.0.1 and a free port, in a temporary datadir). PostgreSQL 15 from Debian's
``/usr/lib/postgresql/15/bin`` run as the ``postgres`` user (initdb refuses root). The node runs on
Debian's ``/usr/bin/python3`` with ``python3-pymysql``/``python3-psycopg2``, as in the image.
Without these programs the tests skip locally and fail in CI (``need_tool``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.support import IN_CI
from wabiz_tui.lab.node import image_tree, materialise

DB_USER = "waent"
DB_PASSWORD = "Lab-db-pass1"
VERIFY_CODE = "246810"
SPEED = 0.5
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DEBIAN_PYTHON = "/usr/bin/python3"


def need(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI (design.md §7)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


_HANDED_OUT: set[int] = set()


def free_ports(n: int = 1) -> int:
    """A base port such that base..base+n-1 are free on 0.0.0.0 and not handed out before, below
    Linux's ephemeral range (32768-60999), where the nodes' own DB connections take their ports."""
    for _ in range(200):
        base = 10000 + secrets.randbelow(22000)
        if _HANDED_OUT & set(range(base, base + n)):
            continue
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.bind(("0.0.0.0", p))
                socks.append(s)
            _HANDED_OUT.update(range(base, base + n))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def need_debian_python() -> None:
    ok = Path(DEBIAN_PYTHON).exists() and subprocess.run(
        [DEBIAN_PYTHON, "-c", "import pymysql, psycopg2"], capture_output=True).returncode == 0
    need(ok, "Debian python3 with python3-pymysql and python3-psycopg2 is not installed (apt-get install python3-pymysql python3-psycopg2)")


def wait_for(pred, timeout: float, what: str, step: float = 0.2):
    """Poll ``pred()`` until truthy; returns its value, fails naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


class MariaDB:
    """A throw-away mariadbd; :meth:`sql` runs statements as root over its unix socket."""

    engine = "MYSQL"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_ports()
        self.sock = root / "mysqld.sock"
        data = root / "data"
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", *user,
                        "--auth-root-authentication-method=normal"], check=True, capture_output=True)
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={self.sock}", f"--pid-file={root}/pid",
             "--bind-address=127.0.0.1", f"--port={self.port}", "--skip-name-resolve", "--skip-log-bin",
             "--innodb-buffer-pool-size=32M", "--performance-schema=OFF", *user],
            stdout=subprocess.DEVNULL, stderr=open(root / "mariadbd.err", "wb"))
        wait_for(lambda: self._try("SELECT 1"), 30, "mariadbd to accept connections")

    def _try(self, sql: str) -> bool:
        return subprocess.run(["mariadb", "--no-defaults", "-S", str(self.sock), "-u", "root", "-e", sql],
                              capture_output=True).returncode == 0

    def sql(self, sql: str) -> str:
        out = subprocess.run(["mariadb", "--no-defaults", "-S", str(self.sock), "-u", "root", "-N", "-B", "-e", sql],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def setup(self) -> None:
        self.sql(f"CREATE USER '{DB_USER}'@'%' IDENTIFIED BY '{DB_PASSWORD}'; "
                 f"GRANT ALL ON *.* TO '{DB_USER}'@'%' WITH GRANT OPTION; "
                 "CREATE DATABASE wabiz_lab; CREATE TABLE wabiz_lab.settings (id INT PRIMARY KEY, "
                 "verify_code VARCHAR(6), speed DOUBLE PRECISION, dbupgrade_fault TEXT); "
                 f"INSERT INTO wabiz_lab.settings VALUES (1, '{VERIFY_CODE}', {SPEED}, NULL)")

    def cluster_sql(self, prefix: str, sql: str) -> str:
        return self.sql(f"USE `{prefix}clusterStore`; {sql}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Postgres:
    """A throw-away PostgreSQL 15 run as the ``postgres`` user; :meth:`sql` runs psql as superuser."""

    engine = "PGSQL"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="wanode-pg-"))
        self.root.chmod(0o755)
        shutil.chown(self.root, "postgres", "postgres")
        self.port = free_ports()
        self.data = self.root / "data"
        self._as_pg([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                     "--auth-host=scram-sha-256"])
        self._as_pg([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                     f"-p {self.port} -k {self.root} -h 127.0.0.1", "start"])

    def _as_pg(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        cmd = ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv
        out = subprocess.run(cmd, capture_output=True, text=True, **kw)
        assert out.returncode == 0, out.stderr
        return out

    def sql(self, sql: str, db: str = "postgres") -> str:
        return self._as_pg([str(PG_BIN / "psql"), "-h", str(self.root), "-p", str(self.port), "-U", "postgres",
                            "-d", db, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]).stdout.strip()

    def setup(self) -> None:
        self.sql(f"CREATE ROLE {DB_USER} LOGIN CREATEDB PASSWORD '{DB_PASSWORD}'")
        self.sql(f"CREATE DATABASE wabiz_lab OWNER {DB_USER}")
        self.sql("CREATE TABLE settings (id INT PRIMARY KEY, verify_code VARCHAR(6), speed DOUBLE PRECISION, "
                 f"dbupgrade_fault TEXT); INSERT INTO settings VALUES (1, '{VERIFY_CODE}', {SPEED}, NULL); "
                 f"GRANT SELECT ON settings TO {DB_USER}", db="wabiz_lab")

    def cluster_sql(self, prefix: str, sql: str) -> str:
        return self.sql(sql, db=f"{prefix}clusterStore")

    def stop(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """A MariaDB server with the lab's user and the ``wabiz_lab.settings`` row."""
    need(bool(shutil.which("mariadbd") and shutil.which("mariadb-install-db")),
         "MariaDB server (mariadbd, mariadb-install-db) is not installed (.ci/run installs mariadb-server)")
    need_debian_python()
    db = MariaDB(tmp_path_factory.mktemp("mariadb"))
    db.setup()
    yield db
    db.stop()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL 15 server with the lab's user and the ``wabiz_lab.settings`` row."""
    need((PG_BIN / "initdb").exists(), f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing)")
    need(os.geteuid() != 0 or shutil.which("runuser") is not None, "runuser is needed to start PostgreSQL as root")
    try:
        import pwd
        pwd.getpwnam("postgres")
    except KeyError:
        need(False, "there is no postgres user to run PostgreSQL as")
    need_debian_python()
    db = Postgres()
    db.setup()
    yield db
    db.stop()


@pytest.fixture(params=["mariadb", "postgres"])
def database(request):
    """Each engine in turn."""
    return request.getfixturevalue(request.param)


class Node:
    """One node process: its env, output file and Popen."""

    def __init__(self, name: str, proc: subprocess.Popen, out: Path, env: dict[str, str]) -> None:
        self.name, self.proc, self.out, self.env = name, proc, out, env

    @property
    def node_id(self) -> str:
        host = self.env.get("COREAPP_HOSTNAME") or self.env.get("WEBAPP_HOSTNAME")
        return f"{host}:{self.env['HOSTNAME']}"

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


class Cluster:
    """Nodes of one cluster (its own ``WA_DB_NAME_PREFIX``) against ``db``, from a materialised image tree."""

    def __init__(self, db, root: Path, version: str = "2.41.2", password: str = DB_PASSWORD) -> None:
        self.db, self.root, self.version = db, root, version
        self.prefix = f"t{secrets.token_hex(3)}_"
        self.media = root / "media"
        self.media.mkdir(parents=True, exist_ok=True)
        self.images = {k: materialise(image_tree(k, version), root / k) for k in ("web", "coreapp")}
        self.db_env = {"WA_DB_ENGINE": db.engine, "WA_DB_HOSTNAME": "127.0.0.1", "WA_DB_PORT": str(db.port),
                       "WA_DB_USERNAME": DB_USER, "WA_DB_PASSWORD": password, "WA_DB_NAME_PREFIX": self.prefix,
                       "WA_DB_CONNECTION_IDLE_TIMEOUT": "180000"}
        self.nodes: list[Node] = []

    def start(self, name: str, image: str, **env: str) -> Node:
        """Start the image's command as compose would: ``wait_on_mysql.sh launch_within_docker.sh``."""
        root = self.images[image]
        full = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOSTNAME": secrets.token_hex(6), "LANG": "C.UTF-8",
                "WA_RUNNING_ENV_VERSION": "v2.2.3", "ORCHESTRATION": "DOCKER-COMPOSE", "WA_APP_MULTICONNECT": "1",
                "WABIZ_LAB_MEDIA_DIR": str(self.media), **self.db_env, **env}
        out = self.root / f"{name}.log"
        script = str(root / "opt/whatsapp/bin/wait_on_mysql.sh")
        launch = str(root / "opt/whatsapp/bin/launch_within_docker.sh")
        proc = subprocess.Popen(["/bin/sh", script, launch], env=full, stdout=open(out, "wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        node = Node(name, proc, out, full)
        self.nodes.append(node)
        return node

    def coreapp(self, name: str, host: str = "127.0.0.1", master: bool = False, **env: str) -> Node:
        port = free_ports(4)
        full = {"COREAPP_HOSTNAME": host, "WABIZ_LAB_LISTEN_PORT": str(port),
                "COREAPP_EXTERNAL_PORTS": ",".join(str(p) for p in range(port, port + 4))}
        if master:
            full["WA_MASTER_NODE"] = "1"
        return self.start(name, "coreapp", **{**full, **env})

    def webapp(self, name: str = "waweb", **env: str) -> tuple[Node, str]:
        port = free_ports()
        node = self.start(name, "web", WEBAPP_HOSTNAME="localhost", WEBAPP_EXTERNAL_PORTS=str(port),
                          WABIZ_LAB_LISTEN_PORT=str(port), **env)
        return node, f"https://127.0.0.1:{port}"

    def stop(self) -> None:
        for n in self.nodes:
            n.kill()


@pytest.fixture
def cluster_factory(tmp_path):
    made: list[Cluster] = []

    def make(db, **kw) -> Cluster:
        c = Cluster(db, tmp_path / f"c{len(made)}", **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


class TcpProxy:
    """A TCP relay to ``port`` on 127.0.0.1; :meth:`cut` closes it and every relayed connection
    (a network cut between one node and the database)."""

    def __init__(self, port: int) -> None:
        import threading
        self.target = port
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.socks: list[socket.socket] = []
        self.cut_off = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading
        while not self.cut_off:
            try:
                a, _ = self.srv.accept()
            except OSError:
                return
            if self.cut_off:  # close() does not wake a thread blocked in accept(): refuse here
                a.close()
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                a.close()
                continue
            self.socks += [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.cut_off = True
        self.srv.close()
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
