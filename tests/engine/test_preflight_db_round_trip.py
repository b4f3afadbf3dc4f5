"""The preflight's DB round trip (issue 17 trial): it was the port probe's channel open less a time that held the
SSH handshake and a command's start, so a DB slower than those read "about 0 ms". Now the round trip judged is a
query's (``SELECT 1``, the fastest of several on the open login connection, the SSH hop measured on the same
connection taken out), and the per-host connection time is said apart. Against the simulated cluster, its DB a
MySQL-protocol server over real SSH tunnels."""

from __future__ import annotations

import asyncio
import re

from tests.engine.test_preflight import run_preflight
from wabiz_tui.domain.preflight import DB_LATENCY_WARN_MS, OK, WARNING
from wabiz_tui.sim import mysqlserver

SLOW_S = 0.04


def slow_select_one(monkeypatch) -> None:
    """The simulated DB answers ``SELECT 1`` after SLOW_S seconds (a DB 40 ms away); other queries at once."""
    original = mysqlserver._Session._account_middleware

    async def slow(self, q):
        if " ".join(q.sql.split()).rstrip(";").upper() == "SELECT 1":
            await asyncio.sleep(SLOW_S)
        return await original(self, q)

    monkeypatch.setattr(mysqlserver._Session, "_account_middleware", slow)


def millis(text: str, before: str) -> float:
    return float(re.search(rf"{before} about (\d+) ms", text).group(1))


async def test_a_slow_db_reads_slow(demo, tmp_path, monkeypatch):
    slow_select_one(monkeypatch)
    ok, results, _ = await run_preflight(demo, tmp_path)
    check = results[("", "db round trip")]
    assert check.level == WARNING and "the seed asks for a few ms" in check.reason, check
    assert "SELECT 1" in check.reason and "on an open connection from wa-web-1" in check.reason
    assert millis(check.reason, "answers in") >= SLOW_S * 1000 * 0.9 > DB_LATENCY_WARN_MS
    assert "SSH hop of" in check.reason
    # the per-host probe says its connection time apart, the SSH part named
    per_host = results[("wa-core-1", "database")]
    assert per_host.level == OK and "connecting from the host took about" in per_host.reason
    assert "ms through SSH from here" in per_host.reason


async def test_a_near_db_is_said_with_its_round_trip(demo, tmp_path):
    ok, results, _ = await run_preflight(demo, tmp_path)
    check = results[("", "db round trip")]
    assert ok and "SELECT 1" in check.reason and millis(check.reason, "answers in") < SLOW_S * 1000
