"""The shipped alert rules: Prometheus's own ``promtool check rules`` on what ``--print-rules`` prints,
``promtool test rules`` on rules_test.yml, and every metric a rule reads is one the exporter serves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import need_tool
from wabiz_tui.exporter.metrics import ClusterState
from wabiz_tui.exporter.rules import rules_text
from wabiz_tui.exporter.scheduler import ClusterPoller

from .helpers import FakeWebapp, installed_profile

HERE = Path(__file__).parent


def test_print_rules_passes_promtool_check(tmp_path):
    promtool = need_tool("promtool")
    printed = subprocess.run([sys.executable, "-m", "wabiz_tui", "exporter", "--print-rules"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert printed == rules_text()
    path = tmp_path / "rules.yml"
    path.write_text(printed)
    res = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "SUCCESS: 9 rules found" in res.stdout, res.stdout + res.stderr


def test_promtool_unit_tests_of_the_rules():
    promtool = need_tool("promtool")
    res = subprocess.run([promtool, "test", "rules", str(HERE / "rules_test.yml")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0 and "SUCCESS" in res.stdout, res.stdout + res.stderr


def test_every_rule_has_a_summary_and_a_next_action_and_covers_issue_18():
    rules = [r for g in yaml.safe_load(rules_text())["groups"] for r in g["rules"]]
    for r in rules:
        assert {"summary", "next_action"} <= set(r["annotations"]), r["alert"]
        assert r["labels"]["severity"] in ("warning", "critical")
    assert {r["alert"] for r in rules} == {
        "WabizShardUnserved", "WabizFailoverTooLong", "WabizNoStandbyCoreapp", "WabizNoPrimaryMaster",
        "WabizTwoPrimaryMasters", "WabizNodeMissing", "WabizWebappUnreachable", "WabizCredentialsRejected",
        "WabizAnswerStale"}


async def test_every_metric_a_rule_reads_is_served():
    from prometheus_client import CollectorRegistry
    from wabiz_tui.exporter.metrics import ExporterCollector

    profile, state, fake = installed_profile(), ClusterState("prod", 15, 60), FakeWebapp()
    for change in (None, "wa-core-1:c1c0ffee"):  # healthy, then a failover (its timestamp is served only then)
        if change:
            del fake.nodes[change]
        poller = ClusterPoller(profile, state, timeout=5, monitor=fake.monitor(profile))
        await poller.poll()
        await poller.monitor.aclose()
    registry = CollectorRegistry()
    registry.register(ExporterCollector([state]))
    served = {m.name for m in registry.collect()}
    read = set(re.findall(r"\bwabiz_[a-z_]+", " ".join(r["expr"] for g in yaml.safe_load(rules_text())["groups"]
                                                       for r in g["rules"])))
    assert read and read <= served, read - served
