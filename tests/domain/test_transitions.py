"""Every transition of the monitor's words (domain.transitions), with the clock given, never slept."""

from __future__ import annotations

import time

from wabiz_tui.domain.health import Level, NodeState, Plan, judge
from wabiz_tui.domain.transitions import (FailoverWatch, OperationWatch, PlannedOperation, age_words,
                                          not_installed_words, operation_from_lock, paused_words, with_failover,
                                          with_operation)

HA = Plan(("wa-master-1", "wa-master-2"), ("wa-core-1", "wa-core-2", "wa-core-3"), shards=1, registered=True)
MC = Plan(("wa-master-1",), ("wa-core-1", "wa-core-2", "wa-core-3"), shards=2, registered=True)


def nodes(**coreapps: str) -> list[NodeState]:
    """Two masters and the Coreapps given as ``wa_core_1="connected"`` (None: absent; ``cid`` suffix ``:id``)."""
    out = [NodeState("wa-master-1:m1", "wa-master-1", "m1", "primary_master", "disconnected"),
           NodeState("wa-master-2:m2", "wa-master-2", "m2", "secondary_master", "disconnected")]
    for name, status in coreapps.items():
        host = name.replace("_", "-")
        status, _, cid = status.partition(":")
        cid = cid or f"c{host[-1]}"
        out.append(NodeState(f"{host}:{cid}", host, cid, "coreapp", status))
    return out


HEALTHY = nodes(wa_core_1="connected", wa_core_2="disconnected", wa_core_3="disconnected")


def test_a_lost_owner_with_standbys_is_failing_over_from_the_first_poll_with_the_seconds_of_grace():
    w = FailoverWatch(grace=30)
    assert w.observe(HEALTHY, HA, now=100).state == "none"
    s = w.observe(nodes(wa_core_2="disconnected", wa_core_3="disconnected"), HA, now=104)
    assert s.state == "in_progress" and s.tolerated
    assert s.words() == "failing over: standby wa-core-2 or wa-core-3 should take shard 0, 0 s of 30 s grace"
    s = w.observe(nodes(wa_core_2="connecting", wa_core_3="disconnected"), HA, now=108)
    assert s.words() == "failing over: standby wa-core-2 or wa-core-3 should take shard 0, 4 s of 30 s grace"
    assert s.next_action().startswith("wait up to 26 s more")


def test_the_takeover_is_said_with_the_new_owner_and_the_seconds():
    w = FailoverWatch(grace=30)
    w.observe(HEALTHY, HA, now=0)
    w.observe(nodes(wa_core_2="disconnected", wa_core_3="disconnected"), HA, now=2)
    s = w.observe(nodes(wa_core_2="disconnected", wa_core_3="connected"), HA, now=9)
    assert s.state == "done" and s.took_over == ("wa-core-3",) and s.words() == "wa-core-3 took over after 7 s"
    assert w.observe(nodes(wa_core_2="disconnected", wa_core_3="connected"), HA, now=12).state == "none"


def test_no_standby_is_failing_at_once():
    w = FailoverWatch(grace=30)
    w.observe(nodes(wa_core_1="connected"), HA, now=0)
    s = w.observe(nodes(), HA, now=1)
    assert s.state == "impossible" and not s.tolerated
    assert s.words().startswith("failing: no standby — shard 0 is unserved since wa-core-1 stopped serving")
    assert "start the Coreapp on wa-core-1 again" in s.next_action()


def test_a_standby_that_appears_later_turns_an_impossible_failover_into_one_in_progress():
    w = FailoverWatch(grace=30)
    w.observe(nodes(wa_core_1="connected"), HA, now=0)
    assert w.observe(nodes(), HA, now=1).state == "impossible"
    s = w.observe(nodes(wa_core_2="disconnected"), HA, now=5)
    assert s.state == "in_progress" and s.elapsed == 4  # counted from the loss, not from the standby


def test_past_the_grace_it_escalates_to_failing():
    w = FailoverWatch(grace=10)
    w.observe(HEALTHY, HA, now=0)
    assert w.observe(nodes(wa_core_2="disconnected"), HA, now=1).state == "in_progress"
    assert w.observe(nodes(wa_core_2="disconnected"), HA, now=11).state == "in_progress"  # exactly the grace
    s = w.observe(nodes(wa_core_2="disconnected"), HA, now=11.5)
    assert s.state == "overdue" and s.words() == ("failing: failover longer than its 10 s grace — wa-core-2 has not "
                                                  "taken shard 0 after 10 s")


def test_unserved_from_the_first_poll_or_before_registration_is_no_failover():
    w = FailoverWatch(grace=10)
    assert w.observe(nodes(wa_core_2="disconnected"), HA, now=0).state == "none"
    unregistered = Plan(HA.masters, HA.coreapps, shards=1, registered=False)
    w2 = FailoverWatch(grace=10)
    w2.observe(HEALTHY, unregistered, now=0)
    assert w2.observe(nodes(), unregistered, now=1).state == "none"


def test_multiconnect_names_the_lost_coreapps_shard():
    w = FailoverWatch(grace=20)
    w.observe(nodes(wa_core_1="connected", wa_core_2="connected", wa_core_3="disconnected"), MC, now=0)
    s = w.observe(nodes(wa_core_2="connected", wa_core_3="disconnected"), MC, now=3)
    assert s.words() == "failing over: standby wa-core-3 should take the shard of wa-core-1, 0 s of 20 s grace"


def test_the_verdict_takes_the_failover_words_and_level():
    w = FailoverWatch(grace=30)
    w.observe(HEALTHY, HA, now=0)
    lost = nodes(wa_core_2="disconnected", wa_core_3="disconnected")
    s = w.observe(lost, HA, now=4)
    v = with_failover(judge(lost, Plan(HA.masters, HA.coreapps, shards=1, registered=True, in_grace=True)), s, "HA")
    assert v.headline.startswith("HA failing over: standby") and v.level is not Level.FAILURE
    impossible = FailoverWatch(grace=30)
    impossible.observe(nodes(wa_core_1="connected"), HA, now=0)
    s2 = impossible.observe(nodes(), HA, now=1)
    v2 = with_failover(judge(nodes(), HA), s2, "HA")
    assert v2.level is Level.FAILURE and v2.headline.startswith("HA failing: no standby")


def test_an_upgrade_counts_the_nodes_restarted_by_their_new_container_ids():
    op = PlannedOperation("upgrade", since=1000.0, by="pid 7")
    w = OperationWatch()
    assert w.observe(None, HEALTHY, 5) == ""
    assert w.observe(op, HEALTHY, 5) == "upgrading: 0 of 5 nodes restarted"
    # wa-core-2 recreated (new id), wa-core-3 down (absent), then back with the same id
    assert w.observe(op, nodes(wa_core_1="connected", wa_core_2="disconnected:new2"), 5) == "upgrading: 1 of 5 nodes restarted"
    assert w.observe(op, nodes(wa_core_1="connected", wa_core_2="disconnected:new2", wa_core_3="disconnected"), 5) \
        == "upgrading: 2 of 5 nodes restarted"
    assert w.observe(op, None, 5) == "upgrading: 2 of 5 nodes restarted"  # no answer: the count holds
    # another operation starts: counted afresh
    assert w.observe(PlannedOperation("upgrade", since=2000.0), HEALTHY, 5) == "upgrading: 0 of 5 nodes restarted"


def test_other_planned_operations_are_named():
    assert OperationWatch().observe(PlannedOperation("uninstall"), None, 5) == "planned: uninstall running"
    assert OperationWatch().observe(PlannedOperation("drill"), HEALTHY, 5) == "planned: failover drill running"
    # a node restarted from the monitor is no drill: its own words (issue 17 trial)
    restart = PlannedOperation("drill", by="this window", doing="restart of wacore on wa-core-1")
    assert paused_words(restart) == "alerts paused: restart of wacore on wa-core-1 running (this window)"


def test_paused_words_and_the_verdict_during_an_operation():
    since = time.mktime((2026, 12, 5, 0, 42, 0, 0, 0, -1))
    op = PlannedOperation("upgrade", since=since, by="pid 7")
    assert paused_words(op) == "alerts paused: upgrade running since 00:42 (pid 7)"
    v = with_operation(judge(HEALTHY, HA), "upgrading: 1 of 5 nodes restarted", paused_words(op))
    assert v.headline.startswith("upgrading: 1 of 5 nodes restarted — HA healthy")
    assert v.next_action.startswith("alerts paused: upgrade running since 00:42")


def test_the_lock_holder_tells_a_planned_operation_from_a_read_or_the_tui():
    op = operation_from_lock({"command": "upgrade", "pid": 42, "since": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                                                          time.gmtime(1_800_000_000))})
    assert op == PlannedOperation("upgrade", 1_800_000_000.0, "pid 42")
    assert operation_from_lock({}) is None
    assert operation_from_lock({"command": "logs", "pid": 1}) is None  # takes the lock, changes nothing
    assert operation_from_lock({"command": "wizard (step)", "pid": 1}) is None  # held for the app's life
    assert operation_from_lock({"command": "wizard (step)", "pid": 1, "operation": ""}) is None  # runs nothing now
    noted = {"command": "wizard (step)", "pid": 3, "since": "2026-12-05 00:00:00 UTC", "operation": "upgrade",
             "operation_since": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(1_800_000_000))}
    assert operation_from_lock(noted) == PlannedOperation("upgrade", 1_800_000_000.0, "pid 3")
    assert operation_from_lock({"command": "uninstall", "since": "garbled"}) == PlannedOperation("uninstall", None, "")


def test_not_installed_and_age_words():
    at = time.mktime((2026, 12, 5, 8, 1, 0, 0, 0, -1))
    assert not_installed_words(at) == "not installed (uninstalled at 08:01)"
    assert not_installed_words(None) == "not installed"
    assert age_words(3.4) == "answer 3 s old" and age_words(-1) == "answer 0 s old"


def test_a_poll_without_an_answer_says_so_instead_of_an_answer_age():
    """Fresh-user trial: "answer 0 s old" was printed on UNKNOWN lines and beside "No health answer yet"."""
    from wabiz_tui.api.client import ApiError
    from wabiz_tui.workflows.monitor import PollResult

    failed = PollResult(polled_at=1000.0, latency=0.1, error=ApiError("the Webapp is unreachable", kind="unreachable"))
    assert failed.age_text(now=1003.2) == "no answer (polled 3 s ago)"
