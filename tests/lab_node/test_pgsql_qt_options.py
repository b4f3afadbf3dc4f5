"""The Coreapp stand-in on PostgreSQL hands libpq the connection string the real Qt client builds (field report FR09,
``wanode/qtpsql.py``), against a real PostgreSQL 15 with ``ssl=on`` and a ``hostssl``-only ``pg_hba.conf``: libpq
itself refuses ``SSL_CA``, and libpq's own options in ``WA_DB_CONNECTION_OPTION`` connect over verified TLS."""

from __future__ import annotations

import subprocess

import pytest

from wabiz_tui.domain.diagnosis import diagnose_lines
from wabiz_tui.lab.node.wanode import qtpsql

from .conftest import DB_PASSWORD, Postgres, need, need_debian_python, wait_for


class TlsPostgres(Postgres):
    """:class:`Postgres` restarted with a server certificate from its own CA, ``ssl=on`` and only ``hostssl`` lines
    for TCP (a plain connection gets ``no pg_hba.conf entry ... no encryption``)."""

    def __init__(self) -> None:
        super().__init__()
        r = self.root
        self.ca = r / "ca.pem"
        for argv in (["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=lab-ca", "-keyout",
                      str(r / "ca.key"), "-out", str(self.ca), "-days", "2"],
                     ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
                      str(r / "srv.key"), "-out", str(r / "srv.csr")]):
            subprocess.run(argv, check=True, capture_output=True)
        (r / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        subprocess.run(["openssl", "x509", "-req", "-in", str(r / "srv.csr"), "-CA", str(self.ca), "-CAkey",
                        str(r / "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", str(r / "san.ext"), "-out",
                        str(r / "srv.crt")], check=True, capture_output=True)
        subprocess.run(["chown", "postgres:postgres", str(r / "srv.key"), str(r / "srv.crt")], check=True)
        (r / "srv.key").chmod(0o600)
        self.ca.chmod(0o644)
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"ssl = on\nssl_cert_file = '{r / 'srv.crt'}'\nssl_key_file = '{r / 'srv.key'}'\n")
        (self.data / "pg_hba.conf").write_text("local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n")
        self._as_pg([str(self._bin("pg_ctl")), "-D", str(self.data), "-l", str(r / "log"), "-w", "-o",
                     f"-p {self.port} -k {r} -h 127.0.0.1", "restart"])

    @staticmethod
    def _bin(name: str):
        from .conftest import PG_BIN
        return PG_BIN / name


@pytest.fixture(scope="module")
def tls_postgres():
    from .conftest import PG_BIN
    need((PG_BIN / "initdb").exists(), f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing)")
    need_debian_python()
    db = TlsPostgres()
    db.setup()
    yield db
    db.stop()


def test_connect_options_and_the_connection_string_as_the_qt_client_builds_them():
    assert qtpsql.connect_options({"WA_DB_SSL_CA": "/usr/local/waent/data/certs/filename.crt.pem"}) == \
        "SSL_CA=/usr/local/waent/data/certs/filename.crt.pem;connect_timeout=15"  # FR09's log, as is
    assert qtpsql.connect_options({"WA_DB_CONNECTION_OPTION": "sslmode=verify-full; sslrootcert=/c.pem;"}) == \
        "sslmode=verify-full;sslrootcert=/c.pem;connect_timeout=15"
    assert qtpsql.conninfo("db", 5432, "u", "p'w", "postgres", "a=1;b=2") == \
        "host='db' dbname='postgres' user='u' password='p\\'w' port='5432' a=1 b=2"
    assert qtpsql.qsqlerror('invalid connection option "SSL_CA"\n') == \
        'QSqlError("", "QPSQL: Unable to connect", "invalid connection option \\"SSL_CA\\"\\n")'


def test_fr09_wa_db_ssl_ca_on_postgresql_is_refused_by_libpq_itself(tls_postgres, cluster_factory):
    c = cluster_factory(tls_postgres)
    node = c.coreapp("wacore1", WA_DB_SSL_CA=str(tls_postgres.ca))
    assert node.wait(60) == 1
    out = node.output()
    assert f'connectOption: "SSL_CA={tls_postgres.ca};connect_timeout=15"' in out
    assert 'Failed to create database "configStore" QSqlError("", "QPSQL: Unable to connect", ' \
           '"invalid connection option \\"SSL_CA\\"\\n")' in out
    assert DB_PASSWORD not in out
    found = {d.key: d for d in diagnose_lines(out.splitlines())}
    assert found["DB_PG_OPTION_INVALID"].title == "libpq refuses the connection option SSL_CA"
    assert "WA_DB_CONNECTION_OPTION" in found["DB_PG_OPTION_INVALID"].next_action
    assert "DB_UNREACHABLE" not in found  # not blamed on the network


def test_libpq_options_in_wa_db_connection_option_connect_over_verified_tls(tls_postgres, cluster_factory):
    c = cluster_factory(tls_postgres)
    node = c.coreapp("wacore1", master=True,
                     WA_DB_CONNECTION_OPTION=f"sslmode=verify-full;sslrootcert={tls_postgres.ca}")
    wait_for(lambda: "Connected to PGSQL server" in node.output() or node.proc.poll() is not None, 60,
             "the Master to connect")
    assert node.proc.poll() is None, node.output()
    assert tls_postgres.sql("SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                            "WHERE a.usename = 'waent'") == "t"


def test_sslmode_disable_meets_the_hostssl_only_server_with_libpqs_words(tls_postgres, cluster_factory):
    c = cluster_factory(tls_postgres)
    node = c.coreapp("wacore1", WA_DB_CONNECTION_OPTION="sslmode=disable")
    assert node.wait(60) == 1
    assert 'no pg_hba.conf entry for host \\"127.0.0.1\\", user \\"waent\\", database \\"postgres\\", no encryption' \
        in node.output()


def test_the_webapp_leaves_the_mysql_ssl_settings_out_on_postgresql(tls_postgres, cluster_factory):
    """The Webapp (PHP) applies WA_DB_SSL_* for MySQL only (DBUtil.php): on PostgreSQL it starts with libpq's
    default sslmode=prefer, which the TLS-only server accepts."""
    c = cluster_factory(tls_postgres)
    node, _ = c.webapp(WA_DB_SSL_CA=str(tls_postgres.ca))
    wait_for(lambda: "listening on" in node.output() or node.proc.poll() is not None, 60, "the Webapp to listen")
    assert node.proc.poll() is None, node.output()
    assert "SSL_CA" not in node.output()


# --- doctor's own PostgreSQL login (wabiz_tui/remote/dblogin.py) against the same TLS-only server ---------------------
def _db(server):
    from wabiz_tui.domain.model import DbEngine, DbEnv
    return DbEnv(engine=DbEngine.PGSQL, hostname="127.0.0.1", port=server.port, username="waent", password=DB_PASSWORD)


async def test_doctors_login_follows_libpq_sslmode(tls_postgres):
    from wabiz_tui.remote.dblogin import DbLoginError, read_db_facts_here

    got = await read_db_facts_here(_db(tls_postgres), tls="prefer")
    assert got.tls and got.version.startswith("15.")
    with pytest.raises(DbLoginError) as refused:
        await read_db_facts_here(_db(tls_postgres), tls="disable")
    assert "no encryption" in str(refused.value) and refused.value.server_tls is True
    assert DB_PASSWORD not in str(refused.value)
