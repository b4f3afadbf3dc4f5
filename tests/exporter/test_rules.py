"""The shipped alert rules: Prometheus's own ``promtool check rules`` on what ``--print-rules`` prints,
``promtool test rules`` on rules_test.yml, and every metric a rule reads is one the exporter serves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support import need_tool
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
    assert res.returncode == 0 and "SUCCESS: 11 rules found" in res.stdout, res.stdout + res.stderr


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
        "WabizAnswerStale", "WabizFailoverImpossible", "WabizUpgradeIncomplete"}


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


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_scrape_config_passes_promtool(tmp_path):
    promtool = need_tool("promtool")
    text = README.read_text()
    config = re.search(r"```yaml\n(rule_files:\n.*?)```", text, re.S).group(1)
    (tmp_path / "rules.yml").write_text(rules_text())
    path = tmp_path / "prometheus.yml"
    path.write_text(config.replace("/etc/prometheus/rules/wabiz-tui.yml", str(tmp_path / "rules.yml")))
    res = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "11 rules found" in res.stdout, res.stdout + res.stderr


def test_the_readme_systemd_unit_passes_systemd_analyze(tmp_path):
    analyze = need_tool("systemd-analyze")
    unit = re.search(r"```ini\n(# /etc/systemd/system/wabiz-tui-exporter.service\n.*?)```", README.read_text(), re.S).group(1)
    assert "exporter " in unit and "--listen 127.0.0.1:" in unit
    path = tmp_path / "wabiz-tui-exporter.service"
    # the unit names the installed console script; here the interpreter stands in for it (verify checks it is executable)
    path.write_text(unit.replace("/usr/local/bin/wabiz-tui", sys.executable))
    res = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
