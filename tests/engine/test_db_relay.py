"""``remote.dblogin``'s relay (the DB login through a host's SSH connection): once the login is over, right or
refused, its tasks have ended. Before (s9): the local connection's server task was left running, and a script whose
loop ended right after the login printed asyncio's "Exception in callback StreamReaderProtocol.connection_made.
<locals>.callback … CancelledError" (Python 3.11's streams call ``task.exception()`` on the cancelled task)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from wabiz_tui.remote.dblogin import DbLoginError, read_db_facts
from wabiz_tui.remote.pool import ConnectionPool
from wabiz_tui.workflows.settings import default_settings


@pytest.mark.parametrize("password", [None, "not-the-password"])
async def test_a_login_through_the_relay_leaves_nothing_for_the_loop_to_report(demo, password):
    reported: list[dict] = []

    async def script() -> str:
        """A script's whole run: connect, log in to the DB through the host, and end at once (nothing closed)."""
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: reported.append(context))
        conn = await ConnectionPool(default_settings(demo.profile).ssh).get(demo.profile.hosts[-1])
        db = demo.profile.db if password is None else dataclasses.replace(demo.profile.db, password=password)
        try:
            return (await read_db_facts(conn, db, timeout=10)).version
        except DbLoginError as exc:
            return str(exc)

    # a loop of its own in another thread (the simulator serves on this one), ended right after the login
    outcome = await asyncio.to_thread(asyncio.run, script())
    assert ("Access denied" in outcome) if password else outcome.startswith("8."), outcome
    assert not reported, [c.get("message") for c in reported]
