"""The wizard's sidebar: every step, grouped by procedure, with its label, title and state; click one to go there."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from ..steps import StepState, StepTitle

_ICON = {StepState.PENDING: "○", StepState.RUNNING: "◐", StepState.DONE: "●", StepState.FAILED: "✗",
         StepState.CANCELLED: "⊘", StepState.BLOCKED: "■"}
_STYLE = {StepState.PENDING: "dim", StepState.RUNNING: "bold yellow", StepState.DONE: "green",
          StepState.FAILED: "bold red", StepState.CANCELLED: "yellow", StepState.BLOCKED: "bold yellow"}


class StepItem(Static):
    """One line of the step list."""

    def __init__(self, step: StepTitle) -> None:
        super().__init__(id=f"step-item-{step.number}", classes="step-item")
        self.step = step
        self.state = StepState.PENDING
        self.current = False

    def show(self, state: StepState, current: bool) -> None:
        """Redraw with ``state``; ``current`` marks the step on screen (nothing to do when both are shown)."""
        if (state, current) == (self.state, self.current):
            return  # a step start redraws the list: only the items that changed are repainted
        self.state, self.current = state, current
        self.set_class(current, "-current")
        self.refresh()

    def render(self) -> Text:
        """The line, fitted to the width: the whole title or a shorter name of the step (never a cut word
        when one fits), and the state word only when there is room for it."""
        width = self.size.width or 34
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("▶ " if self.current else "  ", style="bold")
        text.append(f"{_ICON[self.state]} ", style=_STYLE[self.state])
        room = width - 4 - 4  # marker, icon, tag
        with_state = room >= 26
        title_room = max(1, room - (9 if with_state else 0))
        title = self.step.name_within(title_room)
        text.append(f"{self.step.tag + '.':<3} ", style="bold" if self.current else "")
        text.append(f"{title:<{title_room}}", style="bold" if self.current else "")
        if with_state:
            text.append(f" {self.state.value:>7}", style=_STYLE[self.state])
        return text

    def on_click(self) -> None:
        self.post_message(StepList.Selected(self.step.number))


class StepList(Vertical):
    """A sidebar listing the steps with their state (pending/running/done/failed)."""

    @dataclass
    class Selected(Message):
        """The user clicked step ``number``."""

        number: int

    def __init__(self, steps: tuple[StepTitle, ...], current: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps = steps
        self.current = current
        self.border_title = "HA install"

    def compose(self) -> ComposeResult:
        group = self.steps[0].group if self.steps else ""
        for step in self.steps:
            if step.group != group:
                group = step.group
                yield Static(Text(f"── {group} ──", style="bold", no_wrap=True, overflow="ellipsis"),
                             classes="step-group")
            yield StepItem(step)

    def refresh_states(self, states: dict[int, StepState]) -> None:
        """Show ``states`` (step number → state)."""
        for item in self.query(StepItem):
            item.show(states.get(item.step.number, StepState.PENDING), item.step.number == self.current)

    def state_of(self, number: int) -> StepState:
        """The state currently displayed for step ``number``."""
        return self.query_one(f"#step-item-{number}", StepItem).state
