"""Shared fixtures: the app's directories live in a temporary folder, never in the real home (helpers: tests/support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WABIZ_TUI_HOME", str(tmp_path / "wabiz-home"))


_SECONDS_BY_FILE: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add each phase's duration (seconds) to its test file's total, for the summary below."""
    path = report.nodeid.split("::", 1)[0]
    _SECONDS_BY_FILE[path] = _SECONDS_BY_FILE.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print where the run's time went, per tier (the folder under tests/) and for the slowest files: CI has to stay
    well inside its limit, and this says which tier to look at first."""
    if not _SECONDS_BY_FILE:
        return
    tiers: dict[str, float] = {}
    for path, seconds in _SECONDS_BY_FILE.items():
        parts = path.split("/")
        tier = "/".join(parts[:2]) if len(parts) > 2 else parts[0] + " (top level)"
        tiers[tier] = tiers.get(tier, 0.0) + seconds
    terminalreporter.section("time per tier")
    for tier, seconds in sorted(tiers.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:8.1f} s  {tier}")
    terminalreporter.write_line("slowest files:")
    for path, seconds in sorted(_SECONDS_BY_FILE.items(), key=lambda item: -item[1])[:15]:
        terminalreporter.write_line(f"{seconds:8.1f} s  {path}")
