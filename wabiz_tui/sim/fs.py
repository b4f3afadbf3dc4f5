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
    """Maps virtual absolute POSIX paths of one host to real paths under ``root``.

    ``mounts`` maps a virtual directory to a real directory outside the root, the way an NFS mount
    puts the same tree on several hosts: paths under it resolve there (and cannot escape it).
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.mounts: dict[str, Path] = {}

    def mount(self, vdir: str, real_dir: Path) -> None:
        """Make virtual ``vdir`` (absolute) show ``real_dir``; a mount point directory appears under the root."""
        vdir = self.normalize("/", vdir)
        real_dir = Path(real_dir).resolve()
        real_dir.mkdir(parents=True, exist_ok=True)
        self.root.joinpath(*[p for p in vdir.split("/") if p]).mkdir(parents=True, exist_ok=True)
        self.mounts[vdir] = real_dir

    def _mounted(self, norm: str) -> Path | None:
        for vdir in sorted(self.mounts, key=len, reverse=True):
            if norm == vdir or norm.startswith(vdir + "/"):
                base = self.mounts[vdir]
                candidate = base.joinpath(*[p for p in norm[len(vdir):].split("/") if p])
                try:
                    resolved = candidate.resolve()
                except OSError:  # pragma: no cover - loops etc.
                    return base
                return candidate if resolved == base or base in resolved.parents else base
        return None

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
        mounted = self._mounted(norm) if self.mounts else None
        if mounted is not None:
            return mounted
        candidate = self.root.joinpath(*[p for p in norm.split("/") if p])
        try:
            resolved = candidate.resolve()
        except OSError:  # pragma: no cover - loops etc.
            return self.root
        if resolved != self.root and self.root not in resolved.parents:
            return self.root
        return candidate

    def virtual(self, real: Path) -> str:
        """Inverse of :meth:`real` for a path under the root or a mount."""
        for vdir, base in self.mounts.items():
            if Path(real) == base or base in Path(real).parents:
                rel = os.path.relpath(real, base)
                return vdir if rel == "." else posixpath.join(vdir, rel.replace(os.sep, "/"))
        rel = os.path.relpath(real, self.root)
        return "/" if rel == "." else "/" + rel.replace(os.sep, "/")
