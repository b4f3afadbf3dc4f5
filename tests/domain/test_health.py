"""Health verdicts: the four seed samples as written in cases/health/, and the failure tables."""

from __future__ import annotations

import json

import pytest

from tests.support import HEALTH_CASES, need_shared
from wabiz_tui.domain.health import HealthFormatError, Level, Plan, judge, parse_health


def case(name: str) -> tuple[dict, Plan]:
    c = json.loads(need_shared(HEALTH_CASES / name).read_text())
    p = c["plan"]
    return c["body"], Plan(tuple(p["masters"]), tuple(p["coreapps"]), tuple(p["webapps"]), p["shards"], p["registered"])


def test_seed_before_registration_is_as_expected_and_says_register():
    body, plan = case("seed-ha-before-registration.json")
    v = judge(parse_health(body), plan)
    assert v.level is Level.OK
    assert "before registration" in v.headline and "no node is a failure" in v.headline
    assert "POST /v1/account" in v.next_action
    assert not any(n.level is Level.FAILURE for n in v.nodes)
    assert v.primary_master == "your-master2-hostname"
    # the 1011 nodes are shown as starting, matched to their planned host
    starting = {n.host for n in v.nodes if n.level is Level.WAITING}
    assert starting == {"your-master1-hostname", "your-coreapp1-hostname", "your-coreapp2-hostname"}


def test_seed_ha_after_registration_is_healthy_with_one_standby():
    body, plan = case("seed-ha-after-registration.json")
    v = judge(parse_health(body), plan)
    assert v.level is Level.OK and v.healthy
    assert v.headline.startswith("HA healthy: 1/1 shard connected, 1 standby coreapp")
    assert "tolerates 1 coreapp failure" in v.headline
    assert (v.shards_served, v.standby, v.failures_tolerated) == (1, 1, 1)
    by_host = {n.host: n for n in v.nodes}
    assert by_host["your-coreapp2-hostname"].level is Level.STANDBY
    assert by_host["your-coreapp1-hostname"].actual_status == "connected"


def test_seed_mc_with_standby_is_healthy_whatever_the_primary_master_says():
    body, plan = case("seed-mc-two-shards-standby.json")
    v = judge(parse_health(body), plan)
    assert v.level is Level.OK and "2/2 shards connected, 1 standby" in v.headline
    body["health"]["your-master2-hostname:8dd3f5bea27d"]["gateway_status"] = "connected"
    assert judge(parse_health(body), plan).level is Level.OK


def test_seed_mc_without_standby_warns_and_recommends_a_third_coreapp():
    body, plan = case("seed-mc-two-shards.json")
    v = judge(parse_health(body), plan)
    assert v.level is Level.WARNING
    assert "no standby coreapp" in v.headline
    assert "one more coreapp" in v.next_action
    assert v.failures_tolerated == 0


def _ha(**statuses) -> dict:
    nodes = {"m1:aaa": ("secondary_master", "disconnected"), "m2:bbb": ("primary_master", "disconnected"),
             "c1:ccc": ("coreapp", "connected"), "c2:ddd": ("coreapp", "disconnected")}
    for k, v in statuses.items():
        key = next(n for n in nodes if n.startswith(k + ":"))
        if v is None:
            del nodes[key]
        else:
            nodes[key] = v
    return {"health": {k: {"role": r, "gateway_status": s} for k, (r, s) in nodes.items()}}


PLAN = Plan(("m1", "m2"), ("c1", "c2"), ("w1",), 1, True)


@pytest.mark.parametrize("body,level,fragment", [
    (_ha(c2=("coreapp", "connected")), Level.FAILURE, "split brain"),
    (_ha(c1=("coreapp", "disconnected")), Level.FAILURE, "unserved"),
    (_ha(m2=("secondary_master", "disconnected")), Level.FAILURE, "no primary master"),
    (_ha(m1=("primary_master", "disconnected")), Level.FAILURE, "2 primary masters"),
    (_ha(c2=None), Level.WARNING, "missing"),  # served, but nothing left to fail over to
    (_ha(c1=None, c2=("coreapp", "connected")), Level.WARNING, "missing"),  # after a takeover
    (_ha(c1=None), Level.FAILURE, "unserved"),  # the owner is gone and nobody took the shard
])
def test_failure_table(body, level, fragment):
    v = judge(parse_health(body), PLAN)
    assert v.level is level, v
    assert any(fragment in p for p in v.problems) or fragment in v.headline


def test_node_not_in_plan_is_flagged():
    body = _ha()
    body["health"]["stranger:eee"] = {"role": "coreapp", "gateway_status": "disconnected"}
    v = judge(parse_health(body), PLAN)
    assert v.level is Level.WARNING
    assert any(n.host == "stranger" and n.expected_role == "not in the plan" for n in v.nodes)


def test_transitional_states_tolerated_in_grace_then_flagged():
    body = _ha(c1=("coreapp", "connecting"))
    in_grace = judge(parse_health(body), Plan(PLAN.masters, PLAN.coreapps, PLAN.webapps, 1, True, in_grace=True))
    after = judge(parse_health(body), PLAN)
    assert in_grace.level is Level.WAITING
    assert after.level is Level.FAILURE  # the shard has no connected owner once grace is over
    row = next(n for n in after.nodes if n.host == "c1")
    assert row.level is Level.WARNING and "grace" in row.reason


def test_unknown_error_code_on_a_node_is_a_failure():
    body = _ha()
    body["health"]["c2:ddd"] = {"errors": [{"code": 1014, "title": "Internal error", "details": "Connection timed out"}]}
    v = judge(parse_health(body), PLAN)
    row = next(n for n in v.nodes if n.host == "c2")
    assert row.level is Level.FAILURE and "1014" in row.reason


def test_parse_rejects_non_health_bodies():
    with pytest.raises(HealthFormatError):
        parse_health({"errors": []})
    assert parse_health({"health": {"gateway_status": "connected"}})[0].gateway_status == "connected"


def test_missing_node_row_is_red_while_the_served_cluster_is_degraded():
    v = judge(parse_health(_ha(c1=None, c2=("coreapp", "connected"))), PLAN)
    row = next(n for n in v.nodes if n.host == "c1")
    assert row.level is Level.FAILURE and row.actual_status == "missing" and "docker-compose ps" in row.reason
    assert v.level is Level.WARNING and v.shards_served == 1
    assert (v.failures_tolerated, v.failures_planned) == (0, 1)


def test_connected_coreapps_are_the_planned_ones_that_serve_a_shard():
    """The one answer to "which Coreapp is connected" (the failover drill and the demo's fault key read it)."""
    assert judge(parse_health(_ha()), PLAN).connected_coreapps == ("c1",)
    assert judge(parse_health(_ha(c1=("coreapp", "disconnected"))), PLAN).connected_coreapps == ()
    body = _ha(c2=("coreapp", "connected"))
    body["health"]["stranger:eee"] = {"role": "coreapp", "gateway_status": "connected"}  # not in the plan: no owner of ours
    assert judge(parse_health(body), PLAN).connected_coreapps == ("c1", "c2")


def test_in_the_grace_with_every_coreapp_gone_it_says_no_standby_not_failing_over():
    """Fresh-user trial: both Coreapps killed shortly after an install read 'failing over ... a standby should take
    over within the grace period' although no standby existed."""
    grace = Plan(PLAN.masters, PLAN.coreapps, PLAN.webapps, 1, True, in_grace=True)
    gone = judge(parse_health(_ha(c1=None, c2=None)), grace)
    assert "no standby" in gone.headline and "a standby should take" not in gone.headline, gone.headline
    assert "start the missing coreapps" in gone.next_action
    moving = judge(parse_health(_ha(c1=None)), grace)  # c2 is disconnected: a standby can take the shard
    assert "a standby should take over" in moving.headline, moving.headline
