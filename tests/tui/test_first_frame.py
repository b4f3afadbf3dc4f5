"""What keeps the first frame of a screen and the repaints of a running step cheap (issue 8): no
redundant restyle of a whole screen, breakpoint classes set when a screen is built, a frozen
start-up for the garbage collector, counters that do not lay the screen out, and the host rows'
own layout (two containers, the error line mounted with the first error)."""

from __future__ import annotations

import gc

from textual.app import App
from textual.widgets import Input, Static

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.hosts import HostRow
from wabiz_tui.tui.widgets.body_scroll import BodyScroll, focus_styles_descendants
from wabiz_tui.tui.widgets.ticker import set_ticker

from .fake_engine import FakeHaInstall, sample_profile
from .test_layout_requests import count_layouts


def wizard(tmp_path, **kwargs) -> WabizApp:
    return WabizApp(sample_profile(), workflow_factory=lambda p, emit: FakeHaInstall(p, emit=emit),
                    log_dir=tmp_path / "logs", **kwargs)


def count_screen_restyles(app: App, monkeypatch, minimum: int) -> list[int]:
    """Record every ``update_nodes`` pass over at least ``minimum`` nodes (a whole-screen restyle)."""
    sizes: list[int] = []
    original = app.stylesheet.update_nodes

    def update_nodes(nodes, animate=False):
        nodes = list(nodes)
        if len(nodes) >= minimum:
            sizes.append(len(nodes))
        return original(nodes, animate=animate)

    monkeypatch.setattr(app.stylesheet, "update_nodes", update_nodes)
    return sizes


async def test_the_step_1_screen_is_styled_once_on_its_first_frame(tmp_path, monkeypatch):
    app = wizard(tmp_path)
    restyles = count_screen_restyles(app, monkeypatch, minimum=40)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.screen.name == "step1" and isinstance(app.screen.focused, BodyScroll)
        # Textual would restyle it on its first resume, on its breakpoint classes and twice for the
        # body's focus: each a pass over 100-145 widgets
        assert restyles == []


async def test_a_screen_shown_again_after_a_theme_change_takes_the_new_theme(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        title = app.screen.query_one("#step-title")
        before = title.rich_style
        await pilot.press("f2")  # the monitor
        await pilot.pause()
        await pilot.press("ctrl+t")  # theme change while step 1 is hidden
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.name == "step1"
        assert title.rich_style != before  # the background follows the theme


async def test_breakpoint_classes_set_at_build_are_the_ones_textual_keeps(tmp_path):
    for size in ((160, 48), (130, 40), (100, 30), (80, 24)):
        app = wizard(tmp_path)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            textual_classes = {c for c in app.screen.classes if c in {"-narrow", "-medium", "-wide", "-short", "-tall"}}
            assert app.breakpoint_classes() == textual_classes, size


async def test_the_body_focus_check_sees_a_rule_that_styles_descendants_by_focus():
    class Plain(App):
        def compose(self):
            with BodyScroll(id="body"):
                yield Input()

    class Styled(Plain):
        CSS = "BodyScroll:focus Input { background: red; }"

    for cls, expected in ((Plain, False), (Styled, True)):
        app = cls()
        async with app.run_test() as pilot:
            await pilot.pause()
            assert focus_styles_descendants(app.stylesheet, app.query_one(BodyScroll)) is expected


async def test_the_focused_body_restyles_its_descendants_when_a_rule_needs_it():
    class Styled(App):
        CSS = "BodyScroll:focus Input { background: red; }"

        def compose(self):
            with BodyScroll(id="body"):
                yield Input(id="i")
            yield Input(id="other")

    app = Styled()
    async with app.run_test() as pilot:
        app.query_one("#other").focus()
        await pilot.pause()
        inner = app.query_one("#i")
        unfocused = inner.styles.background
        app.query_one(BodyScroll).focus()
        await pilot.pause()
        assert inner.styles.background != unfocused


async def test_freeze_gc_freezes_the_start_up_and_the_first_screen_only_when_asked(tmp_path):
    gc.unfreeze()
    try:
        app = wizard(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert gc.get_freeze_count() == 0
        app = wizard(tmp_path, freeze_gc=True)
        after_init = gc.get_freeze_count()
        assert after_init > 0
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert gc.get_freeze_count() > after_init  # the first screen's widgets too
    finally:
        gc.unfreeze()


async def test_freeze_gc_freezes_a_screen_built_after_the_first_one(tmp_path):
    """Step 5's screen (50 host panes) is built after on_ready: unfrozen, each full collection re-scanned it
    (48-83 ms of the UI thread, the worst frames of a 50-host preflight, s10)."""
    gc.unfreeze()
    try:
        for freeze in (False, True):
            app = wizard(tmp_path, freeze_gc=freeze)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                before = gc.get_freeze_count()
                app.goto_step(2)
                await pilot.pause()
                screen = app.screen
                assert screen.name == "step2"
                assert (gc.get_freeze_count() > before) is freeze
                assert any(o is screen for o in gc.get_objects()) is not freeze  # frozen: out of the collector's sight
            gc.unfreeze()
    finally:
        gc.unfreeze()


async def test_a_pane_grid_replaced_after_a_freeze_is_not_left_frozen(tmp_path):
    """The hosts changed after a step's screen was built and frozen: its pane grid is replaced, and the old one must
    not stay frozen (a frozen widget is in a reference cycle the collector never frees: s10 review)."""
    import dataclasses
    import weakref

    from wabiz_tui.tui.widgets.host_log import HostLogGrid

    gc.unfreeze()
    try:
        app = wizard(tmp_path, freeze_gc=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.goto_step(2)
            await pilot.pause()
            old = weakref.ref(app.screen.query_one(HostLogGrid))
            app.goto_step(1)
            await pilot.pause()
            hosts = tuple(dataclasses.replace(h, external_hostname=f"{h.external_hostname}-b") for h in app.profile.hosts)
            app.set_profile(dataclasses.replace(app.profile, hosts=hosts))
            app.goto_step(2)
            await pilot.pause()
            await pilot.pause()
            assert app.screen.query_one(HostLogGrid) is not old()
            # in the collector's sight again: freed once Textual's caches let it go
            assert any(o is old() for o in gc.get_objects()), "the replaced pane grid stays frozen"
    finally:
        gc.unfreeze()


class Counter(Static):
    layouts: list[bool]

    def update(self, content="", *, layout: bool = True) -> None:
        self.layouts.append(layout)
        super().update(content, layout=layout)


async def test_a_counter_lays_the_screen_out_only_when_its_size_can_change(monkeypatch):
    """A counter whose width the layout sets (a step's ``#elapsed``: 20 cells) is laid out again only when its height
    changes: its first text after a step starts no longer lays the screen out. One whose width is its text's (auto)
    is laid out again when the text's length changes."""
    class CounterApp(App):
        def compose(self):
            for name, width in (("fixed", 10), ("auto", None)):
                counter = Counter("", id=name)
                counter.layouts = []
                if width:
                    counter.styles.width = width
                else:
                    counter.styles.width = "auto"
                yield counter

    app = CounterApp()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        fixed, auto = app.query_one("#fixed", Counter), app.query_one("#auto", Counter)
        layouts = count_layouts(monkeypatch)
        set_ticker(fixed, "00:01")  # the first text, one line in its 10 columns like the empty one
        set_ticker(fixed, "00:01")  # unchanged: not redrawn
        set_ticker(fixed, "00:02")
        await pilot.pause()
        assert fixed.layouts == [False, False] and layouts == []
        assert fixed.size.height == 1 and "00:02" in str(fixed.render())
        set_ticker(fixed, "1/5 hosts · 00:03")  # longer: wraps to two lines in 10 columns
        await pilot.pause()
        await pilot.pause()
        assert layouts and fixed.size.height == 2 and "00:03" in str(fixed.render())
        set_ticker(auto, "00:01")
        set_ticker(auto, "00:02")  # same length: the same size
        set_ticker(auto, "1/5 hosts · 00:03")
        await pilot.pause()
        assert auto.layouts == [True, False, True] and auto.size.width == len("1/5 hosts · 00:03")


async def test_a_host_row_mounts_its_error_line_with_the_first_error_and_hides_it_when_fixed(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        row = app.screen.query(HostRow).first()
        assert not row.query(".row-error") and len(row.children) == 2  # inputs, roles
        port = row.query_one(".c-port", Input)
        port.value = "x"
        app.screen.collect()
        await pilot.pause()
        line = row.query_one(".row-error", Static)
        assert line.display and "hosts[0].ssh.port" in str(line.render())
        assert line.region.y > port.region.y and line.region.width > port.region.width  # under the row
        port.value = "22"
        app.screen.collect()
        await pilot.pause()
        assert not line.display
