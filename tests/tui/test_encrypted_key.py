"""An encrypted SSH key (``ssh-keygen -N``): the wizard asks its passphrase in a dialog, against the demo."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pytest

from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.confirm import PasswordScreen
from wabiz_tui.tui.steps import StepState

from .test_preflight_gate import SIZE, SPEED, settle, status

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")]


def encrypted_profile(session, tmp_path, passphrase: str):
    key = tmp_path / "id_encrypted"
    shutil.copy(session.cluster.client_key_path, key)
    key.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", passphrase, "-f", str(key)], check=True,
                   capture_output=True)
    hosts = tuple(replace(h, ssh=replace(h.ssh, key_file=str(key), use_agent=False)) for h in session.profile.hosts)
    return session.profile.with_changes(hosts=hosts), key


@pytest.mark.parametrize("answer", ["typed", "escape"])
async def test_an_encrypted_key_asks_its_passphrase_once(tmp_path, answer):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        profile, key = encrypted_profile(session, tmp_path, "Key-pass-42")
        app = WabizApp(profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")  # step 1: every host needs the key
            for _ in range(200):
                await pilot.pause(0.02)
                if isinstance(app.screen, PasswordScreen):
                    break
            assert isinstance(app.screen, PasswordScreen)
            assert f"Passphrase for {key}" in str(app.screen.query_one("#confirm-question").render())
            if answer == "typed":
                await pilot.press(*"Key-pass-42", "enter")
            else:
                await pilot.press("escape")
            await settle(app, pilot)
            assert not isinstance(app.screen, PasswordScreen)  # asked once for the five hosts
            if answer == "typed":
                assert app.state(1) is StepState.DONE, status(app)
            else:
                assert app.state(1) is StepState.FAILED
                assert "encrypted" in status(app), status(app)
            assert "Key-pass-42" not in app.export_screenshot()
    finally:
        await session.stop()
