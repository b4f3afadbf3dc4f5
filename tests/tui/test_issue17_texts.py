"""Issue 17, defects 2 and 6 (the wizard's parts): the M1 shard selector on screen and usable, whole or
short step names, a step blocked by its preflight shown as blocked, no ``0/5 hosts`` after a step with no
host work, the essential keys in the footer at 80 columns, one "Quit" in the palette."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from textual.widgets import Select
from textual.widgets._footer import FooterKey

from wabiz_tui.tui.steps import StepState, wizard_steps
from wabiz_tui.tui.widgets.key_footer import fit_keys, key_width
from wabiz_tui.tui.widgets.step_list import StepItem

from .fake_engine import FakeHaInstall
from .pilot_wait import until
from .test_snapshots import make_app, show_step

SIZES = {"80x24": (80, 24), "120x40": (120, 40), "200x50": (200, 50)}


class CountingMulticonnect:
    """The M1 form's engine: records each shard count it is asked to check."""

    checked: list[int] = []

    def __init__(self, profile, *, emit) -> None:
        self.profile = profile
        self.emit = emit

    async def check_shards(self, shards: int):
        CountingMulticonnect.checked.append(shards)
        return SimpleNamespace(errors=(), warnings=(), running_coreapps=8)

    async def set_shards(self, shards: int, *, confirmed: bool) -> bool:
        from wabiz_tui.workflows.events import StepFinished, StepStarted

        self.emit(StepStarted(1, "Set shards", (), procedure="multiconnect"))
        self.emit(StepFinished(1, confirmed, f"{shards} shard(s) set", procedure="multiconnect"))
        return confirmed

    async def close(self) -> None:
        pass


def visible(app, widget) -> bool:
    """True when ``widget`` has a size and lies inside the terminal."""
    r = widget.region
    return r.width > 0 and r.height > 0 and r.right <= app.size.width and r.bottom <= app.size.height


@pytest.mark.parametrize("size", ["120x40", "200x50"])
async def test_m1_shard_selector_is_on_screen_and_sets_any_allowed_count(tmp_path, size):
    """Before: the selector had width 1 and height 0 (the hint beside it took the whole line)."""
    CountingMulticonnect.checked = []
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    app.mc_factory = lambda p, emit: CountingMulticonnect(p, emit=emit)
    async with app.run_test(size=SIZES[size]) as pilot:
        await pilot.pause()
        assert app.screen.name == "step10"
        select = app.screen.query_one("#shards", Select)
        assert visible(app, select) and select.region.width >= 10, select.region
        select.focus()
        await pilot.press("enter", "home", "down", "down", "down", "enter")  # 1, 2, 4, 8
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert select.value == 8 and app.screen.shards == 8
        assert CountingMulticonnect.checked[-1] == 8
        assert "8 shard(s) can be set" in str(app.screen.query_one("#shard-check").render())
        # set: "Cluster now" says the new count (issue 17.6: it still said 1/1 shard)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.screen.name != "step10", "the confirmation dialog")
        await pilot.press("y")
        await until(pilot, lambda: app.state(10) is StepState.DONE, "M1 done")
        await pilot.pause()
        assert "8 shard(s) set" in str(app.screen.query_one("#cluster-now").render())


@pytest.mark.parametrize("room", [17, 8])
def test_step_names_are_whole_or_a_readable_short_name(room):
    """The title room of the 120- and 80-column sidebars. Before: ``Configuration fi…``, ``Configu…``."""
    for step in wizard_steps():
        name = step.name_within(room)
        assert "…" not in name and name in step.names() and len(name) <= room, (step.key, name)


@pytest.mark.parametrize("size", ["120x40", "80x24"])
async def test_step_list_on_screen_shows_no_cut_names(tmp_path, size):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZES[size]) as pilot:
        await pilot.pause()
        for item in app.screen.query(StepItem):
            text = item.render().plain
            assert "…" not in text, text
            assert any(name in text for name in item.step.names()), text


async def test_a_step_blocked_by_its_preflight_says_blocked(tmp_path):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await pilot.pause()
        app.set_state(5, StepState.BLOCKED)
        await pilot.pause()
        text = app.screen.query_one("#step-item-5").render().plain
        assert "blocked" in text and "failed" not in text and "✗" not in text


class NoHostWorkInstall(FakeHaInstall):
    """Step 4 with a named media volume: nothing runs on the hosts (no HostFinished)."""

    async def run_step(self, number: int) -> bool:
        if number != 4:
            return await super().run_step(number)
        from wabiz_tui.workflows.events import StepFinished, StepStarted

        self.emit(StepStarted(4, "media", ()))
        self.emit(StepFinished(4, True, "named volume: nothing to check"))
        return True


async def test_a_step_with_no_host_work_does_not_end_with_0_of_n_hosts(tmp_path):
    app = make_app(engine=NoHostWorkInstall, log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await show_step(app, pilot, 4)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.state(4) is StepState.DONE, "step 4 done")
        await pilot.pause()
        elapsed = str(app.screen.query_one("#elapsed").render())
        assert "hosts" not in elapsed, elapsed


@pytest.mark.parametrize("size", ["80x24", "120x40"])
async def test_the_footer_keeps_the_essential_keys(tmp_path, size):
    """Before: at 80 columns the footer ended at ``f4`` (no label) and F9 was gone."""
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZES[size]) as pilot:
        await pilot.pause()
        app.goto_step(3)
        await pilot.pause()
        await pilot.pause()
        keys = {k.key: k for k in app.screen.query(FooterKey)}
        for key in ("ctrl+q", "ctrl+r", "f2", "f3", "f4", "f9"):
            assert key in keys and visible(app, keys[key]), (key, sorted(keys))
            assert keys[key].description, key
        shown = [k for k in keys.values() if "-command-palette" not in k.classes]
        right = max(k.region.right for k in shown)
        palette = next(k for k in keys.values() if "-command-palette" in k.classes)
        assert right <= palette.region.x, "a key runs under the palette key"


def test_fit_keys_keeps_order_and_drops_lowest_priority_first():
    keys = [("quit", "^q", "Quit"), ("next_step", "^n", "Next"), ("back", "^b", "Back"),
            ("run_step", "^r", "Run/retry"), ("operation('logs')", "f4", "Logs")]
    assert fit_keys(keys, 200) == (False, keys)
    compact, kept = fit_keys(keys, 30)
    assert compact and [a for a, _, _ in kept] == ["quit", "run_step", "operation('logs')"]
    assert ("run_step", "^r", "Run") in kept and sum(key_width(k, l, True) for _, k, l in kept) <= 30
    # the essential keys stay even when nothing fits
    assert [a for a, _, _ in fit_keys(keys, 5)[1]] == ["quit"]


async def test_quit_is_once_in_the_palette(tmp_path):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Quit") == 1, titles
        assert "Keys" in titles  # Textual's own commands that we do not replace are kept


async def test_step_9_shows_the_monitors_newer_verdict_after_a_failover(tmp_path, monkeypatch):
    """Trial: after a failover seen on the monitor, step 9 still showed the roles of its own, older check."""
    import time

    from wabiz_tui.tui.screens.monitor import MonitorScreen
    from wabiz_tui.tui.widgets.health_table import HealthPanel
    from wabiz_tui.workflows.monitor import PollResult

    from .fake_engine import verdict
    from .test_snapshots import failing_verdict

    async def no_polling(_screen) -> None:
        return None

    monkeypatch.setattr(MonitorScreen, "_poll_loop", no_polling)
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await pilot.pause()
        monitor = app.screen
        assert monitor.name == "monitor"
        await pilot.press("f2")
        await pilot.pause()
        app.goto_step(9)
        await pilot.pause()
        step9 = app.screen
        before = verdict(True)
        step9.show_health(before)  # the step's own check
        after = failing_verdict()
        monitor.show_result(PollResult(polled_at=time.time() + 1, latency=0.04, verdict=after))
        app.goto_step(8)
        await pilot.pause()
        app.goto_step(9)
        await pilot.pause()
        await pilot.pause()
        assert app.screen is step9 and step9.query_one(HealthPanel).verdict is after
        assert "from the health monitor" in str(step9.query_one("#health-as-of").render())
