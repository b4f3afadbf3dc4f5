"""The upgrade screen's health table at 120 columns shows no column cut to its first character (fb trial: "C", "d",
"7" at the right edge, the Container column). The columns were fitted beside a vertical scroll bar that went away
when an answer had fewer rows (or without one that then came): they are chosen for the room beside a bar, shown or
not, and a column that would be cut at the drawn edge starts past it."""

from __future__ import annotations

import pytest

from wabiz_tui.tui.widgets.health_table import COLUMNS, HealthPanel, column_spans

from .pilot_wait import until
from .screen_text import screen_text
from .test_health_keys_and_layout import big_verdict
from .test_snapshots import failing_verdict, make_app

LABELS = dict(COLUMNS)


@pytest.mark.parametrize("answers", [(big_verdict, failing_verdict), (failing_verdict, big_verdict)],
                         ids=["fewer-rows", "more-rows"])
async def test_every_column_on_screen_is_whole_after_answers_of_other_sizes(tmp_path, answers):
    app = make_app(installed=True, log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        table = app.screen.query_one(HealthPanel).table
        for answer in answers:
            app.screen.show_health(answer())
            await pilot.pause(0.3)
            room = table.scrollable_content_region.width
            spans = dict(zip((c.key.value for c in table.ordered_columns), column_spans(table)))
            cut = [key for key, (a, b) in spans.items() if a < room < b]
            assert not cut, (cut, spans, room)
            region = table.region
            header = screen_text(app).splitlines()[region.y][region.x:region.right]
            shown = [LABELS[key] for key, (_a, b) in spans.items() if b <= room]
            assert header.split() == " ".join(shown).split(), header
            assert "Reason" in shown, "the reason keeps its column at 120 columns"
