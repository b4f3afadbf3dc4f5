"""Unit tests of the shared cluster rules (``wabiz_tui/sim/rules.py``): tables of inputs → outputs."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from wabiz_tui.sim import rules
from wabiz_tui.sim.rules import Candidate, ShardAssignment


def test_rules_import_only_the_stdlib():
    tree = ast.parse(Path(rules.__file__).read_text())
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert all(m.split(".")[0] in sys.stdlib_module_names or m == "__future__" for m in mods), mods


@pytest.mark.parametrize("current,ready,due,expected", [
    (None, [], True, None),
    (None, [Candidate("b", 2.0), Candidate("a", 1.0)], True, "a"),          # earliest ready wins
    (None, [Candidate("a", 1.0), Candidate("b", 1.0)], True, "a"),          # tie: given order
    (None, [Candidate("a", 1.0)], False, None),                              # vacancy not due yet
    ("b", [Candidate("a", 1.0), Candidate("b", 2.0)], True, "b"),           # the holder keeps it
    ("gone", [Candidate("a", 1.0)], True, "a"),                              # holder not ready → next
])
def test_choose_primary(current, ready, due, expected):
    assert rules.choose_primary(current, ready, due) == expected


def test_plan_shards_promotes_fresh_shards_at_once_earliest_ready_first():
    plan = rules.plan_shards(2, {}, [Candidate("c2", 5.0), Candidate("c1", 1.0), Candidate("c3", 9.0)], {}, 10.0, 6.0)
    assert plan.assign == (ShardAssignment(0, "c1", False), ShardAssignment(1, "c2", False))
    assert plan.wait_until is None


def test_plan_shards_fails_over_only_after_the_delay_and_never_to_an_owner():
    ready = [Candidate("c1", 1.0), Candidate("c2", 2.0)]
    waiting = rules.plan_shards(1, {}, ready, {0: 10.0}, 12.0, 6.0)
    assert waiting.assign == () and waiting.wait_until == 16.0
    due = rules.plan_shards(1, {}, ready, {0: 10.0}, 16.0, 6.0)
    assert due.assign == (ShardAssignment(0, "c1", True),)
    owned = rules.plan_shards(2, {0: "c1"}, ready, {}, 0.0, 6.0)
    assert owned.assign == (ShardAssignment(1, "c2", False),)
    none_left = rules.plan_shards(2, {0: "c1"}, [Candidate("c1", 1.0)], {}, 0.0, 6.0)
    assert none_left.assign == () and none_left.wait_until is None


@pytest.mark.parametrize("kind,kw,expected", [
    ("coreapp", dict(ready=False), {"errors": [rules.NOT_READY_ERROR]}),
    ("master", dict(ready=True, is_primary=True), {"gateway_status": "unregistered", "role": "primary_master"}),
    ("master", dict(ready=True, registered=True, is_primary=True), {"gateway_status": "disconnected", "role": "primary_master"}),
    ("master", dict(ready=True, registered=True, is_primary=True, shards=2), {"gateway_status": "connected", "role": "primary_master"}),
    ("master", dict(ready=True, registered=True, shards=2), {"gateway_status": "disconnected", "role": "secondary_master"}),
    ("coreapp", dict(ready=True), {"gateway_status": "unregistered", "role": "coreapp"}),
    ("coreapp", dict(ready=True, registered=True, owns_shard=True), {"gateway_status": "connected", "role": "coreapp"}),
    ("coreapp", dict(ready=True, registered=True, owns_shard=True, connecting=True), {"gateway_status": "connecting", "role": "coreapp"}),
    ("coreapp", dict(ready=True, registered=True), {"gateway_status": "disconnected", "role": "coreapp"}),
])
def test_node_entry(kind, kw, expected):
    args = dict(ready=True, registered=False, is_primary=False, shards=1, owns_shard=False, connecting=False)
    args.update(kw)
    assert rules.node_entry(kind, **args) == expected


@pytest.mark.parametrize("owned,kind,primary,shards,expected", [
    ([0], "coreapp", False, 1, [[-1, -1], [0, 0]]),      # HA owner also holds the control shard
    ([1], "coreapp", False, 2, [[1, 1]]),
    ([], "master", True, 2, [[-1, -1]]),                # MC primary master: control shard
    ([], "master", True, 1, []),
    ([], "coreapp", False, 2, []),
])
def test_support_shards(owned, kind, primary, shards, expected):
    assert rules.support_shards(owned, kind=kind, is_primary=primary, registered=True, shards=shards) == expected


@pytest.mark.parametrize("value,running,ok", [(1, 1, True), (2, 3, True), (32, 33, True), (3, 5, False),
                                              (0, 5, False), (True, 5, False), ("2", 5, False), (4, 3, False)])
def test_shards_problem(value, running, ok):
    assert (rules.shards_problem(value, running) is None) == ok


@pytest.mark.parametrize("image,env,expected", [
    ("docker.whatsapp.biz/web:v2.41.2", {}, "webapp"),
    ("docker.whatsapp.biz/coreapp:v2.41.2", {}, "coreapp"),
    ("docker.whatsapp.biz/coreapp:v2.41.2", {"WA_MASTER_NODE": "1"}, "master"),
    ("docker.whatsapp.biz/coreapp:v2.41.2", {"WA_MASTER_NODE": "0"}, "coreapp"),
    ("docker.whatsapp.biz/coreapp:v2.41.2", {"WA_DB_UPGRADE": "1", "WA_MASTER_NODE": "1"}, "dbupgrade"),
    ("mysql:8.0.33", {}, "other"),
])
def test_classify(image, env, expected):
    assert rules.classify(image, env) == expected


@pytest.mark.parametrize("body,code", [
    ({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": "QUJD"}, None),
    ({"cc": "1", "phone_number": "6315550000", "method": "sms"}, 1008),
    ({"cc": "1234", "phone_number": "6315550000", "method": "sms", "cert": "QUJD"}, 1009),
    ({"cc": "1", "phone_number": "6315550000", "method": "fax", "cert": "QUJD"}, 1009),
    ({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": "***"}, 1009),
    ({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": "QUJD", "pin": "12"}, 1009),
])
def test_account_request_problem(body, code):
    problem = rules.account_request_problem(body)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize("pw,ok", [("Secret-12", True), ("short1!", False), ("nouppercase1!", False),
                                   ("NoDigits!!", False), ("NoSpecial12", False), ("x" * 65, False)])
def test_password_policy(pw, ok):
    assert (rules.password_problem(pw) is None) == ok
