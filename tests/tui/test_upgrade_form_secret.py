"""The upgrade form at 80×24 (issue 17, fresh-user trial typed 2.43.1 + the password): a password typed into the version box is never echoed
whole, Tab moves between the form's fields, fixing a field clears its error, and the form opened again (Esc, F3)
has its first field focused. Stand-in engines: the form is what is tested."""

from __future__ import annotations

from textual.widgets import Input, Static

from .screen_text import screen_text
from .test_snapshots import make_app

SECRET = "RomaBackup5519"


async def open_upgrade(app, pilot):
    await pilot.pause()
    await pilot.press("f3")
    await pilot.pause()
    assert app.screen.name == "upgrade"
    return app.screen


async def test_a_password_typed_into_the_version_box_is_not_echoed_and_the_error_goes_once_fixed(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_upgrade(app, pilot)
        target = screen.query_one("#up-target", Input)
        assert app.focused is target
        await pilot.press(*"2.99.1", *SECRET)  # the Tab the user meant did not happen
        await pilot.pause()
        assert target.value == "2.99.1" + SECRET
        await pilot.press("ctrl+r")
        await pilot.pause()
        status = str(screen.query_one("#op-status", Static).render())
        check = str(screen.query_one("#up-check", Static).render())
        for shown in (status, check):
            assert "Roma" not in shown and "5519" not in shown, shown
        # on the whole screen, the secret is only in the box it was typed into (the field's error line quotes none)
        assert screen_text(app).count("Roma") == 1 and screen_text(app).count("5519") == 1, screen_text(app)
        assert "target version" in status and "after '2.99.1'" in status, status
        # fixing the version clears its error line and the refusal
        await pilot.press(*["backspace"] * len(SECRET))
        await pilot.pause()
        assert "target version" not in str(screen.query_one("#op-status", Static).render())
        assert "✔" in str(screen.query_one("#up-check", Static).render())
        assert "after '2.99.1'" not in screen_text(app)


async def test_tab_moves_from_the_version_to_the_password_at_80x24(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_upgrade(app, pilot)
        await pilot.press(*"2.99.1", "tab", *SECRET)  # the password is next (the optional box after it)
        await pilot.pause()
        assert screen.query_one("#up-target", Input).value == "2.99.1"
        assert screen.query_one("#up-password", Input).value == SECRET
        assert SECRET not in screen_text(app)


async def test_the_form_opened_again_focuses_its_first_field(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_upgrade(app, pilot)
        await pilot.press("tab")  # on the password box
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen is screen
        target = screen.query_one("#up-target", Input)
        assert app.focused is target
        await pilot.press(*"2.99.1")
        await pilot.pause()
        assert target.value == "2.99.1"
