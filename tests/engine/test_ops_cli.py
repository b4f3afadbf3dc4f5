"""The operations' command lines as an operator runs them, against a running simulated cluster."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tarfile
from pathlib import Path

from wabiz_tui.config.profile import load_profile


async def cli(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", *args, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env=os.environ | (env or {}))
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


async def test_logs_command_writes_files_and_bundle(installed, tmp_path):
    code, out, err = await cli("logs", str(installed.profile_path), "--out", str(tmp_path / "logs"), "--bundle")
    assert code == 0, out + err
    assert out.count("debug_output.txt") == 5
    bundle = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("bundle: "))
    with tarfile.open(bundle) as tar:
        assert sum(n.endswith("debug_output.txt") for n in tar.getnames()) == 5
    code, _, err = await cli("logs", str(installed.profile_path), "--host", "nope", "--since", "yesterday")
    assert code == 2 and "--host: 'nope'" in err and "--since" in err and "Traceback" not in err


async def test_uninstall_command_needs_yes_and_the_typed_name(installed):
    code, out, _ = await cli("uninstall", str(installed.profile_path))
    assert code == 4 and "wa-core-1: services wacore; network; volumes kept" in out and "nothing done" in out
    code, _, err = await cli("uninstall", str(installed.profile_path), "--yes", "--confirm-name", "prod")
    assert code == 4 and "type the cluster name 'demo'" in err
    assert load_profile(installed.profile_path).installed
    code, out, err = await cli("uninstall", str(installed.profile_path), "--yes", "--confirm-name", "demo")
    assert code == 0, out + err
    assert "wa-web-1: removed, volumes kept" in out
    assert not load_profile(installed.profile_path).installed


async def test_upgrade_command(installed):
    profile = str(installed.profile_path)
    code, _, err = await cli("upgrade", profile, "--to", "2.39.1", "--yes")
    assert code == 2 and "--force" in err
    code, _, err = await cli("upgrade", profile, "--to", "2.43.1", "--yes")  # no password, no terminal
    assert code == 2 and "WABIZ_BACKUP_PASSWORD" in err
    code, out, err = await cli("upgrade", profile, "--to", "2.43.1")
    assert code == 4 and "--yes" in err and "Downtime is expected" in out
    code, out, err = await cli("upgrade", profile, "--to", "2.43.1", "--yes", "--dbupgrade-host", "wa-master-1",
                               env={"WABIZ_BACKUP_PASSWORD": "Backup-pass-2026"})
    assert code == 0, out + err
    assert "backup: " in out and "verdict: HA healthy" in out and "Backup-pass-2026" not in out + err
    assert load_profile(installed.profile_path).wa_api_version == "2.43.1"


async def test_dry_runs_contact_nothing(demo):
    before = {h.external_hostname: demo.cluster.ssh_connections(h.external_hostname) for h in demo.profile.hosts}
    for procedure, extra in (("install", ()), ("uninstall", ()), ("logs", ()), ("upgrade", ("--to", "2.43.1")),
                             ("multiconnect", ("--shards", "2"))):
        code, out, err = await cli("plan", str(demo.profile_path), "--procedure", procedure, *extra)
        assert code == 0, (procedure, out, err)
        assert "wa-core-1" in out or procedure == "multiconnect"
        assert demo.profile.db.password not in out
    after = {h.external_hostname: demo.cluster.ssh_connections(h.external_hostname) for h in demo.profile.hosts}
    assert after == before
    assert demo.cluster.webapp_listening is False  # and no Webapp call could have been made


async def test_multiconnect_command(installed):
    spare = installed.spare_hosts[0]
    args = ["multiconnect", str(installed.profile_path), "--shards", "2", "--add-host", spare.external_hostname,
            "--ssh", f"127.0.0.1:{spare.ssh.port}", "--user", spare.ssh.user, "--key", spare.ssh.key_file]
    code, out, err = await cli(*args)
    assert code == 4 and "nothing done" in err and "up -d wacore" in out
    code, out, err = await cli(*args, "--yes")
    assert code == 0, out + err
    assert out.strip().splitlines()[-1].startswith("verdict: Multiconnect (2 shards) healthy: 2/2 shards connected, 1 standby")
    report = next(line.split(": ", 1)[1].split(" (and")[0] for line in out.splitlines() if line.startswith("report: "))
    data = json.loads(Path(report).with_suffix(".json").read_text())
    assert data["procedure"] == "multiconnect" and data["outcome"] == "done" and data["health_before_measured"]
    assert data["health_before"]["headline"].startswith("HA healthy") and data["health_after"]["level"] == "ok"
    assert spare.external_hostname in [h["external_hostname"] for h in data["hosts"]]
    saved = load_profile(installed.profile_path)
    assert saved.shards == 2 and saved.host(spare.external_hostname)


async def test_multiconnect_checks_the_new_host_before_changing_anything(installed):
    spare = installed.spare_hosts[0]
    base = ["multiconnect", str(installed.profile_path), "--shards", "2", "--yes"]
    for extra, fragment in ((["--add-host", "bad host!"], "--add-host"),
                            (["--add-host", "wa-core-3", "--ssh", "127.0.0.1:abc"], "--ssh: 'abc' is not a port"),
                            (["--add-host", "wa-core-3", "--ssh", f"127.0.0.1:{spare.ssh.port}", "--key", "/nonexistent"],
                             "--key: /nonexistent does not exist"),
                            (["--add-host", "wa-core-3", "--ssh", f"127.0.0.1:{spare.ssh.port}", "--key",
                              str(installed.profile_path.parent)], f"--key: {installed.profile_path.parent} is a directory"),
                            (["--add-host", "wa-core-3", "--ssh", f"127.0.0.1:{spare.ssh.port}", "--key",
                              f"{spare.ssh.key_file}.pub"], f"--key: {spare.ssh.key_file}.pub is a public key; give the "
                                                           f"private key, e.g. {spare.ssh.key_file}"),
                            (["--add-host", "wa-core-3", "--ssh", f"127.0.0.1:{spare.ssh.port}"], "nothing was changed")):
        code, out, err = await cli(*base, *extra)
        assert code in (1, 2) and fragment in err, (extra, out, err)
        assert "hosts[" not in err
    assert load_profile(installed.profile_path).shards == 1  # the cluster was never touched
