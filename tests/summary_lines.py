"""Lines a test (or a fixture's teardown) wants in the run's terminal summary, under a section's title.

They travel in the test's report (``user_properties``), because with ``pytest -n`` the tests run in pytest-xdist
workers and only the reports reach the process that prints the summary; the hooks are in tests/conftest.py."""

from __future__ import annotations

#: What the report's property is called.
PROPERTY = "summary line"
#: (section, line) recorded in this process and not yet attached to a report.
PENDING: list[tuple[str, str]] = []
#: (section, line) received with the reports, in the process that prints the summary, in arrival order.
RECEIVED: list[tuple[str, str]] = []


def summary_line(section: str, line: str) -> None:
    """Put ``line`` under the summary's section ``section`` (a title; the sections print in first-use order)."""
    PENDING.append((section, line))
