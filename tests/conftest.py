"""Shared fixtures: the app's directories live in a temporary folder, never in the real home (helpers: tests/support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.summary_lines import PENDING, PROPERTY, RECEIVED


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WABIZ_TUI_HOME", str(tmp_path / "wabiz-home"))


#: The tiers that start real daemons (dockerd, sshd and dnsmasq in namespaces, MariaDB, PostgreSQL), some with fixed
#: names or addresses: under ``pytest -n`` (README's command) they run one after another in one pytest-xdist worker
#: (``--dist loadgroup``) while the other tiers share the rest.
REAL_PARTS = ("lab", "lab_node", "realdocker")
_TESTS = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the group to name the test
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the tests of the real-parts tiers in one xdist group ("real parts")."""
    for item in items:
        path = Path(str(item.path))
        if _TESTS in path.parents and path.relative_to(_TESTS).parts[0] in REAL_PARTS:
            item.add_marker(pytest.mark.xdist_group("real-parts"))


_SECONDS_BY_FILE: dict[str, float] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Attach the summary lines recorded during this phase (tests/summary_lines.py) to its report."""
    report = yield
    while PENDING:
        report.user_properties.append((PROPERTY, PENDING.pop(0)))
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add each phase's duration (seconds) to its test file's total, and keep the summary lines it carries."""
    path = report.nodeid.split("::", 1)[0]
    _SECONDS_BY_FILE[path] = _SECONDS_BY_FILE.get(path, 0.0) + report.duration
    RECEIVED.extend(value for name, value in report.user_properties if name == PROPERTY)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print where the run's time went, per tier (the folder under tests/) and for the slowest files: CI has to stay
    well inside its limit, and this says which tier to look at first."""
    RECEIVED.extend(PENDING)  # recorded after the last report (a session fixture's teardown after -x or ctrl+c)
    PENDING.clear()
    sections: dict[str, list[str]] = {}
    for section, line in RECEIVED:
        sections.setdefault(section, []).append(line)
    for section, lines in sections.items():
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)
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
