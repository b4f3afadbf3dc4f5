"""``doctor``'s DB layer on real parts (issue 16; field cases R06, R10; field reports FR07, FR08, FR31, FR35, FR36):
a cluster installed on the lab, one real MariaDB 10.11 fault at a time, and doctor names the cause with its evidence
(host, command, the server's own words) and the next action. Also: doctor's DB probing opens no bare TCP connection
(MariaDB's ``Aborted_connects_preauth`` does not move) and does not retry refused credentials from every host
(``Access_denied_errors`` moves by the refusal budget, not by the number of hosts).

The lines asserted were observed on this machine's lab; ``docs/field-reports.md`` quotes them.
"""

from __future__ import annotations

import pytest

from tests.lab.conftest import recreate_every_container
from tests.lab.test_40_doctor import doctor, installed  # noqa: F401 - the module's installed cluster
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.lab import faults, field_faults, services
from wabiz_tui.workflows.doctor.database import REFUSAL_BUDGET


@pytest.fixture
def broken(lab, installed):  # noqa: F811 - the fixture imported above
    yield installed
    faults.clear(lab.paths)


@pytest.fixture(scope="module", autouse=True)
def _nodes_refreshed_at_the_end(lab, _shared_cluster_manager):
    """After the module's last test, every container of the shared cluster recreated: the DB faults here (a changed
    password, an account for other hosts, TLS only, ...) reach every node, whose log keeps the DB's refusals, and
    doctor would name them in the next module (seen on the lab: LOG_WORDS on every host). Once here, not per test:
    the tests of this module name their cause with those lines present."""
    yield
    if _shared_cluster_manager.state == "installed":
        recreate_every_container(lab, _shared_cluster_manager.profile)


def status(lab, name: str) -> int:
    return int(services.mysql_root(lab.paths, f"SHOW GLOBAL STATUS LIKE '{name}'").split()[1])


def named(report: dict, key: str) -> dict:
    mine = [c for c in report["causes"] if c["key"] == key]
    assert mine, [(c["key"], c["title"]) for c in report["causes"]]
    cause = mine[0]
    print(f"\n[{key}] {cause['confidence']}: {cause['title']}\n  evidence: " + "\n  evidence: ".join(
        f"{f['host'] or 'here'} | {f['command']} | {f['line']}" for f in cause["evidence"]) + f"\n  next: {cause['next_action']}")
    return cause


def test_the_db_probing_opens_no_bare_connection_and_a_healthy_db_has_no_cause(lab, broken):
    """Before: one bare TCP connect per host to the DB port (MariaDB counts each in Aborted_connects_preauth, and
    MySQL toward max_connect_errors). Now only the logins connect."""
    before = status(lab, "Aborted_connects_preauth")
    code, report = doctor(broken)
    assert code == Exit.OK, [(c["key"], c["title"]) for c in report["causes"]]
    assert status(lab, "Aborted_connects_preauth") == before
    ruled = {r["key"] for r in report["ruled_out"]}
    assert {"DB_DOWN", "DB_CREDENTIALS", "DB_PRIVILEGES_MISSING", "DB_READ_ONLY", "DB_IDLE_TIMEOUT_SHORT"} <= ruled
    tcp = [f for f in report["facts"] if f["probe"] == "tcp" and f["data"].get("what") == "db"]
    assert tcp and all("the DB login's own connection" in f["command"] for f in tcp)


def test_a_wrong_password_is_not_tried_from_every_host(lab, broken):
    faults.db(lab.paths, "password")
    before = status(lab, "Access_denied_errors")
    _, report = doctor(broken)
    assert status(lab, "Access_denied_errors") - before == REFUSAL_BUDGET
    cause = named(report, "DB_CREDENTIALS")
    assert any("Access denied for user 'waent'" in f["line"] for f in cause["evidence"])
    logins = [f for f in report["facts"] if f["probe"] == "db.login"]
    refused = [f for f in logins if f["state"] == "bad"]
    skipped = [f["host"] for f in logins if "not tried" in f["line"]]
    assert len(refused) == REFUSAL_BUDGET
    hosts = {f["host"] for f in report["facts"] if f["probe"] == "ssh" and f["state"] == "ok"}
    assert sorted(skipped + [f["host"] for f in refused if f["host"]]) == sorted(hosts)


def test_fr31_an_account_for_other_hosts_is_not_blamed_on_the_password(lab, broken):
    """MariaDB 10.11 answers 1045 to the cluster hosts (not 1130); the same db.env values log in from this machine
    (the admin address the account allows): doctor names the host restriction, with both logins as evidence."""
    faults.db(lab.paths, "host-restrict")
    _, report = doctor(broken, "--db-from-here")
    cause = named(report, "DB_HOST_RESTRICTED")
    assert cause["confidence"] == "high" and "restricted to certain hosts" in cause["title"]
    lines = [f["line"] for f in cause["evidence"]]
    assert any("Access denied for user 'waent'@'10.213.0." in l for l in lines)
    assert any(f["host"] == "" and f["state"] == "ok" for f in cause["evidence"])  # accepted from this machine
    assert "mysql.user" in cause["next_action"] and "password is right" in cause["next_action"]
    assert "DB_CREDENTIALS" not in [c["key"] for c in report["causes"]]


def test_r10_an_account_without_create(lab, broken):
    field_faults_db_inject(lab, "no-create")
    _, report = doctor(broken)
    cause = named(report, "DB_PRIVILEGES_MISSING")
    assert "lacks CREATE" in cause["title"] and "GRANT CREATE ON *.* TO waent@%" in cause["next_action"]
    (grants,) = cause["evidence"]
    assert grants["command"] == "SHOW GRANTS (as waent@%)"
    assert grants["line"].startswith("lacks CREATE; ON *.* TO `waent`@`%`: SELECT, INSERT, UPDATE, DELETE, DROP")
    assert "*F" not in str(grants["data"]["grants"])  # the password hash (IDENTIFIED BY PASSWORD '*F…') is not evidence


def test_fr35_the_server_closes_idle_sessions_before_the_client_does(lab, broken):
    faults.db(lab.paths, "idle-timeout")
    _, report = doctor(broken)
    cause = named(report, "DB_IDLE_TIMEOUT_SHORT")
    assert f"idle for {field_faults.IDLE_TIMEOUT_S} s" in cause["title"] and "180000 ms" in cause["title"]
    assert "wait_timeout" in cause["next_action"]


def test_fr36_a_read_only_db(lab, broken):
    faults.db(lab.paths, "read-only")
    _, report = doctor(broken)
    cause = named(report, "DB_READ_ONLY")
    assert cause["confidence"] == "high" and "read_only ON" in cause["evidence"][0]["line"]
    assert "primary" in cause["next_action"]


def test_fr07_a_tls_only_db_and_a_db_env_without_ssl(lab, broken):
    """MariaDB with the lab CA's certificate and require_secure_transport=ON: a plain login with the right password
    gets 1045 (MariaDB's words); the same over TLS is accepted. doctor says TLS, not the password."""
    field_faults_db_inject(lab, "tls-only")
    _, report = doctor(broken)
    cause = named(report, "DB_TLS_REQUIRED")
    line = cause["evidence"][0]["line"]
    assert "plain login refused (Access denied for user 'waent'@" in line
    assert "over TLS accepted (require_secure_transport ON)" in line
    assert "WA_DB_SSL_CA" in cause["next_action"] and "DB_CREDENTIALS" not in [c["key"] for c in report["causes"]]


def test_fr08_upper_case_engine_with_ssl_settings_on_a_tls_only_db(lab, broken):
    field_faults_db_inject(lab, "tls-only")
    field_faults.edit_file(lab.paths, "wa-web-1", "db.env", "set", "WA_DB_SSL_CA", "/usr/local/waent/data/certs/ca.pem")
    _, report = doctor(broken)
    cause = named(report, "DB_ENGINE_CASE_SSL")
    assert cause["hosts"] == ["wa-web-1"] and cause["confidence"] == "high"
    assert "lower case" in cause["next_action"]


def test_r06_an_auth_plugin_the_client_does_not_speak(lab, broken):
    field_faults_db_inject(lab, "auth-plugin")
    _, report = doctor(broken)
    cause = named(report, "DB_SERVER_UNSUPPORTED")
    assert "client_ed25519" in cause["title"] and "mysql_native_password" in cause["next_action"]
    assert any("(MySQL error 2059)" in f["line"] for f in cause["evidence"])


def field_faults_db_inject(lab, mode: str) -> None:
    faults.db(lab.paths, mode)
    assert any(f["kind"] == f"db-{mode}" for f in faults._ledger(lab.paths).data["faults"])
    assert services.DB_PASSWORD not in str(faults._ledger(lab.paths).data)


def test_r05_a_password_with_a_character_the_client_cannot_handle(lab, broken):
    """A db.env edited by hand with a `!` in WA_DB_PASSWORD (seed: not any of ?{}&~!()^=): named on that host before
    anything else about it, and the password itself never shown."""
    field_faults.edit_file(lab.paths, "wa-core-1", "db.env", "set", "WA_DB_PASSWORD", services.DB_PASSWORD + "!")
    _, report = doctor(broken)
    causes = [c for c in report["causes"] if c["key"] == "ENV_VALUE" and "wa-core-1" in c["hosts"]]
    assert causes and any("WA_DB_PASSWORD" in c["title"] and "!" in c["title"] for c in causes), causes
    named(report, "ENV_VALUE")
    assert services.DB_PASSWORD not in str(report)
