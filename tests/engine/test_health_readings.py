"""One poll, one reading (issue 17 trial): a served demo stopped took its CA file with it, and ``health`` (a fresh
client) read unknown/config while the exporter (its client built before) read failing/unreachable. The client is
built again when its CA file changes or goes, so every reader of the poll says the same. And ``health`` on a
cluster an upgrade left midway exits degraded with the command that continues it. Against the simulated
cluster over real HTTPS."""

from __future__ import annotations

import dataclasses
import json
import shutil

from tests.engine.test_ops_cli import cli
from tests.exporter.test_incomplete_operation import stop_an_upgrade
from wabiz_tui.cli.health import exit_code
from wabiz_tui.config.paths import app_paths
from wabiz_tui.domain.exitcodes import HealthExit
from wabiz_tui.workflows.monitor import HealthMonitor
from wabiz_tui.workflows.observe import poll_health, reading_of, verdict_word


async def test_a_ca_file_gone_reads_the_same_for_a_running_reader_and_a_fresh_one(installed, tmp_path):
    ca = tmp_path / "ca.pem"
    shutil.copy(installed.profile.webapp.ca_file, ca)
    profile = installed.profile.with_changes(webapp=dataclasses.replace(installed.profile.webapp, ca_file=str(ca)))
    running = HealthMonitor(profile)  # like the exporter's: its client built while the CA file was there
    try:
        first = await running.poll_once()
        assert first.verdict is not None and reading_of(first) == "healthy", first.error
        ca.unlink()
        later = await poll_health(running, timeout=10)
        fresh = HealthMonitor(profile)  # like `health`: a new client
        try:
            now = await fresh.poll_once()
        finally:
            await fresh.aclose()
    finally:
        await running.aclose()
    assert now.error is not None and now.error.kind == "config" and "webapp.ca_file" in str(now.error)
    assert (later.error_kind, verdict_word(later)) == ("config", "unknown")
    assert reading_of(now) == "unknown" and exit_code(now) == HealthExit.UNKNOWN


async def test_health_of_a_half_upgraded_cluster_is_degraded(installed):
    profile = str(installed.profile_path)
    code, out, err = await cli("health", profile)
    assert code == 0, out + err
    stop_an_upgrade(app_paths().journals, installed.profile, "2.43.1")
    code, out, err = await cli("health", profile)
    assert code == 1, out + err
    assert "WARNING: upgrade 2.41.2 → 2.43.1 stopped midway (after step 1)" in out
    assert f"next: continue it: wabiz-tui upgrade {profile} --resume --yes" in out
    code, out, err = await cli("health", profile, "--json")
    data = json.loads(out.splitlines()[0])
    assert code == 1 and data["exit_code"] == 1 and data["installed"] is True
    assert data["verdict"]["level"] == "warning" and data["operation_incomplete"]["operation"] == "upgrade"
