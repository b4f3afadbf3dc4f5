"""Docker through ``sudo -n``: the command lines, sudo's own refusals recognised, the profile field checked."""

from __future__ import annotations

import dataclasses

import pytest

from wabiz_tui.config.profile import ProfileError, profile_from_dict, profile_to_dict
from wabiz_tui.domain.commands import ComposeInvocation, docker_wait, inspect_state
from wabiz_tui.domain.docker_access import socket_denied, sudo_outcome
from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.domain.validation import check_host

HOST = HostSpec("wa-core-1", SshTarget("10.0.0.5", user="wa"), (Role.COREAPP,), "/home/wa/biz")


def test_every_docker_command_line_gets_the_sudo_prefix_before_its_variables():
    inv = ComposeInvocation(HOST, "2.41.2", sudo=True)
    assert inv.up(Role.COREAPP) == ("sudo -n EXTERNAL_HOSTNAME=wa-core-1 WA_API_VERSION=2.41.2 docker-compose -f "
                                    "/home/wa/biz/prod-multiconnect-compose.yml --project-directory /home/wa/biz up -d wacore")
    assert ComposeInvocation(HOST, "2.41.2").ps().startswith("EXTERNAL_HOSTNAME=")
    assert docker_wait("abc123", sudo=True) == "sudo -n docker wait abc123"
    assert inspect_state("abc123", sudo=True).startswith("sudo -n docker inspect -f ")
    assert docker_wait("abc123") == "docker wait abc123"


@pytest.mark.parametrize("status,lines,outcome", [
    (0, ["24.0.7"], "ok"),
    (1, ["Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"], "ok"),
    (1, ["sudo: a password is required"], "password"),
    (1, ["sudo: a terminal is required to read the password; either use the -S option", "sudo: a password is required"], "password"),
    (1, ["Sorry, user wa is not allowed to execute '/usr/bin/docker info' as root on h1."], "refused"),
    (1, ["sudo: sorry, you are not allowed to set the following environment variables: EXTERNAL_HOSTNAME"], "refused"),
    (127, ["bash: sudo: command not found"], "missing"),
])
def test_sudo_outcomes(status, lines, outcome):
    assert sudo_outcome(status, lines)[0] == outcome


def test_socket_denied_is_recognised_only_for_the_socket():
    assert socket_denied(["Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock"])
    assert not socket_denied(["mkdir: cannot create directory '/x': Permission denied"])


def test_docker_sudo_is_validated_with_a_field_error_and_round_trips():
    bad = dataclasses.replace(HOST, ssh=dataclasses.replace(HOST.ssh, docker_sudo="yes"))
    errors = [e for e in check_host(bad, 2) if e.field == "hosts[2].ssh.docker_sudo"]
    assert errors and "never" in errors[0].message and "auto" in errors[0].message and "always" in errors[0].message
    assert not [e for e in check_host(HOST, 0) if "docker_sudo" in e.field]
    data = {"name": "c", "wa_api_version": "2.41.2",
            "hosts": [{"external_hostname": "h1", "ssh": {"host": "10.0.0.5", "user": "wa", "docker_sudo": "auto"},
                       "roles": ["coreapp"]}]}
    profile = profile_from_dict(data)
    assert profile.hosts[0].ssh.docker_sudo == "auto"
    assert profile_to_dict(profile)["hosts"][0]["ssh"]["docker_sudo"] == "auto"


def test_an_unquoted_yaml_boolean_is_named_as_such():
    """A boolean where text is expected (Python callers; the YAML loader keeps `yes` as the text written) is
    refused with the fix, quoting."""
    data = {"name": "c", "wa_api_version": "2.41.2",
            "hosts": [{"external_hostname": "h1", "ssh": {"host": "10.0.0.5", "user": "wa", "docker_sudo": True},
                       "roles": ["webapp"]}]}
    with pytest.raises(ProfileError) as err:
        profile_from_dict(data)
    assert "hosts[0].ssh.docker_sudo: true/false was given where text is expected" in str(err.value)
    assert "quotes" in str(err.value)
