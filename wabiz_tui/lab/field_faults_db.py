"""Lab faults of the DB layer that ``doctor``'s DB probing is proven on (field cases R06, R10; field report FR07):
the lab account without ``CREATE``, a TLS-only MariaDB, and the account on an auth plugin the client does not speak.
(FR31 host-restrict, FR35 idle-timeout and FR36 read-only are :mod:`.field_faults`'.)

``lab fault db MODE`` reaches :func:`db_fault` through :mod:`.faults`, which records what :func:`undo` needs in the
ledger; ``lab fault clear`` calls :func:`undo`. MariaDB only (the PostgreSQL lab has none of these: a PostgreSQL lab
gets :class:`LabBadArgument`).
"""

from __future__ import annotations

from pathlib import Path

from . import services
from .errors import LabBadArgument
from .proc import Proc, run
from .state import Ledger, Paths
from .topology import DB_IP, DB_NAME

DB_MODES = ("no-create", "tls-only", "auth-plugin")
_KINDS = {f"db-{m}" for m in DB_MODES}


def owns(kind: str) -> bool:
    """True if ``kind`` (a ledger fault's ``kind``) was injected by this module."""
    return kind in _KINDS


def db_fault(paths: Paths, ledger: Ledger, engine: str, mode: str) -> dict:
    """``no-create``: ``REVOKE CREATE ON *.*`` from the lab account (it keeps every other privilege: the client's
    first start cannot create its databases, R10). ``tls-only``: restart MariaDB with a server certificate from the lab
    CA and ``require_secure_transport=ON`` (a plain login with the right password then gets MariaDB 10.11's
    ``ERROR 1045 ... Access denied``, observed here; FR07). ``auth-plugin``: the account authenticates with MariaDB's
    ``ed25519`` plugin (the ``mariadb`` CLI still logs in; a client without ``client_ed25519`` — PyMySQL here, as the
    Webapp's PHP connector — gets error 2059; R06's family). Returns the facts :func:`undo` needs."""
    if engine == "postgres":
        raise LabBadArgument(f"db fault {mode}: the PostgreSQL lab has no such fault; bring the lab up with --db mysql")
    u, pw = services.DB_USER, services.DB_PASSWORD
    if mode == "no-create":
        services.mysql_root(paths, f"REVOKE CREATE ON *.* FROM '{u}'@'%';")
    elif mode == "tls-only":
        _restart(paths, ledger, _tls_options(paths))
        services.mysql_root(paths, "SET GLOBAL require_secure_transport=ON;")
    elif mode == "auth-plugin":
        services.mysql_root(paths, "INSTALL PLUGIN IF NOT EXISTS ed25519 SONAME 'auth_ed25519';"
                                   f"ALTER USER '{u}'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('{pw}');")
    else:
        raise LabBadArgument(f"db fault {mode!r}: not one of {', '.join(DB_MODES)}")
    return {}


def undo(paths: Paths, ledger: Ledger, f: dict) -> None:
    """Undo one recorded fault of this module."""
    u, pw = services.DB_USER, services.DB_PASSWORD
    if f["kind"] == "db-no-create":
        services.mysql_root(paths, f"GRANT CREATE ON *.* TO '{u}'@'%';")
    elif f["kind"] == "db-tls-only":
        _restart(paths, ledger, ())
    elif f["kind"] == "db-auth-plugin":
        services.mysql_root(paths, f"ALTER USER '{u}'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('{pw}');")


def _restart(paths: Paths, ledger: Ledger, extra: tuple[str, ...]) -> None:
    Proc.from_json(ledger.data["services"]["db"]).stop(30)
    proc = services.run_mariadb(paths, spoof=ledger.data["db"].get("spoof", False), extra=extra)
    ledger.data["services"]["db"] = proc.to_json()
    ledger.set("services", ledger.data["services"])


def db_certificate(paths: Paths) -> tuple[Path, Path, Path]:
    """``(ca, crt, key)``: the lab CA and a server certificate for the DB's name and address it signed (made once)."""
    ca, _, _ = services.ensure_ca(paths)
    d = paths.ca_dir
    key, crt = d / "db.key", d / "db.crt"
    if not crt.exists():
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={DB_NAME}", "-keyout", str(key),
             "-out", str(d / "db.csr")])
        (d / "db-san.ext").write_text(f"subjectAltName=DNS:{DB_NAME},IP:{DB_IP}\n")
        run(["openssl", "x509", "-req", "-in", str(d / "db.csr"), "-CA", str(ca), "-CAkey", str(d / "ca.key"),
             "-CAcreateserial", "-days", "3650", "-extfile", str(d / "db-san.ext"), "-out", str(crt)])
    return ca, crt, key


def _tls_options(paths: Paths) -> tuple[str, ...]:
    """The DB certificate (:func:`db_certificate`) as mariadbd options."""
    ca, crt, key = db_certificate(paths)
    # mariadbd runs as mysql: it must read the key (the CA directory is root's, mode 700)
    tls = paths.run / "db" / "tls"
    tls.mkdir(exist_ok=True)
    for src in (ca, crt, key):
        (tls / src.name).write_bytes(src.read_bytes())
    run(["chown", "-R", "mysql:mysql", str(tls)])
    (tls / key.name).chmod(0o600)
    return (f"--ssl-ca={tls / ca.name}", f"--ssl-cert={tls / crt.name}", f"--ssl-key={tls / key.name}")
