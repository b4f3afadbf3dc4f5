"""Waiting for the real app in Pilot tests (one helper shared by the TUI test modules)."""

from __future__ import annotations

import asyncio
import time


async def settle(app, pilot, timeout: float = 30.0) -> None:
    """Wait until no step or task runs, every worker is done and its events are shown; fail after
    ``timeout`` seconds naming the step still running."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.busy:
            await pilot.pause()
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"step {app.active_step} still running after {timeout} s")


async def until(pilot, predicate, what: str, timeout: float = 30.0) -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds naming ``what``."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
