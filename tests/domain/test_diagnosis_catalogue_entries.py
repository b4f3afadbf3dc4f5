"""Catalogue entries beyond the first field cases: certificate errors 43x and duplicate registration (R23),
the monitoring stack (R27), and common Docker/compose/DB/TLS faults an on-call engineer meets. Each fires
on its evidence and stays quiet on the near misses."""

from __future__ import annotations

import pytest

from tests.domain.test_diagnosis import QUIET
from tests.domain.test_validation import good_profile
from wabiz_tui.domain.diagnosis import (CATALOGUE, diagnose_api_error, diagnose_duplicate_number, diagnose_lines,
                                        diagnose_statuses, diagnose_transport, diagnosis_for, same_number)
from wabiz_tui.domain.model import DbEnv, Registration

MORE_FIRES = {
    # FR09: the Coreapp's log in Setup-Scripts issue 81 (libpq refusing the SSL_CA made of WA_DB_SSL_CA)
    "DB_PG_OPTION_INVALID": 'datastore.cpp:132] Failed to create database "configStore" QSqlError("", "QPSQL: Unable to '
                            'connect", "invalid connection option \\"SSL_CA\\"\\n") req_id=Main',
    # FR21: the Webapp's log in the issue (WhatsApp-Business-API-Setup-Scripts#26)
    "WEBAPP_SETTINGS_UNREADABLE": "Exception: Fail to read /var/lib/whatsapp/database.yml",
    # FR17: Python 3.11 / OpenSSL 3.0 here, a key that does not match the certificate
    "WEBAPP_CERT_INVALID": "ssl.SSLError: [X509: KEY_VALUES_MISMATCH] key values mismatch (_ssl.c:3926)",
    # compose v1 (docker/compose#4788) and v2 (docker/compose#9067) wordings
    "COMPOSE_ENV_FILE_NOT_LOADED": "WARNING: The WA_DB_USERNAME variable is not set. Defaulting to a blank string.",
    "SCRAPE_PORT_BLOCKED": 'Get "http://wa-core-1:9100/metrics": context deadline exceeded',
    "DISK_FULL": "failed to register layer: write /var/lib/docker/overlay2/abc/diff/x: no space left on device",
    "OCI_RUNTIME_FAILED": "ERROR: for wacore  Cannot start service wacore: OCI runtime create failed: container_linux.go:380: "
                          "starting container process caused: permission denied: unknown",
    "REGISTRY_UNREACHABLE": 'Error response from daemon: Get "https://docker.whatsapp.biz/v2/": dial tcp: lookup '
                            'docker.whatsapp.biz on 127.0.0.53:53: no such host',
    "COMPOSE_FILE_INVALID": "ERROR: The Compose file '/home/wa/biz/prod-multiconnect-compose.yml' is invalid because:",
    "DOCKER_NETWORK_POOL_EXHAUSTED": 'ERROR: could not find an available, non-overlapping IPv4 address pool among the '
                                     'defaults to assign to the network',
    "DB_TOO_MANY_CONNECTIONS": "E 2026-11-30 10:00:00 UTC 140 db.cpp:88] QMYSQL: Unable to connect: Too many connections",
    "DB_CONNECTION_LOST": "W 2026-11-30 10:00:00 UTC 140 db.cpp:91] Lost connection to MySQL server during query",
    # the lab's stand-in wait_on_mysql.sh, its DB host name mistyped (issue 16 trial)
    "DB_WAITING": "Still waiting for database wa-db.lab.intenral:3306 (10 attempts)",
}
NEAR_MISSES = [
    "Creating network \"biz_default\" with the default driver",
    "level=info ts=2026-11-30T10:00:00Z caller=mysqld_exporter.go:277 msg=\"Starting mysqld_exporter\"",
    "Filesystem     1024-blocks      Used Available Capacity Mounted on",
    "Status: Downloaded newer image for docker.whatsapp.biz/coreapp:v2.41.2",
    "biz_wacore_1   /opt/whatsapp/bin/wait_on ...   Up   0.0.0.0:6250->6250/tcp",
    "I 2026-11-30 10:00:00 UTC 140 db.cpp:12] Connected to MySQL server 8.0.33 (12 connections)",
]


@pytest.mark.parametrize("key", sorted(MORE_FIRES))
def test_new_text_entry_fires_on_its_evidence(key):
    found = {d.key: d for d in diagnose_lines([*QUIET, *NEAR_MISSES, MORE_FIRES[key]], host="wa-core-1")}
    assert key in found, found
    d = found[key]
    assert d.host == "wa-core-1" and d.evidence and d.title and d.next_action and d.explanation
    assert "{" not in d.title and "{" not in d.next_action


def test_new_entries_quiet_on_near_misses():
    assert diagnose_lines(NEAR_MISSES) == []


@pytest.mark.parametrize("line,var", [
    ("WARNING: The WA_DB_PASSWORD variable is not set. Defaulting to a blank string.", "WA_DB_PASSWORD"),
    ('WARN[0000] The "WA_DB_HOSTNAME" variable is not set. Defaulting to a blank string.', "WA_DB_HOSTNAME"),
    ('WARN[0000] The STAGE variable is not set. Defaulting to a blank string.', "STAGE"),
    ('level=warning msg="The \\"DB_PASSWORD\\" variable is not set. Defaulting to a blank string."', "DB_PASSWORD"),
])
def test_env_file_not_loaded_names_the_variable_and_is_not_a_missing_required_value(line, var):
    found = {d.key: d for d in diagnose_lines([line])}
    assert set(found) == {"COMPOSE_ENV_FILE_NOT_LOADED"}
    d = found["COMPOSE_ENV_FILE_NOT_LOADED"]
    assert var in d.title and f"${{{var}}}" in d.explanation and ".env" in d.explanation
    assert "--project-directory" in d.next_action


def test_a_required_variable_is_still_its_own_finding():
    line = 'ERROR: Missing mandatory value for "image" option interpolating docker.whatsapp.biz/web:v${WA_API_VERSION:?x}'
    assert [d.key for d in diagnose_lines([line])] == ["COMPOSE_REQUIRED_VAR_MISSING"]


def test_registry_timeouts_are_not_scrape_timeouts():
    line = 'Error response from daemon: Get "https://docker.whatsapp.biz/v2/": context deadline exceeded'
    assert [d.key for d in diagnose_lines([line])] == ["REGISTRY_UNREACHABLE"]


@pytest.mark.parametrize("code", [430, 432, 433])
def test_certificate_errors_43x(code):
    d = diagnose_api_error(400, code, "", "Certificate ID mismatch")
    assert d.key == "CERT_ERROR_43X" and str(code) in d.title
    assert "WhatsApp Manager" in d.next_action and "register" in d.next_action


@pytest.mark.parametrize("code", [431, 434, 470, 1026])
def test_other_codes_are_not_certificate_errors(code):
    d = diagnose_api_error(400, code)
    assert d is None or d.key != "CERT_ERROR_43X"


def test_api_1023_is_a_database_error():
    assert diagnose_api_error(500, 1023, "", "Database error occurred").key == "DB_ERROR_1023"


def test_message_status_with_432():
    webhook = {"statuses": [
        {"id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU", "status": "sent", "recipient_id": "16315551234"},
        {"id": "gBEGkYiEB1VXAglK1ZEqA1YKPrV", "status": "failed", "recipient_id": "16315551234",
         "errors": [{"code": 432, "title": "Certificate ID mismatch", "href": "/docs/whatsapp/api/errors"}]},
    ]}
    found = diagnose_statuses(webhook)
    assert [d.key for d in found] == ["CERT_ERROR_43X"]
    assert "gBEGkYiEB1VXAglK1ZEqA1YKPrV" in found[0].evidence and "432" in found[0].evidence
    assert "certificate" in found[0].explanation.lower()


def test_message_statuses_quiet():
    assert diagnose_statuses({"statuses": [{"id": "x", "status": "delivered"}]}) == []
    assert diagnose_statuses([{"id": "x", "status": "failed", "errors": [{"code": 1026, "title": "Receiver incapable"}]}]) == []
    assert diagnose_statuses({"statuses": [{"errors": [{"code": "not a number"}]}, "junk"]}) == []


@pytest.mark.parametrize("message,key", [
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)", "WEBAPP_TLS_EXPIRED"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate is not yet valid (_ssl.c:1006)", "WEBAPP_TLS_EXPIRED"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for "
     "'127.0.0.1'. (_ssl.c:1006)", "WEBAPP_TLS_NAME_MISMATCH"),
    ("certificate verify failed: Hostname mismatch, certificate is not valid for 'wa-web-1'.", "WEBAPP_TLS_NAME_MISMATCH"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)", "WEBAPP_TLS_UNTRUSTED"),
])
def test_tls_failures_say_why(message, key):
    assert diagnose_transport("tls", message).key == key


def test_tls_words_do_not_change_other_kinds():
    assert diagnose_transport("unreachable", "certificate has expired").key == "WEBAPP_UNREACHABLE"


def _with_number(name: str, cc: str, phone: str, **kw):
    return good_profile(name=name).with_changes(registration=Registration(cc=cc, phone_number=phone, cert="QUJD"), **kw)


def test_duplicate_number_in_another_profile():
    mine = _with_number("staging", "39", "3331234567")
    prod = _with_number("prod", "+39", "333 123 4567", installed=True, db=DbEnv(hostname="db.prod", password="x"))
    other = _with_number("other", "39", "3339999999")
    d = diagnose_duplicate_number(mine, [prod, other])
    assert d is not None and d.key == "DUPLICATE_REGISTRATION_RISK" and d.severity == "error"
    assert "prod" in d.evidence and "installed" in d.evidence and "other" not in d.evidence
    assert "+39 3331234567" in d.evidence and "db.prod" in d.evidence


def test_duplicate_number_quiet():
    mine = _with_number("staging", "39", "3331234567")
    assert diagnose_duplicate_number(mine, []) is None
    assert diagnose_duplicate_number(mine, [mine]) is None  # its own saved file, by name
    assert diagnose_duplicate_number(mine, [_with_number("x", "1", "3331234567")]) is None  # other country
    assert not same_number(_with_number("a", "39", ""), _with_number("b", "39", ""))  # empty never matches


def test_diagnosis_for_fills_placeholders_and_refuses_unknown_keys():
    d = diagnosis_for("CERT_ERROR_43X", "code 433", "", code="433")
    assert "433" in d.title
    with pytest.raises(KeyError):
        diagnosis_for("NO_SUCH_KEY")
    assert CATALOGUE["SCRAPE_PORT_BLOCKED"].severity == "warning"
