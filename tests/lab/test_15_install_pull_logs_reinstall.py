"""Issue 13's "Done means", tried as a new user would on the lab's real parts: an install whose hosts really pull
shows compose's ``done`` words and pull progress (headless output and run log); a log collection with ``--since``
on the compose-v1 hosts gives the containers' real logs; ``uninstall`` then ``install`` runs the preflight again
(no resuming) and ends healthy. The module starts from, and leaves, a cluster that is not installed and a fresh
cluster database."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.lab.conftest import cli
from tests.lab.test_10_cluster import profile_copy, verdict
from wabiz_tui.lab import services

HOSTS = ("wa-web-1", "wa-master-1", "wa-master-2", "wa-core-1", "wa-core-2")
CONTAINER = {"wa-web-1": "biz_waweb_1", "wa-master-1": "biz_master_1", "wa-master-2": "biz_master_1",
             "wa-core-1": "biz_wacore_1", "wa-core-2": "biz_wacore_1"}


@pytest.fixture(scope="module")
def installed(lab, tmp_path_factory):
    """The lab's profile copy installed by :func:`test_install_on_hosts_that_pull_shows_done_and_pull_progress`;
    uninstalled and the cluster database reset at the end of the module."""
    profile = profile_copy(lab, tmp_path_factory.mktemp("i13"))
    cli("uninstall", str(profile), "--yes", "--confirm-name", "lab")  # whatever an earlier module left running
    services.reset_cluster_databases(lab.paths, "mysql")
    yield profile
    cli("uninstall", str(profile), "--yes", "--confirm-name", "lab")
    services.reset_cluster_databases(lab.paths, "mysql")


def test_install_on_hosts_that_pull_shows_done_and_pull_progress(lab, installed):
    for host in HOSTS:  # no image on any host: step 5's `docker-compose up -d` pulls from the lab registry
        assert lab.sh(host, "docker rmi -f $(docker images -q) >/dev/null 2>&1; docker images -q").stdout == "", host
    out = cli("install", str(installed), "--yes", "--code", lab.code, "--skip-preflight", "-v")
    assert out.returncode == 0, out.stdout[-3000:]
    step5 = [l for l in out.stdout.splitlines() if l.startswith("  step 5 ")]
    for host in HOSTS:
        mine = [l for l in step5 if l.startswith((f"  step 5 {host} ", f"  step 5 {host}:"))]
        assert f"  step 5 {host} | Creating {CONTAINER[host]} ... done" in mine, mine
        assert any(re.search(r"\| \w{12}: Downloading \[=*>? *\] +[\d.]+[kM]?B/[\d.]+[kM]?B$", l) for l in mine), mine
        assert any(re.search(r"\| \w{12}: Pull complete$", l) for l in mine), mine
        assert any(re.fullmatch(rf"  step 5 {host}: image layers pulled (\d+)/\1", l) for l in mine), mine
    (run,) = sorted(Path(os.environ["WABIZ_TUI_HOME"]).rglob("state/logs/*-install"))[-1:]
    for host in HOSTS:
        log = (run / f"{host}.log").read_text()
        assert f"Creating {CONTAINER[host]} ... done" in log and "Pull complete" in log, host
        assert "\x1b[" not in log and "\r" not in log, host  # rendered as a terminal shows it, not raw bytes


def test_logs_since_on_compose_v1_hosts_are_the_containers_real_logs(lab, installed, tmp_path):
    """docker-compose 1.29.2 ``logs`` has no ``--since`` (it prints its usage and exits 0); the collection gives
    what ``docker logs --since`` gives on the host, with compose's service prefix."""
    assert "docker-compose version 1.29.2" in lab.sh("wa-core-1", "docker-compose version").stdout
    out = cli("logs", str(installed), "--since", "30m", "--out", str(tmp_path))
    assert out.returncode == 0, out.stdout[-2000:]
    for host in HOSTS:
        (collected,) = tmp_path.glob(f"*/{host}/debug_output.txt")
        text = collected.read_text()
        assert "Usage:" not in text and "usage:" not in text, text[:500]
        direct = lab.sh(host, f"docker logs --since 30m {CONTAINER[host]} 2>&1")
        assert direct.returncode == 0 and direct.stdout.strip(), direct.stderr
        service = CONTAINER[host].removeprefix("biz_")
        unprefixed = [re.sub(rf"^{service} +\| ?", "", l) for l in text.splitlines()]
        assert unprefixed == direct.stdout.splitlines(), host


def test_uninstall_then_install_runs_the_preflight_again_and_ends_healthy(lab, installed):
    out = cli("uninstall", str(installed), "--yes", "--confirm-name", "lab")
    assert out.returncode == 0, out.stdout[-2000:]
    out = cli("install", str(installed), "--yes", "--code", lab.code)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "resuming" not in out.stdout.lower()
    assert re.search(r"preflight step 2: preflight: 0 failure\(s\)", out.stdout), out.stdout[-3000:]
    # uninstall keeps the database: the cluster comes up registered, and step 8 says so instead of waiting for
    # an "unregistered" master that never comes (observed here before the fix: step 7 failed after 3 min)
    assert "step 8 done: already registered: the cluster's nodes say so" in out.stdout
    assert "HA healthy" in out.stdout
    assert verdict(installed)["level"] == "ok"
