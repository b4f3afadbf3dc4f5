"""Field case R07's ``dbname=<DB>`` in ``WA_DB_CONNECTION_OPTION``, on real libpq and a real PostgreSQL 15: the Coreapp
stand-in builds its connection string as Qt's QPSQL does (``wanode/qtpsql.py``: its own ``dbname=`` first, the options
after), and libpq keeps a keyword's last value, so every connection of the node goes to ``db``: the node's own
databases are created and stay without tables, which is what R07's reporter saw (configStore/clusterStore empty)."""

from __future__ import annotations

from .conftest import DB_USER, wait_for

TABLES = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"


def test_dbname_in_the_options_sends_every_connection_to_that_database(postgres, cluster_factory):
    postgres.sql("DROP DATABASE IF EXISTS db")
    postgres.sql(f"CREATE DATABASE db OWNER {DB_USER}")
    c = cluster_factory(postgres)
    node = c.coreapp("wacore1", master=True, WA_DB_CONNECTION_OPTION="dbname=db")
    wait_for(lambda: "Connected to PGSQL server" in node.output() or node.proc.poll() is not None, 60,
             "the Master to connect")
    out = node.output()
    assert 'connectOption: "dbname=db;connect_timeout=15"' in out, out
    names = postgres.sql(f"SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database "
                         f"WHERE datname LIKE '{c.prefix}%'").split(",")
    assert names == [f"{c.prefix}clusterStore", f"{c.prefix}configStore"], names  # created, as the node asked
    for name in names:
        assert postgres.sql(TABLES, db=name) == "0", name  # ... and left without tables
    assert int(postgres.sql(TABLES, db="db")) > 0  # the tables went where libpq's last dbname pointed
