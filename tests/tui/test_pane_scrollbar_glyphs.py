"""No stray block glyphs in the host panes (issue 17, s9 trial C10: ``▊ ▉ ▎`` seen inside the step 5 panes in tmux
captures). Reproduced here: they are the ends of the Log's scroll bar thumbs (its 1-row horizontal bar when a line is
wider than the pane, its 1-column vertical bar), Textual's eighth blocks for sub-cell precision, left as text when
the colours are not seen. The panes' bars are drawn in whole cells now; the thumb still shows (reversed)."""

from __future__ import annotations

import pytest

from wabiz_tui.tui.widgets.host_log import HostLogPane

from .screen_text import screen_text
from .test_snapshots import make_app, show_step

#: Textual's eighth blocks (``textual.scrollbar.ScrollBarRender``'s bars).
EIGHTHS = set("▉▊▋▌▍▎▏▁▂▃▄▅▆▇")
PULL = "Pulling wacore (docker.whatsapp.biz/coreapp:v2.53.1)... 2.53.1: Pulling from coreapp, Digest: sha256:{}"


def glyphs_in_panes(app) -> dict[str, str]:
    """Each pane's host and the eighth blocks drawn inside its frame (empty when none)."""
    lines = screen_text(app).splitlines()
    found = {}
    for pane in app.screen.query(HostLogPane):
        r = pane.region
        inside = "".join(lines[y][r.x + 1:r.right - 1] for y in range(r.y + 1, r.bottom - 1))
        found[pane.border_title or str(r)] = "".join(sorted(set(inside) & EIGHTHS))
    return found


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_panes_scroll_bars_draw_no_eighth_blocks(tmp_path, size):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, 5)
        panes = list(app.screen.query(HostLogPane))
        seen = []
        for count in (1, 3, 7, 40):  # thumbs of several lengths and places
            for pane in panes:
                pane.set_status("running")
                for i in range(count):
                    pane.write(PULL.format("0123456789abcdef" * (1 + i % 3)))
            await pilot.pause(0.3)
            seen.append(glyphs_in_panes(app))
            for pane in panes:
                pane.log_widget.scroll_to(x=7, animate=False)
            await pilot.pause(0.3)
            seen.append(glyphs_in_panes(app))
        assert all(not glyphs for shot in seen for glyphs in shot.values()), seen
        bar = panes[0].log_widget.horizontal_scrollbar
        assert any(seg.style and seg.style.reverse for seg in bar.render_line(0)), "the thumb is still drawn"
