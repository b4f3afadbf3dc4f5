"""Test helpers for a step's end: what each pane of a step held when the app recorded the step's outcome; an app
whose step was run to its failure."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane


def lines_at_finish(app: WabizApp, monkeypatch) -> dict[str, int]:
    """A dict filled, when ``app`` records a step's outcome (``finish_step``), with each pane's number of lines then."""
    at_finish: dict[str, int] = {}
    original_finish = type(app).finish_step

    def finish_step(self, number, ok, *args, **kwargs):
        at_finish.update({p.host: len(p.history) for p in self.step_screen(number).query(HostLogPane)})
        return original_finish(self, number, ok, *args, **kwargs)

    monkeypatch.setattr(type(app), "finish_step", finish_step)
    return at_finish


async def open_step(app: WabizApp, pilot, number: int):
    """Steps before ``number`` marked done, ``number``'s screen shown; returns the app's install engine."""
    await pilot.pause()
    app.states.update({n: StepState.DONE for n in range(1, number)})
    app.goto_step(number)
    await pilot.pause()
    return app.ensure_workflow()


@asynccontextmanager
async def failed_step(engine: type, tmp_path: Path, size: tuple[int, int], number: int = 6,
                      **run: Any) -> AsyncIterator[tuple[WabizApp, Any]]:
    """The sample app with the fake ``engine`` run at ``size`` (``run``: more ``run_test`` arguments), step ``number``
    shown, started (ctrl+r) and waited for until it FAILED and the app is idle (60 s at most); yields (app, pilot)."""
    from . import pilot_wait
    from .test_snapshots import make_app, show_step

    app = make_app(engine=engine, log_dir=tmp_path / "logs")
    async with app.run_test(size=size, **run) as pilot:
        await show_step(app, pilot, number)
        await pilot.press("ctrl+r")
        await pilot_wait.until(pilot, lambda: app.state(number) is StepState.FAILED and not app.busy,
                               f"step {number} to fail", 60)
        await pilot.pause()
        yield app, pilot
