"""Text hygiene for remote output: ANSI stripping, incremental decoding, secret redaction."""

from __future__ import annotations

import codecs
import re
from typing import Iterable

# An OSC title never spans lines (\n excluded), so stripping a block of lines equals stripping each line.
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
REDACTED = "********"


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences (colours, cursor moves, OSC titles)."""
    return _ANSI_RE.sub("", text)


#: Cursor movement and erase sequences (CSI A/B/C/D/G/K/J): once a stream uses them it is rendered as a
#: terminal would, not line by line.
_CURSOR_RE = re.compile(r"\x1b\[[0-9;]*[ABCDGKJ]")
#: One terminal token: a CSI sequence (parameters, final letter), another escape, CR, LF, or plain text.
_TOKEN_RE = re.compile(r"\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]?|(\r)|(\n)|([^\x1b\r\n]+)")
#: An image layer's row in ``docker pull`` / compose pull output: ``<12 hex>: <status>[ progress bar]``.
_LAYER_RE = re.compile(r"^([0-9a-f]{12}): ([A-Za-z][A-Za-z ]*?)(?:\s+\[.*|\s+[0-9.]+[kMG]?B.*)?$")
#: Rows a cursor-up may reach back to; older rows are final (compose moves up at most one row per
#: parallel container or image layer).
TERMINAL_WINDOW = 256
#: The furthest column a cursor movement reaches (a terminal stops at its width): ``ESC[999999999C`` in a
#: container's log would otherwise pad a row with a billion spaces. Text written past it is kept whole.
MAX_CURSOR_COLUMN = 4096
#: A complete escape sequence at the start of a string (one cut by a chunk boundary waits for the rest).
_COMPLETE_ESC_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def layer_status(line: str) -> tuple[str, str] | None:
    """``(layer id, status word)`` of a pull progress row such as
    ``3247415d2787: Downloading [=>   ]  36.45kB/1.064MB`` → ``("3247415d2787", "Downloading")``; None
    for any other line. Shape observed from ``docker-compose up -d`` 1.29.2 pulling from a registry on
    dockerd 20.10 here (``tests/fixtures/compose/up_pull.pty``)."""
    m = _LAYER_RE.match(line)
    return (m.group(1), m.group(2)) if m else None


class _Screen:
    """The rows a terminal would show for a byte stream that moves its cursor (docker-compose on a PTY).

    A row is reported when the cursor leaves it with content it has not reported yet, so a row that is
    rewritten in place (``Creating x ... `` then ``Creating x ... done``) is reported with each final
    state, and a pull layer's row is reported once per status word (not once per byte count).
    """

    def __init__(self, history: list[str]):
        self.rows = list(history) + [""]
        self.said: list[str | None] = list(history) + [None]
        self.row = len(history)
        self.col = 0
        self.layers: dict[str, str] = {}

    def _leave(self, out: list[str]) -> None:
        text = self.rows[self.row].rstrip()
        if not text or text == self.said[self.row]:  # a blank row is a placeholder compose fills later
            return
        self.said[self.row] = text
        if text.endswith(": Pulling from " + text.rsplit(" ", 1)[-1]):
            self.layers.clear()  # a new image: its layers are reported afresh
        layer = layer_status(text)
        if layer is not None:
            if self.layers.get(layer[0]) == layer[1]:
                return
            self.layers[layer[0]] = layer[1]
        out.append(text)

    def _move(self, out: list[str], row: int) -> None:
        self._leave(out)
        # a terminal's cursor stops at its last row: ESC[99999999B must not make a hundred million rows
        self.row = max(0, min(row, len(self.rows) - 1 + TERMINAL_WINDOW))
        while self.row >= len(self.rows):
            self.rows.append("")
            self.said.append(None)
        if len(self.rows) > 2 * TERMINAL_WINDOW:  # rows above the window are final and already reported
            drop = len(self.rows) - TERMINAL_WINDOW
            del self.rows[:drop], self.said[:drop]
            self.row -= drop

    def feed(self, text: str, out: list[str]) -> None:
        """Apply ``text`` (decoded, escapes included) to the screen: plain text overwrites at the cursor, LF moves down,
        CR to column 0, CSI sequences move or erase; rows the cursor leaves with new content are appended to ``out``."""
        for m in _TOKEN_RE.finditer(text):
            plain, final = m.group(5), m.group(2)
            if plain is not None:
                row = self.rows[self.row]
                if len(row) < self.col:
                    row = row.ljust(self.col)
                self.rows[self.row] = row[:self.col] + plain + row[self.col + len(plain):]
                self.col += len(plain)
            elif m.group(4) is not None:
                self._move(out, self.row + 1)
                self.col = 0
            elif m.group(3) is not None:
                self.col = 0
            elif final is not None:
                self._csi(m.group(1), final, out)

    def _csi(self, params: str, final: str, out: list[str]) -> None:
        n = int(params) if params.isdigit() else 0
        if final == "A":
            self._move(out, self.row - max(n, 1))
        elif final == "B":
            self._move(out, self.row + max(n, 1))
        elif final == "C":
            self.col = min(max(self.col, MAX_CURSOR_COLUMN), self.col + max(n, 1))
        elif final == "D":
            self.col = max(0, self.col - max(n, 1))
        elif final == "G":
            self.col = min(max(n, 1), MAX_CURSOR_COLUMN) - 1
        elif final == "K":
            row = self.rows[self.row]
            self.rows[self.row] = "" if n == 2 else (row[self.col:].rjust(len(row)) if n == 1 else row[:self.col])

    def close(self, out: list[str]) -> None:
        """End of the stream: report the cursor's row into ``out`` if it holds content not reported yet."""
        self._leave(out)


class LineSplitter:
    """Turn a byte stream into text lines: incremental UTF-8 decoding with replacement, ANSI stripped.

    ``feed(chunk)`` returns the complete lines in ``chunk`` (no newline); ``close()`` returns the last
    unterminated line, if any. A carriage return inside a line keeps only what follows it (progress bars).
    Once the stream moves its cursor (``ESC[1A``, ``ESC[2K``…, as docker-compose 1.29 does on a PTY:
    ``Creating x_1 ... \r\r\n\x1b[1A\x1b[2K\rCreating x_1 ... \x1b[32mdone\x1b[0m\r\x1b[1B``, observed
    here with dockerd 20.10), it is rendered as a terminal would and each row is reported in its final
    words (see :class:`_Screen`); pull progress rows are reported once per layer status.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buf = ""
        self._screen: _Screen | None = None
        self._history = ""

    def feed(self, chunk: bytes) -> list[str]:
        """Lines completed by ``chunk``."""
        block = self.feed_block(chunk)
        return block.split("\n") if block is not None else []

    def feed_block(self, chunk: bytes | memoryview) -> str | None:
        """The lines completed by ``chunk`` as one string joined by ``\n`` (no final newline), or None
        when ``chunk`` completes no line. Cleaning a whole read at once keeps the per-line Python work
        off the hot path (log collection, streaming panes)."""
        text = self._buf + self._decoder.decode(chunk)
        if self._screen is None and "\x1b[" in text and _CURSOR_RE.search(text):
            lines = [self._clean(line) for line in self._history.split("\n")[-TERMINAL_WINDOW:]] if self._history else []
            self._screen = _Screen(lines)
        if self._screen is not None:
            out: list[str] = []
            cut = text.rfind("\x1b")
            if cut >= 0 and len(text) - cut < 64 and not _COMPLETE_ESC_RE.match(text, cut):
                text, self._buf = text[:cut], text[cut:]
            else:
                self._buf = ""
            self._screen.feed(text, out)
            return "\n".join(out) if out else None
        cut = text.rfind("\n")
        if cut < 0:
            self._buf = text
            return None
        block, self._buf = text[:cut], text[cut + 1:]
        self._history = block[-16384:]
        if "\r" in block:
            return "\n".join(self._clean(line) for line in block.split("\n"))
        return strip_ansi(block) if "\x1b" in block else block

    def close(self) -> list[str]:
        """The final partial line, if any (with a cursor-moving stream: every row not reported yet)."""
        self._buf += self._decoder.decode(b"", final=True)
        rest, self._buf = self._buf, ""
        if self._screen is not None:
            out: list[str] = []
            self._screen.feed(rest, out)
            self._screen.close(out)
            return out
        return [self._clean(rest)] if rest else []

    @staticmethod
    def _clean(line: str) -> str:
        line = line.rstrip("\r")
        if "\r" in line:
            line = line.rsplit("\r", 1)[1]
        return strip_ansi(line)


class PullProgress:
    """Per-host image pull progress from the reported lines: layers seen and layers finished
    (``Pull complete`` or ``Already exists``), as docker-compose 1.29 / docker 20.10 word them (observed here:
    ``tests/fixtures/compose/up_pull.pty``)."""

    DONE = ("Pull complete", "Already exists")

    def __init__(self) -> None:
        self.layers: dict[str, str] = {}

    def feed(self, lines: Iterable[str]) -> bool:
        """Take ``lines``; True when the counts changed."""
        changed = False
        for line in lines:
            layer = layer_status(line)
            if layer is not None and self.layers.get(layer[0]) != layer[1]:
                self.layers[layer[0]] = layer[1]
                changed = True
        return changed

    @property
    def done(self) -> int:
        """Layers finished."""
        return sum(1 for s in self.layers.values() if s in self.DONE)

    @property
    def total(self) -> int:
        """Layers seen."""
        return len(self.layers)


class Redactor:
    """Replace every occurrence of the given secrets with ``********`` (empty or tiny ones ignored)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self._secrets:
            if s in text:
                text = text.replace(s, REDACTED)
        return text


def sentence(text: str) -> str:
    """``text`` ending as a sentence: a full stop added unless it ends with ``.``, ``!``, ``?`` or ``…`` (trailing
    spaces dropped), so that a following ``Next: ...`` reads as the next sentence; "" stays ""."""
    text = text.rstrip()
    return text if not text or text.endswith((".", "!", "?", "…")) else f"{text}."
