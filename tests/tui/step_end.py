"""Test helper: what each pane of a step held when the app recorded the step's outcome."""

from __future__ import annotations

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
