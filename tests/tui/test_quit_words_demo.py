"""The quit words in the demo agree (s9 fresh-user trial): its simulated cluster ends with the app, so no quit
question nor exit message names a resume command there; outside the demo they keep it. Both of the upgrade's
cases: a step running (the first question) and between two steps (a second Ctrl+Q)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wabiz_tui.tui.quitting import DEMO_END, left_words, running_work

from .fake_engine import sample_profile


def stand_in(demo: bool, running_step: bool):
    """An app whose upgrade runs step 3 (``running_step``) or waits between two steps."""
    step = SimpleNamespace(procedure="upgrade", number=3, title="Upgrade Webapps", hosts=["wa-web-1"])
    engine = SimpleNamespace(procedure="upgrade", target="2.43.1", source="2.41.2", steps=(), session=None,
                             record=SimpleNamespace(running=step if running_step else None))
    screen = SimpleNamespace(HEADING="upgrade", engine=engine)
    return SimpleNamespace(demo=object() if demo else None, profile=sample_profile(), profile_path=None,
                           profile_ref=lambda: sample_profile().name,
                           runner=SimpleNamespace(active=SimpleNamespace(step=None, heading="upgrade", label="upgrade")),
                           operation_screens=lambda: [screen], steps=())


@pytest.mark.parametrize("running_step", [True, False], ids=["step-running", "between-steps"])
def test_the_demo_names_no_resume_command_outside_it_does(running_step):
    demo = running_work(stand_in(True, running_step))
    assert demo is not None and DEMO_END in demo.leaves, demo
    for text in (demo.details, left_words(demo.leaves)):  # the question, and the exit message after the quit
        assert "--resume" not in text and "F3, Resume" not in text, text
    real = running_work(stand_in(False, running_step))
    assert real is not None and "--resume --yes` (or F3, Resume) continues" in real.leaves and DEMO_END not in real.leaves
