"""Figures the reliability tests report; printed in the terminal summary (tests/summary_lines.py), so CI logs show
them even with ``-q``, captured output and the tests run in pytest-xdist workers."""

from tests.summary_lines import summary_line


def report(line: str) -> None:
    """Record one line of figures (and print it, for ``-s`` runs)."""
    summary_line("reliability figures", line)
    print(f"\n{line}", flush=True)
