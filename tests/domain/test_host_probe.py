"""The host probe (compose flavour + docker access in one command) run by real ``bash`` and real POSIX
``sh`` (dash) here, with ``docker`` and ``sudo`` as small scripts on PATH that behave like the real ones
on a host (docker's denied-socket message, sudo's refusal) and log each call: the answers are read
right, and ``sudo`` runs only when it is needed. The simulator's shell runs the same command in
tests/engine/test_docker_sudo.py and test_host_probe_fanout.py; OpenSSH's in tests/openssh."""

from __future__ import annotations

import subprocess

import pytest

from tests.support import need_tool
from wabiz_tui.domain.commands import COMPOSE_V1, COMPOSE_V2
from wabiz_tui.domain.host_probe import ProbeIncomplete, parse_probe, probe_command

DENIED = ("Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: "
          "Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": dial unix /var/run/docker.sock: connect: permission denied")

DOCKER = f"""#!/bin/sh
echo "docker $*" >> "$CALLS"
if [ "$1" = compose ]; then
  [ -n "$NO_V2" ] && {{ echo "docker: 'compose' is not a docker command." >&2; exit 1; }}
  echo "Docker Compose version v2.24.6"; exit 0
fi
if [ -n "$DAEMON_DOWN" ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1; fi
if [ -n "$SOCKET_DENIED" ] && [ -z "$AS_ROOT" ]; then echo '{DENIED}' >&2; exit 1; fi
echo 24.0.7
"""

SUDO = """#!/bin/sh
echo "sudo $*" >> "$CALLS"
[ "$1" = -n ] && shift
if [ -n "$SUDO_PASSWORD" ]; then echo "sudo: a password is required" >&2; exit 1; fi
case "$1" in *=*)
  if [ -n "$NO_SETENV" ]; then
    echo "sudo: sorry, you are not allowed to set the following environment variables: ${1%%=*}" >&2; exit 1
  fi;;
esac
AS_ROOT=1 exec env "$@"
"""


def run_probe(shell: str, tmp_path, mode: str, *, sudo: bool = True, **env: str) -> tuple[list[str], list[str]]:
    """(output lines, calls logged by docker/sudo) of the probe for ``mode`` run by ``shell -c``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("docker", DOCKER), ("sudo", SUDO if sudo else None)):
        path = bin_dir / name
        if text is None:
            path.unlink(missing_ok=True)
            continue
        path.write_text(text)
        path.chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    done = subprocess.run([shell, "-c", probe_command(mode)], capture_output=True, text=True, timeout=20,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), **env})
    assert done.stderr == "", done.stderr  # everything the parts say goes to the one stream that is read
    return done.stdout.splitlines(), calls.read_text().splitlines()


def parse(mode: str, lines: list[str]):
    return parse_probe(mode, lines, user="wa", field="hosts[3].ssh.docker_sudo")


@pytest.fixture(params=["bash", "sh"])
def shell(request):
    return need_tool(request.param)


@pytest.mark.parametrize("mode", ["never", "auto"])
def test_docker_allowed_needs_no_sudo(shell, tmp_path, mode):
    lines, calls = run_probe(shell, tmp_path, mode)
    found = parse(mode, lines)
    assert found.flavour == COMPOSE_V2 and found.access.usable and not found.access.sudo and not found.note
    assert calls == ["docker compose version", "docker info --format {{.ServerVersion}}"]  # no sudo call


def test_daemon_down_is_not_a_sudo_case(shell, tmp_path):
    lines, calls = run_probe(shell, tmp_path, "auto", DAEMON_DOWN="1", NO_V2="1")
    found = parse("auto", lines)
    assert found.flavour == COMPOSE_V1 and found.access.usable and not found.access.sudo
    assert not [c for c in calls if c.startswith("sudo")]


def test_denied_socket_with_auto_goes_through_sudo(shell, tmp_path):
    lines, calls = run_probe(shell, tmp_path, "auto", SOCKET_DENIED="1")
    found = parse("auto", lines)
    assert found.access.sudo and found.access.usable
    assert found.note == "the Docker socket is denied to wa: docker runs through sudo -n (hosts[3].ssh.docker_sudo: auto)"
    assert calls[-1] == "docker info --format {{.ServerVersion}}" and calls[-2].startswith("sudo -n WABIZ_SUDO_PROBE=1 docker info")


@pytest.mark.parametrize("mode,env,sudo,expect", [
    ("never", {}, True, "the profile does not allow sudo (hosts[3].ssh.docker_sudo: never)"),
    ("auto", {"SUDO_PASSWORD": "1"}, True, "sudo -n needs a password on this host (sudo: a password is required)"),
    ("auto", {}, False, "sudo is not installed on this host"),
    ("always", {"SUDO_PASSWORD": "1"}, True, "hosts[3].ssh.docker_sudo is always, but sudo -n needs a password"),
    # a NOPASSWD rule without SETENV: the compose commands' EXTERNAL_HOSTNAME=… would be refused at up -d
    ("auto", {"NO_SETENV": "1"}, True, "sudo refused to run docker (sudo: sorry, you are not allowed to set the following "
                                       "environment variables: WABIZ_SUDO_PROBE)"),
])
def test_denied_socket_without_usable_sudo(shell, tmp_path, mode, env, sudo, expect):
    lines, calls = run_probe(shell, tmp_path, mode, sudo=sudo, SOCKET_DENIED="1", **env)
    found = parse(mode, lines)
    assert not found.access.usable and expect in found.access.problem, found.access
    assert ("permission denied on the Docker socket" in found.access.problem) == (mode != "always")
    if mode == "never":
        assert not [c for c in calls if c.startswith("sudo")]
    if "NO_SETENV" in env:
        assert "SETENV" in found.access.next_action


def test_always_does_not_try_docker_as_the_user_first(shell, tmp_path):
    lines, calls = run_probe(shell, tmp_path, "always", SOCKET_DENIED="1")
    found = parse("always", lines)
    assert found.access.sudo and not found.note
    assert calls[1:] == ["sudo -n WABIZ_SUDO_PROBE=1 docker info --format {{.ServerVersion}}",
                         "docker info --format {{.ServerVersion}}"]


def test_a_probe_cut_short_is_not_taken_for_an_answer():
    with pytest.raises(ProbeIncomplete):
        parse("auto", ["Docker Compose version v2.24.6", "@wabiz-probe compose 0"])
    with pytest.raises(ValueError, match="never, auto or always"):
        probe_command("sometimes")
