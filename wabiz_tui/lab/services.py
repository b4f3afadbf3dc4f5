"""The lab's shared services, each in its own network namespace but the machine's mount namespace: lab DNS
(dnsmasq), the TLS registry answering as ``docker.whatsapp.biz`` (Debian ``docker-registry``), and the DB server
(MariaDB or PostgreSQL). Started with ``nsenter --net`` (no fork: the recorded PID is the daemon's own).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

from .errors import LabError
from .host import CLEAN_ENV, tcp_open
from .netns import nsexec
from .proc import Proc, run
from .state import Paths
from .topology import DB_IP, DNS_IP, DNS_NS, DB_NS, DOMAIN, REGISTRY_IP, REGISTRY_NAME, REGISTRY_NS

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DB_USER = "waent"
#: The lab's DB password: no character of ``?{}&~!()^=`` (refused in db.env by the seed).
DB_PASSWORD = "Lab-db-pass-2026"
#: The version string MariaDB announces when spoofing is asked (a MySQL the client supports, lab-facts §7).
SPOOF_VERSION = "8.0.36-lab"
SETTINGS_DB = "wabiz_lab"


def spawn(ns: str, argv: list[str], log: Path, *, user: str | None = None, env: dict | None = None) -> Proc:
    """Start ``argv`` in netns ``ns`` (own session, clean environment plus ``env``, output to ``log``); returns its
    identity."""
    prefix = nsexec(ns) + (["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"] if user else [])
    with open(log, "ab") as out:
        p = subprocess.Popen(prefix + argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                             env={**CLEAN_ENV, **(env or {})})
    time.sleep(0.01)
    return Proc.of(p.pid)


def wait_port(proc: Proc, ip: str, port: int, what: str, log: Path, timeout: float = 20) -> None:
    """Wait until ``ip:port`` accepts TCP; raises :class:`LabError` with the log's tail if ``proc`` died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tcp_open(ip, port, 0.2):
            return
        if not proc.alive():
            break
        time.sleep(0.05)
    tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:]) if log.exists() else ""
    raise LabError(f"{what} did not start on {ip}:{port}: {tail}")


# ---------------------------------------------------------------- CA and registry

def ensure_ca(paths: Paths) -> tuple[Path, Path, Path]:
    """The lab CA and the registry's certificate (``CN=docker.whatsapp.biz`` with that SAN: Go clients reject
    CN-only certificates, lab-facts §5), made once and kept. Returns (ca.crt, server.crt, server.key)."""
    d = paths.ca_dir
    ca, key, crt = d / "ca.crt", d / "registry.key", d / "registry.crt"
    if ca.exists() and crt.exists():
        return ca, crt, key
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=wabiz lab CA",
         "-keyout", str(d / "ca.key"), "-out", str(ca)])
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={REGISTRY_NAME}", "-keyout", str(key),
         "-out", str(d / "registry.csr")])
    (d / "san.ext").write_text(f"subjectAltName=DNS:{REGISTRY_NAME},IP:{REGISTRY_IP}\n")
    run(["openssl", "x509", "-req", "-in", str(d / "registry.csr"), "-CA", str(ca), "-CAkey", str(d / "ca.key"),
         "-CAcreateserial", "-days", "3650", "-extfile", str(d / "san.ext"), "-out", str(crt)])
    return ca, crt, key


#: Where the registry listens behind a front (plain HTTP, the registry namespace's loopback).
BEHIND_ADDR = ("127.0.0.1", 5000)


def registry_config(paths: Paths, crt: Path, key: Path, *, deny: bool = False, behind: bool = False) -> Path:
    """Write the registry's config. ``deny``: every request needs a login no one has (pulls get 401/403-like
    ``unauthorized``), for the "registry 403" fault. ``behind``: plain HTTP on :data:`BEHIND_ADDR` inside the
    registry's namespace, for a front on its address (:mod:`.registry_relay`)."""
    paths.registry_data.mkdir(parents=True, exist_ok=True)
    auth = ""
    if deny:
        htp = paths.run / "registry.htpasswd"
        htp.write_text("nobody:$2y$05$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva\n")
        auth = f"auth:\n  htpasswd:\n    realm: wabiz-lab\n    path: {htp}\n"
    tls = (f"  addr: {BEHIND_ADDR[0]}:{BEHIND_ADDR[1]}\n" if behind else
           f"  addr: {REGISTRY_IP}:443\n  tls:\n    certificate: {crt}\n    key: {key}\n")
    cfg = paths.run / "registry.yml"
    cfg.write_text(f"""version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: {paths.registry_data}
  delete:
    enabled: true
http:
{tls}{auth}""")
    return cfg


def start_registry(paths: Paths, *, deny: bool = False, behind: bool = False) -> Proc:
    """Start ``docker-registry serve`` on 10.213.0.5:443 and wait for it; ``behind``: on :data:`BEHIND_ADDR`, plain
    HTTP, for a front to wait for (this machine cannot reach the namespace's loopback)."""
    _ca, crt, key = ensure_ca(paths)
    log = paths.run / "registry.log"
    proc = spawn(REGISTRY_NS, ["docker-registry", "serve", str(registry_config(paths, crt, key, deny=deny,
                                                                                behind=behind))], log)
    if not behind:
        wait_port(proc, REGISTRY_IP, 443, "the registry", log)
    return proc


def start_registry_front(paths: Paths) -> Proc:
    """Start :mod:`registry_front` (HTTP 403 to everything) on the registry's address and certificate, and wait for
    it. The registry must be stopped first (same address and port)."""
    _ca, crt, key = ensure_ca(paths)
    log = paths.run / "registry-front.log"
    script = Path(__file__).with_name("registry_front.py")
    proc = spawn(REGISTRY_NS, [sys.executable, str(script), REGISTRY_IP, "443", str(crt), str(key)], log)
    wait_port(proc, REGISTRY_IP, 443, "the registry's 403 front", log)
    return proc


# ---------------------------------------------------------------- DNS

def dns_hosts_path(paths: Paths) -> Path:
    """The lab DNS's hosts file (``run/dns-hosts``), which dnsmasq and the egress proxy read."""
    return paths.run / "dns-hosts"


def start_dns(paths: Paths, hosts_text: str) -> Proc:
    """Start dnsmasq on 10.213.0.2 answering the lab names only (lab-facts §6: ``--local``/``--domain-needed`` make
    AAAA of known names NODATA and unknown names NXDOMAIN instead of REFUSED)."""
    dns_hosts_path(paths).write_text(hosts_text)
    log = paths.run / "dnsmasq.log"
    argv = ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", f"--addn-hosts={dns_hosts_path(paths)}",
            "--domain-needed", f"--local=/{DOMAIN}/", f"--local=/{REGISTRY_NAME.split('.', 1)[1]}/",
            *(f"--local=/{d}/" for d in ("whatsapp.net", "facebook.com")),  # the fake WhatsApp's names (lab.egress)
            f"--listen-address={DNS_IP}", "--bind-interfaces", "--user=nobody", f"--pid-file={paths.run / 'dnsmasq.pid'}",
            "--log-queries", f"--log-facility={log}"]
    proc = spawn(DNS_NS, argv, paths.run / "dnsmasq.out")
    wait_port(proc, DNS_IP, 53, "dnsmasq", paths.run / "dnsmasq.out")
    return proc


# ---------------------------------------------------------------- DB

def init_mariadb(paths: Paths) -> None:
    """Initialise a fresh MariaDB data directory (≈0.55 s, lab-facts §7); root logs in over the unix socket."""
    d = paths.run / "db"
    data = d / "data"
    data.mkdir(parents=True, exist_ok=True)
    mysql = pwd.getpwnam("mysql")
    for p in (d, data):
        os.chown(p, mysql.pw_uid, mysql.pw_gid)
    run(["mariadb-install-db", "--no-defaults", "--user=mysql", f"--datadir={data}",
         "--auth-root-authentication-method=socket", "--skip-test-db"], timeout=60)


def run_mariadb(paths: Paths, *, spoof: bool, extra: tuple[str, ...] = ()) -> Proc:
    """Start MariaDB on 10.213.0.30:3306 with ``--no-defaults`` (the machine's /etc/mysql is ignored) and wait for
    it. ``spoof``: announce :data:`SPOOF_VERSION` in the handshake and ``VERSION()``; ``extra``: more options (the
    TLS-only fault's, ``lab/field_faults_db.py``)."""
    d = paths.run / "db"
    argv = ["mariadbd", "--no-defaults", "--user=mysql", f"--datadir={d / 'data'}", f"--socket={d / 'mysqld.sock'}",
            f"--pid-file={d / 'mysqld.pid'}", f"--bind-address={DB_IP}", "--port=3306", "--skip-name-resolve",
            "--innodb-buffer-pool-size=32M", "--performance-schema=OFF", f"--log-error={d / 'mysqld.err'}"]
    if spoof:
        argv.append(f"--version={SPOOF_VERSION}")
    argv += extra
    proc = spawn(DB_NS, argv, d / "mysqld.out")
    wait_port(proc, DB_IP, 3306, "MariaDB", d / "mysqld.err")
    return proc


def start_mariadb(paths: Paths, *, spoof: bool) -> Proc:
    """Initialise and start MariaDB and create the lab's DB user (may create databases, ``mysql_native_password``)."""
    init_mariadb(paths)
    proc = run_mariadb(paths, spoof=spoof)
    mysql_root(paths, f"CREATE USER IF NOT EXISTS '{DB_USER}'@'%' IDENTIFIED BY '{DB_PASSWORD}';"
                      f"GRANT ALL ON *.* TO '{DB_USER}'@'%' WITH GRANT OPTION;"
                      # like an application account, not an admin: no extra connection slot past max_connections
                      f"REVOKE SUPER, CONNECTION ADMIN ON *.* FROM '{DB_USER}'@'%';")
    return proc


def mysql_root(paths: Paths, sql: str) -> str:
    """Run ``sql`` as MariaDB's root over the unix socket; returns the tab-separated output."""
    return run(["mariadb", "--no-defaults", f"--socket={paths.run / 'db' / 'mysqld.sock'}", "-uroot", "-N", "-B",
                "-e", sql]).stdout


def init_postgres(paths: Paths) -> None:
    """initdb a fresh PostgreSQL 15 cluster (Debian's binaries) in the run directory; the lab network logs in with
    a password (scram), the ``postgres`` role over the local socket."""
    d = paths.run / "db"
    d.mkdir(parents=True, exist_ok=True)
    pg = pwd.getpwnam("postgres")
    os.chown(d, pg.pw_uid, pg.pw_gid)
    run(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", str(PG_BIN / "initdb"), "-D", str(d / "pg"),
         "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"], timeout=90,
        env=CLEAN_ENV)
    with open(d / "pg" / "pg_hba.conf", "a") as f:
        f.write("host all all 10.213.0.0/16 scram-sha-256\n")


def run_postgres(paths: Paths) -> Proc:
    """Start PostgreSQL on 10.213.0.30:5432 and wait for it."""
    d = paths.run / "db"
    argv = [str(PG_BIN / "postgres"), "-D", str(d / "pg"), "-k", str(d), "-h", DB_IP, "-p", "5432",
            "-c", "shared_buffers=16MB", "-c", "max_connections=100"]
    proc = spawn(DB_NS, argv, d / "postgres.log", user="postgres")
    wait_port(proc, DB_IP, 5432, "PostgreSQL", d / "postgres.log")
    return proc


def start_postgres(paths: Paths) -> Proc:
    """Initialise and start PostgreSQL and create the lab's DB user (may create databases and roles)."""
    init_postgres(paths)
    proc = run_postgres(paths)
    psql(paths, f"CREATE ROLE {DB_USER} LOGIN CREATEDB CREATEROLE PASSWORD '{DB_PASSWORD}';")
    return proc


def hold_connection(paths: Paths) -> Proc:
    """A MariaDB session of the lab user kept open (``SELECT SLEEP``) from the lab network, for the
    max-connections fault; returns its client process."""
    log = paths.run / "db" / "holder.log"
    proc = spawn(DB_NS, ["mariadb", "--no-defaults", "-h", DB_IP, "-u", DB_USER, "-e", "SELECT SLEEP(86400)"], log,
                 env={"MYSQL_PWD": DB_PASSWORD})  # not on the command line, where ps shows it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        n = mysql_root(paths, f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{DB_USER}' "
                              "AND INFO LIKE 'SELECT SLEEP(86400)%';").strip()
        if n != "0":
            return proc
        time.sleep(0.05)
    raise LabError("the connection holder did not log in")


def psql(paths: Paths, sql: str, db: str = "postgres", *, sock: Path | None = None) -> str:
    """Run ``sql`` as the ``postgres`` role over the local socket (in ``sock``, default the lab DB's directory; a
    PostgreSQL beside MariaDB has its own, :mod:`.pg_beside`); returns unaligned output."""
    return run(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", str(PG_BIN / "psql"), "-h",
                str(sock or paths.run / "db"), "-p", "5432", "-U", "postgres", "-d", db, "-At", "-v", "ON_ERROR_STOP=1",
                "-c", sql], env=CLEAN_ENV).stdout


def db_sql(paths: Paths, engine: str, sql: str, db: str | None = None) -> str:
    """Run ``sql`` as the DB's administrator on either engine (``mysql`` or ``postgres``)."""
    if engine == "postgres":
        return psql(paths, sql, db or "postgres")
    return mysql_root(paths, (f"USE {db};" if db else "") + sql)


def write_lab_settings(paths: Paths, engine: str, code: str, speed: float, *, sock: Path | None = None) -> None:
    """Create database ``wabiz_lab`` with table ``settings`` (row ``id = 1``: ``verify_code`` the lab chose,
    ``speed`` factor, ``dbupgrade_fault`` empty), owned by the lab's DB user; the stand-in nodes read it
    (contract of ``wabiz_tui.lab.node``'s ``Store.lab_settings``)."""
    table = (f"CREATE TABLE settings(id INT PRIMARY KEY, verify_code VARCHAR(16), speed DOUBLE PRECISION, "
             f"dbupgrade_fault VARCHAR(255)); INSERT INTO settings VALUES (1, '{code}', {float(speed)!r}, NULL);")
    if engine == "postgres":
        psql(paths, f"CREATE DATABASE {SETTINGS_DB} OWNER {DB_USER};", sock=sock)
        psql(paths, table + f" ALTER TABLE settings OWNER TO {DB_USER};", SETTINGS_DB, sock=sock)
    else:
        mysql_root(paths, f"CREATE DATABASE IF NOT EXISTS {SETTINGS_DB}; USE {SETTINGS_DB}; " + table)


def set_lab_setting(paths: Paths, engine: str, column: str, value: str | None) -> None:
    """Change one column of the lab settings row (``dbupgrade_fault`` for the dbupgrade fault)."""
    if column not in ("verify_code", "speed", "dbupgrade_fault"):
        raise LabError(f"unknown lab setting {column!r}")
    literal = "NULL" if value is None else "'" + value.replace("'", "''") + "'"
    db_sql(paths, engine, f"UPDATE settings SET {column} = {literal} WHERE id = 1;", SETTINGS_DB)


def db_version(paths: Paths, engine: str) -> str:
    """The version string the DB server reports to clients (``SELECT VERSION()``/``SHOW server_version``)."""
    return db_sql(paths, engine, "SHOW server_version;" if engine == "postgres" else "SELECT VERSION();").strip()


#: Databases a MariaDB/PostgreSQL server has of its own (never dropped by :func:`reset_cluster_databases`).
SYSTEM_DATABASES = {"mysql", "information_schema", "performance_schema", "sys", "postgres", "template0", "template1",
                    SETTINGS_DB}


def reset_cluster_databases(paths: Paths, engine: str, *, sock: Path | None = None) -> list[str]:
    """Drop every database the cluster created (all but the server's own and ``wabiz_lab``), as a fresh DB server
    would be before an install; returns the names dropped."""
    if engine == "postgres":
        names = psql(paths, "SELECT datname FROM pg_database;", sock=sock).split()
    else:
        names = mysql_root(paths, "SHOW DATABASES;").split()
    dropped = [n for n in names if n not in SYSTEM_DATABASES]
    for n in dropped:
        if engine == "postgres":
            psql(paths, f'DROP DATABASE "{n}" WITH (FORCE);', sock=sock)
        else:
            mysql_root(paths, f"DROP DATABASE `{n}`;")
    return dropped
