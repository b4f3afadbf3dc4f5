"""Bring-up, status and down of a small lab leave the machine exactly as it was (namespaces, links, mounts,
cgroup directories, mount points, processes), and the hosts are real: OpenSSH logs in with the lab's known_hosts
and Debian's docker 20.10 answers from the host's own dockerd."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.lab.conftest import cli, need_lab
from wabiz_tui.lab import LabError, control, services
from wabiz_tui.lab.proc import Proc, is_zombie, pids_in_mnt_ns
from wabiz_tui.lab.state import Ledger, Paths


LAB_MOUNT_WORDS = ("wabiz-tui-lab", "wlab", "/mnt/wamedia", "/var/lib/docker", "/etc/docker")


def snapshot() -> dict:
    """What a lab could leave behind, as seen from the root namespace. Other programs on this machine (other
    dockerds, test servers) come and go meanwhile, so only what the lab names or mounts is compared; that is
    everything the lab makes (``wlab-*`` namespaces and links, its mounts, ``wlab-h*`` cgroups, mount points)."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    names = [l.split(":")[1].strip().split("@")[0] for l in links.splitlines()]
    mounts = [m for m in Path("/proc/self/mounts").read_text().splitlines() if any(w in m for w in LAB_MOUNT_WORDS)]
    return {"netns": sorted(n for n in (os.listdir("/run/netns") if os.path.isdir("/run/netns") else [])
                            if n.startswith("wlab")),
            "links": sorted(n for n in names if n.startswith("wlab") or n in ("adm", "dns", "reg", "db")),
            "mounts": sorted(mounts),
            "cgroups": sorted(str(p) for p in Path("/sys/fs/cgroup").glob("*/wlab-*")),
            "dirs": {d: os.path.isdir(d) for d in ("/var/lib/docker", "/mnt/wamedia", "/etc/docker")}}


@pytest.fixture
def clean_machine():
    need_lab()
    if control.is_up(Paths()):
        pytest.skip("the session lab is up: lifecycle tests run before it (test_01 sorts first)")
    before = snapshot()
    yield before
    control.down(Paths(), log=lambda *_: None)


def test_up_status_down_leaves_nothing_behind(clean_machine):
    paths = Paths()
    ledger = control.up(paths, hosts=2, build_images=False, log=lambda *_: None)
    procs = [Proc.from_json(h["anchor"]) for h in ledger.data["hosts"]]
    procs += [Proc.from_json(p) for p in ledger.data["services"].values()]
    st = control.status(paths)
    assert [h["name"] for h in st["hosts"]] == ["wa-web-1", "wa-core-1"]
    for h in st["hosts"]:
        assert h["daemons"]["sshd"]["alive"] and h["daemons"]["dockerd"]["alive"], h
        assert h["pss_kib"] > 10_000  # dockerd + containerd + sshd really run there
    assert all(s["alive"] for s in st["services"].values())
    assert ledger.data["up_seconds"] < 15
    host_dockerds = {h["daemons"]["dockerd"]["pid"] for h in st["hosts"]}
    procs += [Proc.of(h["daemons"][d]["pid"]) for h in st["hosts"] for d in ("sshd", "dockerd")]
    namespaces = {h["mntns"] for h in ledger.data["hosts"]}
    for h in ledger.data["hosts"]:
        ssh = subprocess.run(["ssh", "-i", str(paths.client_key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                              "-o", f"UserKnownHostsFile={paths.known_hosts}", f"wa@{h['ip']}",
                              "hostname; id -nG; docker version --format '{{.Client.Version}} {{.Server.Version}}'; "
                              "echo $(cat /run/docker.pid); docker-compose version --short; getent hosts wa-db.lab.internal"],
                             capture_output=True, text=True, timeout=60)
        assert ssh.returncode == 0, ssh.stderr
        name, groups, versions, pid, compose, db = ssh.stdout.splitlines()
        assert name == h["name"] and "docker" in groups.split()
        assert versions == "20.10.24+dfsg1 20.10.24+dfsg1"  # Debian's client, not /usr/local/bin's Docker 28
        assert int(pid) in host_dockerds
        assert compose.startswith("1.29")
        assert db.split()[0] == "10.213.0.30"
    assert control.down(paths, log=lambda *_: None) == []
    assert not any(p.alive() for p in procs)
    assert not [pid for ns in namespaces for pid in pids_in_mnt_ns(ns) if not is_zombie(pid)]
    assert snapshot() == clean_machine
    assert not paths.run.exists()


def test_a_failed_bring_up_removes_what_it_made(clean_machine, monkeypatch):
    def broken(paths, **kw):
        raise LabError("registry broke on purpose")
    monkeypatch.setattr(services, "start_registry", broken)
    with pytest.raises(LabError, match="broke on purpose"):
        control.up(Paths(), hosts=1, build_images=False, log=lambda *_: None)
    assert snapshot() == clean_machine
    assert Ledger.load(Paths()) is None


def test_up_twice_says_so_and_host_keys_survive_down(clean_machine):
    paths = Paths()
    control.up(paths, hosts=1, build_images=False, log=lambda *_: None)
    first = paths.known_hosts.read_text()
    again = cli("lab", "up", "--hosts", "1")
    assert again.returncode == 4 and "already up" in again.stderr
    assert cli("lab", "down").returncode == 0
    control.up(paths, hosts=1, build_images=False, log=lambda *_: None)
    assert paths.known_hosts.read_text() == first


def test_lab_refuses_without_root_in_one_sentence(monkeypatch, capsys):
    from wabiz_tui.cli.main import main
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["lab", "status"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "needs root" in err


def test_postgres_lab_logs_the_profile_user_in_over_the_network(clean_machine):
    paths = Paths()
    ledger = control.up(paths, hosts=1, db="postgres", build_images=False, log=lambda *_: None)
    assert ledger.data["db"]["version"].startswith("15.")
    out = subprocess.run(["/usr/lib/postgresql/15/bin/psql", "-h", "10.213.0.30", "-U", services.DB_USER, "-d",
                          "wabiz_lab", "-Atc", "SELECT verify_code, speed FROM settings WHERE id = 1"],
                         capture_output=True, text=True, timeout=30, env={**os.environ, "PGPASSWORD": services.DB_PASSWORD})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{ledger.data['code']}|1"
    from wabiz_tui.lab.profile import profile_data
    db = profile_data(paths, ledger)["db"]
    assert (db["engine"], db["port"]) == ("PGSQL", 5432)


def test_cli_up_prints_the_profile_status_lists_faults_and_down_cleans(clean_machine):
    up = cli("lab", "up", "--hosts", "2", "--db-version-spoof")
    assert up.returncode == 0, up.stderr
    last = up.stdout.strip().splitlines()[-1]
    assert last.startswith("profile: ")
    profile = Path(last.split(": ", 1)[1])
    assert profile.stat().st_mode & 0o777 == 0o600
    from wabiz_tui.config.profile import load_profile
    loaded = load_profile(profile)
    assert [h.ssh.host for h in loaded.hosts] == ["10.213.0.101", "10.213.0.102"]
    assert len(Path(loaded.known_hosts).read_text().splitlines()) == 2
    assert cli("lab", "code").stdout.strip() == Ledger.load(Paths()).data["code"]
    assert cli("lab", "fault", "dns-remove", "wa-core-1").returncode == 0
    status = cli("lab", "status")
    assert status.returncode == 0, status.stderr
    for text in ("wa-web-1", "10.213.0.102", "alive", "MariaDB announces version 8.0.36-lab",
                 "/usr/bin/docker bind-mounted over /usr/local/bin/docker", "shared directory",
                 "fault in force: {'kind': 'dns-removed'"):
        assert text in status.stdout, text
    assert "wa-core-1" not in services.dns_hosts_path(Paths()).read_text()
    assert cli("lab", "fault", "clear").stdout.strip() == "cleared: dns-removed"
    assert "wa-core-1" in services.dns_hosts_path(Paths()).read_text()
    assert cli("lab", "down").returncode == 0
    assert snapshot() == clean_machine
