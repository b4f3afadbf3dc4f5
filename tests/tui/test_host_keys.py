"""Trust on first use from the wizard (host key modal)."""

from __future__ import annotations


import time

from wabiz_tui.config.paths import app_paths
from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.hostkey import HostKeyScreen
from wabiz_tui.tui.steps import StepState
from . import pilot_wait



async def until(pilot, predicate, what: str, timeout: float = 30.0) -> None:
    """``pilot_wait.until`` with this module's timeout."""
    await pilot_wait.until(pilot, predicate, what, timeout)


async def test_unknown_host_keys_are_asked_refused_then_trusted(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=0.05)
    try:
        empty = tmp_path / "empty_known_hosts"
        empty.write_text("")
        session.profile = session.profile.with_changes(known_hosts=str(empty))
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("ctrl+r")  # step 1: every host presents a key nobody trusts
            await until(pilot, lambda: isinstance(app.screen, HostKeyScreen), "the host key question")
            modal = app.screen
            details = str(modal.query_one("#confirm-details").render())
            q = modal.question_event
            assert q.fingerprint.startswith("SHA256:") and q.fingerprint in details
            assert f"{q.address}:{q.port}" in details and q.key_type in details and q.host in details
            assert "Trust this key?" in str(modal.query_one("#confirm-question").render())
            assert app.focused.id == "confirm-no"  # No is the default
            await pilot.press("n")
            await until(pilot, lambda: not isinstance(app.screen, HostKeyScreen), "the modal to close")
            assert app.state(1) is StepState.FAILED
            assert "was not trusted" in str(app.screen.query_one("#status").render())
            assert not app_paths().known_hosts.exists()
            # again, and this time trust every key: the step runs again by itself and passes
            await pilot.press("ctrl+r")
            asked = 0
            end = time.monotonic() + 30
            while app.state(1) is not StepState.DONE and time.monotonic() < end:
                if isinstance(app.screen, HostKeyScreen):
                    asked += 1
                    await pilot.press("y")
                await pilot.pause(0.05)
            assert app.state(1) is StepState.DONE, str(app.screen.query_one("#status").render())
            assert asked == len(session.profile.hosts)
            assert len(app_paths().known_hosts.read_text().splitlines()) == len(session.profile.hosts)
    finally:
        await session.stop()
