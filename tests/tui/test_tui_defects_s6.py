"""Issue 17 follow-ups (a fresh-user trial): the health table re-fits its columns on a live resize and keeps
the Host column pinned while the others scroll; the doctor screen gives its width to what has content and
reads the profile file again on each run."""

from __future__ import annotations

import pytest
from rich.text import Text

from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.workflows.monitor import PollResult

from .screen_text import screen_text
from .test_health_keys_and_layout import big_verdict, no_polling  # noqa: F401 - a fixture
from .test_snapshots import failing_verdict, make_app


def rendered_cells(table) -> list[list[str]]:
    """What each cell shows: its text cut to its column's width, as DataTable draws it."""
    widths = [c.get_render_width(table) - 2 * table.cell_padding for c in table.ordered_columns]
    out = []
    for r in range(table.row_count):
        row = []
        for c, width in enumerate(widths):
            value = table.get_cell_at((r, c))
            text = value.plain if isinstance(value, Text) else str(value)
            row.append(text[:width])
        out.append(row)
    return out


async def _cells_at(tmp_path, size, verdict, resize_to=()):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for _poll in range(2):
            app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))
            await pilot.pause(0.1)
        for w, h in resize_to:
            await pilot.resize_terminal(w, h)
            await pilot.pause(0.2)
            app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))  # a poll after it
            await pilot.pause(0.2)
        table = app.screen.query_one(HealthPanel).table
        return [c.key.value for c in table.ordered_columns], rendered_cells(table)


@pytest.mark.parametrize("path", [((120, 40), ((80, 24), (200, 50))), ((200, 50), ((80, 24),)),
                                  ((80, 24), ((120, 40),))],
                         ids=["120-80-200", "200-80", "80-120"])
@pytest.mark.parametrize("which", ["failing", "big"])
async def test_a_live_resize_refits_the_columns_as_a_fresh_start_at_that_size(tmp_path, no_polling, path, which):
    """Before: after 120x40 → 80x24 → 200x50 the columns stayed collapsed (`wa-m  ✔ ok   master → prima`)."""
    verdict = failing_verdict() if which == "failing" else big_verdict()
    start, resizes = path
    after = await _cells_at(tmp_path, start, verdict, resizes)
    fresh = await _cells_at(tmp_path, resizes[-1], verdict)
    assert after == fresh


def collapse(table) -> None:
    """The state the trial saw after live resizes in tmux: every column at its label's width."""
    for column in table.ordered_columns:
        column.auto_width, column.content_width = True, len(column.label.plain)
    table.refresh()


@pytest.mark.parametrize("resize", [None, (200, 50)], ids=["next-poll", "resize"])
async def test_collapsed_columns_are_fitted_again_by_the_next_poll_or_resize(tmp_path, no_polling, resize):
    """Before: once at their labels' widths the columns stayed so across polls (cells unchanged: nothing
    re-measured them) and across resizes that kept the reason column."""
    verdict = failing_verdict()
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))
        await pilot.pause(0.1)
        table = app.screen.query_one(HealthPanel).table
        collapse(table)
        await pilot.pause(0.1)
        assert rendered_cells(table)[0][0] == "wa-h"  # the simulated collapse took
        if resize:
            await pilot.resize_terminal(*resize)
            await pilot.pause(0.2)
        else:
            app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))
            await pilot.pause(0.2)
        after = [c.key.value for c in table.ordered_columns], rendered_cells(table)
    assert after == await _cells_at(tmp_path, resize or (120, 40), verdict)


@pytest.mark.parametrize("size", [(120, 40)], ids=["120x40"])
async def test_the_host_column_stays_on_screen_when_scrolled_to_the_end(tmp_path, no_polling, size):
    """Before: → / End scrolled the Host column off the left edge. At 80×24 and narrower nothing scrolls any more:
    Container gives way with Reason and the columns fit (tests/tui/test_health_reason_readable.py)."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=big_verdict()))
        await pilot.pause(0.2)
        table = app.screen.query_one(HealthPanel).table
        assert table.max_scroll_x > 0  # something to scroll at this size
        await pilot.press("end")
        await pilot.pause()
        assert table.scroll_x == table.max_scroll_x
        lines = screen_text(app).splitlines()
        top = table.region.y + 1  # the first row under the header
        assert lines[top].strip().startswith("wa-core-6"), lines[top]
        assert lines[table.region.y].strip().startswith("Host"), lines[table.region.y]
        for _ in range(8):
            await pilot.press("right")
        await pilot.pause()
        assert screen_text(app).splitlines()[top].strip().startswith("wa-core-6")


class FakeDoctor:
    """Stands in for ``workflows.doctor.Doctor``: records the profile it was given; nothing found."""

    profiles: list = []

    def __init__(self, profile, **_kwargs) -> None:
        FakeDoctor.profiles.append(profile)

    async def run(self):
        from wabiz_tui.domain.doctor import Fact, Report, RuledOut

        fact = Fact("db", "wa-host-1", "mysql login", "login ok", True)
        ruled = tuple(RuledOut(f"RULE_{n}", f"rule {n}", f"the facts exclude cause number {n} on every host", (fact,))
                      for n in range(12))
        return Report((), ruled, (), (fact,))

    async def close(self) -> None:
        return None


@pytest.fixture
def fake_doctor(monkeypatch):
    import wabiz_tui.workflows.doctor as doctor

    FakeDoctor.profiles = []
    monkeypatch.setattr(doctor, "Doctor", FakeDoctor)
    return FakeDoctor


async def _open_doctor(app, pilot):
    from wabiz_tui.tui.screens.doctor import DoctorScreen

    app.push_screen(DoctorScreen())
    await pilot.pause(0.2)
    assert isinstance(app.screen, DoctorScreen) and app.screen.report is not None
    return app.screen


async def test_with_nothing_found_the_ruled_out_list_has_the_whole_width(tmp_path, no_polling, fake_doctor):
    """Before: the empty cause list kept 45% of the width and "Ruled out" wrapped into the rest."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_doctor(app, pilot)
        evidence = screen.query_one("#doctor-evidence")
        assert evidence.region.width >= 118, evidence.region
        text = screen_text(app)
        assert "RULE_11: the facts exclude cause number 11 on every host" in text  # one line, not wrapped


def _saved_profile(tmp_path):
    from wabiz_tui.config.profile import save_profile

    from .fake_engine import sample_profile

    path = tmp_path / "demo.yaml"
    save_profile(sample_profile(), path)
    return path


async def test_doctor_and_its_rerun_read_the_edited_profile_file(tmp_path, no_polling, fake_doctor):
    """Before: doctor compared against the profile loaded when the window opened (a new DB password unseen)."""
    path = _saved_profile(tmp_path)
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5, profile_path=path)
    old = app.profile.db.password
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_doctor(app, pilot)
        assert fake_doctor.profiles[-1].db.password == old
        assert "changed" not in str(screen.query_one("#doctor-status").render())
        path.write_text(path.read_text().replace(old, "the-new-db-secret"))
        await pilot.press("r")
        await pilot.pause(0.2)
        assert fake_doctor.profiles[-1].db.password == "the-new-db-secret"
        status = str(screen.query_one("#doctor-status").render())
        assert "profile file changed" in status and "db.password" in status, status
        text = screen_text(app)
        assert "the-new-db-secret" not in text and old not in text


async def test_an_invalid_profile_file_is_said_with_its_field_not_a_crash(tmp_path, no_polling, fake_doctor):
    path = _saved_profile(tmp_path)
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5, profile_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_doctor(app, pilot)
        path.write_text(path.read_text().replace("port: 3306", "port: lots"))
        await pilot.press("r")
        await pilot.pause(0.2)
        status = str(app.screen.query_one("#doctor-status").render())
        assert "profile file is not valid now" in status and "db.port" in status, status
        assert len(fake_doctor.profiles) == 1  # no probe with a profile the file no longer says
