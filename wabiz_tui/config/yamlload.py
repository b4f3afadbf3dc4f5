"""A bounded YAML loader for operator files: hostile input is refused quickly, in little memory, with one line.

Bounds, checked on the parser's event stream (PyYAML's parser keeps its own stack, so a 50,000-deep
document is read without recursion) before anything is built:

* ``MAX_BYTES`` of text (a profile is a few KB);
* ``MAX_DEPTH`` levels of nesting (a profile needs 4);
* ``MAX_ALIASES`` aliases, and at most ``MAX_NODES`` nodes once every alias is expanded, so an alias bomb
  ("billion laughs": each anchor repeating the previous one ten times) is refused before it is expanded;
* values of at most ``MAX_VALUE`` characters;
* no explicit tags (``!!python/object``, ``!!binary``, ``!!int``...): a profile holds plain values.

Plain scalars are kept as the exact text written (``0x1A2B3C4D``, ``01234567``, ``12345678.50`` stay
strings, issue 14.6); only ``null``/``~``/empty is read as no value. Fields of another type (ports,
flags) are converted by the profile reader, which names the field when the text is not one.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_NODES = 20_000
#: longest single value (a registration certificate is a few hundred characters)
MAX_VALUE = 16 * 1024
#: longest value echoed in an error message (the rest is cut and its length said)
MAX_ECHO = 60


class YamlLimitError(ValueError):
    """The document is not YAML, or breaks a bound; the message is one line naming the line and the limit."""


def show(value: object, limit: int = MAX_ECHO) -> str:
    """``repr`` of ``value`` cut to ``limit`` characters (with the full length said), for error messages."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(str(value))} characters)"


class PlainText(str):
    """A scalar written without quotes (``true`` in ``self_signed_ok: true``), as opposed to ``'true'``: a flag
    accepts the unquoted words only, as YAML does."""

    __slots__ = ()


#: libyaml's parser when PyYAML was built with it (about 10x faster on a 256 KB document), else PyYAML's own.
#: Both have SafeLoader's constructor and resolver, the only parts used here; the checker sees SafeLoader
#: because the choice is made at run time.
if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextLoader(_BaseLoader):
    """SafeLoader whose plain scalars stay text (only null is resolved); unquoted ones are :class:`PlainText`."""

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
        """A string scalar: unquoted (plain style) as :class:`PlainText`, quoted as plain ``str``. libyaml gives a plain
        scalar style ``""``, PyYAML ``None``: both are falsy."""
        value = self.construct_scalar(node)
        return PlainText(value) if not node.style else value  # libyaml says "" for plain, PyYAML None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """A key written twice is refused (naming the key and its line, never the value, which may be a
        secret): PyYAML would keep the last silently, and the round-trip writer (ruamel.yaml) refuses it."""
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                raise YamlLimitError(f"the key {show(key)} is written twice{_line(key_node)}: keep one of them")
            seen.add(key)
        return super().construct_mapping(node, deep)


_TextLoader.add_constructor("tag:yaml.org,2002:str", _TextLoader.construct_yaml_str)
# a PlainText written back (a profile saved after it was read) is plain text again
yaml.SafeDumper.add_representer(PlainText, yaml.representer.SafeRepresenter.represent_str)


_TextLoader.yaml_implicit_resolvers = {}
_TextLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


def _line(event: object) -> str:
    mark = getattr(event, "start_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


@dataclass(slots=True)
class _Open:
    """A collection being read: its anchor (or None) and its expanded size so far."""

    anchor: str | None
    size: int = 1


def _check_events(text: str) -> None:
    """Walk the events once: depth, aliases, tags, and the expanded size of every anchor."""
    depth = 0
    aliases = 0
    sizes: dict[str, int] = {}
    stack: list[_Open] = []
    total = 0

    def add(n: int, event: yaml.Event) -> None:
        """Count ``n`` more values into the innermost open collection (or the document total); raises YamlLimitError,
        naming ``event``'s line, once the expanded document exceeds MAX_NODES values."""
        nonlocal total
        if stack:
            stack[-1].size += n
        else:
            total += n
        if total + sum(s.size for s in stack) > MAX_NODES:
            raise YamlLimitError(f"more than {MAX_NODES} values once anchors are expanded{_line(event)}: "
                                 "a profile is far smaller (an alias bomb?)")

    for event in yaml.parse(text, Loader=_BaseLoader):
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and not isinstance(event, (yaml.DocumentStartEvent,)):
            raise YamlLimitError(f"the tag {show(tag)}{_line(event)} is not allowed: write plain values (quote text)")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels{_line(event)}: a profile needs 4")
            stack.append(_Open(event.anchor))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            closed = stack.pop()
            if closed.anchor:
                sizes[closed.anchor] = closed.size
            add(closed.size, event)
        elif isinstance(event, yaml.ScalarEvent):
            if len(event.value) > MAX_VALUE:
                raise YamlLimitError(f"a value of {len(event.value)} characters{_line(event)}: values are at most "
                                     f"{MAX_VALUE} characters")
            if event.anchor:
                sizes[event.anchor] = 1
            add(1, event)
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlLimitError(f"more than {MAX_ALIASES} aliases (*name){_line(event)}")
            add(sizes.get(event.anchor or "", 1), event)


def load_yaml(text: str) -> object:
    """Parse ``text`` within the bounds above. Raises :class:`YamlLimitError` (one line, no value echoed whole)."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"{len(text)} characters: a profile is at most {MAX_BYTES // 1024} KB")
    try:
        _check_events(text)
        return yaml.load(text, Loader=_TextLoader)  # noqa: S506 - SafeLoader subclass, plain scalars as text
    except YamlLimitError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or ""
        raise YamlLimitError(f"not valid YAML{where}" + (f": {show(problem, 80)[1:-1]}" if problem else "")) from None
    except RecursionError:
        raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels") from None
