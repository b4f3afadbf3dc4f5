"""Where the lab keeps its files, and the ledger of everything a bring-up made (so ``down`` and a failed ``up``
remove exactly that).

``LAB_DIR`` (default ``/var/lib/wabiz-tui-lab``, env ``WABIZ_LAB_DIR``) holds ``keep/`` (survives ``down``: lab CA,
host keys, the client key, the registry's storage) and ``run/`` (one bring-up: hosts' docker data, DB data,
logs, the ledger ``run/state.json``), removed by ``down``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

LAB_DIR = Path(os.environ.get("WABIZ_LAB_DIR", "/var/lib/wabiz-tui-lab"))


class Paths:
    """The lab's directories under ``root``."""

    def __init__(self, root: Path = LAB_DIR):
        self.root = Path(root)
        self.keep = self.root / "keep"
        self.run = self.root / "run"
        self.state = self.run / "state.json"
        self.ca_dir = self.keep / "ca"
        self.registry_data = self.keep / "registry"
        self.client_key = self.keep / "client" / "id_ed25519"
        self.known_hosts = self.keep / "known_hosts"
        self.profile = self.keep / "lab.yaml"
        self.media = self.run / "media"

    def host_keys(self, name: str) -> Path:
        """Directory of the SSH host keys of host ``name`` (kept across ``down``)."""
        return self.keep / "hostkeys" / name

    def host_run(self, index: int) -> Path:
        """Run directory of host ``index`` (``run/hN``, removed by ``down``)."""
        return self.run / f"h{index}"


class Ledger:
    """The bring-up's record, saved to ``run/state.json`` after every change (mode 600).

    Keys: ``hosts`` (list of dicts), ``services`` (name → [pid, start]), ``netns`` (names made), ``links`` (root
    veths made), ``mounts`` (root-namespace mount points mounted), ``dirs`` (mount points created on the
    machine's own filesystem), plus facts (``code``, ``db``, ``versions``…)."""

    def __init__(self, paths: Paths, data: dict | None = None):
        self.paths = paths
        self.data = data if data is not None else {"hosts": [], "services": {}, "netns": [], "links": [],
                                                   "mounts": [], "dirs": [], "phase": "starting"}

    @classmethod
    def load(cls, paths: Paths) -> "Ledger | None":
        """The saved ledger, or None when no lab was brought up."""
        try:
            return cls(paths, json.loads(paths.state.read_text()))
        except (OSError, ValueError):
            return None

    def save(self) -> None:
        """Write the ledger to ``run/state.json`` atomically (temp file + rename), mode 600."""
        self.paths.run.mkdir(parents=True, exist_ok=True)
        tmp = self.paths.state.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=1)
        os.replace(tmp, self.paths.state)

    def add(self, key: str, value) -> None:
        """Append ``value`` to the list ``key`` and save."""
        self.data.setdefault(key, []).append(value)
        self.save()

    def set(self, key: str, value) -> None:
        """Set ``key`` to ``value`` (JSON-serialisable) and save."""
        self.data[key] = value
        self.save()
