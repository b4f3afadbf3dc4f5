"""Route resolution (profile + OpenSSH config, jump chains), jump-field validation, and the SIGTERM
sent to a cancelled command (an asyncssh server: OpenSSH refuses signal requests for root logins,
which is how the tests run)."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.domain.validation import check_host, check_jump, split_jump
from wabiz_tui.remote.errors import RemoteError
from wabiz_tui.remote.run import run_streaming
from wabiz_tui.remote.ssh import SshSettings, resolve_route


def cfg(tmp_path, text: str) -> SshSettings:
    path = tmp_path / "ssh_config"
    path.write_text(text)
    return SshSettings(known_hosts=[], read_user_config=False, config_file=path)


def test_alias_takes_hostname_user_port_and_identity_from_the_config(tmp_path):
    s = cfg(tmp_path, "Host core1\n  HostName 10.0.0.11\n  User wa\n  Port 2222\n  IdentityFile /keys/wa\n")
    jumps, final = resolve_route(SshTarget(alias="core1"), s)
    assert jumps == []
    assert (final.host, final.port, final.user, final.identity_files) == ("10.0.0.11", 2222, "wa", ("/keys/wa",))
    # the profile's own values win (port only when not the default 22)
    _, final = resolve_route(SshTarget(alias="core1", user="ops", port=2200, key_file="/k"), s)
    assert (final.port, final.user, final.identity_files) == (2200, "ops", ("/k",))


def test_nested_proxyjump_is_followed_hop_by_hop(tmp_path):
    s = cfg(tmp_path, "Host b1\n  HostName 192.0.2.1\n  User jump\n"
                      "Host b2\n  HostName 192.0.2.2\n  Port 2222\n  ProxyJump b1\n"
                      "Host core1\n  HostName 10.0.0.11\n  ProxyJump b2\n")
    jumps, final = resolve_route(SshTarget(alias="core1"), s)
    assert [(h.label, h.host, h.port, h.user) for h in jumps] == [("b1", "192.0.2.1", 22, "jump"), ("b2", "192.0.2.2", 2222, "")]
    assert final.host == "10.0.0.11"


def test_a_proxyjump_list_and_the_profile_field(tmp_path):
    s = cfg(tmp_path, "Host core1\n  HostName 10.0.0.11\n  ProxyJump ops@b1:2200,b2\nHost b2\n  HostName 192.0.2.2\n")
    jumps, _ = resolve_route(SshTarget(alias="core1"), s)
    assert [(h.user, h.host, h.port) for h in jumps] == [("ops", "b1", 2200), ("", "192.0.2.2", 22)]
    # the profile's jump replaces the config's ProxyJump
    jumps, _ = resolve_route(SshTarget(alias="core1", jump="10.9.9.9:2022"), s)
    assert [(h.label, h.port) for h in jumps] == [("10.9.9.9:2022", 2022)]
    # ProxyJump none: direct
    s = cfg(tmp_path, "Host core1\n  ProxyJump none\n")
    assert resolve_route(SshTarget(alias="core1"), s)[0] == []


def test_a_proxyjump_loop_is_refused(tmp_path):
    s = cfg(tmp_path, "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n")
    with pytest.raises(RemoteError, match="loop"):
        resolve_route(SshTarget(alias="a"), s)


def test_jump_field_validation_names_the_field():
    assert split_jump("ops@bastion:2222, 10.0.0.5,[fd00::1]:22") == [("ops", "bastion", 2222), ("", "10.0.0.5", None),
                                                                      ("", "fd00::1", 22)]
    assert check_jump("", "f") == [] and check_jump("my_bastion", "f") == []
    for bad in ("a,,b", "a:0", "a:99999", "bad user@x", "[::1", "x y"):
        errors = check_jump(bad, "hosts[0].ssh.jump")
        assert errors and errors[0].field == "hosts[0].ssh.jump", bad
    host = HostSpec("core1", SshTarget(host="10.0.0.11", user="wa", jump="bastion:70000"), (Role.COREAPP,))
    assert [e.field for e in check_host(host, 3)] == ["hosts[3].ssh.jump"]


async def test_a_cancelled_command_is_sent_sigterm():
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    got: asyncio.Future = asyncio.get_running_loop().create_future()

    async def shell(process: asyncssh.SSHServerProcess) -> None:
        process.stdout.write("running\n")
        try:
            await process.stdin.read()
        except asyncssh.SignalReceived as exc:
            got.set_result(exc.signal)
        process.exit(143)

    server = await asyncssh.listen("127.0.0.1", 0, server_host_keys=[host_key], process_factory=shell,
                                   authorized_client_keys=asyncssh.import_authorized_keys(client_key.export_public_key().decode()))
    port = server.sockets[0].getsockname()[1]
    known = asyncssh.import_known_hosts(f"[127.0.0.1]:{port} " + host_key.export_public_key().decode())
    try:
        async with asyncssh.connect("127.0.0.1", port, username="t", client_keys=[client_key], known_hosts=known,
                                    config=None, agent_path=None) as conn:
            started = asyncio.Event()
            task = asyncio.create_task(run_streaming(conn, "h", "long", lambda _l: started.set()))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await asyncio.wait_for(got, 2) == "TERM"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_timed_out_command_is_stopped_and_reported():
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    got: asyncio.Future = asyncio.get_running_loop().create_future()

    async def shell(process: asyncssh.SSHServerProcess) -> None:
        try:
            await process.stdin.read()
        except asyncssh.SignalReceived as exc:
            got.set_result(exc.signal)
        process.exit(143)

    server = await asyncssh.listen("127.0.0.1", 0, server_host_keys=[host_key], process_factory=shell,
                                   authorized_client_keys=asyncssh.import_authorized_keys(client_key.export_public_key().decode()))
    port = server.sockets[0].getsockname()[1]
    known = asyncssh.import_known_hosts(f"[127.0.0.1]:{port} " + host_key.export_public_key().decode())
    try:
        async with asyncssh.connect("127.0.0.1", port, username="t", client_keys=[client_key], known_hosts=known,
                                    config=None, agent_path=None) as conn:
            with pytest.raises(RemoteError, match="did not finish within"):
                await run_streaming(conn, "h", "long", lambda _l: None, timeout=0.3)
            assert await asyncio.wait_for(got, 2) == "TERM"
    finally:
        server.close()
        await server.wait_closed()
