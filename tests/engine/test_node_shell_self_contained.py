"""The node shell without a jump host is self-contained (session 7): before, its argv had no ``-F``, so the user's
``~/.ssh/config`` still applied, and a ``ProxyJump`` there matching the resolved address added a hop the app never
checked (and an ``IdentityFile``/``User`` the app did not use). Checked as OpenSSH reads it (``ssh -G``) with a user
config that has such a ProxyJump: the home directory is a tmpfs in a private mount namespace (``unshare -m``), so
the machine's own ``~/.ssh`` is neither read nor touched."""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest

from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.workflows.node_actions import NodeActions
from wabiz_tui.workflows.settings import RunSettings
from tests.domain.test_validation import good_profile
from tests.support import IN_CI, need_tool

USER_CONFIG = """\
Host 10.0.0.7
  ProxyJump sneaky@bastion.example:2222
  IdentityFile ~/.ssh/other_key
  StrictHostKeyChecking no
"""


def ssh_G_with_user_config(argv: list[str], tmp_path) -> list[str]:
    """``ssh -G`` for ``argv`` as if the user's ``~/.ssh/config`` were :data:`USER_CONFIG`."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root: a private mount namespace stands in for the user's home")
        pytest.skip("needs root for a private mount namespace (unshare -m) over the home directory")
    unshare = need_tool("unshare")
    (tmp_path / "user_config").write_text(USER_CONFIG)
    home = os.path.expanduser("~")
    script = (f"mount -t tmpfs wabiz-test {shlex.quote(home)} && mkdir -m 700 {shlex.quote(home)}/.ssh && "
              f"cp {shlex.quote(str(tmp_path / 'user_config'))} {shlex.quote(home)}/.ssh/config && "
              f"exec {shlex.join([argv[0], '-G', *argv[1:]])}")
    out = subprocess.run([unshare, "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_without_a_jump_host_the_user_config_adds_no_hop(tmp_path):
    ssh = need_tool("ssh")
    known = tmp_path / "known_hosts"
    known.write_text("")
    (tmp_path / "id").write_text("")  # ssh -G leaves out a -i file that does not exist
    host = HostSpec("wa-core-7", SshTarget(host="10.0.0.7", port=2207, user="wa", key_file=str(tmp_path / "id")),
                    (Role.COREAPP,))
    profile = good_profile().with_changes(hosts=(*good_profile().hosts, host))
    engine = NodeActions(profile, emit=lambda e: None,
                         settings=RunSettings(ssh=SshSettings(known_hosts=[known], read_user_config=True)))
    argv = engine.shell("wa-core-7", ssh=ssh)
    assert "-F" in argv and "-J" not in argv
    # the control: the same user config, read when the argv has no -F, adds the hop
    bare = [a for i, a in enumerate(argv) if a != "-F" and (i == 0 or argv[i - 1] != "-F")]
    assert "proxyjump sneaky@bastion.example:2222" in ssh_G_with_user_config(bare, tmp_path)
    seen = ssh_G_with_user_config(argv, tmp_path)
    assert not [line for line in seen if line.startswith("proxyjump") or line.startswith("proxycommand")], seen
    for line in ("hostname 10.0.0.7", "port 2207", "user wa", "stricthostkeychecking true",
                 f"userknownhostsfile {known}", "globalknownhostsfile /dev/null"):
        assert line in seen, (line, seen)
    assert not [line for line in seen if line.startswith("identityfile") and "other_key" in line], seen
    assert [line for line in seen if line.startswith("identityfile")] == [f"identityfile {tmp_path / 'id'}"], seen


def test_with_a_jump_host_the_config_resolves_the_jump_only(tmp_path):
    """With a jump host the app's config file (``-F``) still resolves the jump's alias, but gives the destination
    nothing more: before, its ``Include`` applied to every host, so an ``IdentityFile`` for the address came too."""
    ssh = need_tool("ssh")
    known = tmp_path / "known_hosts"
    known.write_text("")
    own = tmp_path / "app_ssh_config"
    own.write_text("Host hop\n  HostName 127.0.0.9\n  Port 2022\nHost 10.0.0.7\n  IdentityFile ~/.ssh/other_key\n"
                   "  ProxyCommand nc evil 22\n")
    (tmp_path / "id").write_text("")
    host = HostSpec("wa-core-7", SshTarget(host="10.0.0.7", user="wa", key_file=str(tmp_path / "id"), jump="hop"),
                    (Role.COREAPP,))
    profile = good_profile().with_changes(hosts=(*good_profile().hosts, host))
    engine = NodeActions(profile, emit=lambda e: None, settings=RunSettings(
        ssh=SshSettings(known_hosts=[known], read_user_config=False, config_file=own)))
    argv = engine.shell("wa-core-7", ssh=ssh)
    cfg = argv[argv.index("-F") + 1]
    assert argv[argv.index("-J") + 1] == "hop:2022"
    dest = subprocess.run([ssh, "-G", *argv[1:]], capture_output=True, text=True, timeout=30).stdout.splitlines()
    assert "proxyjump hop:2022" in dest and not [x for x in dest if x.startswith("proxycommand")], dest
    assert [x for x in dest if x.startswith("identityfile")] == [f"identityfile {tmp_path / 'id'}"], dest
    jump = subprocess.run([ssh, "-G", "-F", cfg, "hop"], capture_output=True, text=True, timeout=30).stdout.splitlines()
    for line in ("hostname 127.0.0.9", "port 2022", "stricthostkeychecking true", f"userknownhostsfile {known}"):
        assert line in jump, (line, jump)
