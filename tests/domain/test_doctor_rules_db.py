"""doctor's DB rules (domain.doctor_rules_db), on facts shaped as workflows/doctor/database.py makes them, with the
lines observed here (MariaDB 10.11.19: the lab's, and a throw-away server with TLS) and in the lab tier
(tests/lab/test_46_doctor_db.py)."""

from __future__ import annotations

from wabiz_tui.domain.doctor import (HIGH, MEDIUM, P_DB_GRANTS, P_DB_LOGIN, P_DB_SERVER, P_DB_TLS, P_DB_VARS, P_ENV, Fact,
                                     reason)
from wabiz_tui.domain.envrules import check_db_env_text

HOSTS = ("wa-web-1", "wa-master-1", "wa-core-1", "wa-core-2")
DENIED = "Access denied for user 'waent'@'{ip}' (using password: YES) (MySQL error 1045)"
#: SHOW GRANTS of the lab account after `REVOKE CREATE ON *.*` (observed on MariaDB 10.11.19 here, hash masked)
NO_CREATE = ("GRANT SELECT, INSERT, UPDATE, DELETE, DROP, RELOAD, SHUTDOWN, PROCESS, FILE, REFERENCES, INDEX, ALTER, "
             "SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, BINLOG MONITOR, CREATE VIEW, "
             "SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, CREATE TABLESPACE, DELETE HISTORY, "
             "SET USER, FEDERATED ADMIN, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN, "
             "BINLOG REPLAY, SLAVE MONITOR ON *.* TO `waent`@`%` IDENTIFIED BY PASSWORD '…' WITH GRANT OPTION")


def login(host: str, ok: bool | None, line: str = "", code: int = 0, **data) -> Fact:
    return Fact(P_DB_LOGIN, host, f"mysql login waent@wa-db:3306 from {host or 'this machine'}",
                line or ("logged in as waent@%; server 8.0.36-lab" if ok else DENIED.format(ip="10.213.0.104")), ok,
                {"user": "waent", "refused": code in (1045, 1698), "code": code, **data})


def keyed(report, key):
    return [c for c in report.causes if c.key == key]


def variables(**kw) -> Fact:
    data = {"engine": "MYSQL", "read_only": False, "wait_timeout": 28800, "idle_ms": 180000, "secure_transport": False,
            "grants": [NO_CREATE.replace("READ_ONLY ADMIN, ", "")], "account": "waent@%", **kw}
    return Fact(P_DB_VARS, "wa-web-1", "SELECT @@read_only, @@wait_timeout, @@require_secure_transport", "read_only …",
                not data["read_only"], data)


def test_fr31_refused_from_every_host_but_accepted_from_this_machine_is_a_host_restriction_not_the_password():
    facts = [login(h, False, DENIED.format(ip=f"10.213.0.10{i}"), 1045) for i, h in enumerate(HOSTS[:2])]
    facts.append(login("", True, position="here"))
    report = reason(facts)
    (cause,) = keyed(report, "DB_HOST_RESTRICTED")
    assert cause is report.causes[0] and cause.confidence == HIGH
    assert "restricted to certain hosts" in cause.title and "wa-web-1" in cause.title and "this machine" in cause.title
    assert "'waent'@'10.213.0.100'" in cause.next_action and "mysql.user" in cause.next_action
    assert cause.hosts == ("wa-web-1", "wa-master-1")
    assert not keyed(report, "DB_CREDENTIALS")  # folded into this cause


def test_fr31_refused_everywhere_stays_a_credentials_question():
    report = reason([login(h, False, code=1045) for h in HOSTS[:2]])
    assert not keyed(report, "DB_HOST_RESTRICTED") and keyed(report, "DB_CREDENTIALS")


def test_fr31_a_host_with_another_password_in_its_db_env_is_no_host_restriction():
    """Review: one host's db.env holds a stale password (set 1), the others the right one (set 0): the refusal of set
    1 is not compared with the acceptance of set 0 ("the password is right" would be false)."""
    facts = [login("wa-web-1", False, DENIED.format(ip="10.213.0.100"), 1045, credentials=1),
             login("wa-core-1", True, credentials=0)]
    assert not keyed(reason(facts), "DB_HOST_RESTRICTED")
    facts.append(login("wa-master-1", False, DENIED.format(ip="10.213.0.101"), 1045, credentials=0))
    (cause,) = keyed(reason(facts), "DB_HOST_RESTRICTED")
    assert cause.hosts == ("wa-master-1",)


def test_fr31_error_1130_names_the_host_at_once():
    line = "Host '10.213.0.13' is not allowed to connect to this MariaDB server (MySQL error 1130)"
    (cause,) = keyed(reason([login("wa-core-1", False, line, 1130)]), "DB_HOST_RESTRICTED")
    assert "1130" in cause.title and cause.hosts == ("wa-core-1",) and "CREATE USER 'waent'@" in cause.next_action


def test_fr07_plain_refused_tls_accepted_names_wa_db_ssl_ca_and_the_lower_case_engine():
    tls = Fact(P_DB_TLS, "wa-web-1", "mysql login … plain TCP; then mysql login … TLS",
               "plain login refused (Access denied for user 'waent'@'10.213.0.11' (using password: YES) (MySQL error 1045)); "
               "the same credentials over TLS accepted (require_secure_transport ON)", False,
               {"user": "waent", "code": 1045, "ssl": [], "engine": "MYSQL", "secure_transport": True})
    report = reason([login("wa-web-1", False, code=1045), tls])
    (cause,) = keyed(report, "DB_TLS_REQUIRED")
    assert cause is report.causes[0] and "requires TLS" in cause.title
    assert "WA_DB_SSL_CA" in cause.next_action and "WA_DB_ENGINE=mysql" in cause.next_action
    assert not keyed(report, "DB_CREDENTIALS")


def test_fr08_fr09_ssl_settings_the_client_misreads_are_env_findings_doctor_names():
    """FR08 (upper-case engine with WA_DB_SSL_*) and FR09 (WA_DB_SSL_* with PGSQL) are db.env findings; doctor's
    db.env probe turns each into a fact and ENV_VALUE names it with the file's line."""
    for text, key in (("WA_DB_ENGINE=MYSQL\nWA_DB_SSL_CA=/usr/local/waent/data/certs/ca.pem\n", "DB_ENGINE_CASE_SSL"),
                      ("WA_DB_ENGINE=PGSQL\nWA_DB_SSL_CA=/usr/local/waent/data/certs/ca.pem\n", "DB_SSL_PGSQL")):
        text += "WA_DB_HOSTNAME=db\nWA_DB_PORT=3306\nWA_DB_USERNAME=waent\nWA_DB_PASSWORD=Lab-db-pass-2026\n"
        finding = next(f for f in check_db_env_text(text) if f.key == key)
        fact = Fact(P_ENV, "wa-web-1", "cat /home/wa/biz/db.env", str(finding), finding.severity != "error",
                    {"key": finding.key, "severity": finding.severity, "field": finding.field, "source": finding.source,
                     "fix": finding.fix})
        (cause,) = keyed(reason([fact]), "ENV_VALUE" if key == "DB_SSL_PGSQL" else key)
        assert "WA_DB_SSL_CA" in cause.title and cause.hosts == ("wa-web-1",)
        if key == "DB_ENGINE_CASE_SSL":  # a warning until the server is seen to require TLS
            assert cause.confidence == MEDIUM and "lower case" in cause.next_action
            (cause,) = keyed(reason([fact, variables(secure_transport=True)]), key)
            assert cause.confidence == HIGH


def test_r10_missing_create_is_named_with_the_grant_to_run():
    fact = Fact(P_DB_GRANTS, "wa-web-1", "SHOW GRANTS (as waent@%)", NO_CREATE, False,
                {"engine": "MYSQL", "user": "waent", "account": "waent@%", "grants": [NO_CREATE], "missing": ["CREATE"],
                 "prefix": ""})
    (cause,) = keyed(reason([fact]), "DB_PRIVILEGES_MISSING")
    assert "lacks CREATE" in cause.title and "GRANT CREATE ON *.* TO waent@%" in cause.next_action
    assert "WA_DB_NAME_PREFIX" in cause.next_action and cause.evidence[0].command == "SHOW GRANTS (as waent@%)"


def test_r06_unsupported_version_and_plugin():
    def server(version, plugin):
        return Fact(P_DB_SERVER, "wa-web-1", "SELECT VERSION()", f"server {version}", plugin == "mysql_native_password",
                    {"engine": "MYSQL", "version": version, "plugin": plugin, "plugin_denied": "", "api_version": "2.41.2"})
    report = reason([server("8.0.33", "caching_sha2_password")])
    (cause,) = keyed(report, "DB_SERVER_UNSUPPORTED")
    assert "caching_sha2_password" in cause.title and "mysql_native_password" in cause.next_action
    (cause,) = keyed(reason([server("10.11.19-MariaDB-0+deb12u1", None)]), "DB_SERVER_UNSUPPORTED")
    assert "MariaDB 10.11.19" in cause.title and cause.confidence == HIGH
    assert not keyed(reason([server("8.0.36-lab", "mysql_native_password")]), "DB_SERVER_UNSUPPORTED")


def test_fr35_wait_timeout_shorter_than_the_client_idle_timeout():
    (cause,) = keyed(reason([variables(wait_timeout=2)]), "DB_IDLE_TIMEOUT_SHORT")
    assert "idle for 2 s" in cause.title and "180000 ms" in cause.title and "wait_timeout" in cause.next_action
    assert not keyed(reason([variables()]), "DB_IDLE_TIMEOUT_SHORT")
    assert not keyed(reason([variables(wait_timeout=2, idle_ms=0)]), "DB_IDLE_TIMEOUT_SHORT")  # PGSQL: no such setting


def test_fr36_read_only_with_and_without_an_account_that_overrides_it():
    (cause,) = keyed(reason([variables(read_only=True)]), "DB_READ_ONLY")
    assert cause.confidence == HIGH and "1290" in cause.title and "primary" in cause.next_action
    (cause,) = keyed(reason([variables(read_only=True, grants=[NO_CREATE])]), "DB_READ_ONLY")
    assert cause.confidence == MEDIUM and "may still write" in cause.title
    assert not keyed(reason([variables()]), "DB_READ_ONLY")


def test_r06_an_auth_plugin_the_client_cannot_speak():
    line = "Authentication plugin 'b'client_ed25519'' not configured (MySQL error 2059)"
    (cause,) = keyed(reason([login(h, False, line, 2059) for h in HOSTS[:2]]), "DB_SERVER_UNSUPPORTED")
    assert "client_ed25519" in cause.title and "mysql_native_password" in cause.next_action
    assert cause.hosts == HOSTS[:2]
