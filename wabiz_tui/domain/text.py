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


class LineSplitter:
    """Turn a byte stream into text lines: incremental UTF-8 decoding with replacement, ANSI stripped.

    ``feed(chunk)`` returns the complete lines in ``chunk`` (no newline); ``close()`` returns the last
    unterminated line, if any. A carriage return inside a line keeps only what follows it (progress bars).
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buf = ""

    def feed(self, chunk: bytes) -> list[str]:
        """Lines completed by ``chunk``."""
        block = self.feed_block(chunk)
        return block.split("\n") if block is not None else []

    def feed_block(self, chunk: bytes) -> str | None:
        """The lines completed by ``chunk`` as one string joined by ``\n`` (no final newline), or None
        when ``chunk`` completes no line. Cleaning a whole read at once keeps the per-line Python work
        off the hot path (log collection, streaming panes)."""
        text = self._buf + self._decoder.decode(chunk)
        cut = text.rfind("\n")
        if cut < 0:
            self._buf = text
            return None
        block, self._buf = text[:cut], text[cut + 1:]
        if "\r" in block:
            return "\n".join(self._clean(line) for line in block.split("\n"))
        return strip_ansi(block) if "\x1b" in block else block

    def close(self) -> list[str]:
        """The final partial line, if any."""
        self._buf += self._decoder.decode(b"", final=True)
        rest, self._buf = self._buf, ""
        return [self._clean(rest)] if rest else []

    @staticmethod
    def _clean(line: str) -> str:
        line = line.rstrip("\r")
        if "\r" in line:
            line = line.rsplit("\r", 1)[1]
        return strip_ansi(line)


class Redactor:
    """Replace every occurrence of the given secrets with ``********`` (empty or tiny ones ignored)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self._secrets:
            if s in text:
                text = text.replace(s, REDACTED)
        return text
