"""The DB support table keyed by WA_API_VERSION and the judging of what a DB login reads (field cases R06, R10)."""

from __future__ import annotations

import pytest

from wabiz_tui.domain.dbsupport import (REQUIRED_MYSQL_PRIVILEGES, SUPPORT_TABLE, handshake_plugin, judge_auth_plugin,
                                        judge_mysql_grants, judge_pg_role, judge_server_version, missing_mysql_privileges,
                                        server_series, support_for)
from wabiz_tui.domain.diagnosis import CATALOGUE, diagnosis_for
from wabiz_tui.domain.preflight import FAILURE, OK, WARNING


@pytest.mark.parametrize("api,engine,version,level", [
    # newer matrix (from 2.41 on): MySQL 5.7/8.0, PostgreSQL 11/12/13
    ("2.41.2", "MYSQL", "5.7.31", OK),
    ("2.41.2", "MYSQL", "8.0.33", OK),
    ("2.41.2", "MYSQL", "5.6.51", FAILURE),
    ("2.41.2", "MYSQL", "8.4.0", FAILURE),
    ("2.45.2", "PGSQL", "13.8", OK),
    ("2.41.2", "PGSQL", "11.22", OK),
    ("2.41.2", "PGSQL", "15.4 (Debian 15.4-1.pgdg120+1)", FAILURE),
    ("2.41.2", "PGSQL", "9.6.24", WARNING),  # listed for older clients only: a warning (judged cut-over)
    # older matrix (before 2.41): MySQL 5.7, PostgreSQL 9.5/9.6/10
    ("2.39.2", "MYSQL", "5.7.35", OK),
    ("2.39.2", "MYSQL", "8.0.33", WARNING),  # the seed lists MySQL 8.0 without naming a client version
    ("2.39.2", "MYSQL", "5.6.51", FAILURE),
    ("2.29.3", "PGSQL", "10.6", OK),
    ("2.29.3", "PGSQL", "9.6.24", OK),
    ("2.29.3", "PGSQL", "13.8", WARNING),
    ("2.29.3", "PGSQL", "15.4", FAILURE),  # in neither matrix
])
def test_support_table(api, engine, version, level):
    judged = judge_server_version(engine, version, api)
    assert judged.level == level, judged
    if level in (FAILURE, WARNING):
        assert judged.key == "DB_VERSION_UNSUPPORTED" and version.split()[0] in judged.evidence and api in judged.reason
    else:
        assert judged.key == "" and judged.evidence == ""


def test_table_rows_are_newest_first_and_cover_every_version():
    assert [row.since for row in SUPPORT_TABLE] == sorted((row.since for row in SUPPORT_TABLE), reverse=True)
    assert SUPPORT_TABLE[-1].since == (0, 0)
    assert support_for("2.41.0") is SUPPORT_TABLE[0] and support_for("2.40.9") is SUPPORT_TABLE[1]
    assert support_for("not-a-version") is SUPPORT_TABLE[0]


@pytest.mark.parametrize("engine,version,series", [
    ("MYSQL", "8.0.33-log", "8.0"), ("MYSQL", "5.7.31-0ubuntu0.18.04.1", "5.7"), ("PGSQL", "15.4 (Debian)", "15"),
    ("PGSQL", "9.6.24", "9.6"), ("PGSQL", "10.6", "10"), ("MYSQL", "unknown", None)])
def test_server_series(engine, version, series):
    assert server_series(engine, version) == series


def test_a_version_that_is_not_a_number_is_a_warning():
    assert judge_server_version("MYSQL", "unknown", "2.41.2").level == WARNING


@pytest.mark.parametrize("version,user_plugin,default,level", [
    ("8.0.33", "caching_sha2_password", "", FAILURE),
    ("8.0.33", "sha256_password", "", FAILURE),
    ("8.0.33", "mysql_native_password", "caching_sha2_password", OK),
    ("8.0.33", None, "caching_sha2_password", WARNING),
    ("8.0.33", None, "mysql_native_password", OK),
    ("8.0.33", None, "", WARNING),
    ("5.7.31", None, "", OK),
    ("5.7.31", "mysql_native_password", "mysql_native_password", OK),
])
def test_auth_plugin(version, user_plugin, default, level):
    judged = judge_auth_plugin(version, user_plugin, default)
    assert judged.level == level, judged
    assert (judged.key == "DB_AUTH_PLUGIN_UNSUPPORTED") == (level != OK)
    if user_plugin is None and version.startswith("8"):
        assert "not readable" in judged.reason  # the fallback says so


def test_handshake_plugin_is_read_from_a_greeting():
    greeting = "J\x00\x00\x00\n8.0.33\x00\x08\x00\x00\x00abcdefgh\x00\xff\xf7\x08\x02\x00\xff\xdf\x15" + "\x00" * 10 \
        + "ijklmnopqrst\x00caching_sha2_password\x00"
    assert handshake_plugin(greeting) == "caching_sha2_password"
    assert handshake_plugin("5.7.31\x00...mysql_native_password\x00") == "mysql_native_password"
    assert handshake_plugin("no greeting") == ""


@pytest.mark.parametrize("grants,prefix,missing", [
    (["GRANT ALL PRIVILEGES ON *.* TO `waent`@`%` WITH GRANT OPTION"], "", []),
    (["GRANT USAGE ON *.* TO `waent`@`%`", "GRANT ALL PRIVILEGES ON `wa`.* TO `waent`@`%`"], "", list(REQUIRED_MYSQL_PRIVILEGES)),
    (["GRANT SELECT, INSERT, UPDATE, DELETE, ALTER, INDEX ON *.* TO `waent`@`%`"], "", ["CREATE", "DROP"]),
    (["GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP ON *.* TO 'waent'@'10.%'"], "", []),
    (["GRANT USAGE ON *.* TO `waent`@`%`", "GRANT ALL PRIVILEGES ON `prod\\_%`.* TO `waent`@`%`"], "prod_", []),
    (["GRANT ALL PRIVILEGES ON `prod\\_%`.* TO `waent`@`%`"], "", list(REQUIRED_MYSQL_PRIVILEGES)),
    (["GRANT ALL PRIVILEGES ON `other%`.* TO `waent`@`%`"], "prod_", list(REQUIRED_MYSQL_PRIVILEGES)),
    (["GRANT SELECT ON *.* TO `waent`@`%`", "GRANT BACKUP_ADMIN ON *.* TO `waent`@`%`"], "", list(REQUIRED_MYSQL_PRIVILEGES[1:])),
])
def test_missing_mysql_privileges(grants, prefix, missing):
    assert missing_mysql_privileges(grants, prefix) == missing


def test_grants_judgement_names_what_is_missing_and_the_prefix_advice():
    judged = judge_mysql_grants("waent", ["GRANT SELECT, INSERT, UPDATE, DELETE, ALTER, INDEX ON *.* TO `waent`@`%`"])
    assert judged.level == FAILURE and judged.key == "DB_PRIVILEGES_MISSING"
    assert "CREATE, DROP" in judged.reason and "WA_DB_NAME_PREFIX" in judged.reason and "GRANT SELECT" in judged.evidence
    assert judged.evidence.startswith("missing CREATE, DROP;")
    assert judge_mysql_grants("waent", ["GRANT ALL PRIVILEGES ON *.* TO `waent`@`%`"]).level == OK


@pytest.mark.parametrize("createdb,superuser,level", [(True, False, OK), (False, True, OK), (False, False, FAILURE)])
def test_pg_role(createdb, superuser, level):
    judged = judge_pg_role("waent", createdb, superuser)
    assert judged.level == level and (judged.key == "DB_PRIVILEGES_MISSING") == (level == FAILURE)


@pytest.mark.parametrize("key", ["DB_VERSION_UNSUPPORTED", "DB_AUTH_PLUGIN_UNSUPPORTED", "DB_PRIVILEGES_MISSING", "DB_AUTH_FAILED"])
def test_db_keys_are_catalogued_with_words_and_a_next_action(key):
    entry = CATALOGUE[key]
    assert entry.title and entry.explanation and entry.next_action
    d = diagnosis_for(key, "evidence line", "wa-core-1")
    assert (d.key, d.evidence, d.host, d.next_action) == (key, "evidence line", "wa-core-1", entry.next_action)


def test_auth_plugin_next_action_gives_both_fixes():
    action = CATALOGUE["DB_AUTH_PLUGIN_UNSUPPORTED"].next_action
    assert "ALTER USER" in action and "IDENTIFIED WITH mysql_native_password" in action
    assert "--default-authentication-plugin=mysql_native_password" in action


def test_grant_evidence_never_carries_a_password_hash():
    """MySQL <= 5.7.5 prints ``IDENTIFIED BY PASSWORD '<hash>'`` in SHOW GRANTS: not in the finding."""
    grants = ["GRANT USAGE ON *.* TO 'waent'@'%' IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'"]
    judged = judge_mysql_grants("waent", grants)
    assert judged.key == "DB_PRIVILEGES_MISSING" and "2470C0C06DEE" not in judged.evidence
    assert "IDENTIFIED BY PASSWORD '…'" in judged.evidence


# ---- how servers really announce themselves (issue 13, item 4) ----------------------------------------------
import pytest  # noqa: E402

from wabiz_tui.domain.dbsupport import (announced_version, judge_server_version, printable_greeting,  # noqa: E402
                                        server_product, short_version)

#: The first bytes mariadbd 1:10.11.19-0+deb12u1 sent here (salt bytes as captured).
MARIADB_GREETING = (b"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00\x04\x00\x00\x00p-,4aioq\x00\xfe\xf7\x08\x02\x00"
                    b"\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00i=3(mpg6ul?6\x00mysql_native_password\x00")


def test_mariadb_greeting_and_version_are_mariadb_with_one_verdict():
    text = printable_greeting(MARIADB_GREETING)
    announced = announced_version(text)
    assert announced == "5.5.5-10.11.19-MariaDB-0+deb12u1"
    for version in (announced, "10.11.19-MariaDB-0+deb12u1"):  # greeting and SELECT VERSION()
        assert server_product("MYSQL", version) == "MariaDB" and short_version("MYSQL", version) == "10.11.19"
        judged = judge_server_version("MYSQL", version, "2.41.2")
        assert judged.level == FAILURE and judged.key == "DB_VERSION_UNSUPPORTED"
        assert "MariaDB 10.11.19" in judged.reason and "MySQL 5.5" not in judged.reason and "MySQL 10" not in judged.reason


@pytest.mark.parametrize("version, product, level", [
    ("8.0.36", "MySQL", OK), ("5.7.44-log", "MySQL", OK), ("8.0.33-0ubuntu0.22.04.2", "MySQL", OK),
    ("8.4.0", "MySQL", FAILURE), ("5.6.51", "MySQL", FAILURE),
])
def test_mysql_versions_as_they_announce_themselves(version, product, level):
    greeting = printable_greeting(b"J\x00\x00\x00\n" + version.encode() + b"\x00\x08\x00\x00\x00salt")
    assert announced_version(greeting) == version
    assert server_product("MYSQL", version) == product
    assert judge_server_version("MYSQL", version, "2.41.2").level == level


@pytest.mark.parametrize("version, short, level", [
    ("13.8 (Debian 13.8-1.pgdg110+1)", "13.8", OK), ("11.22 (Ubuntu 11.22-1.pgdg20.04+1)", "11.22", OK),
    ("12.17", "12.17", OK), ("15.4 (Debian 15.4-1)", "15.4", FAILURE),
])
def test_postgresql_versions_as_show_server_version_answers(version, short, level):
    assert server_product("PGSQL", version) == "PostgreSQL" and short_version("PGSQL", version) == short
    assert judge_server_version("PGSQL", version, "2.41.2").level == level
