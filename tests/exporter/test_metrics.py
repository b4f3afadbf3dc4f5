"""The exporter's metrics, from polls of a stand-in Webapp through the monitor (the real health path)."""

from __future__ import annotations

import dataclasses
import time

from prometheus_client.parser import text_string_to_metric_families

from wabiz_tui.config.lock import ClusterLock
from wabiz_tui.config.paths import app_paths
from wabiz_tui.exporter.metrics import ClusterState
from wabiz_tui.exporter.scheduler import ClusterPoller

from .helpers import FakeWebapp, SilentServer, free_port, installed_profile, samples, scrape_text, self_signed, value


async def poll(fake: FakeWebapp | None, state: ClusterState, profile=None, *, timeout: float = 5.0, locks=None) -> None:
    """One poll through the exporter's poller; ``fake`` None: the profile's real Webapp URL."""
    profile = profile or installed_profile()
    monitor = fake.monitor(profile, grace=state.grace) if fake else None
    poller = ClusterPoller(profile, state, timeout=timeout, locks=locks, monitor=monitor)
    await poller.poll()
    await poller.monitor.aclose()


def state(name: str = "prod") -> ClusterState:
    return ClusterState(name, interval=15.0, grace=60.0)


async def test_a_healthy_ha_cluster():
    s = state()
    await poll(FakeWebapp(), s)
    text = scrape_text(s)
    assert value(text, "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="healthy") == 1
    assert value(text, "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="failing") == 0
    for name, want in (("wabiz_shards_expected", 1), ("wabiz_shards_served", 1), ("wabiz_shards_unserved", 0),
                       ("wabiz_standby_coreapps", 1), ("wabiz_failures_tolerated", 1), ("wabiz_failures_tolerated_planned", 1),
                       ("wabiz_primary_masters", 1), ("wabiz_primary_master_present", 1), ("wabiz_cluster_registered", 1),
                       ("wabiz_failover_in_progress", 0), ("wabiz_polls_total", 1), ("wabiz_planned_operation_running", 0)):
        assert value(text, name, cluster="prod") == want, name
    assert value(text, "wabiz_node_gateway_status", host="wa-core-1", expected_role="coreapp", status="connected") == 1
    assert value(text, "wabiz_node_gateway_status", host="wa-core-2", expected_role="coreapp", status="disconnected") == 1
    assert value(text, "wabiz_node_role", host="wa-master-1", expected_role="master", role="primary_master") == 1
    assert value(text, "wabiz_node_as_expected", host="wa-core-2", expected_role="coreapp") == 1
    assert value(text, "wabiz_last_poll_error", cluster="prod", wabiz_last_poll_error="none") == 1
    assert 0 <= value(text, "wabiz_health_answer_latency_seconds", cluster="prod") < 5
    assert value(text, "wabiz_health_answer_age_seconds", cluster="prod") < 5
    assert value(text, "wabiz_last_successful_poll_timestamp_seconds", cluster="prod") > 1.7e9
    assert "c1c0ffee" not in text and "m1a" not in text  # no container id in any label
    assert samples(text, "wabiz_failover_started_timestamp_seconds") == []


async def test_a_failover_is_told_from_shards_unserved_since_the_start():
    fake, s = FakeWebapp(), state()
    await poll(fake, s)
    del fake.nodes["wa-core-1:c1c0ffee"]  # the serving Coreapp is lost
    await poll(fake, s)
    text = scrape_text(s)
    assert value(text, "wabiz_failover_in_progress", cluster="prod") == 1
    assert value(text, "wabiz_shards_unserved", cluster="prod") == 1
    assert value(text, "wabiz_failover_started_timestamp_seconds", cluster="prod") == s.unserved_since
    assert value(text, "wabiz_node_present", host="wa-core-1", expected_role="coreapp") == 0
    assert value(text, "wabiz_node_gateway_status", host="wa-core-1", expected_role="coreapp", status="missing") == 1
    assert value(text, "wabiz_node_role", host="wa-core-1", expected_role="coreapp", role="missing") == 1
    fake.nodes["wa-core-2:c2beef"] = ("coreapp", "connected")  # the standby took the shard
    await poll(fake, s)
    text = scrape_text(s)
    assert value(text, "wabiz_failover_in_progress", cluster="prod") == 0 and value(text, "wabiz_shards_served", cluster="prod") == 1
    assert value(text, "wabiz_standby_coreapps", cluster="prod") == 0 and value(text, "wabiz_failures_tolerated", cluster="prod") == 0
    assert samples(text, "wabiz_failover_started_timestamp_seconds") == []
    # unserved from the first poll on: shards unserved, but no failover
    fresh = state()
    await poll(fake.__class__({k: v for k, v in fake.nodes.items() if k.startswith("wa-master")}), fresh)
    text = scrape_text(fresh)
    assert value(text, "wabiz_shards_unserved", cluster="prod") == 1 and value(text, "wabiz_failover_in_progress", cluster="prod") == 0


async def test_findings_by_key_and_severity_and_two_primary_masters():
    fake, s = FakeWebapp(), state()
    del fake.nodes["wa-core-2:c2beef"]
    fake.nodes["wa-master-2:m2b"] = ("primary_master", "disconnected")
    await poll(fake, s)
    text = scrape_text(s)
    keys = {(x.labels["key"], x.labels["severity"]) for fam in text_string_to_metric_families(text)
            for x in fam.samples if x.name == "wabiz_finding"}
    assert ("NODE_MISSING", "error") in keys, keys
    assert value(text, "wabiz_primary_masters", cluster="prod") == 2 and value(text, "wabiz_primary_master_present", cluster="prod") == 0
    assert value(text, "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="failing") == 1


async def test_poll_errors_by_kind_from_real_failures(tmp_path):
    s = state()
    fake = FakeWebapp()
    fake.login_status = 401
    await poll(fake, s)  # credentials refused
    fake.login_status, fake.health_status = 200, 503
    await poll(fake, s)  # the Webapp answers an error
    await poll(None, s, installed_profile(url=f"https://127.0.0.1:{free_port()}"))  # nothing listens: connection refused
    await poll(None, s, installed_profile(url="https://wa-web.invalid:9090"))  # .invalid never resolves (RFC 6761)
    async with SilentServer() as port:
        await poll(None, s, installed_profile(url=f"https://127.0.0.1:{port}"), timeout=0.5)
    text = scrape_text(s)
    for kind in ("auth", "http", "unreachable", "dns", "timeout"):
        assert value(text, "wabiz_poll_errors_total", cluster="prod", kind=kind) == 1, kind
    assert value(text, "wabiz_poll_errors_total", cluster="prod", kind="tls") == 0
    assert value(text, "wabiz_last_poll_error", cluster="prod", wabiz_last_poll_error="timeout") == 1
    assert value(text, "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="failing") == 1
    assert samples(text, "wabiz_shards_served") == []  # no verdict now: no stale shard count
    assert value(text, "wabiz_polls_total", cluster="prod") == 5


async def test_a_tls_failure_is_its_own_kind(tmp_path):
    """A real TLS server (our metrics server with an openssl certificate) that the profile does not trust."""
    from prometheus_client import CollectorRegistry

    from wabiz_tui.exporter.server import MetricsServer

    cert, key = self_signed(tmp_path)
    server = MetricsServer(CollectorRegistry(), "127.0.0.1", 0, certfile=str(cert), keyfile=str(key)).start()
    try:
        s = state()
        profile = installed_profile(url=f"https://127.0.0.1:{server.port}")
        profile = profile.with_changes(webapp=dataclasses.replace(profile.webapp, self_signed_ok=False))
        poller = ClusterPoller(profile, s, timeout=5.0)
        await poller.poll()
        await poller.monitor.aclose()
    finally:
        server.stop()
    assert value(scrape_text(s), "wabiz_last_poll_error", cluster="prod", wabiz_last_poll_error="tls") == 1


async def test_a_planned_operation_is_read_from_the_cluster_lock():
    profile, s = installed_profile(), state()
    lock = ClusterLock.for_profile(app_paths().locks, profile).acquire("upgrade")
    try:
        await poll(FakeWebapp(), s, profile, locks=app_paths().locks)
        text = scrape_text(s)
        assert value(text, "wabiz_planned_operation_running", cluster="prod") == 1
        assert value(text, "wabiz_planned_operation_info", cluster="prod", command="upgrade") == 1
    finally:
        lock.release()
    await poll(FakeWebapp(), s, profile, locks=app_paths().locks)
    text = scrape_text(s)
    assert value(text, "wabiz_planned_operation_running", cluster="prod") == 0
    assert samples(text, "wabiz_planned_operation_info") == []


def test_before_any_poll_the_verdict_is_unknown_and_the_age_grows():
    s = state()
    text = scrape_text(s, wall=lambda: s.started + 42)
    assert value(text, "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="unknown") == 1
    assert value(text, "wabiz_health_answer_age_seconds", cluster="prod") == 42
    assert samples(text, "wabiz_last_successful_poll_timestamp_seconds") == []


async def test_a_run_state_start_gives_the_grace(monkeypatch):
    """An install/upgrade recorded its containers' start: unserved shards are waited for, not failing."""
    from wabiz_tui.config.runstate import write_run_state

    profile, s = installed_profile(), state()
    fake = FakeWebapp({k: v for k, v in FakeWebapp().nodes.items() if k.startswith("wa-master")})
    await poll(fake, s, profile)
    assert value(scrape_text(s), "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="failing") == 1
    write_run_state(profile, started_at=time.time())
    s2 = state()
    await poll(fake, s2, profile)
    assert value(scrape_text(s2), "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="degraded") == 1


async def test_a_lost_owner_without_standby_is_no_failover_in_progress_but_impossible():
    fake, s = FakeWebapp(), state()
    await poll(fake, s)
    del fake.nodes["wa-core-2:c2beef"]
    del fake.nodes["wa-core-1:c1c0ffee"]
    monitor = fake.monitor(installed_profile(), grace=s.grace)
    poller = ClusterPoller(installed_profile(), s, timeout=5, monitor=monitor)
    fake.nodes.update({"wa-core-1:c1c0ffee": ("coreapp", "connected"), "wa-core-2:c2beef": ("coreapp", "connected")})
    del fake.nodes["wa-core-2:c2beef"]
    await poller.poll()  # wa-core-1 serving, no standby
    del fake.nodes["wa-core-1:c1c0ffee"]
    await poller.poll()  # the owner lost: nothing can take the shard
    await monitor.aclose()
    text = scrape_text(s)
    assert value(text, "wabiz_failover_state", cluster="prod", wabiz_failover_state="impossible") == 1
    assert value(text, "wabiz_failover_in_progress", cluster="prod") == 0  # WabizShardUnserved is not held back
    assert value(text, "wabiz_shards_unserved", cluster="prod") == 1


async def test_a_failover_with_a_standby_is_in_progress():
    fake, s = FakeWebapp(), state()
    monitor = fake.monitor(installed_profile(), grace=s.grace)
    poller = ClusterPoller(installed_profile(), s, timeout=5, monitor=monitor)
    await poller.poll()
    del fake.nodes["wa-core-1:c1c0ffee"]
    await poller.poll()
    await monitor.aclose()
    text = scrape_text(s)
    assert value(text, "wabiz_failover_state", cluster="prod", wabiz_failover_state="in_progress") == 1
    assert value(text, "wabiz_failover_in_progress", cluster="prod") == 1


async def test_an_uninstalled_cluster_is_not_polled_and_says_so(tmp_path):
    """After `wabiz-tui uninstall` (the run state says when) the exporter stops polling the cluster: its verdict
    is not_installed and wabiz_cluster_installed 0, which every shipped alert is quiet for."""
    from wabiz_tui.config.runstate import write_run_state
    from wabiz_tui.workflows.monitor import planned_state_reader

    profile, s = installed_profile(), state()
    fake = FakeWebapp()
    monitor = fake.monitor(profile, grace=s.grace, planned=planned_state_reader(profile, None))
    poller = ClusterPoller(profile, s, timeout=5, monitor=monitor)
    await poller.poll()
    assert value(scrape_text(s), "wabiz_cluster_installed", cluster="prod") == 1
    write_run_state(profile, installed=False, uninstalled_at=time.time())
    fake.health_status = 503  # nothing answers any more: no error is counted, nothing alerts
    await poller.poll()
    await monitor.aclose()
    text = scrape_text(s)
    assert value(text, "wabiz_cluster_installed", cluster="prod") == 0
    assert value(text, "wabiz_cluster_verdict", cluster="prod", wabiz_cluster_verdict="not_installed") == 1
    assert value(text, "wabiz_last_poll_error", cluster="prod", wabiz_last_poll_error="none") == 1
    assert sum(samples(text, "wabiz_poll_errors_total", cluster="prod")) == 0


async def test_an_open_tui_window_silences_nothing_until_it_runs_an_operation():
    """Review of the merge: the TUI keeps the cluster's lock (``wizard (…)``) for its whole life, so the exporter
    read 'planned operation running' as long as a window was open and the shipped alerts stayed quiet. Only the
    operation the window notes in its lock counts."""
    profile, s = installed_profile(), state()
    lock = ClusterLock.for_profile(app_paths().locks, profile).acquire("wizard (step)")
    try:
        await poll(FakeWebapp(), s, profile, locks=app_paths().locks)
        assert value(scrape_text(s), "wabiz_planned_operation_running", cluster="prod") == 0
        lock.note_operation("upgrade")
        await poll(FakeWebapp(), s, profile, locks=app_paths().locks)
        text = scrape_text(s)
        assert value(text, "wabiz_planned_operation_running", cluster="prod") == 1
        assert value(text, "wabiz_planned_operation_info", cluster="prod", command="upgrade") == 1
        lock.note_operation("")
        await poll(FakeWebapp(), s, profile, locks=app_paths().locks)
        assert value(scrape_text(s), "wabiz_planned_operation_running", cluster="prod") == 0
    finally:
        lock.release()
