"""What lays the whole screen out again while a step runs (issue 17: each layout is a reflow and a repaint of the
whole screen, 12-30 ms of the UI loop at 180x50, which a key press waits behind). Counted, not timed."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static
from textual.widgets._footer import FooterKey

from wabiz_tui.tui import app as app_module
from wabiz_tui.tui.widgets.findings import FindingsList
from wabiz_tui.tui.widgets.host_log import MAX_LINES, TABLE_ABOVE, HostLogGrid, HostLogPane
from wabiz_tui.tui.widgets.host_table import FlowLine, host_summary
from wabiz_tui.tui.widgets.key_footer import KeyFooter
from wabiz_tui.tui.widgets.ticker import set_status_text
from wabiz_tui.workflows.events import Finding

from .test_repaint import written


def count_layouts(monkeypatch) -> list[int]:
    """A list that grows by one on every full layout of a screen (a scroll-only refresh is not counted)."""
    layouts: list[int] = []
    original = Screen._refresh_layout

    def refresh_layout(self, size=None, scroll=False):
        if not (scroll and not self._layout_widgets):
            layouts.append(1)
        return original(self, size, scroll)

    monkeypatch.setattr(Screen, "_refresh_layout", refresh_layout)
    return layouts


async def settle(pilot, layouts: list[int]) -> None:
    """Pause until a turn of the app lays nothing out (``layouts``: a :func:`count_layouts` list): on a loaded machine
    the first frames may still be laid out after the first pause, and would be counted against the change tested."""
    for _ in range(50):
        before = len(layouts)
        await pilot.pause()
        if len(layouts) == before:
            return
    raise AssertionError(f"the app still lays out after 50 turns ({len(layouts)} layouts)")


class Panes(App):
    def compose(self):
        yield HostLogGrid([("wa-core-1", "coreapp"), ("wa-core-2", "coreapp")], id="host-grid")


async def test_writing_a_panes_first_lines_lays_nothing_out(monkeypatch):
    """Until a pane holds MAX_LINES lines, Textual's Log lays the screen out on every write (its virtual size is a
    layout reactive); a pane's size does not depend on its lines, so only its scroll range and scrollbars change."""
    app = Panes()
    async with app.run_test(size=(120, 30)) as pilot:
        grid = app.query_one(HostLogGrid)
        await pilot.pause()
        layouts = count_layouts(monkeypatch)
        for batch in range(12):
            for pane in grid.panes:
                pane.write_many([f"{pane.host} line {batch * 100 + i} " + "x" * (batch * 10) for i in range(100)])
            grid.flush()
            await pilot.pause()
        assert layouts == []
        for pane in grid.panes:
            log = pane.log_widget
            assert log.line_count == 1200 < MAX_LINES
            assert log.virtual_size.height == 1200 and log.virtual_size.width == len(f"{pane.host} line 1199 ") + 110
            assert log.vertical_scrollbar.window_virtual_size == 1200  # the scrollbar knows the new range
            assert log.scroll_y == log.max_scroll_y > 0  # still following the end
            assert log.lines[-1].startswith(f"{pane.host} line 1199")


class FooterApp(App):
    BINDINGS = [Binding("f1", "one", "One"), Binding("f2", "two", "Two"), Binding("f3", "three", "Three")]

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[str, bool | None] = {"one": True, "two": True, "three": False}

    def compose(self):
        yield KeyFooter()

    def check_action(self, action: str, parameters) -> bool | None:
        return self.states.get(action, True)


async def test_the_footer_keeps_its_keys_when_only_their_state_changes(monkeypatch):
    """A key enabled or disabled (a step starts or ends) restyles that key; the footer is recomposed (every key
    removed and mounted again, a layout) only when the keys shown change."""
    app = FooterApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        footer = app.query_one(KeyFooter)

        def keys() -> list[FooterKey]:
            return [k for k in footer.query(FooterKey) if not k.has_class("-command-palette")]

        before = keys()
        assert [k.action for k in before] == ["one", "two"]
        recomposed: list[int] = []
        original = KeyFooter.recompose

        def recompose(self):
            recomposed.append(1)
            return original(self)

        monkeypatch.setattr(KeyFooter, "recompose", recompose)
        app.refresh_bindings()
        await pilot.pause()
        app.states["two"] = None  # shown, disabled
        app.refresh_bindings()
        await pilot.pause()
        assert recomposed == [] and keys() == before
        assert before[1]._disabled and before[1].has_class("-disabled") and not before[0].has_class("-disabled")
        app.states["two"] = True
        app.refresh_bindings()
        await pilot.pause()
        assert recomposed == [] and not before[1]._disabled and not before[1].has_class("-disabled")
        app.states["three"] = True  # a key appears: recomposed
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert recomposed and [k.action for k in keys()] == ["one", "two", "three"]


class ManyPanes(App):
    def compose(self):
        yield HostLogGrid([(f"wa-core-{i}", "coreapp") for i in range(1, 21)], id="host-grid")


async def test_the_end_of_a_step_scrolls_only_the_shown_pane_and_a_pane_shown_later_is_at_its_end():
    """Above TABLE_ABOVE hosts one pane shows at a time; the end of a step scrolled every pane, which gave each
    hidden pane its scrollbar widgets (about 0.5 ms of the UI loop per pane): now only the pane on screen."""
    app = ManyPanes()
    async with app.run_test(size=(120, 40)) as pilot:
        grid = app.query_one(HostLogGrid)
        await pilot.pause()
        shown = [p for p in grid.panes if p.display]
        hidden = [p for p in grid.panes if not p.display]
        assert len(shown) == 1 and hidden
        for pane in grid.panes:
            pane.write_many([f"{pane.host} line {i}" for i in range(300)])
        scrolled: list = []
        for pane in grid.panes:
            log = pane.log_widget
            log.scroll_end = lambda *a, _log=log, _orig=log.scroll_end, **k: (scrolled.append(_log), _orig(*a, **k))[1]
        for pane in grid.panes:  # what StepScreen.step_ended does
            pane.scroll_to_end()
        await pilot.pause()
        await pilot.pause()
        assert scrolled and {id(s) for s in scrolled} == {id(shown[0].log_widget)}
        assert shown[0].log_widget.scroll_y == shown[0].log_widget.max_scroll_y > 0
        later = hidden[-1]
        shown[0].show(False)
        later.show()
        await pilot.pause()
        await pilot.pause()
        log = later.log_widget
        assert log.line_count == 300 and log.scroll_y == log.max_scroll_y > 0
        assert log.lines[-1] == f"{later.host} line 299"


class StepLike(App):
    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def compose(self):
        yield Button("first")  # the focus, as on a step screen's form: no pane is restyled by a focus change


async def test_a_pane_whose_status_changes_after_its_scrollbars_appeared_lays_nothing_out(monkeypatch):
    """Textual creates a widget's scrollbars with it but styles them only when a restyle finds them shown: each rule
    then goes from unset to set, which lays the whole screen out (a reflow and a repaint of everything, 25-30 ms at
    180x50). While 5 hosts stream, every pane's first status change after its first screenful (a host starts or
    ends) did so: the slowest key presses of bench/responsive_bench.py's streaming waited behind those layouts.
    The panes' scrollbars are styled when they are created."""
    app = StepLike()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        grid = HostLogGrid([("wa-core-1", "coreapp"), ("wa-core-2", "coreapp")], id="host-grid", classes="-main")
        await app.screen.mount(grid)  # after the screen's own restyle, as a step's panes meet their first lines
        await pilot.pause()
        assert isinstance(app.focused, Button)
        for pane in grid.panes:  # wider and longer than the pane: both scrollbars appear
            pane.write_many([f"{pane.host} line {i} " + "x" * 150 for i in range(200)])
        grid.flush()
        await pilot.pause()
        await pilot.pause()
        log = grid.panes[0].log_widget
        assert log.show_vertical_scrollbar and log.show_horizontal_scrollbar
        layouts = count_layouts(monkeypatch)
        grid.panes[0].set_status("running")
        await pilot.pause()
        grid.panes[1].set_status("failed exit 1")
        await pilot.pause()
        assert layouts == []
        assert grid.panes[0].has_class("-running") and grid.panes[1].has_class("-failed")
        bar = log.vertical_scrollbar  # styled as a restyle styles it
        rules = dict(bar.styles.base._rules)
        app.stylesheet.update_nodes([bar])
        assert rules and dict(bar.styles.base._rules) == rules


def drawn_widgets(monkeypatch, *widgets: Widget) -> dict[str, int]:
    """Counts, by widget id, of the ``render_lines`` calls of ``widgets`` from now on (what the frames draw)."""
    counts = {str(w.id): 0 for w in widgets}
    for widget in widgets:
        def counting(crop, _original=widget.render_lines, _id=str(widget.id)):
            counts[_id] += 1
            return _original(crop)

        monkeypatch.setattr(widget, "render_lines", counting)
    return counts


async def streamed_panes(app: App, pilot) -> HostLogGrid:
    """Two panes mounted on ``app``'s screen after its own restyle (as a step's panes meet their first lines), each
    holding 200 lines wider and longer than itself (both scrollbars shown)."""
    grid = HostLogGrid([("wa-core-1", "coreapp"), ("wa-core-2", "coreapp")], id="host-grid", classes="-main")
    await app.screen.mount(grid)
    await pilot.pause()
    for pane in grid.panes:
        pane.write_many([f"{pane.host} line {i} " + "x" * 150 for i in range(200)])
    grid.flush()
    await pilot.pause()
    await pilot.pause()
    return grid


async def test_a_panes_status_repaints_only_its_border_row_and_an_unchanged_status_nothing(monkeypatch):
    """Textual repaints a whole widget when its border subtitle is set, changed or not: a step's start set "waiting"
    again on every pane (the panes' logs, scrollbars and borders, 25 of the 41 widgets its first repaint drew with 5
    hosts, issue 17). An unchanged status repaints nothing; a new one its pane's bottom border row, where it shows,
    and the screen then reads as a full repaint does."""
    app = StepLike()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        grid = await streamed_panes(app, pilot)
        pane = grid.panes[0]
        pane.id, pane.log_widget.id = "pane", "log"
        counts = drawn_widgets(monkeypatch, pane, pane.log_widget)
        for p in grid.panes:
            p.set_status("waiting")  # as a step's start resets its panes
        await pilot.pause()
        assert counts == {"pane": 0, "log": 0}
        pane.toggle_follow()  # "waiting · follow" -> "waiting · paused": the subtitle alone
        await pilot.pause()
        assert counts["pane"] == 1 and counts["log"] == 0, counts
        compositor = app.screen._compositor
        shown = written(compositor.render_update(full=True))
        assert "waiting · paused" in Text.from_ansi(shown).plain
        pane._styles_cache.clear()  # the pane drawn afresh reads the same: no stale line kept
        pane.log_widget._styles_cache.clear()
        assert written(compositor.render_update(full=True)) == shown
        pane.find("no such text")  # another subtitle set directly: the status shown again after it
        await pilot.pause()
        pane.set_status("waiting")
        await pilot.pause()
        assert pane.border_subtitle == "waiting · paused"


async def test_a_panes_status_restyles_only_the_pane_and_styles_everything_as_a_full_restyle_does(monkeypatch):
    """A host's status sets its pane's class (``-running``, ``-ok``, ``-failed``: the border's colour), and Textual
    restyles the pane and everything in it: 3-4 ms of the UI loop per pane, five at once as five hosts start streaming
    (issue 17). Only the pane is restyled; its log, scrollbars and corner keep the styles a full restyle gives them."""
    app = StepLike()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        pane = (await streamed_panes(app, pilot)).panes[0]
        log = pane.log_widget
        nodes = [pane, log, log.vertical_scrollbar, log.horizontal_scrollbar, log.scrollbar_corner]
        restyled: list = []
        original = app.stylesheet.update_nodes

        def update_nodes(nodes, animate=False):
            nodes = list(nodes)
            restyled.extend(nodes)
            return original(nodes, animate=animate)

        monkeypatch.setattr(app.stylesheet, "update_nodes", update_nodes)
        borders = set()
        for status in ("running", "ok", "failed exit 1", "waiting"):
            restyled.clear()
            pane.set_status(status)
            assert restyled == [pane], (status, restyled)
            ours = [dict(node.styles.base._rules) for node in nodes]
            app.update_styles(pane)  # Textual's restyle of the pane and everything in it
            assert restyled[1:] == list(pane.walk_children(with_self=True)) and log in restyled
            assert [dict(node.styles.base._rules) for node in nodes] == ours, status
            borders.add(pane.styles.border_bottom)
        assert len(borders) == 4  # each status its own border colour
        restyled.clear()
        pane.add_class("other")  # any other class: the pane and everything in it, as Textual does
        assert log in restyled


async def test_a_host_tables_panes_are_hidden_and_sized_before_they_are_mounted(monkeypatch):
    """Above TABLE_ABOVE hosts one pane shows at a time. Hidden and sized once mounted, each of 50 panes asked for two
    more layouts of the screen than Textual's own two of a mount (the 409 layout requests counted as the 50-host screen
    was built), and the first layout placed all 50 panes."""
    asks = {"n": 0}
    original = HostLogPane.refresh

    def refresh(self, *regions, layout=False, **kwargs):
        asks["n"] += bool(layout)
        return original(self, *regions, layout=layout, **kwargs)

    monkeypatch.setattr(HostLogPane, "refresh", refresh)
    hosts = [(f"wa-core-{i}", "coreapp") for i in range(1, 51)]
    assert len(hosts) > TABLE_ABOVE
    app = StepLike()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        grid = HostLogGrid(hosts, id="host-grid", classes="-main")
        await app.screen.mount(grid)
        await pilot.pause()
        await pilot.pause()
        shown = [pane for pane in grid.panes if pane.display]
        assert len(shown) == 1 and shown[0].size.height > 5
        assert all(str(pane.styles.height) == "1fr" for pane in grid.panes)
        assert asks["n"] <= 2 * len(hosts) + 4, asks


class StatusLine(App):
    CSS = "#status { width: 1fr; height: auto; } #elapsed { width: 12; }"

    def compose(self):
        with Horizontal(id="progress-row"):
            yield Static("Ready: press ctrl+r (or Next) to run this step.", id="status")
            yield Static("", id="elapsed")
        yield FindingsList(mask=str, id="step-findings")


async def test_a_status_line_is_laid_out_again_only_when_its_height_changes(monkeypatch):
    """A step's start and end changed its status line with ``Static.update``, which lays the whole screen out (the
    step's first and last frames, 25-30 ms at 180x50, behind which the slowest keys of the streaming benchmark
    waited). The line's width is the layout's: only a new height needs a layout. Clearing the findings of a step that
    had none redraws nothing."""
    app = StatusLine()
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        status = app.query_one("#status", Static)
        findings = app.query_one(FindingsList)
        assert status.size.height == 1
        layouts = count_layouts(monkeypatch)
        set_status_text(status, Text("Step 6 running…", style="bold yellow"))
        findings.clear()
        await pilot.pause()
        assert layouts == []
        assert "Step 6 running…" in str(status.render()) and status.size.height == 1
        set_status_text(status, "✔ Step 6 done. " + "all hosts answered " * 6)  # wraps: two lines or more
        await pilot.pause()
        await pilot.pause()
        assert layouts and status.size.height >= 2
        layouts.clear()
        set_status_text(status, "short again")
        await pilot.pause()
        await pilot.pause()
        assert layouts and status.size.height == 1
        findings.add(Finding("K", "warning", "a finding", "do this", "wa-core-1", ""))
        await pilot.pause()
        assert findings.display and "a finding" in findings.plain


class ResultsLine(App):
    CSS = "#results { height: auto; }"  # as the run screens' results line: no width rule, the container's width

    def compose(self):
        yield FlowLine("ctrl+l follow/pause the panes · ctrl+s save them to files", id="results", classes="hint")
        yield Static("below", id="below")


async def test_a_results_line_without_a_width_rule_is_laid_out_again_only_when_its_height_changes(monkeypatch):
    """While 50 hosts started at once, each finished host redrew the run screen's results line (``✔ 12 ok · 38 not
    finished``) with ``Static.update``: 50 layouts of the whole screen, behind which the benchmark's slowest keys
    waited. The line has no width rule (it takes its container's width, whatever it shows): only a new height needs a
    layout."""
    app = ResultsLine()
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        results = app.query_one("#results", FlowLine)
        assert results.styles.width is None and results.size.height == 1
        layouts = count_layouts(monkeypatch)
        hosts = [f"wa-core-{i}" for i in range(1, 51)]
        for done in range(1, 51):
            set_status_text(results, host_summary(50, hosts[:done], []))
            await pilot.pause()
        assert layouts == []
        assert str(results.render()) == "✔ 50 ok · 50 host(s)" and results.size.height == 1
        set_status_text(results, host_summary(50, hosts[3:], hosts[:3]))  # the failed names: two lines at 60 cells
        await pilot.pause()
        await pilot.pause()
        assert layouts and results.size.height == 2
        assert app.query_one("#below").region.y == 2  # what is under the line moved down


class CancelApp(App):
    BINDINGS = [Binding("ctrl+r", "run_step", "Run"), Binding("ctrl+x", "cancel_step", "Cancel"),
                Binding("f2", "toggle_monitor", "Monitor")]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False

    def compose(self):
        yield KeyFooter()

    def check_action(self, action: str, parameters) -> bool | None:
        return self.busy if action == "cancel_step" else True


def footer_row(app: App) -> list:
    """The footer's line as drawn: (text, style) of each segment."""
    strips = app.screen._compositor.render_strips()
    return [(segment.text, segment.style) for segment in strips[-1]]


async def test_the_cancel_key_comes_and_goes_in_its_slot_and_looks_as_a_recomposed_footer(monkeypatch):
    """The footer keeps a hidden slot for Cancel (shown only while a step or an operation runs): its coming and going
    changes that key's display (one layout of the footer's row) instead of recomposing the footer (every key removed
    and mounted again: two layouts of the whole screen at a step's start and two at its end, issue 17); shown for the
    first time, it asks for no second layout. The footer is
    drawn exactly as the recomposed footer (no slot) draws it, with and without Cancel."""
    drawn: dict[bool, dict[bool, list]] = {}
    for slot in (True, False):
        if not slot:
            monkeypatch.setattr("wabiz_tui.tui.widgets.key_footer.COMES_AND_GOES", frozenset())
        app = CancelApp()
        async with app.run_test(size=(80, 6)) as pilot:
            await settle(pilot, count_layouts(monkeypatch))
            footer = app.query_one(KeyFooter)
            keys = list(footer.query(FooterKey))
            recomposed: list[int] = []
            monkeypatch.setattr(KeyFooter, "recompose", lambda self, _r=KeyFooter.recompose: (recomposed.append(1), _r(self))[1])
            drawn[slot] = {}
            for i, busy in enumerate((False, True, False, True)):
                layouts = count_layouts(monkeypatch)
                app.busy = busy
                app.refresh_bindings()
                await pilot.pause()
                await pilot.pause()
                await pilot.pause()
                if slot:  # one layout of the screen when Cancel comes or goes (its first size asks for no second)
                    assert len(layouts) == (1 if i else 0), (busy, layouts)
                shown = [k.action for k in footer.query(FooterKey) if k.display and not k.has_class("-command-palette")]
                assert shown == (["run_step", "cancel_step", "toggle_monitor"] if busy else ["run_step", "toggle_monitor"])
                drawn[slot].setdefault(busy, footer_row(app))
                assert footer_row(app) == drawn[slot][busy]
            if slot:
                assert recomposed == [] and list(footer.query(FooterKey)) == keys  # the same widgets all along
            else:
                assert len(recomposed) == 3  # each change of the keys shown
            monkeypatch.undo()
    assert drawn[True] == drawn[False]
    assert "Cancel" in "".join(text for text, _ in drawn[True][True])
    assert "Cancel" not in "".join(text for text, _ in drawn[True][False])


async def test_cancel_appears_in_the_frame_already_due_and_leaves_in_the_next_one(monkeypatch):
    """Cancel appearing as a step starts was laid out in the frame after the step's start, the one that also drew the
    panes' first screenful: the streaming step's slowest frame (issue 17, round s10). It now joins the frame already
    due (the step's start, light since the panes' status no longer repaints them); leaving, it still waits until the
    frame due (the step's end, the heavier one then) is drawn."""
    seen: list[bool] = []
    watched: list[FooterKey] = []
    original = Screen._on_timer_update

    def update(self):  # patched before the app exists: the screen's timer holds the method it was given
        if watched:
            seen.append(watched[0].display)
        return original(self)

    monkeypatch.setattr(Screen, "_on_timer_update", update)
    app = CancelApp()
    async with app.run_test(size=(80, 6)) as pilot:
        await settle(pilot, count_layouts(monkeypatch))
        watched.append(next(k for k in app.query_one(KeyFooter).query(FooterKey) if k.action == "cancel_step"))
        for busy in (True, False, True):
            seen.clear()
            app.busy = busy
            app.refresh_bindings()
            app.screen.refresh()  # the frame already due (the step's start or end)
            for _ in range(4):
                await pilot.pause()
            assert watched[0].display is busy
            assert seen and seen[0] is True and seen[-1] is busy, (busy, seen)



def test_a_pane_status_set_before_any_app_runs_is_kept():
    """As Textual's own restyle: without an active app a status change restyles nothing and raises nothing (s10
    review: the pane-only restyle had dropped Textual's guard)."""
    pane = HostLogPane("wa-core-1", "docker-compose up -d")
    pane.set_status("running")
    assert pane.status == "running" and "-running" in pane.classes


async def test_after_a_step_starts_its_status_line_and_counter_ask_for_no_layout(monkeypatch, tmp_path):
    """As a step with host panes starts, the status line narrows and the elapsed counter gets its room in the start
    frame's layout. After it, neither asks for another: not when the layout resized them (``widgets.sized``), not
    for the counter's first ticks (they fit its room), not for the results line as its first host finishes (its
    height is the same) (s11: the counter sized by its text asked for two more layouts as the panes' first lines
    came). Textual's own second layout for the panes' scrollbars is not counted here."""
    from .test_snapshots import StreamingInstall, make_app, show_step

    layouts = count_layouts(monkeypatch)
    asked: list[tuple[int, str]] = []
    original = Widget.refresh

    def refresh(self, *regions, repaint=True, layout=False, recompose=False):
        if layout and self.id in ("status", "elapsed", "results"):
            asked.append((len(layouts), self.id))
        return original(self, *regions, repaint=repaint, layout=layout, recompose=recompose)

    monkeypatch.setattr(Widget, "refresh", refresh)
    app = make_app(engine=StreamingInstall, log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await show_step(app, pilot, 6)
        for _ in range(3):
            await pilot.pause()
        layouts.clear()
        asked.clear()
        await pilot.press("ctrl+r")
        for _ in range(12):  # the counter ticks every 0.5 s: its first texts (0/3 hosts, then 1/3) come meanwhile
            await pilot.pause(0.1)
        elapsed = app.screen.query_one("#elapsed")
        assert "hosts ·" in str(elapsed.render()), elapsed.render()
        assert layouts and [who for after, who in asked if after >= 1] == [], asked
        # a 50-host step's counter fits its room too (s11 review: 18 cells for a 19-cell text)
        assert elapsed.content_size.width >= len("50/50 hosts · 00:00"), elapsed.content_size
        await pilot.press("ctrl+x")
        await pilot.pause(0.2)
