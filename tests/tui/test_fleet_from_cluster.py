"""ctrl+k (clusters as contexts) from a cluster's own TUI (issue 17, fresh-user trial of session 7): from
``wizard <path>`` with a profile that is not among the saved ones the fleet said "0 cluster(s)" and only ctrl+q
got out. Now the fleet view opens over the cluster's screens, lists the cluster on screen (saying why
``wabiz-tui fleet`` does not), and Escape (or Enter on that cluster) comes back to the very screen left."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from tests.exporter.helpers import FakeWebapp, installed_profile
from wabiz_tui.config.profile import save_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.fleet_run import fleet_loop, fleet_with
from wabiz_tui.tui.screens.fleet import FleetScreen
from wabiz_tui.workflows.fleet import FleetMember
from tests.domain.test_validation import good_profile

from .pilot_wait import until


def _text(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static"))


async def test_ctrl_k_on_an_unsaved_profile_lists_it_and_escape_comes_back(tmp_path):
    # no saved profile at all: tests/conftest.py points WABIZ_TUI_HOME at an empty folder
    path = tmp_path / "elsewhere" / "acme.yaml"
    path.parent.mkdir()
    profile = good_profile(name="acme")
    save_profile(profile, path)
    app = WabizApp(profile, profile_path=path, start_on="wizard", log_dir=tmp_path / "logs", monitor_interval=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        left = app.screen
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen), "the fleet view")
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.row_count == 1, "the cluster on screen is listed"
        assert str(table.get_row_at(0)[0]) == "acme"
        detail = str(screen.query_one("#fleet-detail").render())
        assert "not among the saved profiles" in detail and str(path) in detail
        assert f"wabiz-tui profile import {path}" in " ".join(detail.split()), detail  # the command that saves it
        assert "1 cluster(s)" in _text(app) and "Esc goes back to acme" in _text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is left and app.is_running
        # Enter on the cluster on screen comes back too (it is already open)
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen), "the fleet view again")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is left and app.is_running and app.return_value is None


def test_a_saved_cluster_is_not_listed_twice(tmp_path):
    p = installed_profile("milano")
    members = [FleetMember("milano", tmp_path / "milano.yaml", p), FleetMember("roma", tmp_path / "roma.yaml", p)]
    got, here = fleet_with(members, p, tmp_path / "." / "milano.yaml", tmp_path)
    assert [m.label for m in got] == ["milano", "roma"] and here == "milano"
    got, here = fleet_with(members, p, None, tmp_path)  # a profile never written (no path)
    assert [m.label for m in got] == ["milano (on screen, not saved)", "milano", "roma"]
    assert here == "milano (on screen, not saved)" and got[0].name == "milano"
    assert "not among the saved profiles" in got[0].note


async def test_enter_on_another_cluster_leaves_for_it_and_the_loop_opens_it(tmp_path):
    """In the fleet loop: roma's monitor, ctrl+k, Enter on milano: milano's own app opens (no fleet in between),
    ctrl+k there shows the cursor on milano, Escape back to milano's monitor, ctrl+q."""
    webapps = {n: FakeWebapp() for n in ("milano", "roma")}
    members = [FleetMember(n, Path(f"/profiles/{n}.yaml"), installed_profile(n)) for n in ("milano", "roma")]
    seen: list[tuple[str, object]] = []

    async def run(app):
        app.fleet_monitors = [webapps[m.label].monitor(m.profile) for m in members]
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: app.screen.name == "monitor", "the monitor", timeout=15)
            seen.append(("monitor of", app.profile.name))
            await pilot.press("ctrl+k")
            await until(pilot, lambda: isinstance(app.screen, FleetScreen), "the fleet view")
            table = app.screen.query_one(DataTable)
            seen.append(("cursor on", members[table.cursor_row].label))
            if app.profile.name == "roma":
                await pilot.press("up", "enter")
            else:
                await pilot.press("escape")
                await pilot.pause()
                seen.append(("back on", app.screen.name))
                await pilot.press("ctrl+q")
            await pilot.pause()
        return app.return_value

    code, last = await fleet_loop(members, run=run, first=members[1],
                                  make_cluster_app=lambda m: WabizApp(m.profile, profile_path=m.path,
                                                                      start_on="monitor", log_dir=tmp_path / "logs",
                                                                      monitor_interval=30))
    assert seen == [("monitor of", "roma"), ("cursor on", "roma"), ("monitor of", "milano"), ("cursor on", "milano"),
                    ("back on", "monitor")]
    assert code == 0 and last is not None and last.profile.name == "milano"
