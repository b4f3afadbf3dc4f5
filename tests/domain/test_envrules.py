"""db.env and profile environment rules (issue 16 item 2): one test per rule, and the real docker-compose
1.29 showing the reading the rules rest on (skipped locally without it, failed in CI)."""

from __future__ import annotations

import dataclasses
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.support import need_tool
from tests.domain.test_validation import good_profile
from wabiz_tui.domain.envrules import (RULES, check_db_env_text, check_profile_env, effective, preflight_rows,
                                       read_env_text)
from wabiz_tui.domain.model import DbEngine, DbEnv
from wabiz_tui.domain.render import render_compose, render_db_env
from wabiz_tui.domain.validation import validate_profile

BASE = ("WA_DB_ENGINE=MYSQL\nWA_DB_HOSTNAME=db.internal\nWA_DB_PORT=3306\nWA_DB_USERNAME=waent\n"
        "WA_DB_PASSWORD=Str0ng-pass\n")
OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "reference" / "official-setup-scripts"


def keys(text: str) -> dict[str, list[str]]:
    """rule key → fields of its findings."""
    out: dict[str, list[str]] = {}
    for f in check_db_env_text(text):
        out.setdefault(f.key, []).append(f.field)
    return out


def test_every_rule_has_a_source_and_a_severity():
    for rule in RULES.values():
        assert rule.source and rule.severity in ("error", "warning", "info"), rule.key


def test_clean_db_env_and_the_official_one_have_no_findings():
    assert check_db_env_text(BASE) == []
    official = (OFFICIAL / "db.env")
    if official.exists():  # the official dev db.env: host "db" and root are fine for this checker
        assert check_db_env_text(official.read_text()) == []


def test_rendered_db_env_reads_back_clean():
    assert check_db_env_text(render_db_env(good_profile().db)) == []


@pytest.mark.parametrize("line, key", [
    ('WA_DB_PASSWORD="abc', "ENV_UNPARSABLE"),
    ('WA_DB_PASSWORD="abcdefgh" trailing', "ENV_UNPARSABLE"),
    ('WA_DB_PASSWORD="Str0ng-pass"', "ENV_QUOTED"),
    ("WA_DB_PASSWORD='Str0ng-pass'", "ENV_QUOTED"),
    ("export WA_DB_NAME_PREFIX=p1", "ENV_EXPORT"),
    ("WA_DB_NAME_PREFIX = p1", "ENV_SPACES"),
    ("WA_DB_NAME_PREFIX=p1   ", "ENV_SPACES"),
    ("WA_DB_NAME_PREFIX=p1 # prod", "ENV_INLINE_COMMENT"),
    ("WA_DB_NAME_PREFIX=p${HOME}", "ENV_INTERPOLATED"),
    ("WA_DB_NAME_PREFIX", "ENV_NO_VALUE"),
    ("WA_DB_PORT=3307", "ENV_DUPLICATE"),
])
def test_reading_rules(line, key):
    found = keys(BASE + line + "\n")
    assert key in found, found
    assert found[key][0].startswith("db.env line 6"), found


def test_inline_hash_without_space_is_part_of_the_value():
    assert "ENV_INLINE_COMMENT" not in keys(BASE + "WA_DB_NAME_PREFIX=p1#x\n")


def test_dollar_without_braces_and_single_quotes_are_not_interpolated():
    assert "ENV_INTERPOLATED" not in keys(BASE + "WA_DB_NAME_PREFIX=a$HOME\n")
    assert "ENV_INTERPOLATED" not in keys(BASE + "WA_DB_NAME_PREFIX='a${HOME}'\n")


def test_duplicate_last_wins():
    entries, findings = read_env_text(BASE + "WA_DB_PORT=5432\n")
    dup = [f for f in findings if f.key == "ENV_DUPLICATE"]
    assert dup and "line 3" in dup[0].reason and dup[0].field.startswith("db.env line 6")
    assert "DB_PORT_ENGINE" in keys(BASE.replace("WA_DB_ENGINE=MYSQL", "WA_DB_ENGINE=MYSQL") + "WA_DB_PORT=5432\n")


def test_crlf_and_bom_are_info_and_values_still_read():
    text = "\ufeff" + BASE.replace("\n", "\r\n")
    findings = check_db_env_text(text)
    assert [f.key for f in findings] == ["ENV_CRLF_BOM"] and findings[0].severity == "info"
    entries, _ = read_env_text(text)
    assert entries[0].key == "WA_DB_ENGINE" and entries[-1].value == "Str0ng-pass"


def test_required_missing_and_empty():
    found = keys("WA_DB_ENGINE=MYSQL\nWA_DB_HOSTNAME=db\nWA_DB_PORT=3306\nWA_DB_PASSWORD=\n")
    assert sorted(found["DB_REQUIRED_MISSING"]) == ["db.env", "db.env line 4 (WA_DB_PASSWORD)"]


@pytest.mark.parametrize("engine, bad", [("MYSQL", False), ("PGSQL", False), ("mysql", False), ("Pgsql", False),
                                         ("MARIADB", True), ("sqlite", True), ("POSTGRES", True)])
def test_engine_value(engine, bad):
    assert ("DB_ENGINE_VALUE" in keys(BASE.replace("MYSQL", engine))) is bad


def test_ssl_with_upper_case_mysql_is_skipped_by_the_webapp():
    ssl = "WA_DB_SSL_CA=/usr/local/wamedia/certs/ca.pem\n"
    assert "DB_ENGINE_CASE_SSL" in keys(BASE + ssl)
    assert "DB_ENGINE_CASE_SSL" not in keys(BASE.replace("MYSQL", "mysql") + ssl)


def test_ssl_with_pgsql_is_an_error():
    text = BASE.replace("MYSQL", "PGSQL").replace("3306", "5432") + "WA_DB_SSL_CA=/usr/local/wamedia/ca.pem\n"
    [f] = [f for f in check_db_env_text(text) if f.key == "DB_SSL_PGSQL"]
    assert f.severity == "error" and "WA_DB_CONNECTION_OPTION" in f.fix


def test_ssl_cert_without_key():
    found = keys(BASE.replace("MYSQL", "mysql") + "WA_DB_SSL_CERT=/usr/local/wamedia/c.pem\n")
    assert found["DB_SSL_PAIR"] == ["db.env line 6 (WA_DB_SSL_CERT)"]


def test_ssl_paths_relative_is_error_unmounted_is_warning():
    text = BASE.replace("MYSQL", "mysql") + "WA_DB_SSL_CA=certs/ca.pem\nWA_DB_SSL_KEY=/opt/certs/k.pem\nWA_DB_SSL_CERT=/opt/certs/c.pem\n"
    paths = {f.field: f.severity for f in check_db_env_text(text) if f.key == "DB_SSL_PATH"}
    assert paths == {"db.env line 6 (WA_DB_SSL_CA)": "error", "db.env line 7 (WA_DB_SSL_KEY)": "warning",
                     "db.env line 8 (WA_DB_SSL_CERT)": "warning"}
    assert not [f for f in check_db_env_text(text, mounts=("/usr/local/wamedia", "/opt/certs"))
                if f.key == "DB_SSL_PATH" and f.severity == "warning"]


@pytest.mark.parametrize("line, bad", [("WA_DB_SSL_VERIFY=false", True), ("WA_DB_SSL_VERIFY=0", False),
                                       ("WA_DB_PERSISTENT=off", True), ("WA_DB_PERSISTENT=1", False)])
def test_php_boolean_strings(line, bad):
    assert ("PHP_BOOL_VALUE" in keys(BASE + line + "\n")) is bad


@pytest.mark.parametrize("port, key", [("abc", "DB_PORT_INVALID"), ("0", "DB_PORT_INVALID"), ("70000", "DB_PORT_INVALID"),
                                       ("3306 ", None), ("5432", "DB_PORT_ENGINE"), ("3307", None)])
def test_port(port, key):
    found = keys(BASE.replace("WA_DB_PORT=3306", f"WA_DB_PORT={port}"))
    rules = {k for k in found if k.startswith("DB_PORT")}
    assert rules == ({key} if key else set())


def test_port_engine_mismatch_is_a_warning_both_ways():
    pg = BASE.replace("MYSQL", "PGSQL")
    [f] = [f for f in check_db_env_text(pg) if f.key == "DB_PORT_ENGINE"]
    assert f.severity == "warning" and "3306" in f.reason


@pytest.mark.parametrize("value, severity", [("180000", None), ("180", "error"), ("3m", "error"), ("9999", "error"),
                                             ("28800000", None), ("30000000", "warning")])
def test_idle_timeout_units(value, severity):
    found = [f for f in check_db_env_text(BASE + f"WA_DB_CONNECTION_IDLE_TIMEOUT={value}\n") if f.key == "DB_IDLE_TIMEOUT_UNITS"]
    assert [f.severity for f in found] == ([severity] if severity else [])
    if value == "180":
        assert "180000" in found[0].fix


def test_idle_timeout_with_pgsql():
    found = keys(BASE.replace("MYSQL", "PGSQL").replace("3306", "5432") + "WA_DB_CONNECTION_IDLE_TIMEOUT=180000\n")
    assert "DB_IDLE_TIMEOUT_PGSQL" in found and "DB_IDLE_TIMEOUT_UNITS" not in found


@pytest.mark.parametrize("prefix, bad", [("prod_1", False), ("prod-1", True), ("pr od", True), ("prod.1", True)])
def test_name_prefix(prefix, bad):
    assert ("DB_NAME_PREFIX" in keys(BASE + f"WA_DB_NAME_PREFIX={prefix}\n")) is bad


def test_password_characters_named_without_the_password():
    findings = [f for f in check_db_env_text(BASE.replace("Str0ng-pass", "Str0ng^pass=x")) if f.key == "DB_PASSWORD_CHARS"]
    assert findings and "= ^" in findings[0].reason
    assert all("Str0ng" not in str(f) for f in check_db_env_text(BASE.replace("Str0ng-pass", "Str0ng-pass #tail")))


@pytest.mark.parametrize("host, bad", [("localhost", True), ("127.0.0.1", True), ("::1", True), ("db.internal", False),
                                       ("10.0.0.5", False)])
def test_db_host_loopback(host, bad):
    assert ("DB_HOST_LOOPBACK" in keys(BASE.replace("db.internal", host))) is bad


@pytest.mark.parametrize("name, hint", [("WA_DB_HOST", "WA_DB_HOSTNAME"), ("WA_DB_USER", "WA_DB_USERNAME"),
                                        ("WA_DB_SSL_CAFILE", "WA_DB_SSL_CA"), ("WA_FOO_BAR", None)])
def test_unknown_names_suggest_the_closest(name, hint):
    [f] = [f for f in check_db_env_text(BASE + f"{name}=x\n") if f.key == "WA_UNKNOWN_NAME"]
    assert (hint in f.fix) if hint else ("did you mean" not in f.fix)


def test_compose_only_role_and_overridden_variables():
    found = keys(BASE + "EXTERNAL_HOSTNAME=wa-core-1\nWA_API_VERSION=2.41.2\nWA_MASTER_NODE=1\nWA_APP_MULTICONNECT=0\n")
    assert len(found["COMPOSE_ONLY_VAR"]) == 2
    assert found["ROLE_VAR_IN_DB_ENV"] == ["db.env line 8 (WA_MASTER_NODE)"]
    assert found["OVERRIDDEN_VAR"] == ["db.env line 9 (WA_APP_MULTICONNECT)"]
    assert "WA_UNKNOWN_NAME" not in found


# profile mode ---------------------------------------------------------------------------------------------

def db(**kw) -> DbEnv:
    return dataclasses.replace(good_profile().db, **kw)


def test_good_profile_has_no_env_findings():
    assert check_profile_env(good_profile()) == []


@pytest.mark.parametrize("password", ["Str0ng-pass #x", '"Str0ngpass', "Str0ng${X}pass", "Str0ng-pass "])
def test_profile_password_compose_would_misread_is_a_validation_error(password):
    errors = [e for e in validate_profile(good_profile(db=db(password=password))) if e.field == "db.password"]
    assert any("compose" in e.message for e in errors), errors
    assert all(password.strip() not in e.message for e in errors)


def test_profile_password_compose_reads_right_is_fine():
    for ok in ("Str0ng$pass", "Str0ng#pass", 'Str0"ng-pass', "Str0ng pass"):
        assert not [f for f in check_profile_env(good_profile(db=db(password=ok))) if f.key == "PROFILE_VALUE_MISREAD"], ok


def test_profile_idle_timeout_in_seconds_is_a_validation_error():
    errors = {e.field: e.message for e in validate_profile(good_profile(db=db(connection_idle_timeout_ms=180)))}
    assert "looks like seconds" in errors["db.connection_idle_timeout_ms"]


def test_profile_port_engine_and_loopback_are_preflight_warnings():
    p = good_profile(db=db(engine=DbEngine.PGSQL, port=3306, hostname="127.0.0.1"))
    assert validate_profile(p) == []
    rows = {r[1]: r for r in preflight_rows(p)}
    assert rows["env DB_PORT_ENGINE"][2] == "warning" and "db.port" in rows["env DB_PORT_ENGINE"][3]
    assert rows["env DB_HOST_LOOPBACK"][2] == "warning"


def test_profile_external_hostname_loopback_and_case():
    hosts = list(good_profile().hosts)
    hosts[0] = dataclasses.replace(hosts[0], external_hostname="localhost")
    hosts[1] = dataclasses.replace(hosts[1], external_hostname="WA-Master-1")
    p = good_profile(hosts=tuple(hosts))
    fields = {e.field for e in validate_profile(p)}
    assert "hosts[0].external_hostname" in fields
    assert [r[2] for r in preflight_rows(p) if r[1] == "env EXTERNAL_HOSTNAME_CASE"] == ["warning"]


# the real docker-compose 1.29: the readings the rules rest on -------------------------------------------

def compose_env(tmp_path: Path, db_env: str, compose: str | None = None, service: str = "s",
                env: dict[str, str] | None = None) -> dict[str, str]:
    exe = need_tool("docker-compose")
    (tmp_path / "db.env").write_text(db_env)
    (tmp_path / "dc.yml").write_text(compose or "version: '3'\nservices:\n  s:\n    image: busybox\n    env_file: [db.env]\n")
    out = subprocess.run([exe, "-f", str(tmp_path / "dc.yml"), "config"], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", **(env or {})}, check=True)
    return {k: str(v) for k, v in yaml.safe_load(out.stdout)["services"][service].get("environment", {}).items()}


def test_real_compose_reads_every_line_as_our_model(tmp_path):
    """read_env_text's ``value`` equals what the real compose passes, for the lines the ENV_* rules are about."""
    text = textwrap.dedent("""\
        A="quoted value"
        B='single'
        export C=3306
        D = spaced
        E=abc #comment
        F=abc#kept
        G=ab"cd
        H=dup1
        H=dup2
        I=trail   
        """)
    real = compose_env(tmp_path, text)
    ours = {k: v for k, (v, _) in effective(read_env_text(text)[0]).items()}
    assert real == ours
    flagged = {f.key for f in check_db_env_text(text)}
    assert {"ENV_QUOTED", "ENV_EXPORT", "ENV_SPACES", "ENV_INLINE_COMMENT", "ENV_DUPLICATE"} <= flagged


def test_real_compose_drops_an_unparsable_line(tmp_path):
    real = compose_env(tmp_path, 'A="open\nB=ok\n')
    assert "A" not in real and real["B"] == "ok"
    assert "ENV_UNPARSABLE" in {f.key for f in check_db_env_text('A="open\nB=ok\n')}


def test_real_compose_interpolates_braces_from_its_shell(tmp_path):
    real = compose_env(tmp_path, "P=ab${WABIZ_X}cd\n", env={"WABIZ_X": "ZZ"})
    assert real["P"] == "abZZcd"
    assert "ENV_INTERPOLATED" in {f.key for f in check_db_env_text("P=ab${WABIZ_X}cd\n")}


def test_real_compose_gives_wa_master_node_from_db_env_to_wacore(tmp_path):
    """On the rendered compose file: db.env's WA_MASTER_NODE reaches wacore, EXTERNAL_HOSTNAME in db.env does not
    feed COREAPP_HOSTNAME, and WA_APP_MULTICONNECT from db.env is overridden."""
    compose = render_compose(good_profile())
    text = BASE + "WA_MASTER_NODE=1\nWA_APP_MULTICONNECT=0\nEXTERNAL_HOSTNAME=from-db-env\n"
    real = compose_env(tmp_path, text, compose, "wacore", env={"WA_API_VERSION": "2.41.2", "EXTERNAL_HOSTNAME": "wa-core-1"})
    assert real["WA_MASTER_NODE"] == "1"
    assert real["COREAPP_HOSTNAME"] == "wa-core-1"
    assert real["WA_APP_MULTICONNECT"] == "1"
    found = {f.key for f in check_db_env_text(text)}
    assert {"ROLE_VAR_IN_DB_ENV", "COMPOSE_ONLY_VAR", "OVERRIDDEN_VAR"} <= found


def test_real_compose_misreads_the_profile_password_we_flag(tmp_path):
    """The profile rule PROFILE_VALUE_MISREAD is exactly 'the real compose reads the rendered line differently'."""
    for password in ("Str0ng-pass #x", "Str0ng-pass", "Str0ng#pass"):
        rendered = render_db_env(db(password=password))
        real = compose_env(tmp_path, rendered)
        flagged = any(f.key == "PROFILE_VALUE_MISREAD" for f in check_profile_env(good_profile(db=db(password=password))))
        assert (real["WA_DB_PASSWORD"] != password) is flagged, password
