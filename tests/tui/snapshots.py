"""SVG snapshots of the app's screens, compared with the files committed under ``tests/tui/snapshots/``.

``await assert_snapshot(pilot, name)`` exports the screen on display (``App.export_screenshot``), drops what changes
from one run to the next without changing the picture (Textual's per-run CSS class numbers), and compares
it with ``snapshots/<name>.svg``. A difference fails and writes the new picture next to the old one as
``<name>.actual.svg`` (open both in a browser). After an intended change, regenerate with
``WABIZ_SNAPSHOT_UPDATE=1 python -m pytest tests/tui/test_snapshots.py`` and commit the files.

The pictures are deterministic: fixed clock (:func:`frozen_clock`), no cursor blink, no animations,
stand-in engines with fixed hosts, versions and output.
"""

from __future__ import annotations

import datetime
import os
import re
import time
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
#: Set to 1 to (re)write the committed snapshots instead of comparing with them.
UPDATE_ENV = "WABIZ_SNAPSHOT_UPDATE"
#: 2026-03-01 09:30:00 UTC: the time every frozen clock shows.
FROZEN_AT = 1772357400.0
_TERMINAL_CLASS = re.compile(r"terminal-\d+")


def normalise(svg: str) -> str:
    """``svg`` without Textual's per-run class numbers (``terminal-1234567-r1`` -> ``terminal-r1``)."""
    return _TERMINAL_CLASS.sub("terminal", svg)


async def settled_svg(pilot, name: str, tries: int = 40) -> str:
    """The screen as SVG once two exports 50 ms apart are equal (a table settles its column widths a
    refresh after its rows arrive)."""
    svg = ""
    for _ in range(tries):
        await pilot.pause(0.05)
        new = normalise(pilot.app.export_screenshot(title=name))
        if new == svg:
            return svg
        svg = new
    raise AssertionError(f"the screen {name!r} did not settle")


async def assert_snapshot(pilot, name: str) -> None:
    """The screen on display equals ``snapshots/<name>.svg`` (written instead when ``WABIZ_SNAPSHOT_UPDATE=1``)."""
    svg = await settled_svg(pilot, name)
    expected = SNAPSHOTS / f"{name}.svg"
    actual = SNAPSHOTS / f"{name}.actual.svg"
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        expected.write_text(svg, encoding="utf-8")
        actual.unlink(missing_ok=True)
        return
    if not expected.exists():
        actual.write_text(svg, encoding="utf-8")
        raise AssertionError(f"no snapshot {expected.name}: look at {actual}, then run with {UPDATE_ENV}=1")
    if svg != expected.read_text(encoding="utf-8"):
        actual.write_text(svg, encoding="utf-8")
        raise AssertionError(f"the screen {name!r} changed: compare {actual} with {expected}; if the change is "
                             f"intended, run with {UPDATE_ENV}=1 and commit the new file")
    actual.unlink(missing_ok=True)


class FrozenClock:
    """Stands for the ``time`` module in the screens that show times: every clock reads :data:`FROZEN_AT`
    (elapsed times stay 00:00), and times are shown in UTC whatever the machine's zone."""

    @staticmethod
    def time() -> float:
        return FROZEN_AT

    @staticmethod
    def monotonic() -> float:
        return 1000.0

    @staticmethod
    def localtime(at: float | None = None) -> time.struct_time:
        return time.gmtime(FROZEN_AT if at is None else at)

    @staticmethod
    def strftime(fmt: str, at: time.struct_time | None = None) -> str:
        return time.strftime(fmt, at or time.gmtime(FROZEN_AT))


class FrozenDatetime(datetime.datetime):
    """``datetime`` for Textual's header clock: ``now()`` is :data:`FROZEN_AT` in UTC."""

    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> FrozenDatetime:
        return cls.fromtimestamp(FROZEN_AT, tz or datetime.timezone.utc)


def frozen_clock(monkeypatch) -> None:
    """Freeze the clocks the screens read (elapsed tickers, timeline and poll times, the header's clock) and
    the cursor blink."""
    from textual.widgets import Input, _header

    from wabiz_tui.tui.screens import base, monitor, operation
    from wabiz_tui.tui.widgets import host_log, summary, timeline

    for module in (base, operation, monitor, summary, timeline, host_log):
        monkeypatch.setattr(module, "time", FrozenClock)
    monkeypatch.setattr(_header, "datetime", FrozenDatetime)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda _self: None)


_SVG_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>')


def svg_lines(svg: str) -> list[str]:
    """The text rows of a Textual SVG screenshot, top to bottom (what a person reads, without colours)."""
    import html

    rows: dict[float, list[tuple[float, str]]] = {}
    for m in _SVG_TEXT.finditer(svg):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    return ["".join(t for _, t in sorted(cells)).replace("\xa0", " ").rstrip() for _, cells in sorted(rows.items())]


def demo_text(svg: str) -> list[str]:
    """:func:`svg_lines` without what differs between two walks of the demo: temporary folders, container ids,
    ports, times and sizes (hex runs and numbers), runs of spaces (column widths follow the numbers)."""
    out = []
    for line in svg_lines(svg):
        line = re.sub(r"/tmp/tmp\w+", "/tmp/…", line)
        line = re.sub(r"\b[0-9a-f]{6,}\b", "#", line)
        line = re.sub(r"\d+", "0", line)
        out.append(re.sub(r"\s+", " ", line))
    return out
