"""``workflows.node_actions``: what a restart or stop of a node does to the cluster, in words, and the ``ssh``
command line of a shell on a host."""

from __future__ import annotations

from pathlib import Path

import pytest

from wabiz_tui.domain.health import ClusterVerdict, Level, NodeVerdict
from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.workflows.node_actions import impact, shell_argv
from tests.tui.fake_engine import sample_profile

CORE = "connected (shard owner) or disconnected (standby)"
MASTER = "primary_master or secondary_master"


def verdict(*nodes: NodeVerdict) -> ClusterVerdict:
    return ClusterVerdict(Level.OK, "", "", nodes, primary_master="wa-master-1")


def core(host: str, status: str) -> NodeVerdict:
    return NodeVerdict(host, "c0", "coreapp", "coreapp", CORE, status, Level.OK, "")


def master(host: str, role: str) -> NodeVerdict:
    return NodeVerdict(host, "m0", MASTER, role, "disconnected", "disconnected", Level.OK, "")


V = verdict(core("wa-core-1", "connected"), core("wa-core-10", "disconnected"), core("wa-core-3", "disconnected"),
            master("wa-master-1", "primary_master"), master("wa-master-2", "secondary_master"))


@pytest.mark.parametrize("action, host, kind, said", [
    ("stop", "wa-core-1", "coreapp", "stopping wa-core-1 (connected, serves a shard): standby wa-core-3 should take over its shard"),
    ("restart", "wa-core-1", "coreapp", "standby wa-core-3 should take over its shard; it comes back as a standby"),
    ("stop", "wa-core-3", "coreapp", "the cluster tolerates 1 Coreapp failure(s) instead of 2 until it is started again"),
    ("stop", "wa-master-1", "master", "stopping wa-master-1 (primary master): a secondary master (wa-master-2) should take over"),
    ("restart", "wa-master-2", "master", "primary master wa-master-1 stays; one master fewer to take over while it restarts"),
    ("stop", "wa-host-1", "webapp", "API calls sent to it fail until it is started again; wa-host-3 keep answering"),
])
def test_impact_says_the_cluster_consequence(action, host, kind, said):
    assert said in impact(action, host, kind, V, sample_profile())


def test_impact_without_a_standby_or_another_master():
    alone = verdict(core("wa-core-1", "connected"), master("wa-master-1", "primary_master"))
    assert "no standby Coreapp: its shard stays unserved until it is started again" in impact(
        "stop", "wa-core-1", "coreapp", alone, sample_profile())
    assert "no other master" in impact("stop", "wa-master-1", "master", alone, sample_profile())
    gone = verdict(NodeVerdict("wa-core-1", "-", "coreapp", "missing", "present", "missing", Level.FAILURE, ""))
    assert "compose starts its stopped container again" in impact("restart", "wa-core-1", "coreapp", gone, sample_profile())


def test_shell_argv_user_port_key_jump_and_strict_host_keys(tmp_path):
    host = HostSpec("wa-core-1", SshTarget(host="10.0.0.7", port=2222, user="ops", key_file="~/k", jump="bastion"),
                    (Role.COREAPP,))
    argv = shell_argv(host, [tmp_path / "a", tmp_path / "b"])
    assert argv == ["ssh", "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={tmp_path / 'a'} {tmp_path / 'b'}",
                    "-o", "GlobalKnownHostsFile=/dev/null", "-F", "/dev/null",
                    "-i", str(Path("~/k").expanduser()), "-o", "IdentitiesOnly=yes", "-J", "bastion",
                    "-p", "2222", "-l", "ops", "10.0.0.7"]
    aliased = HostSpec("wa-core-2", SshTarget(alias="core2"), (Role.COREAPP,))
    assert shell_argv(aliased, [tmp_path / "a"])[-1] == "core2"
    with pytest.raises(ValueError, match="contains a space"):
        shell_argv(host, [Path("/tmp/with space/known_hosts")])


def test_jump_hosts_get_the_strict_host_key_settings_through_a_config_file(tmp_path):
    """Review: ``-o`` options do not reach a ``-J`` jump host's ssh, so its key was checked with the user's own
    settings. The strict settings go in a file given with ``-F``, which OpenSSH passes to the jump's ssh."""
    import shutil
    import subprocess

    from wabiz_tui.workflows.node_actions import jump_config_text

    known = tmp_path / "known_hosts"
    known.write_text("")
    user = tmp_path / "user_config"
    user.write_text("Host *\n  StrictHostKeyChecking no\n")
    cfg = tmp_path / "cfg"
    cfg.write_text(jump_config_text([known], user))
    host = HostSpec("wa-core-1", SshTarget(host="10.0.0.7", port=22, user="ops", jump="ops@127.0.0.1:1"), (Role.COREAPP,))
    argv = shell_argv(host, [known], config=cfg)
    assert argv[argv.index("-F") + 1] == str(cfg) and "GlobalKnownHostsFile=/dev/null" in argv
    with pytest.raises(ValueError, match="starts with '-'"):
        shell_argv(HostSpec("wa-core-2", SshTarget(host="-oProxyCommand=x"), (Role.COREAPP,)), [known])
    if shutil.which("ssh") is None:
        pytest.skip("OpenSSH client (ssh) not installed")
    # what the jump host's ssh is asked to read: the same file, whose strict line comes before the user's "no"
    proc = subprocess.run([*argv[:-1], "-v", "-o", "ConnectTimeout=2", argv[-1], "true"], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    assert f"-F {cfg}" in proc.stderr and "Executing proxy command" in proc.stderr, proc.stderr[-2000:]
    jump_view = subprocess.run(["ssh", "-G", "-F", str(cfg), "127.0.0.1"], capture_output=True, text=True, timeout=30)
    assert "stricthostkeychecking true" in jump_view.stdout and f"userknownhostsfile {known}" in jump_view.stdout
    assert "globalknownhostsfile /dev/null" in jump_view.stdout
