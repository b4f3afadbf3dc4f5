"""The wizard's state and the event inbox as plain objects (no app running)."""

from __future__ import annotations

import subprocess
import sys

from wabiz_tui.tui.messages import EventInbox
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.wizard import WizardState
from wabiz_tui.workflows.events import HostOutput, StepFinished, StepStarted

from .fake_engine import sample_profile


def test_the_wizard_state_module_needs_no_textual():
    code = "import sys, wabiz_tui.tui.wizard, wabiz_tui.tui.runner\nprint('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_steps_are_found_by_procedure_and_step():
    wizard = WizardState()
    assert wizard.position("install", 9) == 9
    assert wizard.position("multiconnect", 1) == 10 and wizard.tag(10) == "M1"
    assert wizard.position("multiconnect", 5) is None and wizard.position("upgrade", 1) is None
    assert wizard.target(StepStarted(2, "Health check", procedure="multiconnect"), running=None) == 11
    assert wizard.target(StepFinished(3, True, "ok"), running=None) == 3
    assert wizard.target(HostOutput("h", "line"), running=12) == 12
    assert wizard.target(HostOutput("h", "line"), running=None) == wizard.current


def test_an_installed_profile_opens_on_multiconnect():
    wizard = WizardState.for_profile(sample_profile().with_changes(installed=True))
    assert wizard.current == 10 and wizard.ha_done
    assert [wizard.state(n) for n in range(1, 14)] == [StepState.DONE] * 9 + [StepState.PENDING] * 4
    wizard.reset()
    assert wizard.current == 1 and not wizard.ha_done


def test_the_inbox_keeps_the_order_posts_once_per_burst_and_survives_a_display_error():
    posted, shown, errors = [], [], []
    inbox = EventInbox(lambda: posted.append(1), errors.append)

    def show(event):
        if event == "bad":
            raise ValueError("display")
        shown.append(event)

    first, second = inbox.emitter(show), inbox.emitter(lambda e: shown.append(("op", e)))
    for event in ("a", "bad", "b"):
        first(event)
    second("c")
    assert posted == [1]  # one message for the burst
    inbox.deliver()
    assert shown == ["a", "b", ("op", "c")] and len(errors) == 1
    first("d")
    assert posted == [1, 1]
