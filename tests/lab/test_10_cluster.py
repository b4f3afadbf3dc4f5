"""Every procedure end to end on the lab of real parts, headless, in the order an operator meets them: preflight,
the 9 HA steps, logs, a real failover, Multiconnect with the spare host, uninstall, then a fresh 2.29.2 cluster
upgraded to 2.29.3 (settings backup, dbupgrade with ``docker wait``, the media chown).

The tests of this module share the session's lab and run in file order (each leaves the cluster as the next
expects). Product defects met here are marked ``xfail(strict=True)`` with the defect named.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml

from tests.lab.conftest import cli
from wabiz_tui.lab import control, faults, services
from wabiz_tui.sim import rules

PROJECT = "/home/wa/biz"
COMPOSE = f"{PROJECT}/prod-multiconnect-compose.yml"


def profile_copy(lab, tmp_path: Path, **changes) -> Path:
    """A copy of the lab's profile (tests that rewrite the profile work on their own copy)."""
    data = yaml.safe_load(lab.profile.read_text())
    data.update(changes)
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    return path


def verdict(profile: Path) -> dict:
    """One ``health --json`` poll's verdict."""
    out = cli("health", str(profile), "--json", timeout=60)
    assert out.stdout.strip(), out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])["verdict"]


def coreapps(v: dict) -> dict[str, str]:
    """Coreapp host → actual status in a verdict."""
    return {n["host"]: n["actual_status"] for n in v["nodes"] if n["expected_role"] == "coreapp"}


def wait_verdict(profile: Path, ok, timeout: float = 90) -> dict:
    """Poll health until ``ok(verdict)``; returns that verdict, or fails with the last one."""
    deadline = time.monotonic() + timeout
    while True:
        v = verdict(profile)
        if ok(v):
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"health never got there in {timeout:.0f} s; last: {v['headline']} {coreapps(v)}")
        time.sleep(1)


def compose(host: str, version: str, args: str) -> str:
    return f"EXTERNAL_HOSTNAME={host} WA_API_VERSION={version} docker-compose -f {COMPOSE} --project-directory {PROJECT} {args}"


def test_preflight_recognises_real_mariadb_and_says_the_matrix_verdict_once(lab):
    """Unspoofed MariaDB greets with ``5.5.5-10.11.19-MariaDB-0+deb12u1`` (observed here): the preflight names it
    MariaDB 10.11.x (not "MySQL 5.5.5") and gives the support matrix's verdict as one finding, not one per probe."""
    control.set_db_spoof(lab.paths, False)
    try:
        out = cli("preflight", str(lab.profile))
    finally:
        control.set_db_spoof(lab.paths, True)
    assert out.returncode == 1, out.stdout[-2000:]
    findings = [l for l in out.stdout.splitlines() if l.lstrip().startswith(("error [", "warning ["))]
    assert len(findings) == 1 and "[DB_VERSION_UNSUPPORTED]" in findings[0], findings
    failures = [l for l in out.stdout.splitlines() if re.match(r"^\S+\s+.+\s+failure\s", l)]
    assert len(failures) == 1 and re.search(r"MariaDB 10\.11\.\d+", failures[0]), failures
    assert "5.5.5" not in out.stdout
    for host in ("wa-web-1", "wa-core-2"):  # the greeting probe on each host reads MariaDB too
        assert re.search(rf"^{host}\s+database\s+ok\s+MariaDB 10\.11\.\d+ answers", out.stdout, re.M), host


def test_preflight_passes_on_the_lab(lab):
    out = cli("preflight", str(lab.profile))
    assert out.returncode == 0, out.stdout[-3000:]
    for host in ("wa-web-1", "wa-master-1", "wa-master-2", "wa-core-1", "wa-core-2"):
        assert f"{host}" in out.stdout
    assert "Docker 20.10.24+dfsg1 reachable with permission" in out.stdout


def test_ha_install_headless_ends_healthy_with_one_coreapp_connected(lab, tmp_path):
    out = cli("install", str(profile_copy(lab, tmp_path)), "--yes", "--code", lab.code)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "HA healthy" in out.stdout
    v = verdict(lab.profile)
    assert v["level"] == "ok", v["headline"]
    assert sorted(coreapps(v).values()) == ["connected", "disconnected"]
    for host in ("wa-web-1", "wa-core-1"):  # real pulls from the lab registry into each host's own dockerd
        images = lab.sh(host, "docker images --format '{{.Repository}}:{{.Tag}}'").stdout.split()
        assert images == [f"docker.whatsapp.biz/{'web' if host == 'wa-web-1' else 'coreapp'}:v2.41.2"]


def test_logs_debug_output_equals_compose_logs_on_the_host(lab, tmp_path):
    out = cli("logs", str(lab.profile), "--host", "wa-master-2", "--out", str(tmp_path))
    assert out.returncode == 0, out.stdout[-2000:]
    (collected,) = tmp_path.glob("*/wa-master-2/debug_output.txt")
    # the seed's `docker-compose logs > debug_output.txt` on the host; compose 1.29 colours the service prefix even
    # into a file (observed here: "\x1b[36mmaster_1  |\x1b[0m ..."), the product asks for --no-color
    direct = lab.sh("wa-master-2", f"cd {PROJECT} && " + compose("wa-master-2", "2.41.2", "logs --no-color")
                    + " > debug_output.txt && cat debug_output.txt && rm debug_output.txt")
    assert direct.returncode == 0, direct.stderr
    assert collected.read_text() == direct.stdout
    assert "Starting Master node wa-master-2" in direct.stdout


def test_docker_kill_of_the_connected_coreapp_fails_over_to_the_standby(lab):
    before = coreapps(verdict(lab.profile))
    owner = next(h for h, s in before.items() if s == "connected")
    standby = next(h for h, s in before.items() if s == "disconnected")
    faults.container(lab.paths, owner, "wacore", "kill")
    after = wait_verdict(lab.profile, lambda v: coreapps(v).get(standby) == "connected")
    assert coreapps(after).get(owner) != "connected"
    # the operator brings the dead one back: it rejoins as the standby
    assert lab.sh(owner, compose(owner, "2.41.2", "up -d wacore")).returncode == 0
    wait_verdict(lab.profile, lambda v: v["level"] == "ok" and coreapps(v) == {owner: "disconnected", standby: "connected"})


def test_multiconnect_four_steps_with_the_spare_host(lab, tmp_path):
    spare = lab.host("wa-core-3")
    out = cli("multiconnect", str(profile_copy(lab, tmp_path)), "--shards", "2", "--add-host", "wa-core-3",
              "--ssh", f"{spare['ip']}:22", "--key", str(lab.paths.client_key), "--yes")
    assert out.returncode == 0, out.stdout[-3000:]
    assert "2/2 shards connected, 1 standby coreapp" in out.stdout
    assert "Up" in lab.sh("wa-core-3", "docker ps --format '{{.Status}}'").stdout


def test_uninstall_removes_containers_and_keeps_volumes_and_media(lab, tmp_path):
    hosts = ["wa-web-1", "wa-master-1", "wa-master-2", "wa-core-1", "wa-core-2", "wa-core-3"]
    assert lab.sh("wa-core-1", "echo kept > /mnt/wamedia/lab-keep.txt").returncode == 0
    volumes = {h: lab.sh(h, "docker volume ls -q").stdout.split() for h in hosts}
    profile = profile_copy(lab, tmp_path)
    data = yaml.safe_load(profile.read_text())
    spare = lab.host("wa-core-3")
    data["hosts"].append({**data["hosts"][-1], "external_hostname": "wa-core-3",
                          "ssh": {**data["hosts"][-1]["ssh"], "host": spare["ip"]}})
    data["shards"] = 2
    profile.write_text(yaml.safe_dump(data, sort_keys=False))
    out = cli("uninstall", str(profile), "--yes", "--confirm-name", data["name"])
    assert out.returncode == 0, out.stdout[-3000:]
    for h in hosts:
        assert lab.sh(h, "docker ps -aq").stdout.split() == [], h
        assert lab.sh(h, "docker volume ls -q").stdout.split() == volumes[h], h
    assert lab.sh("wa-web-1", "cat /mnt/wamedia/lab-keep.txt").stdout == "kept\n"


@pytest.fixture
def cluster_2_29_2(lab, tmp_path):
    """A fresh cluster (cluster databases dropped, the Webapp's media folders gone) installed at 2.29.2; yields its
    profile, uninstalls after."""
    services.reset_cluster_databases(lab.paths, "mysql")
    for name in rules.MEDIA_DIRS:  # what an earlier Webapp made; the 2.29.2 one makes them anew
        shutil.rmtree(lab.paths.media / name, ignore_errors=True)
    profile = profile_copy(lab, tmp_path, wa_api_version="2.29.2")
    out = cli("install", str(profile), "--yes", "--code", lab.code)
    assert out.returncode == 0, out.stdout[-3000:]
    yield profile
    cli("uninstall", str(profile), "--yes", "--confirm-name", "lab")
    services.reset_cluster_databases(lab.paths, "mysql")


def test_upgrade_2_29_2_to_2_29_3_with_backup_and_dbupgrade(lab, cluster_2_29_2, monkeypatch):
    monkeypatch.setenv("WABIZ_BACKUP_PASSWORD", "Backup-pass-2026")
    out = cli("upgrade", str(cluster_2_29_2), "--to", "2.29.3", "--yes", "--dbupgrade-host", "wa-core-1")
    assert out.returncode == 0, out.stdout[-3000:]
    assert "backup:" in out.stdout
    backups = list(Path(__import__("os").environ["WABIZ_TUI_HOME"]).rglob("*v2.29.2*.backup.json"))
    assert backups and json.loads(backups[0].read_text())
    exited = lab.sh("wa-core-1", "docker ps -a --filter label=com.docker.compose.service=dbupgrade "
                                 "--format '{{.Image}} {{.Status}}'").stdout
    assert "docker.whatsapp.biz/coreapp:v2.29.3 Exited (0)" in exited
    for h, kind in (("wa-web-1", "web"), ("wa-master-1", "coreapp"), ("wa-core-2", "coreapp")):
        running = lab.sh(h, "docker ps --format '{{.Image}}'").stdout.split()
        assert running == [f"docker.whatsapp.biz/{kind}:v2.29.3"], (h, running)
    assert verdict(cluster_2_29_2)["level"] == "ok"


def test_upgrade_media_chown_in_the_real_webapp_container(lab, cluster_2_29_2, monkeypatch):
    monkeypatch.setenv("WABIZ_BACKUP_PASSWORD", "Backup-pass-2026")
    before = lab.sh("wa-web-1", "stat -c %u /mnt/wamedia/incoming /mnt/wamedia/outgoing /mnt/wamedia/shared")
    assert before.stdout.split() == ["33"] * 3, before  # the 2.29.2 Webapp made them, not owned by root
    out = cli("upgrade", str(cluster_2_29_2), "--to", "2.29.3", "--yes", "--media-chown")
    assert out.returncode == 0, out.stdout[-3000:]
    owners = lab.sh("wa-web-1", compose("wa-web-1", "2.29.3", "exec -T waweb stat -c %U /usr/local/wamedia/incoming"))
    assert owners.stdout.strip() == "root"
