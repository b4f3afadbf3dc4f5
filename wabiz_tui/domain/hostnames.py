"""Many host names in one short phrase (a dialog at 80x24 must not list 43 names: the s8 trial's M2)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def _order(name: str) -> tuple[str, int, str]:
    match = _NUMBERED.match(name)
    return (match.group(1), int(match.group(2)), name) if match else (name, -1, name)


def host_ranges(names: Iterable[str], limit: int = 4) -> str:
    """``names`` as runs of consecutive numbers, in natural order: ``wa-core-1…wa-core-43`` (43 hosts),
    ``wa-web-1, wa-web-2`` (two names stay names), ``wa-core-1…wa-core-3, wa-core-7``; more than ``limit`` runs:
    the first ``limit`` then ``(+N more)``. With more than two names the count is said first: ``43 hosts:``.
    Empty for no names."""
    ordered = sorted(set(names), key=_order)
    runs: list[list[str]] = []
    last: tuple[str, int] | None = None
    for name in ordered:
        prefix, number, _ = _order(name)
        if runs and last is not None and number >= 0 and last == (prefix, number - 1):
            runs[-1].append(name)
        else:
            runs.append([name])
        last = (prefix, number)
    parts: list[str] = []
    for run in runs:
        parts += [f"{run[0]}…{run[-1]}"] if len(run) > 2 else run
    shown = parts[:limit]
    more = len(ordered) - sum(len(r) if len(r) > 2 else 1 for r in _runs_of(shown, runs))
    text = ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")
    return f"{len(ordered)} hosts: {text}" if len(ordered) > 2 else text


def _runs_of(shown: list[str], runs: list[list[str]]) -> list[list[str]]:
    # the runs (a short run counts name by name) behind the parts shown
    out: list[list[str]] = []
    for run in runs:
        for part in ([run] if len(run) > 2 else [[n] for n in run]):
            out.append(part)
    return out[:len(shown)]
