"""The diagnosis catalogue: every text entry fires on its evidence and stays quiet on healthy output;
the field cases map to their keys; API errors, transport failures and health situations."""

from __future__ import annotations

import json

import pytest

from tests.domain.test_health import PLAN, _ha, case
from wabiz_tui.domain.diagnosis import (CATALOGUE, diagnose_api_error, diagnose_lines, diagnose_retry_loop,
                                        diagnose_transport, diagnose_verdict, log_level)
from wabiz_tui.domain.health import judge, parse_health

FIRES = {
    "COMPOSE_LEGACY_LINKS": "/opt/whatsapp/bin/web_setup.sh: line 368: WACORE_PORT_6250-6253_TCP: invalid variable name",
    "DB_HOST_UNRESOLVABLE": "E 2024-12-01 10:00:00 UTC 1 db.cpp:1] Unknown MySQL server host 'db' (-2) QMYSQL: Unable to connect",
    "DB_UNREACHABLE": "Can't connect to MySQL server on 'db.internal:3306' (111)",
    "DB_AUTH_FAILED": "Access denied for user 'waent'@'10.1.1.1' (using password: YES)",
    "DB_AUTH_PLUGIN_UNSUPPORTED": "(2059) Authentication plugin 'caching_sha2_password' cannot be loaded: /usr/lib/plugin/caching_sha2_password.so",
    "DB_PRIVILEGES_MISSING": "CREATE command denied to user 'waent'@'%' for table 'messages'",
    "COMPOSE_REQUIRED_VAR_MISSING": 'ERROR: Missing mandatory value for "image" option interpolating docker.whatsapp.biz/web:v${WA_API_VERSION:?…}',
    "DOCKER_SOCKET_DENIED": "Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
    "DOCKER_DAEMON_DOWN": "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    "COMPOSE_NOT_FOUND": "bash: docker-compose: command not found",
    "IMAGE_PULL_DENIED": "ERROR: pull access denied for docker.whatsapp.biz/web, repository does not exist",
    "PORT_IN_USE": "Bind for 0.0.0.0:9090 failed: port is already allocated",
    "HTTP_ON_HTTPS_PORT": "(connections.c.305) SSL: 1 error:1408F09C:SSL routines:ssl3_get_record:http request",
    "UPGRADE_DBUPGRADE_CMD": 'exec: "launch_within_docker.sh": cannot run executable found relative to current directory',
    "DBUPGRADE_FAILED": "biz_dbupgrade_1  | E 2026-11-30 10:00:00 UTC 140 dbupgrade.cpp:91] Database schema upgrade failed: lock wait",
}
QUIET = [
    "Creating biz_wacore_1 ... done",
    "biz_wacore_1  | I 2026-11-30 10:00:00 UTC 140 main.cpp:55] Starting Coreapp node wa-core-1:abc version 2.41.2",
    "biz_master_1  | I 2026-11-30 10:00:00 UTC 140 cm.cpp:80] Failed to initialize cluster manager, will retry after 1000 ms",
    "Name   Command   State   Ports",
    "biz_waweb_1   /opt/whatsapp/bin/wait_on ...   Up   0.0.0.0:9090->443/tcp",
    "Pulling waweb (docker.whatsapp.biz/web:v2.41.2)...",
    "J\x00\x00\x00\n8.0.33\x00 ... caching_sha2_password",  # a MySQL 8 greeting names its default plugin: no fault
]


@pytest.mark.parametrize("key", sorted(FIRES))
def test_text_entry_fires_on_its_evidence(key):
    found = {d.key: d for d in diagnose_lines([*QUIET, FIRES[key]], host="wa-core-1")}
    assert key in found, found
    d = found[key]
    assert d.host == "wa-core-1" and d.evidence and d.title and d.next_action and d.explanation


@pytest.mark.parametrize("line", [
    # dockerd 20.10.24 against docker-registry 2.8 demanding a login (the lab's registry deny fault), observed here
    'Error response from daemon: Head "https://docker.whatsapp.biz/v2/coreapp/manifests/v2.41.2": no basic auth credentials',
    # docker-compose 1.29.2 `up` prints the same refusal bare (observed here)
    'Head "https://docker.whatsapp.biz/v2/web/manifests/v2.41.2": no basic auth credentials',
    "Error response from daemon: unauthorized: authentication required",
    "Error response from daemon: denied: access forbidden",
    'Error response from daemon: error parsing HTTP 403 response body: unexpected end of JSON input: ""',
])
def test_registry_refusals_in_the_daemons_words_are_a_pull_denied(line):
    (d,) = diagnose_lines([line], "wa-core-2")
    assert d.key == "IMAGE_PULL_DENIED" and d.evidence.strip() == line and d.host == "wa-core-2"
    assert "docker login" in d.next_action and "WA_API_VERSION" in d.next_action


def test_quiet_on_healthy_output():
    assert diagnose_lines(QUIET) == []


def test_every_pattern_entry_has_a_firing_example():
    from tests.domain.test_diagnosis_catalogue_entries import MORE_FIRES

    assert {k for k, e in CATALOGUE.items() if e.pattern} == set(FIRES) | set(MORE_FIRES)


def test_coreapp_levels_only_w_e_c_escalate_and_first_c_is_the_root_cause():
    lines = [f"I 2026-11-30 10:00:{i:02d} UTC 140 main.cpp:55] step {i}" for i in range(50)]
    lines += ["C 2026-11-30 10:01:00 UTC 140 main.cpp:55] Unable to initialize config store",
              "C 2026-11-30 10:01:01 UTC 140 main.cpp:60] wa-service: Unable to initialize ConfigStore"]
    found = {d.key: d for d in diagnose_lines(lines)}
    assert list(found) == ["COREAPP_FATAL"]
    assert "Unable to initialize config store" in found["COREAPP_FATAL"].evidence
    assert log_level(lines[0]) == "I" and log_level("plain text") is None


def test_retry_loop_needs_many_repeats():
    line = "I 2026-11-30 10:00:00 UTC 1 cm.cpp:80] Failed to initialize cluster manager, will retry after 1000 ms"
    assert diagnose_retry_loop([line] * 3) is None
    assert diagnose_retry_loop([line] * 12).key == "DB_SCHEMA_INIT_STUCK"


@pytest.mark.parametrize("status,code,details,key", [
    (403, 1005, "Unknown error: biz_link_on_prem_reg_blocked", "REGISTRATION_SUNSET"),
    (403, 1005, "This endpoint requires Admin role", "ACCESS_DENIED_1005"),
    (404, 1006, "", "NOT_FOUND_1006"),
    (503, 1011, "Wacore is not instantiated", "SERVICE_NOT_READY_1011"),
    (500, 1014, "Connection timed out. Please check if wacore is running", "COREAPP_DOWN_1014"),
    (503, 1016, "", "CALLBACK_BACKLOG_1016"),
    (400, 1017, "", "NOT_PRIMARY_MASTER_1017"),
    (400, 1018, "", "NOT_PRIMARY_COREAPP_1018"),
    (401, 1024, "Password must be changed", "ADMIN_PASSWORD_CHANGE_REQUIRED"),
    (401, 0, "", "HEALTH_AUTH_FAILED"),
])
def test_api_errors(status, code, details, key):
    assert diagnose_api_error(status, code, details).key == key


def test_unknown_api_error_and_transport():
    assert diagnose_api_error(500, 0, "") is None
    assert diagnose_transport("tls", "certificate verify failed").key == "WEBAPP_TLS_UNTRUSTED"
    assert diagnose_transport("unreachable", "refused").key == "WEBAPP_UNREACHABLE"
    assert diagnose_transport("dns", "x").key == "WEBAPP_DNS"
    assert diagnose_transport("http", "x") is None


def test_health_situations():
    assert [d.key for d in diagnose_verdict(judge(parse_health(_ha()), PLAN))] == []
    keys = {d.key for d in diagnose_verdict(judge(parse_health(_ha(c1=None)), PLAN))}
    assert keys == {"SHARDS_UNDER_CONNECTED", "NODE_MISSING"}  # the standby is still there, only unpromoted
    keys = {d.key for d in diagnose_verdict(judge(parse_health(_ha(c2=None)), PLAN))}
    assert keys == {"NO_SPARE_COREAPP", "NODE_MISSING"}
    assert "SPLIT_BRAIN" in {d.key for d in diagnose_verdict(judge(parse_health(_ha(c2=("coreapp", "connected"))), PLAN))}
    assert "PRIMARY_MASTER_COUNT" in {d.key for d in diagnose_verdict(judge(parse_health(_ha(m2=("secondary_master", "disconnected"))), PLAN))}
    body, plan = case("seed-ha-before-registration.json")
    keys = {d.key for d in diagnose_verdict(judge(parse_health(body), plan))}
    assert "CLUSTER_UNREGISTERED" in keys


def test_field_case_r17_two_findings_and_host_split():
    body = {"health": {"hosta:wa-master-441234567890-0": {"gateway_status": "unregistered", "role": "primary_master"},
                       "hosta:wa-core-441234567890-1": {"errors": [{"title": "Service not ready", "code": 1011,
                                                                    "details": "Wacore is not instantiated. Please check wacore log for details."}]}}}
    from wabiz_tui.domain.health import Plan
    v = judge(parse_health(json.loads(json.dumps(body))), Plan(("hosta",), ("hosta",), (), 1, False, in_grace=False))
    keys = {d.key for d in diagnose_verdict(v)}
    assert keys == {"CLUSTER_UNREGISTERED", "SERVICE_NOT_READY_1011"}
    row = next(n for n in v.nodes if n.container_id == "wa-core-441234567890-1")
    assert row.host == "hosta"
