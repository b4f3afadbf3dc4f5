"""The preflight's DB login with a profile as a user writes it, and its words when the login does not happen (issue 17,
left open from #16: on the lab the PostgreSQL login said "did not speak the PGSQL protocol as expected (AttributeError)").

The cause: the YAML loader marks unquoted scalars with ``PlainText`` (a ``str`` subclass, so ``self_signed_ok: true``
differs from ``'true'``), the profile kept it in ``db.username``/``db.password``, and asyncpg 0.32's protocol takes only
an exact ``str``: ``TypeError: Expected str, got PlainText``, turned into ``AttributeError: 'Protocol' object has no
attribute '_on_error'`` by its error path. Tests built profiles in Python (plain ``str``), so only a saved profile
showed it. Here the simulator's PostgreSQL wire server (real asyncpg on the client side) and a profile from a file.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.engine.test_preflight import run_preflight
from wabiz_tui.config.profile import load_profile, save_profile
from wabiz_tui.config.yamlload import PlainText
from wabiz_tui.domain.model import DbEngine, DbEnv
from wabiz_tui.domain.preflight import FAILURE, OK, WARNING
from wabiz_tui.remote.dblogin import DbLoginError
from wabiz_tui.workflows.preflight_db import login_failure

#: a Python class name in a message (what must never reach the user)
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Text)\b")


def pg_profile(demo, version: str = "13.8"):
    db = dataclasses.replace(demo.profile.db, engine=DbEngine.PGSQL, port=5432)
    demo.cluster.set_database(db.hostname, 5432, engine="PGSQL", version=version)
    return demo.profile.with_changes(db=db)


@pytest.fixture(autouse=True)
def _no_latency_warning(monkeypatch):
    # the DB path is what is checked, not the round trip (a loaded machine once made it a warning)
    monkeypatch.setattr("wabiz_tui.workflows.preflight_db.DB_LATENCY_WARN_MS", 10_000)


async def test_a_profile_read_from_its_file_logs_in_to_postgresql(demo, tmp_path):
    saved = save_profile(pg_profile(demo), tmp_path / "pg.yaml")
    text = saved.read_text()
    assert re.search(r"username: [^'\"\s]", text), text  # written without quotes: the loader marks it PlainText
    ok, results, _ = await run_preflight(demo, tmp_path, load_profile(saved))
    login = results[("", "db login")]
    assert login.level == OK and login.reason.startswith("logged in as"), login
    assert results[("", "db version")].reason == "PostgreSQL 13.8"


@pytest.mark.parametrize("engine", ["PGSQL", "MYSQL"])
async def test_db_texts_of_a_str_subclass_still_log_in(demo, tmp_path, engine):
    """The client libraries get exact ``str`` whatever the profile's objects are (asyncpg refuses a subclass)."""
    profile = pg_profile(demo) if engine == "PGSQL" else demo.profile
    db = dataclasses.replace(profile.db, username=PlainText(profile.db.username), password=PlainText(profile.db.password))
    ok, results, _ = await run_preflight(demo, tmp_path, profile.with_changes(db=db))
    assert results[("", "db login")].level == OK, results[("", "db login")]


async def test_a_wrong_password_from_a_file_is_refused_in_words(demo, tmp_path):
    profile = pg_profile(demo)
    saved = save_profile(profile.with_changes(db=dataclasses.replace(profile.db, password="Not-The-Password-7")),
                         tmp_path / "pg.yaml")
    ok, results, _ = await run_preflight(demo, tmp_path, load_profile(saved))
    login = results[("", "db login")]
    assert not ok and login.level == FAILURE
    assert "DB login refused for WA_DB_USERNAME=" in login.reason and "check db.username and db.password" in login.reason
    assert not CLASS_NAME.search(login.reason) and "Not-The-Password-7" not in login.reason


async def test_a_client_library_failure_names_the_fields_not_the_exception(demo, tmp_path, monkeypatch):
    import asyncpg

    async def broken(*_a, **_k):
        raise AttributeError("'Protocol' object has no attribute '_on_error'")  # what asyncpg raised on the lab
    monkeypatch.setattr(asyncpg, "connect", broken)
    ok, results, _ = await run_preflight(demo, tmp_path, pg_profile(demo))
    login = results[("", "db login")]
    assert login.level == WARNING
    assert "no PostgreSQL login came of it" in login.reason and "db.port (5432)" in login.reason
    assert "db.engine (PGSQL)" in login.reason
    assert "AttributeError" not in login.reason and "_on_error" not in login.reason and not CLASS_NAME.search(login.reason)


DB = DbEnv(DbEngine.PGSQL, "wa-db.example", 5432, "waent", "Secret-Pass-1")


@pytest.mark.parametrize("exc,field,fix", [
    (DbLoginError("wa-db.example:5432: Connection refused", refused=False, reached=False),
     "db.hostname/db.port", "listens on 5432"),
    (DbLoginError("wa-db.example:5432: no answer within 15 s", refused=False, reached=False, timeout=True),
     "db.hostname/db.port", "firewalls let wa-core-1 reach it"),
    (DbLoginError("wa-db.example:5432 did not complete a login within 15 s", refused=False, timeout=True),
     "db.hostname/db.port", "not overloaded"),
    (DbLoginError("wa-db.example:5432 answered, but no PostgreSQL login came of it", refused=False, protocol=True),
     "db.engine/db.port", "5432 by default"),
    (DbLoginError("x", refused=False, reached=False, prohibited=True), "db.username and db.password", "AllowTcpForwarding"),
    (DbLoginError('database "postgres" does not exist (SQLSTATE 3D000)', refused=False),
     "(db.hostname, db.port)", "fix what its words say on the DB server"),
    (DbLoginError('password authentication failed for user "waent" (SQLSTATE 28P01)', refused=True),
     "db.username and db.password", "allowed hosts"),
])
def test_every_login_failure_names_a_field_and_a_fix(exc, field, fix):
    judged = login_failure(exc, DB, "wa-core-1")
    assert field in judged.reason and fix in judged.reason, judged.reason
    assert not CLASS_NAME.search(judged.reason) and DB.password not in judged.reason
    assert judged.level == (FAILURE if exc.refused else WARNING)
