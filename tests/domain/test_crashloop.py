"""Judging container state samples over a window (issue 13 item 9); samples as docker 20.10 answered here."""

from __future__ import annotations

from wabiz_tui.domain.crashloop import StateSample, judge_samples, parse_sample


def samples(*lines: str) -> list[StateSample]:
    return [parse_sample(line) for line in lines]


def test_a_crash_loop_is_a_failure_even_when_a_sample_reads_running():
    v = judge_samples("wacore", samples("running 0 3", "running 0 4", "running 0 4"), 4)
    assert not v.ok and v.crash_loop and "crash loop" in v.problem and "4 time(s) (1 in the last 4 s)" in v.problem
    v = judge_samples("wacore", samples("restarting 1 1", "restarting 1 3", "restarting 1 4"), 2)
    assert not v.ok and v.crash_loop and "last exit code 1" in v.problem


def test_steady_running_is_ok_and_earlier_restarts_are_a_note():
    assert judge_samples("waweb", samples("running 0 0", "running 0 0"), 4).ok
    v = judge_samples("waweb", samples("running 0 2", "running 0 2", "running 0 2"), 4)
    assert v.ok and "restarted 2 time(s)" in v.note


def test_stopped_and_missing_containers():
    v = judge_samples("master", samples("exited 137 0", "exited 137 0"), 4)
    assert not v.ok and not v.crash_loop and v.problem == "master is not running (exited (137))"
    assert judge_samples("master", [], 4).problem == "master is not running (no container)"
    assert parse_sample("running 0") is None and parse_sample("") is None
