"""Next-action commands name what works when pasted (s8 trial 2 N5): the monitor said `wabiz-tui upgrade tra --resume
--yes` for a profile opened by path and never saved, and `upgrade tra` fails ("no saved profile of that name").
The profile's name is said only when it is saved under that name; else its path."""

from __future__ import annotations

import pytest

from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import command_ref, save_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.quitting import _profile_ref
from wabiz_tui.workflows import monitor as monitor_module

from . import pilot_wait


def test_the_name_only_when_saved_under_it(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    elsewhere = tmp_path / "drafts" / "tra.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("name: tra\n")
    assert command_ref("tra", elsewhere, profiles) == str(elsewhere)
    saved = profiles / "tra.yaml"
    saved.write_text("name: tra\n")
    assert command_ref("tra", saved, profiles) == "tra"
    # saved under that name, but this window opened another file of the same name: the path
    assert command_ref("tra", elsewhere, profiles) == str(elsewhere)
    assert command_ref("tra", None, profiles) == "tra"


@pytest.mark.slow
async def test_the_monitor_and_the_quit_text_name_an_unsaved_profile_by_its_path(installed_demo, tmp_path,
                                                                                 monkeypatch):
    session = installed_demo
    seen: list[str] = []
    real = monitor_module.planned_state_reader

    def spy(*args, **kw):
        seen.append(kw.get("profile_ref", ""))
        return real(*args, **kw)

    monkeypatch.setattr(monitor_module, "planned_state_reader", spy)
    assert not (app_paths().profiles / f"{session.profile.name}.yaml").exists()  # the demo's profile is not saved
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await pilot_wait.until(pilot, lambda: seen, "the monitor's first poll", 30)
        assert seen[0] == str(session.profile_path), seen
        assert _profile_ref(app) == str(session.profile_path)
    # saved under its name: the name (shorter, and it works)
    save_profile(session.profile, app_paths().profiles / f"{session.profile.name}.yaml")
    monkeypatch.setattr(app, "profile_path", app_paths().profiles / f"{session.profile.name}.yaml")
    assert _profile_ref(app) == session.profile.name
