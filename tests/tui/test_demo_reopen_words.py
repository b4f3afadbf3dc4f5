"""A reopened demo says how the earlier one ended from the earlier cluster's journal (issue 17, s7 trial: "after 13
of 13 steps" though its upgrade had been aborted at step 3)."""

from __future__ import annotations

from tests.domain.test_validation import good_profile
from wabiz_tui.config.paths import app_paths
from wabiz_tui.tui.resume import earlier_demo_note, last_operation, note_demo_end
from wabiz_tui.workflows.journal import Journal


def test_an_aborted_upgrade_is_said_with_its_step():
    profile = good_profile(name="demo")
    journal = Journal.for_cluster(app_paths().journals, profile, "upgrade-2.43.1")
    journal.step_done(1)
    journal.step_done(2)
    journal.record_abort({"at": "2026-12-05T16:00:00Z", "step": 3, "title": "Upgrade Webapps", "hosts": ["wa-web-1"],
                          "reason": "quit from the TUI by the operator (ctrl+q, confirmed)"})
    note_demo_end(13, 13, profile)
    said = earlier_demo_note()
    assert said is not None
    assert "its upgrade to 2.43.1 was aborted during step 3 (Upgrade Webapps)" in said, said
    assert "wizard had finished 13 of 13 steps" in said and "cannot be continued" in said


def test_a_failed_operation_says_where_it_stopped_and_a_finished_one_says_nothing_more():
    profile = good_profile(name="demo")
    journal = Journal.for_cluster(app_paths().journals, profile, "uninstall")
    journal.host_done(1, "wa-core-1")
    assert last_operation(profile) == {"procedure": "uninstall", "last_done": 0, "aborted": None}
    note_demo_end(9, 13, profile)
    assert "its uninstall stopped before any step finished (its wizard had finished 9 of 13 steps)" in \
        earlier_demo_note()
    journal.clear()  # a finished procedure clears its journal: only the wizard's count is left to say
    note_demo_end(9, 13, profile)
    said = earlier_demo_note()
    assert "The earlier demo ended at" in said and ": its wizard had finished 9 of 13 steps;" in said, said
    assert "uninstall" not in said


def test_another_clusters_journal_is_not_read():
    journal = Journal.for_cluster(app_paths().journals, good_profile(name="demo"), "multiconnect")
    journal.record_abort({"step": 1, "title": "Set shards"})
    other = good_profile(name="prod")
    assert last_operation(other) is None
