"""doctor's API rows (domain.doctor_rules_api): facts shaped as workflows/doctor/api.py makes them -> causes."""

from __future__ import annotations

from wabiz_tui.domain.doctor import MEDIUM, P_API, P_CONTAINER, Fact, reason

HEALTH = "GET https://wa-web-1:9090/v1/health (after POST /v1/users/login)"


def api(kind: str, line: str, ok: bool | None, **data) -> Fact:
    return Fact(P_API, "", HEALTH, line, ok, {"kind": kind, **data})


def test_an_info_answer_is_said_not_ranked():
    f = api("http", "health check failed: HTTP 503 Service not ready (code 1011)", False, status=503, code=1011,
            key="SERVICE_NOT_READY_1011", severity="info", title="service not ready (1011)", next_action="wait")
    report = reason([f])
    assert report.causes == ()
    assert any("information while nodes start" in r.note for r in report.ruled_out)


def test_a_verdict_finding_on_a_host_whose_container_is_down_is_folded_into_that_cause():
    node = api("verdict", "coreapp on wa-core-1: missing", False, key="NODE_MISSING", severity="error",
               title="a planned node is missing from health", next_action="docker-compose ps", node_host="wa-core-1")
    down = Fact(P_CONTAINER, "wa-core-1", "docker inspect x", "exited (exit code 137)", False,
                {"service": "wacore", "restarts": 0})
    report = reason([node, down])
    assert [c.key for c in report.causes] == ["CONTAINER_DOWN"]
    assert "API_HEALTH" in report.causes[0].also and node in report.causes[0].evidence


def test_a_verdict_finding_alone_is_a_medium_cause_on_its_node():
    node = api("verdict", "1 of 2 shards unserved", False, key="SHARDS_UNDER_CONNECTED", severity="error",
               title="a shard has no connected Coreapp", next_action="start the missing Coreapps", node_host="")
    support = api("support", "5 node(s); shard owners: 0 -> h2", False, unowned=["1"], doubled=[], owners={"0": ["h2"]})
    (cause,) = reason([node, support]).causes
    assert cause.key == "API_HEALTH" and cause.confidence == MEDIUM and support in cause.evidence


def test_each_api_rule_keeps_its_own_ruled_out_note_beside_another_api_finding():
    """The Webapp answering one call with 1016 is a cause; health judged fine and the shard map are still said
    (folded) under their own keys: one key for the three rules dropped the others' notes once one of them found."""
    overloaded = api("http", "GET /v1/account/shards: HTTP 503 (code 1016) system overloaded", False, status=503,
                     code=1016, key="OVERLOADED_1016", severity="error", title="system overloaded (1016)",
                     next_action="check the webhook")
    fine = api("verdict", "every shard has a connected Coreapp", True, key="SHARDS_OK", severity="info",
               title="shards served", next_action="nothing to do")
    report = reason([overloaded, fine])
    assert [c.key for c in report.causes] == ["API"]
    assert [r.key for r in report.ruled_out if r.note.startswith("health: shards served")] == ["API_HEALTH"]


def test_the_shard_map_speaks_only_when_health_did_not():
    support = api("support", "2 node(s); shard owners: 0 -> a/b", False, unowned=[], doubled=["0"], owners={"0": ["a", "b"]})
    (cause,) = reason([support]).causes
    assert "shard 0 is owned by a and b" in cause.title


def test_addresses_name_the_dead_one_only_when_another_answers():
    dead = api("address", "localhost -> ::1 (IPv6): Connection refused", False, name="localhost", address="::1", family="IPv6")
    alive = api("address", "localhost -> 127.0.0.1 (IPv4): connected", True, name="localhost", address="127.0.0.1", family="IPv4")
    (cause,) = reason([dead, alive]).causes
    assert cause.key == "WEBAPP_ADDRESSES" and "use 127.0.0.1 instead of localhost" in cause.next_action
    assert reason([dead]).causes == ()  # nothing answers at all: the health poll's own fact says so


def test_a_401_on_login_is_credentials_and_high():
    f = api("auth", "login as admin failed: HTTP 401 Access denied (code 1005): Invalid credentials", False, status=401,
            code=1005, key="ACCESS_DENIED_1005", severity="error", title="access denied (1005)", next_action="")
    (cause,) = reason([f]).causes
    assert cause.key == "API_CREDENTIALS" and cause.confidence == "high" and "not an outage" in cause.title


def test_a_credentials_refusal_does_not_hide_a_container_that_stopped():
    """Review: a 401 and an exited Coreapp are two causes; the wrong password does not explain the stopped container."""
    refused = api("auth", "login as admin: HTTP 401 Unauthorized", False, status=401)
    down = Fact(P_CONTAINER, "wa-core-1", "docker inspect x", "exited (exit code 137)", False,
                {"service": "wacore", "restarts": 0})
    report = reason([refused, down])
    assert sorted(c.key for c in report.causes) == ["API_CREDENTIALS", "CONTAINER_DOWN"], [(c.key, c.also) for c in report.causes]
