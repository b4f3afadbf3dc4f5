"""Filesystem sandbox of one simulated host.

A host's files live under a real directory (its *root*). Remote paths are POSIX paths as the
client sees them (``/home/wa/biz/db.env``); :class:`Sandbox` maps them to real paths under the
root and never lets ``..`` or symlinks escape it.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path


class Sandbox:
    """Maps virtual absolute POSIX paths of one host to real paths under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @staticmethod
    def normalize(cwd: str, path: str) -> str:
        """Join ``path`` to virtual ``cwd`` and normalise; ``..`` above ``/`` stays at ``/``."""
        if not path:
            path = "."
        joined = path if path.startswith("/") else posixpath.join(cwd or "/", path)
        parts: list[str] = []
        for part in joined.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return "/" + "/".join(parts)

    def real(self, vpath: str, cwd: str = "/") -> Path:
        """Real path for virtual ``vpath`` (relative to ``cwd``); symlinks that escape are clamped."""
        norm = self.normalize(cwd, vpath)
        candidate = self.root.joinpath(*[p for p in norm.split("/") if p])
        try:
            resolved = candidate.resolve()
        except OSError:  # pragma: no cover - loops etc.
            return self.root
        if resolved != self.root and self.root not in resolved.parents:
            return self.root
        return candidate

    def virtual(self, real: Path) -> str:
        """Inverse of :meth:`real` for a path under the root."""
        rel = os.path.relpath(real, self.root)
        return "/" if rel == "." else "/" + rel.replace(os.sep, "/")
