"""``remote.run.run_with_input``: a short command fed on stdin (doctor's monitoring login, ``curl -K -``), against an
asyncssh server: outputs and status apart, and a timeout that stops the command and never shows what stdin held."""

from __future__ import annotations

import asyncio
import contextlib

import asyncssh
import pytest

from wabiz_tui.remote.errors import RemoteError
from wabiz_tui.remote.run import run_with_input

SECRET = 'user = "admin:Pa55-word!"'


@contextlib.asynccontextmanager
async def server_for(shell):
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    server = await asyncssh.listen("127.0.0.1", 0, server_host_keys=[host_key], process_factory=shell,
                                   authorized_client_keys=asyncssh.import_authorized_keys(
                                       client_key.export_public_key().decode()))
    port = server.sockets[0].getsockname()[1]
    known = asyncssh.import_known_hosts(f"[127.0.0.1]:{port} " + host_key.export_public_key().decode())
    try:
        async with asyncssh.connect("127.0.0.1", port, username="t", client_keys=[client_key], known_hosts=known,
                                    config=None, agent_path=None) as conn:
            yield conn
    finally:
        server.close()
        await server.wait_closed()


async def test_stdin_reaches_the_command_and_both_outputs_and_the_status_come_back():
    async def shell(process: asyncssh.SSHServerProcess) -> None:
        text = await process.stdin.read()
        process.stdout.write(f"{len(text)} {process.command}\n")
        process.stderr.write("curl: (7) Failed to connect\n")
        process.exit(7)

    async with server_for(shell) as conn:
        assert await run_with_input(conn, "h", "curl -K -", SECRET + "\n", 5) == (
            7, f"{len(SECRET) + 1} curl -K -\n", "curl: (7) Failed to connect\n")


async def test_a_command_past_its_timeout_is_stopped_and_its_stdin_not_shown():
    async def shell(process: asyncssh.SSHServerProcess) -> None:
        await process.stdin.read()
        await asyncio.sleep(30)  # a login that hangs; the closed channel ends the session
        process.exit(0)

    async with server_for(shell) as conn:
        with pytest.raises(RemoteError, match="did not finish within 0.3 s") as raised:
            await run_with_input(conn, "h", "curl -K -", SECRET, 0.3)
        assert "Pa55" not in str(raised.value) and "Pa55" not in raised.value.next_action
