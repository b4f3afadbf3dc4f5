"""Figures the reliability tests report; printed in the terminal summary (tests/reliability/conftest.py),
so CI logs show them even with ``-q`` and captured output."""

FIGURES: list[str] = []


def report(line: str) -> None:
    """Record one line of figures (and print it, for ``-s`` runs)."""
    FIGURES.append(line)
    print(f"\n{line}", flush=True)
