"""The operation screens (upgrade with its dbupgrade step, logs, uninstall), the doctor, the node log and the
fleet view use the fitting footer: at 80 columns the F-keys and quit are never pushed off the edge (issue 17,
defect 6: Textual's plain ``Footer`` lays keys out in order and lets the last ones fall off)."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from wabiz_tui.tui.widgets.key_footer import KeyFooter

from .test_layout_visibility import footer_keys_shown_whole
from .test_snapshots import make_app


@pytest.mark.parametrize("key,name", [("f3", "upgrade"), ("f4", "logs"), ("f9", "uninstall")])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_an_operation_screen_keeps_its_f_keys_at_any_width(tmp_path, key, name, size):
    """Before: the plain footer at 80 columns ended at F3 (F4, F9 and ctrl+r fell off the right edge)."""
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        await pilot.pause()
        assert app.screen.name == name
        assert app.screen.query(KeyFooter), "the operation screen uses Textual's plain footer"
        shown = footer_keys_shown_whole(app)
        assert {"ctrl+q", "ctrl+r", "f2", "f3", "f4", "f9"} <= shown, sorted(shown)
        if size[0] >= 120:  # at 80 columns esc gives way first: its button "◀ Wizard  esc" is on screen
            assert "escape" in shown, sorted(shown)
        labels = {k.key: k.description for k in app.screen.query(FooterKey)}
        assert all(labels[k] for k in ("ctrl+q", "f3", "f4", "f9")), labels
