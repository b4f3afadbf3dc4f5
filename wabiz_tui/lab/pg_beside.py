"""A PostgreSQL 15 (Debian's) beside the lab's MariaDB, on the DB's own address ``10.213.0.30:5432`` (the name
``wa-db.lab.internal`` the hosts resolve), so a cluster can be installed on PostgreSQL in the lab the tests already have
(field report FR09, field case R07), without a second lab.

``tls=True`` runs it with ``ssl=on``, the lab CA's server certificate for the DB's name and address, and only
``hostssl`` lines for the lab network in ``pg_hba.conf``: a client that does not ask for TLS gets, from libpq 15.18
here, ``FATAL:  no pg_hba.conf entry for host "...", user "...", database "...", no encryption``; libpq's default
``sslmode=prefer`` gets TLS. The CA is copied to the shared media volume, where the containers read it at
:data:`CA_IN_CONTAINERS`.

The server is a ledger service (``services.pg``): ``lab down`` stops it, and its data lives under ``run/``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from . import services
from .errors import LabError
from .field_faults_db import db_certificate
from .proc import Proc, run
from .state import Ledger, Paths
from .topology import DB_IP, DB_NS

SERVICE = "pg"
PORT = 5432
#: The lab network, the only TCP clients ``pg_hba.conf`` lets in.
LAB_NET = "10.213.0.0/16"
#: Where the containers find the lab CA (the media volume's mount point; a host path shared by every host).
CA_IN_CONTAINERS = "/usr/local/wamedia/certs/lab-db-ca.pem"


def directory(paths: Paths) -> Path:
    """The server's run directory (data in ``pg/``, its socket, log and TLS files)."""
    return paths.run / "pg-beside"


def start(paths: Paths, *, tls: bool) -> str:
    """Start (or restart with the new ``tls`` setting, data kept) the PostgreSQL beside the lab's DB; the first start
    makes the cluster, the lab's DB user and the ``wabiz_lab`` settings row. Returns the server version
    (``15.18 (Debian 15.18-0+deb12u1)``). Raises :class:`LabError` with no lab up or when the server does not start."""
    ledger = _ledger(paths)
    stop(paths)
    d = directory(paths)
    fresh = not (d / "pg").exists()
    if fresh:
        d.mkdir(parents=True, exist_ok=True)
        shutil.chown(d, "postgres", "postgres")
        run(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", str(services.PG_BIN / "initdb"), "-D",
             str(d / "pg"), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"],
            timeout=90, env=services.CLEAN_ENV)
    kind = "hostssl" if tls else "host"
    (d / "pg" / "pg_hba.conf").write_text(f"local all all trust\n{kind} all all {LAB_NET} scram-sha-256\n")
    argv = [str(services.PG_BIN / "postgres"), "-D", str(d / "pg"), "-k", str(d), "-h", DB_IP, "-p", str(PORT),
            "-c", "shared_buffers=16MB", "-c", "max_connections=100"]
    if tls:
        argv += _tls(paths, d)
    proc = services.spawn(DB_NS, argv, d / "postgres.log", user="postgres")
    ledger.data["services"][SERVICE] = proc.to_json()
    ledger.save()
    services.wait_port(proc, DB_IP, PORT, "PostgreSQL (beside MariaDB)", d / "postgres.log", timeout=60)
    _accepting(d, timeout=60)
    if fresh:
        services.psql(paths, f"CREATE ROLE {services.DB_USER} LOGIN CREATEDB CREATEROLE PASSWORD "
                             f"'{services.DB_PASSWORD}';", sock=d)
        services.write_lab_settings(paths, "postgres", ledger.data["code"], ledger.data["speed"], sock=d)
    version = services.psql(paths, "SHOW server_version;", sock=d).strip()
    ledger.data["pg_beside"] = {"tls": tls, "version": version}
    ledger.save()
    return version


def _accepting(d: Path, timeout: float) -> None:
    """Wait until the server accepts logins on its socket in ``d``: its port opens while it still answers "FATAL: the
    database system is starting up" (psql right after a stop and start with the data kept, seen on the lab), so
    ``pg_isready`` must say "accepting connections" (exit 0; 1 while it rejects them). Raises :class:`LabError`."""
    deadline = time.monotonic() + timeout
    while True:
        got = run([str(services.PG_BIN / "pg_isready"), "-h", str(d), "-p", str(PORT), "-U", "postgres", "-t", "2"],
                  check=False, env=services.CLEAN_ENV)
        if got.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise LabError(f"PostgreSQL (beside MariaDB) does not accept logins after {timeout:.0f} s: "
                           f"{got.stdout.strip()}")
        time.sleep(0.2)


def _tls(paths: Paths, d: Path) -> list[str]:
    """The DB certificate copied where ``postgres`` may read it (its key mode 600, as PostgreSQL demands), the CA put
    on the media volume for the containers; the server options."""
    ca, crt, key = db_certificate(paths)
    tls = d / "tls"
    tls.mkdir(exist_ok=True)
    for src in (ca, crt, key):
        (tls / src.name).write_bytes(src.read_bytes())
    run(["chown", "-R", "postgres:postgres", str(tls)])
    (tls / key.name).chmod(0o600)
    shared = paths.media / Path(CA_IN_CONTAINERS).relative_to("/usr/local/wamedia")
    shared.parent.mkdir(mode=0o755, exist_ok=True)
    shared.write_bytes(ca.read_bytes())
    shared.chmod(0o644)
    return ["-c", "ssl=on", "-c", f"ssl_cert_file={tls / crt.name}", "-c", f"ssl_key_file={tls / key.name}"]


def stop(paths: Paths) -> None:
    """Stop the PostgreSQL beside the lab's DB (data kept until ``lab down``); nothing when it does not run."""
    ledger = _ledger(paths)
    got = ledger.data["services"].pop(SERVICE, None)
    if got is not None:
        Proc.from_json(got).stop(30)
    ledger.data.pop("pg_beside", None)
    ledger.save()
    (paths.media / Path(CA_IN_CONTAINERS).relative_to("/usr/local/wamedia")).unlink(missing_ok=True)


def reset(paths: Paths) -> list[str]:
    """Drop the databases a cluster made on it (:func:`services.reset_cluster_databases`); returns their names."""
    return services.reset_cluster_databases(paths, "postgres", sock=directory(paths))


def sql(paths: Paths, statement: str, db: str = "postgres") -> str:
    """Run ``statement`` as its superuser over the local socket; unaligned output."""
    return services.psql(paths, statement, db, sock=directory(paths))


def _ledger(paths: Paths) -> Ledger:
    ledger = Ledger.load(paths)
    if ledger is None or ledger.data.get("phase") != "up":
        raise LabError("no lab is up")
    return ledger
