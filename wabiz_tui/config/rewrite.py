"""Rewriting the operator's profile file with only what a run changed (issue 14.3): comments, order and
quoting kept (ruamel.yaml round trip), written atomically with mode 600, refused when the file changed since
this process read it (:class:`~.profile.ProfileChanged`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..domain.model import ClusterProfile
from .atomic import write_atomic
from .profile import (ProfileChanged, ProfileError, _AnyEnv, _digest, _key, _read_digests, profile_from_dict,
                      profile_to_dict, read_profile_text)
from .yamlload import YamlLimitError, load_yaml


#: where a value sits in a plain profile dict: mapping keys and list indexes, from the top
KeyPath = tuple[str | int, ...]


def _changes(old: Any, new: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    """``(path, new value)`` for every leaf or list item that differs between two plain profile dicts."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[KeyPath, Any]] = []
        for k in new:
            out += _changes(old.get(k, _MISSING), new[k], path + (k,))
        return out + [(path + (k,), _MISSING) for k in old if k not in new]
    if isinstance(old, list) and isinstance(new, list) and len(new) >= len(old):
        out = []
        for i, item in enumerate(new):
            out += _changes(old[i] if i < len(old) else _MISSING, item, path + (i,))
        return out
    return [] if old == new else [(path, new)]


_MISSING = object()


def _apply_change(doc: Any, where: KeyPath, value: Any, new: dict[str, Any]) -> None:
    """Set ``where`` (a key path) to ``value`` in the round-trip document ``doc``. A section the file leaves out
    (or writes empty) takes its whole new value from ``new`` (the profile as plain data), where the file had
    only defaults."""
    node: Any = doc
    whole: Any = new
    for key in where[:-1]:
        whole = whole[key]
        child = node.get(key) if isinstance(node, dict) else node[key] if isinstance(node, list) and isinstance(key, int) and key < len(node) else None
        if not isinstance(child, (dict, list)):
            node[key] = whole
            return
        node = child
    last = where[-1]
    if value is _MISSING:
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and last >= len(node):
        node.append(value)
    else:
        node[last] = value


def update_profile_file(path: Path, profile: ClusterProfile) -> bool:
    """Write into the file at ``path`` only what differs between it and ``profile`` (e.g. ``upgrade``'s new
    ``wa_api_version``, Multiconnect's shards and new host), keeping the operator's comments, order and
    quoting (ruamel.yaml round trip), atomically with mode 600. An ``installed:`` key of an older version
    is dropped (it lives in the run state). Returns False when nothing differed.

    Raises :class:`ProfileChanged` when the file is not what this process read (edited meanwhile), and
    :class:`ProfileError` when it cannot be read."""
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.util import load_yaml_guess_indent

    path = Path(path)
    text = read_profile_text(path)
    try:
        current = profile_from_dict(load_yaml(text), _AnyEnv())
    except (YamlLimitError, ProfileError) as exc:
        raise ProfileError(f"{path}: {exc}") from None
    new = profile_to_dict(profile)
    changes = _changes(profile_to_dict(current), new)
    if not changes:  # nothing to write (an old installed: key alone is no reason to touch the file either)
        return False
    known = _read_digests.get(_key(path))
    if known is not None and known != _digest(text):
        raise ProfileChanged(f"{path}: the file changed since wabiz-tui read it (edited meanwhile?): it is not "
                             "overwritten, so your edits are kept")
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long value (a key path) onto two lines
    try:
        _, indent, dash_offset = load_yaml_guess_indent(text)  # keep the file's own indentation
        rt.indent(mapping=indent or 2, sequence=indent or 2, offset=dash_offset or 0)
        doc = rt.load(text)
    except YAMLError as exc:  # the bounded loader read it; ruamel's message may quote a value (a secret): not shown
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ProfileError(f"{path}: cannot be rewritten keeping its comments (the YAML{where} is not accepted by "
                           "the round-trip writer); make the change by hand") from None
    legacy = isinstance(doc, dict) and "installed" in doc
    for key_path, value in changes:
        _apply_change(doc, key_path, value, new)
    if legacy:
        del doc["installed"]
    out = StringIO()
    rt.dump(doc, out)
    write_atomic(path, out.getvalue(), mode=0o600)
    _read_digests[_key(path)] = _digest(out.getvalue())
    return True
