"""The shell's lexer and parser: a command line → lists of pipelines of simple commands.

Lists with ``&&``, ``||``, ``;``; pipes ``|``; single/double quotes and backslashes;
``$VAR``/``${VAR}``/``$?`` expansion; ``VAR=value`` prefixes; redirections ``>``, ``>>``, ``2>``,
``2>&1``, ``&>``, ``<``. Errors are :class:`ShellSyntaxError` with bash's wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPS = ("&&", "||", ";", "|", ">>", ">", "2>>", "2>&1", "2>", "&>", "1>", ">&2", "<")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


class ShellSyntaxError(Exception):
    """Unbalanced quotes or a dangling operator."""


@dataclass
class Word:
    """A word after quote removal and expansion; ``assignable`` is False when its ``NAME=`` part was quoted (then it is
    not a variable assignment)."""
    text: str
    assignable: bool = True  # False when the NAME= part was quoted


@dataclass
class Op:
    """An operator token (``&&``, ``|``, ``>``, ``2>&1``...)."""
    text: str


def tokenize(line: str, env: dict[str, str], last_status: int = 0) -> list[Word | Op]:
    """Split a command line into words (quotes removed, variables expanded) and operators."""
    out: list[Word | Op] = []
    buf: list[str] = []
    have_word = False
    quoted_prefix = False
    i, n = 0, len(line)

    def flush() -> None:
        """End the word being read (if any) and append it to the tokens."""
        nonlocal buf, have_word, quoted_prefix
        if have_word:
            out.append(Word("".join(buf), not quoted_prefix))
        buf, have_word, quoted_prefix = [], False, False

    def expand(j: int) -> tuple[str, int]:
        """Expand the ``$`` at ``line[j]`` (``$?``, ``${NAME}``, ``$NAME``, a lone ``$``); returns the text and the
        index after it. Raises ``ShellSyntaxError`` for an unclosed ``${``."""
        # line[j] == '$'
        if j + 1 < n and line[j + 1] == "?":
            return str(last_status), j + 2
        if j + 1 < n and line[j + 1] == "{":
            end = line.find("}", j + 2)
            if end < 0:
                raise ShellSyntaxError("bad substitution")
            name = line[j + 2:end]
            return env.get(name, ""), end + 1
        m = NAME_RE.match(line, j + 1)
        if m:
            return env.get(m.group(0), ""), m.end()
        return "$", j + 1

    while i < n:
        ch = line[i]
        if ch in " \t\n":
            flush()
            i += 1
            continue
        if ch == "#" and not have_word:
            break
        if ch == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unexpected EOF while looking for matching `''")
            if "=" not in "".join(buf):
                quoted_prefix = True
            buf.append(line[i + 1:end])
            have_word = True
            i = end + 1
            continue
        if ch == '"':
            if "=" not in "".join(buf):
                quoted_prefix = True
            i += 1
            have_word = True
            while True:
                if i >= n:
                    raise ShellSyntaxError('unexpected EOF while looking for matching `"\'')
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                    buf.append(line[i + 1])
                    i += 2
                    continue
                if c == "$":
                    val, i = expand(i)
                    buf.append(val)
                    continue
                buf.append(c)
                i += 1
            continue
        if ch == "\\":
            if i + 1 < n:
                if line[i + 1] != "\n":
                    buf.append(line[i + 1])
                    have_word = True
                i += 2
            else:
                i += 1
            continue
        if ch == "$":
            val, i = expand(i)
            buf.append(val)
            have_word = True
            continue
        # operators
        if ch in "&|;><" or (ch in "12" and not have_word and i + 1 < n and line[i + 1] == ">"):
            matched = None
            for op in sorted(_OPS, key=len, reverse=True):
                if line.startswith(op, i):
                    matched = op
                    break
            if matched is None:
                if ch == "&":
                    raise ShellSyntaxError("background jobs (&) are not supported")
                buf.append(ch)
                have_word = True
                i += 1
                continue
            flush()
            out.append(Op("1>" if matched == "1>" else matched))
            i += len(matched)
            continue
        buf.append(ch)
        have_word = True
        i += 1
    flush()
    return out


def split_list(line: str) -> list[tuple[str, str]]:
    """Split at top-level ``&&``, ``||`` and ``;`` (outside quotes): ``[(connector, piece)]``."""
    pieces: list[tuple[str, str]] = []
    conn = ";"
    start = i = 0
    quote: str | None = None
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 2
            continue
        elif ch == "#" and (i == 0 or line[i - 1] in " \t;&|"):
            break
        elif line.startswith(("&&", "||"), i) or ch == ";":
            op = ";" if ch == ";" else line[i:i + 2]
            piece = line[start:i]
            if not piece.strip():
                if op != ";" or pieces:
                    raise ShellSyntaxError(f"syntax error near unexpected token `{op}'")
            else:
                pieces.append((conn, piece))
            conn = op
            i += len(op)
            start = i
            continue
        i += 1
    if quote:
        raise ShellSyntaxError(f"unexpected EOF while looking for matching `{quote}'")
    tail = line[start:i]
    if tail.strip():
        pieces.append((conn, tail))
    elif conn in ("&&", "||"):
        raise ShellSyntaxError("syntax error: unexpected end of file")
    return pieces


@dataclass
class Simple:
    """One simple command: assignments, argv, redirections ``(op, target)``."""

    assigns: dict[str, str] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    redirs: list[tuple[str, str]] = field(default_factory=list)


def parse(tokens: list[Word | Op]) -> list[tuple[str, list[Simple]]]:
    """Return ``[(connector, pipeline)]``; the first connector is ``";"``."""
    result: list[tuple[str, list[Simple]]] = []
    conn = ";"
    pipeline: list[Simple] = []
    cur = Simple()
    i = 0

    def end_simple() -> None:
        """Close the current simple command into the pipeline; raises ``ShellSyntaxError`` if it is empty (an operator
        with nothing before it)."""
        nonlocal cur
        if not cur.argv and not cur.assigns and not cur.redirs:
            raise ShellSyntaxError("syntax error near unexpected token")
        pipeline.append(cur)
        cur = Simple()

    while i < len(tokens):
        t = tokens[i]
        if isinstance(t, Word):
            m = ASSIGN_RE.match(t.text)
            if not cur.argv and m and t.assignable:
                cur.assigns[m.group(1)] = m.group(2)
            else:
                cur.argv.append(t.text)
            i += 1
            continue
        if t.text in ("&&", "||", ";"):
            if cur.argv or cur.assigns or cur.redirs:
                end_simple()
            if pipeline:
                result.append((conn, pipeline))
            elif t.text != ";":
                raise ShellSyntaxError(f"syntax error near unexpected token `{t.text}'")
            pipeline = []
            conn = t.text
            i += 1
            continue
        if t.text == "|":
            end_simple()
            i += 1
            continue
        if t.text in ("2>&1", ">&2"):
            cur.redirs.append((t.text, ""))
            i += 1
            continue
        # redirection with a target
        if i + 1 >= len(tokens) or not isinstance(tokens[i + 1], Word):
            raise ShellSyntaxError("syntax error near unexpected token `newline'")
        cur.redirs.append((t.text, tokens[i + 1].text))  # type: ignore[union-attr]
        i += 2
    if cur.argv or cur.assigns or cur.redirs:
        end_simple()
    if pipeline:
        result.append((conn, pipeline))
    elif conn in ("&&", "||"):
        raise ShellSyntaxError("syntax error: unexpected end of file")
    return result
