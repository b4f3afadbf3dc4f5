"""The lab's pure parts, on any OS and without root: address plan, profile data, build context, apt mirror,
process identity."""

from __future__ import annotations

import io
import ipaddress
import subprocess
import sys
import tarfile

import pytest

from wabiz_tui.config.profile import profile_from_dict
from wabiz_tui.domain.validation import validate_profile
from wabiz_tui.lab import images
from wabiz_tui.lab.control import shortcuts
from wabiz_tui.lab.proc import Proc
from wabiz_tui.lab.profile import profile_data
from wabiz_tui.lab.state import Ledger, Paths
from wabiz_tui.lab.topology import MAX_HOSTS, hosts_file, layout


def test_default_layout_is_the_seed_with_a_spare_core():
    hosts = layout(6)
    assert [(h.name, h.roles, h.spare) for h in hosts] == [
        ("wa-web-1", ("webapp",), False), ("wa-master-1", ("master",), False), ("wa-master-2", ("master",), False),
        ("wa-core-1", ("coreapp",), False), ("wa-core-2", ("coreapp",), False), ("wa-core-3", ("coreapp",), True)]
    assert [h.ip for h in hosts][:2] == ["10.213.0.101", "10.213.0.102"]


@pytest.mark.parametrize("n", [0, MAX_HOSTS + 1])
def test_layout_refuses_sizes_outside_the_address_plan(n):
    with pytest.raises(ValueError, match="--hosts"):
        layout(n)


def test_every_network_of_the_largest_lab_is_distinct():
    nets = [ipaddress.ip_network("10.213.0.0/24")]
    for h in layout(MAX_HOSTS):
        nets.append(ipaddress.ip_network(h.bip, strict=False))
        nets.append(ipaddress.ip_network(h.pool.split(",")[0].split("=")[1]))
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert len({h.name for h in layout(MAX_HOSTS)}) == MAX_HOSTS
    assert "10.213.0.30 wa-db.lab.internal" in hosts_file(layout(2))


def ledger_for(engine: str, tmp_path) -> tuple[Paths, Ledger]:
    paths = Paths(tmp_path)
    hosts = [{"index": h.index, "name": h.name, "roles": list(h.roles), "spare": h.spare, "ip": h.ip}
             for h in layout(6)]
    return paths, Ledger(paths, {"hosts": hosts, "db": {"engine": engine}, "versions": ["2.41.2", "2.29.3"]})


@pytest.mark.parametrize("engine,port", [("mysql", 3306), ("postgres", 5432)])
def test_profile_data_is_a_valid_profile_reaching_hosts_by_address(engine, port, tmp_path):
    paths, ledger = ledger_for(engine, tmp_path)
    profile = profile_from_dict(profile_data(paths, ledger))
    assert validate_profile(profile, registration=True) == []
    assert [h.external_hostname for h in profile.hosts] == ["wa-web-1", "wa-master-1", "wa-master-2", "wa-core-1",
                                                            "wa-core-2"]
    assert [h.ssh.host for h in profile.hosts][0] == "10.213.0.101"
    assert profile.webapp.url == "https://10.213.0.101:9090"
    assert profile.db.port == port and profile.db.hostname == "wa-db.lab.internal"
    assert profile.known_hosts == str(paths.known_hosts) and profile.wa_api_version == "2.41.2"


def test_build_context_copies_the_tree_with_modes_and_env():
    tree = {"/opt/whatsapp/bin/run.sh": (b"#!/bin/sh\n", 0o755), "/opt/whatsapp/lib/x/y.py": (b"pass\n", 0o644)}
    data = images.build_context(tree, {"PYTHONPATH": "/opt/whatsapp/lib"}, "abc")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        dockerfile = tar.extractfile("Dockerfile").read().decode()
    assert dockerfile.splitlines() == [f"FROM {images.BASE_IMAGE}", "COPY rootfs/ /", 'ENV PYTHONPATH="/opt/whatsapp/lib"',
                                       "LABEL org.wabiz.lab.digest=abc"]
    assert members["rootfs/opt/whatsapp/bin/run.sh"].mode == 0o755
    assert members["rootfs/opt/whatsapp/lib/x"].isdir()
    assert images.tree_digest(tree, {}) != images.tree_digest({**tree, "/opt/z": (b"", 0o644)}, {})


def test_apt_mirror_reads_deb822_and_one_line_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\n\nTypes: deb\nURIs: http://mirror.example/debian\n")
    assert images.apt_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://other.example/debian bookworm main\n")
    assert images.apt_mirror(tmp_path) == "http://other.example/debian"


def test_proc_identity_ignores_zombies_and_reused_pids():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    rec = Proc.of(child.pid) if child.poll() is None else None
    child_done = rec is None or rec.wait_gone(10)
    assert child_done
    me = Proc.of(__import__("os").getpid())
    assert me.alive()
    assert not Proc(me.pid, me.start + 1).alive()  # same PID, another start time: not ours


def test_status_says_when_the_db_version_is_spoofed():
    assert any("8.0.36-lab" in s for s in shortcuts({"db": {"engine": "mysql", "spoof": True}}))
    assert any("MariaDB and says so" in s for s in shortcuts({"db": {"engine": "mysql", "version": "10.11.19"}}))


def test_status_says_from_the_kernel_why_the_media_path_is_not_nfs():
    from wabiz_tui.lab.control import why_no_nfs
    here = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n"
    assert why_no_nfs(here, False, "6.18.44-fc") == ("kernel 6.18.44-fc has no NFS client (nfs) or NFS server (nfsd) "
                                                      "in /proc/filesystems and cannot load modules")
    assert why_no_nfs(here + "nodev\tnfs\n", True, "6.1.0") == "kernel 6.1.0 has no NFS server (nfsd) in /proc/filesystems"
    assert "does not export" in why_no_nfs(here + "nodev\tnfs\nnodev\tnfsd\n", True, "6.1.0")
    assert any("not an NFS export (" in s for s in shortcuts({}))


@pytest.mark.parametrize("argv, words", [
    (["fault"], "fault: name the fault, one of kill, stop"),
    (["fault", "registry", "sometimes"], "registry fault 'sometimes': use down, deny (HTTP 401) or forbid (HTTP 403)"),
    (["fault", "registry"], "fault registry takes 1 argument(s)"),
    (["up", "--hosts", "0"], "--hosts: 0 is outside 1..38"),
    (["up", "--versions", "x"], "--versions: 'x' is not X.Y.Z"),
])
def test_bad_lab_arguments_are_one_sentence_and_exit_2(monkeypatch, capsys, argv, words):
    """As a new user would mistype them; checked before anything is made (the lab's own checks are bypassed, so this
    runs anywhere)."""
    from wabiz_tui.cli.main import main
    monkeypatch.setattr("wabiz_tui.lab.control.check_can_run", lambda: None)
    assert main(["lab", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wabiz-tui lab: ") and words in err and err.count("\n") == 1
