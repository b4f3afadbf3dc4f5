"""The node shell (``s`` in the monitor's node actions) goes where the app's own connections go: the route of
``remote.ssh.resolve_route`` (issue 17 trial: it used ``ssh.host`` and ignored the SSH config's alias, port, user,
``HostKeyAlias`` and ``ProxyJump``). The argv is checked as built, then as OpenSSH itself reads it (``ssh -G``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.workflows.node_actions import NodeActions, shell_argv
from wabiz_tui.workflows.settings import RunSettings
from tests.domain.test_validation import good_profile

CONFIG = """\
Host core2
  HostName 10.1.2.3
  Port 2200
  User wa
  IdentityFile ~/.ssh/core2
  HostKeyAlias core2-key
  ProxyJump ops@bastion:2022
Host core9
  HostName 10.9.9.9
"""


def settings(tmp_path: Path) -> SshSettings:
    cfg = tmp_path / "ssh_config"
    cfg.write_text(CONFIG)
    return SshSettings(known_hosts=[tmp_path / "known_hosts"], read_user_config=False, config_file=cfg)


def option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_an_alias_goes_where_the_config_sends_the_app(tmp_path):
    host = HostSpec("wa-core-2", SshTarget(alias="core2"), (Role.COREAPP,))
    argv = shell_argv(host, [tmp_path / "known_hosts"], settings=settings(tmp_path))
    assert argv[-1] == "10.1.2.3" and option(argv, "-p") == "2200" and option(argv, "-l") == "wa"
    assert option(argv, "-J") == "ops@bastion:2022"
    assert "HostKeyAlias=core2-key" in argv and option(argv, "-i") == str(Path("~/.ssh/core2").expanduser())
    assert "IdentitiesOnly=yes" not in argv  # a key of the config, not the profile's key_file: the agent may serve too


def test_the_profile_wins_over_the_config_as_for_the_app(tmp_path):
    host = HostSpec("wa-core-2", SshTarget(alias="core2", port=2300, user="admin", key_file="~/k", jump="j1,j2:2201"),
                    (Role.COREAPP,))
    argv = shell_argv(host, [tmp_path / "known_hosts"], settings=settings(tmp_path))
    assert argv[-1] == "10.1.2.3" and option(argv, "-p") == "2300" and option(argv, "-l") == "admin"
    assert option(argv, "-J") == "j1,j2:2201" and "IdentitiesOnly=yes" in argv
    # an alias and a host: the app connects to the alias (resolve_route), the shell did to the host
    both = HostSpec("wa-core-9", SshTarget(alias="core9", host="10.0.0.9"), (Role.COREAPP,))
    assert shell_argv(both, [tmp_path / "known_hosts"], settings=settings(tmp_path))[-1] == "10.9.9.9"
    plain = HostSpec("wa-core-1", SshTarget(host="10.0.0.7", port=22, user="ops"), (Role.COREAPP,))
    argv = shell_argv(plain, [tmp_path / "known_hosts"], settings=settings(tmp_path))
    assert argv[-5:] == ["-p", "22", "-l", "ops", "10.0.0.7"] and "-J" not in argv


def test_the_node_shell_of_a_procedure_as_openssh_reads_it(tmp_path):
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("OpenSSH client (ssh) not installed")
    (tmp_path / "known_hosts").write_text("")
    host = HostSpec("wa-core-7", SshTarget(alias="core2"), (Role.COREAPP,))
    profile = good_profile().with_changes(hosts=(*good_profile().hosts, host))
    engine = NodeActions(profile, emit=lambda e: None, settings=RunSettings(ssh=settings(tmp_path)))
    argv = engine.shell("wa-core-7")
    assert option(argv, "-F") == str(tmp_path / "wabiz-shell-ssh-config")  # a jump from the config: strict keys there too
    seen = subprocess.run([argv[0], "-G", *argv[1:]], capture_output=True, text=True, timeout=30).stdout.splitlines()
    for line in ("hostname 10.1.2.3", "port 2200", "user wa", "proxyjump ops@bastion:2022", "hostkeyalias core2-key",
                 "stricthostkeychecking true", f"userknownhostsfile {tmp_path / 'known_hosts'}"):
        assert line in seen, (line, seen)
