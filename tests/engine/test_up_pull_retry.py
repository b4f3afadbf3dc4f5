"""FR02: the install's ``up -d`` is run again only for a registry refusal of a command that ended with a status
(``HostSession._up_pulling``); a timeout or a lost host, and a runc failure, end the step at once with their own
words."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wabiz_tui.domain.model import Role
from wabiz_tui.remote.errors import HostUnreachable, RemoteError
from wabiz_tui.workflows import session as session_mod
from wabiz_tui.workflows.session import HostSession

FORBIDDEN = ("ERROR: for wacore  error parsing HTTP 403 response body: invalid character 'F' looking for beginning of "
             'value: "Forbidden!"')
RUNC = ("ERROR: for wacore  Cannot start service wacore: OCI runtime create failed: container_linux.go:380: starting "
        "container process caused: process_linux.go:402: getting the final child's pid from pipe caused: read init-p: "
        "connection reset by peer: unknown")


def fake(outcomes):
    """A session whose ``checked`` plays ``outcomes`` in turn: (lines written, the error raised or None)."""
    calls = []

    async def checked(host, command, what, fix, on_line):
        lines, error = outcomes[len(calls)]
        calls.append(command)
        for line in lines:
            on_line(line)
        if error is not None:
            raise error

    return SimpleNamespace(checked=checked, _emit=lambda event: None), calls


def failed(status):
    error = RemoteError("wa-core-1", "up -d wacore failed")
    error.exit_status = status
    return error


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    async def sleep(_s):
        return None
    monkeypatch.setattr(session_mod.asyncio, "sleep", sleep)


async def run(outcomes):
    self, calls = fake(outcomes)
    host = SimpleNamespace(external_hostname="wa-core-1")
    inv = SimpleNamespace(up=lambda role: f"docker-compose up -d {role.service}")
    return await HostSession._up_pulling(self, host, inv, Role.COREAPP), calls


async def test_a_refused_pull_is_tried_again():
    lines, calls = await run([([FORBIDDEN], failed(1)), (["Creating biz_wacore_1 ... done"], None)])
    assert len(calls) == 2 and lines == ["Creating biz_wacore_1 ... done"]


@pytest.mark.parametrize("error", [
    RemoteError("wa-core-1", "command did not finish within 600 s (it was stopped)"),
    HostUnreachable("wa-core-1", "connection lost during the command (ConnectionLost)"),
], ids=["timeout", "lost"])
async def test_a_command_without_exit_status_is_not_tried_again(error):
    with pytest.raises(RemoteError) as raised:
        await run([([FORBIDDEN], error)] * 3)
    assert raised.value is error


async def test_a_runc_failure_is_not_taken_for_a_refused_pull():
    error = failed(1)
    with pytest.raises(RemoteError) as raised:
        await run([([RUNC], error)] * 3)
    assert raised.value is error and "registry" not in str(raised.value)
