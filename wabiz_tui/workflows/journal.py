"""A procedure's journal: which steps, and which hosts within a step, completed — so that an
interrupted run (killed process, lost laptop connection, closed terminal) can resume.

One JSON file per profile and procedure under the state directory's ``journals/``, rewritten
atomically after every change (a kill never leaves a torn file). The journal is a hint, never
trusted blindly: the workflow re-checks completed work on the real hosts before skipping it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from ..config.atomic import write_atomic
from ..domain.model import ClusterProfile


class Journal:
    """Completed steps and hosts of one procedure run. ``path`` is the JSON file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.data: dict[str, Any] = {"steps": {}, "notes": {}, "inputs": {}}
        if self.path.is_file():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict) and isinstance(loaded.get("steps"), dict):
                    self.data = {"steps": loaded["steps"], "notes": loaded.get("notes") or {},
                                 "inputs": loaded.get("inputs") if isinstance(loaded.get("inputs"), dict) else {}}
                    if isinstance(loaded.get("aborted"), dict):
                        self.data["aborted"] = loaded["aborted"]
            except (OSError, ValueError):
                pass  # an unreadable journal is an empty one: everything gets re-checked anyway

    @classmethod
    def for_profile(cls, directory: Path, profile_name: str, procedure: str) -> "Journal":
        """The journal of ``procedure`` for the profile named ``profile_name`` in ``directory``."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile_name)
        return cls(Path(directory) / f"{safe}-{procedure}.json")

    @classmethod
    def for_cluster(cls, directory: Path, profile: ClusterProfile, procedure: str) -> "Journal":
        """The journal of ``procedure`` for this very cluster: the name plus a digest of its hosts'
        SSH endpoints, so a new cluster that reuses a name (e.g. a fresh demo) never inherits it."""
        endpoints = sorted((h.external_hostname, h.ssh.alias or h.ssh.host, h.ssh.port) for h in profile.hosts)
        digest = hashlib.sha256(repr(endpoints).encode()).hexdigest()[:10]
        return cls.for_profile(directory, f"{profile.name}-{digest}", procedure)

    @classmethod
    def latest(cls, directory: Path, profile: ClusterProfile, prefix: str) -> "Journal | None":
        """The most recently written journal of this cluster whose procedure starts with ``prefix`` (e.g.
        ``upgrade-`` finds ``upgrade-2.43.1``), or None. Used to resume without naming the run again."""
        stem = cls.for_cluster(directory, profile, prefix).path.name[:-len(".json")]
        found = [p for p in Path(directory).glob(f"{glob_escape(stem)}*.json") if p.is_file()]
        for path in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True):
            journal = cls(path)
            if journal.exists or journal.aborted() is not None:
                return journal
        return None

    @property
    def procedure(self) -> str:
        """The procedure part of the file name after the cluster's (``upgrade-2.43.1``), "" for another name."""
        parts = self.path.stem.split("-")
        # <name>-<10 hex digest>-<procedure>: the digest is the last part of 10 hex digits
        for i in range(len(parts) - 1, -1, -1):
            if len(parts[i]) == 10 and all(c in "0123456789abcdef" for c in parts[i]):
                return "-".join(parts[i + 1:])
        return ""

    @property
    def exists(self) -> bool:
        """True when an earlier run left something to resume."""
        return bool(self.data["steps"])

    def record_abort(self, record: dict[str, Any]) -> None:
        """Record that the run was aborted by the operator (quit, Ctrl-C, SIGTERM): ``record`` is plain JSON
        data, e.g. ``{"at": "2026-12-05T06:40:00Z", "step": 3, "title": "Upgrade Webapps", "hosts": [...],
        "reason": "..."}``. Kept until the procedure finishes (:meth:`clear`) or the next abort replaces it."""
        self.data["aborted"] = dict(record)
        self._save()

    def aborted(self) -> dict[str, Any] | None:
        """What :meth:`record_abort` recorded of the last aborted run (None: the last run was not aborted)."""
        found = self.data.get("aborted")
        return found if isinstance(found, dict) else None

    def _step(self, number: int) -> dict[str, Any]:
        step: dict[str, Any] = self.data["steps"].setdefault(str(number), {"done": False, "hosts": []})
        return step

    def host_done(self, number: int, host: str) -> None:
        """Record that ``host`` finished step ``number``."""
        step = self._step(number)
        if host not in step["hosts"]:
            step["hosts"].append(host)
            self._save()

    def step_done(self, number: int) -> None:
        """Record that step ``number`` finished on every host."""
        self._step(number)["done"] = True
        self._save()

    def is_done(self, number: int) -> bool:
        """Whether step ``number`` was recorded as finished."""
        return bool(self.data["steps"].get(str(number), {}).get("done"))

    def hosts_done(self, number: int) -> set[str]:
        """The hosts recorded as finished in step ``number``."""
        return set(self.data["steps"].get(str(number), {}).get("hosts", []))

    def note(self, key: str, value: str | None = None) -> str | None:
        """Read (``value`` None) or write a small note, e.g. that a registration code was requested."""
        if value is None:
            noted: str | None = self.data["notes"].get(key)
            return noted
        self.data["notes"][key] = value
        self._save()
        return value

    def inputs(self, number: int) -> str | None:
        """The digest of what step ``number`` put on the hosts when it was recorded (None: not recorded,
        e.g. a journal written by an older version)."""
        digest: str | None = self.data["inputs"].get(str(number))
        return digest

    def record_inputs(self, digests: dict[int, str]) -> None:
        """Record the digest of what each step puts on the hosts (``{step: sha256 hex}``) for this run."""
        self.data["inputs"] = {str(n): d for n, d in digests.items()}
        self._save()

    def forget_host(self, number: int, host: str) -> None:
        """Drop ``host`` from step ``number``'s record (the step must run again there; a re-check would pass
        it). The step no longer counts as finished."""
        step = self.data["steps"].get(str(number))
        if step and host in step.get("hosts", []):
            step["hosts"].remove(host)
            step["done"] = False
            self._save()

    def forget(self, number: int) -> None:
        """Drop what is recorded of step ``number`` (it must run again on every host)."""
        if self.data["steps"].pop(str(number), None) is not None:
            self._save()

    def last_done(self) -> int:
        """The highest step number recorded as finished (0 for none)."""
        done = [int(n) for n, s in self.data["steps"].items() if s.get("done")]
        return max(done, default=0)

    def clear(self) -> None:
        """Forget everything (a finished procedure clears its journal)."""
        self.data = {"steps": {}, "notes": {}, "inputs": {}}
        self.path.unlink(missing_ok=True)

    def _save(self) -> None:
        self.data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_atomic(self.path, json.dumps(self.data), mode=0o600)
