"""Remote command lines: variables on the command line, absolute -f/--project-directory, quoting."""

from __future__ import annotations

import shlex

import pytest

from wabiz_tui.domain.commands import ComposeInvocation, UnsafeValue, mkdir, stat_mode
from wabiz_tui.domain.model import HostSpec, Role, SshTarget


def host(name="wa-core-1", remote_dir="/home/wa/biz") -> HostSpec:
    return HostSpec(name, SshTarget("127.0.0.1", 22, "wa"), (Role.COREAPP,), remote_dir)


def test_up_passes_variables_on_the_command_line():
    cmd = ComposeInvocation(host(), "2.41.2").up(Role.COREAPP)
    assert cmd == ("EXTERNAL_HOSTNAME=wa-core-1 WA_API_VERSION=2.41.2 docker-compose "
                   "-f /home/wa/biz/prod-multiconnect-compose.yml --project-directory /home/wa/biz up -d wacore")
    assert shlex.split(cmd)[-1] == "wacore"


def test_v2_flavour_and_services():
    inv = ComposeInvocation(host(), "2.41.2", flavour="docker compose")
    assert " docker compose -f " in inv.ps()
    assert inv.up(Role.WEBAPP).endswith("up -d waweb") and inv.up(Role.MASTER).endswith("up -d master")
    assert inv.logs("waweb", tail=50).endswith("logs --no-color --tail 50 waweb")


@pytest.mark.parametrize("bad", [
    dict(name="host;reboot"), dict(name="$(id)"), dict(remote_dir="relative/dir"), dict(remote_dir="/a b"),
])
def test_unsafe_values_are_refused_before_reaching_a_command(bad):
    with pytest.raises(UnsafeValue):
        ComposeInvocation(host(**bad), "2.41.2").up(Role.COREAPP)


def test_unsafe_version_and_service_refused():
    with pytest.raises(UnsafeValue, match="wa_api_version"):
        ComposeInvocation(host(), "2.41.2; rm -rf /").ps()
    with pytest.raises(UnsafeValue, match="service"):
        ComposeInvocation(host(), "2.41.2").logs("db")


def test_mkdir_and_stat_are_quoted_and_validated():
    assert mkdir("/home/wa/biz") == "mkdir -p /home/wa/biz"
    assert stat_mode("/mnt/wamedia") == "stat -c %a /mnt/wamedia"
    with pytest.raises(UnsafeValue):
        mkdir("/tmp/$(reboot)")
