"""The confirmation dialog's plan summary: hosts as counts and ranges, a resumed run's finished steps said done.

Before (s8 trial 2, N6): a 50-host upgrade confirmation listed ``wa-core-1, wa-core-2, … wa-core-38,`` and ran off an
80x24 screen; a resume confirmation listed finished steps as if they would run again."""

from wabiz_tui.workflows.plan import Action, PlannedStep, ProcedurePlan


def _plan() -> ProcedurePlan:
    cores = tuple(Action(f"wa-core-{n}", "docker-compose up -d wacore") for n in range(1, 44))
    return ProcedurePlan("upgrade", "big", (
        PlannedStep(1, "backup", "Back up the settings", (Action("", "POST /v1/settings/backup"),)),
        PlannedStep(2, "webapps", "Upgrade Webapps", (Action("wa-web-1", "up -d waweb"), Action("wa-web-2", "up -d"))),
        PlannedStep(5, "coreapps", "Upgrade Coreapps", cores, note="one at a time"),
    ))


def test_a_step_on_43_hosts_is_one_short_line():
    lines = _plan().summary()
    assert lines[0] == "1. Back up the settings"
    assert lines[1] == "2. Upgrade Webapps on wa-web-1, wa-web-2"
    assert lines[2] == "5. Upgrade Coreapps on 43 hosts: wa-core-1…wa-core-43 (one at a time)"


def test_a_resumed_runs_finished_steps_are_said_done():
    lines = _plan().summary(done={1, 2})
    assert lines[:2] == ["1. Back up the settings: done, skipped", "2. Upgrade Webapps: done, skipped"]
    assert lines[2].startswith("5. Upgrade Coreapps on 43 hosts")
