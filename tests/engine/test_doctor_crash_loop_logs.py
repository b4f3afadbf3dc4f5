"""doctor reads a crash-looping container's log: a new start's first line, "Waiting for database ...", is no fault
while the previous run's fatal line explains the loop (CI on the lab, stop 24: the log was read just after Docker
restarted the Coreapp, and doctor named the wait instead of the fatal line)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wabiz_tui.domain.doctor_rules_path import db_wait_is_current
from wabiz_tui.workflows.doctor.containers import ContainerProbes

WAIT = "Waiting for database wa-db.lab.internal:3306 ..."
STILL = "Still waiting for database wa-db.lab.internal:3306 (10 attempts)"
START = "I 2026-12-05 21:30:01 UTC 417 main.cpp:55] Starting Coreapp node 2 version v2.41.2"
FATAL = "C 2026-12-05 21:30:01 UTC 417 main.cpp:91] Fatal: Out of file descriptors (/usr/local/wamedia/LAB_CRASH-wa-core-2)"


class Logs(ContainerProbes):
    """Answers ``docker logs`` with ``lines``; keeps the facts it is given."""

    def __init__(self, lines: list[str]):
        self.lines, self.facts = lines, []
        self.session = SimpleNamespace(sudo=lambda host: False)

    async def _sh(self, host, command: str):
        return 0, self.lines

    def _redact(self, text):
        return text

    def _masked(self, value):
        return value


async def keys(lines: list[str], crash_loop: bool) -> list[str]:
    probes = Logs(lines)
    await probes._logs(SimpleNamespace(external_hostname="wa-core-2"), "wacore", "9da65377ef51", crash_loop=crash_loop)
    errors = sorted((f.get("lines_back"), f.get("key")) for f in probes.facts if f.get("severity") == "error")
    return [key for _, key in errors]


async def test_a_new_starts_wait_line_in_a_crash_loop_leaves_the_fatal_line_on_top():
    two_runs = [WAIT, START, FATAL, WAIT]
    assert await keys(two_runs, crash_loop=True) == ["COREAPP_FATAL"]


async def test_read_between_runs_the_fatal_line_is_the_newest():
    assert await keys([WAIT, START, FATAL], crash_loop=True) == ["COREAPP_FATAL"]


async def test_a_steady_container_whose_newest_line_is_the_wait_is_still_waiting():
    assert (await keys([WAIT, START, FATAL, WAIT], crash_loop=False))[0] == "DB_WAITING"


async def test_a_crash_loop_with_only_wait_lines_is_named_by_the_wait():
    assert await keys([WAIT, WAIT], crash_loop=True) == ["DB_WAITING"]


@pytest.mark.parametrize("line, crash_loop, others, current", [
    (WAIT, True, True, False),     # a new start of the loop
    (WAIT, True, False, True),     # nothing else to explain the loop
    (WAIT, False, True, True),     # running and waiting
    (STILL, True, True, True),     # waiting for 10 s and more: current in any state
    (START, False, False, False),  # not a wait
])
def test_when_a_wait_line_is_current(line, crash_loop, others, current):
    assert db_wait_is_current(line, crash_loop=crash_loop, other_errors=others) is current
