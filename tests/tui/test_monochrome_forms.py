"""Forms read without colour (issue 17, fresh-user trial with ``NO_COLOR=1``): step 4's two radio buttons differed
only by shade, and an input's placeholder (``/mnt/wamedia``, ``EXTERNAL_HOSTNAME``, the cluster name) looked like a
typed value. Chosen and not chosen differ by glyph; a placeholder is drawn as ``e.g. …`` or ``(…)``."""

from __future__ import annotations

import pytest
from textual.widgets import Input, RadioButton, RadioSet

from .screen_text import drawn_reversed
from .test_snapshots import make_app, show_step


def drawn(widget) -> str:
    """The first row of ``widget`` as drawn, without style."""
    return "".join(segment.text for segment in widget.render_line(0))


def looks_like_a_hint(text: str) -> bool:
    """A placeholder in a form no value takes."""
    text = text.strip()
    return text.startswith("e.g. ") or text.startswith("(")


async def empty_inputs_read_as_hints(app) -> list[str]:
    """The drawn text of every empty input of the current screen that does not read as a hint."""
    wrong = []
    for inp in app.screen.query(Input):
        if inp.display and not inp.value and inp.placeholder:
            text = drawn(inp)
            if not looks_like_a_hint(text):
                wrong.append(f"{inp.id or inp.classes}: {text.strip()!r}")
    return wrong


async def test_step_4s_radio_buttons_differ_by_glyph_and_the_cursor_is_seen_without_colour(tmp_path, monkeypatch):
    """Before: both buttons drew ``▐●▌``, only the dot's colour told the chosen one."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_step(app, pilot, 4)
        buttons = list(app.screen.query(RadioButton))
        assert [b.value for b in buttons] == [True, False]
        assert [drawn(b)[:3] for b in buttons] == ["▐•▌", "▐ ▌"]
        radio_set = app.screen.query_one(RadioSet)
        radio_set.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [b.value for b in buttons] == [False, True]
        assert [drawn(b)[:3] for b in buttons] == ["▐ ▌", "▐•▌"]
        # the button under the keyboard cursor shows by style, not by colour alone
        label_style = buttons[1].get_component_rich_style("toggle--label")
        assert label_style.reverse and label_style.bold
        assert not buttons[0].get_component_rich_style("toggle--label").reverse
        # and drawn so (Textual 8 drew the CSS's reverse as bold only: s9 trial)
        assert drawn_reversed(buttons[1]).strip() == str(buttons[1].label) and not drawn_reversed(buttons[0])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_placeholders_are_drawn_as_hints_not_as_values(tmp_path, monkeypatch, size):
    """Before: step 4's host path showed ``/mnt/wamedia``, an empty host row ``EXTERNAL_HOSTNAME``, the uninstall
    box the cluster's name: with ``NO_COLOR`` the same as typed text."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, 1)
        await pilot.click("#add-host")  # an empty row: its inputs show their placeholders
        await pilot.pause()
        seen = {"hosts": await empty_inputs_read_as_hints(app)}
        await show_step(app, pilot, 4)
        app.screen.query_one("#media-host-path", RadioButton).value = True
        await pilot.pause()
        app.screen.query_one("#f-media-path Input", Input).value = ""
        await pilot.pause()
        seen["media"] = await empty_inputs_read_as_hints(app)
        for key, name in (("f3", "upgrade"), ("f4", "logs"), ("f9", "uninstall")):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.name == name
            seen[name] = await empty_inputs_read_as_hints(app)
            await pilot.press("escape")
            await pilot.pause()
        assert seen == {k: [] for k in seen}
        assert sum(1 for _ in seen) == 5
