"""The passphrase dialog of encrypted SSH keys: returns what was typed, never shows it (fast; stand-in engine)."""

from __future__ import annotations

from textual.widgets import Input

from wabiz_tui.tui.screens.confirm import PasswordScreen

from .test_wizard_navigation import SIZE, make_app


async def test_passphrase_dialog_returns_the_typed_value_and_never_shows_it(tmp_path):
    app = make_app(tmp_path, [])
    answers: list[str] = []

    async def ask() -> None:
        answers.append(await app.ask_passphrase("/keys/id_ed25519"))

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.run_worker(ask(), exit_on_error=False)
        await pilot.pause()
        assert isinstance(app.screen, PasswordScreen)
        assert "Passphrase for /keys/id_ed25519" in str(app.screen.query_one("#confirm-question").render())
        field = app.screen.query_one("#password-input", Input)
        assert field.password and field.has_focus
        await pilot.press(*"s3cret-pass")
        assert field.value == "s3cret-pass" and "s3cret-pass" not in app.export_screenshot()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert answers == ["s3cret-pass"]
        app.run_worker(ask(), exit_on_error=False)
        await pilot.pause()
        await pilot.press("escape")  # no passphrase: "" (the SSH layer then says the key is encrypted)
        await app.workers.wait_for_complete()
        assert answers == ["s3cret-pass", ""]
        assert not isinstance(app.screen, PasswordScreen)
