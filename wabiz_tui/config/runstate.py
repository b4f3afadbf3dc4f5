"""Run state of each cluster, in the state directory, never in the operator's profile (design.md §11).

One JSON file per cluster name, ``<state>/clusters/<name>.json`` (mode 600, written atomically)::

    {"endpoints": [[external_hostname, ssh host, port], ...], "installed": true,
     "installed_version": "2.41.2", "updated": "2026-12-05T00:40:00Z"}

``endpoints`` tell a cluster from another that reuses its name (a fresh demo): the state applies to a
profile only when they share at least one host endpoint, so a cluster that gained a Coreapp keeps its state.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from ..domain.model import ClusterProfile
from .atomic import write_atomic
from .paths import app_paths


def _endpoints(profile: ClusterProfile) -> list[list[str | int]]:
    return sorted([h.external_hostname, h.ssh.alias or h.ssh.host, h.ssh.port] for h in profile.hosts)


def state_path(profile_name: str, directory: Path | None = None) -> Path:
    """The run-state file of the cluster named ``profile_name`` (``directory``: default ``<state>/clusters``)."""
    base = Path(directory) if directory is not None else app_paths().state / "clusters"
    return base / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', profile_name)}.json"


def read_run_state(profile: ClusterProfile, directory: Path | None = None) -> dict[str, Any] | None:
    """The recorded run state of ``profile``'s cluster, or None (none recorded, unreadable, or another
    cluster of the same name)."""
    path = state_path(profile.name, directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    mine = {tuple(e) for e in _endpoints(profile)}
    theirs = {tuple(e) for e in data.get("endpoints", []) if isinstance(e, list)}
    return data if mine & theirs else None


def write_run_state(profile: ClusterProfile, directory: Path | None = None, **changes: object) -> dict[str, Any]:
    """Record ``changes`` (e.g. ``installed=True, installed_version="2.41.2"``) for ``profile``'s cluster.
    Raises ``OSError`` when the state directory cannot be written."""
    data = read_run_state(profile, directory) or {}
    data.update(changes)
    data["endpoints"] = _endpoints(profile)
    data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write_atomic(state_path(profile.name, directory), json.dumps(data), mode=0o600)
    return data


def apply_run_state(profile: ClusterProfile, legacy_installed: bool | None = None,
                    directory: Path | None = None) -> ClusterProfile:
    """``profile`` with its ``installed`` flag from the run state. ``legacy_installed`` is the ``installed:``
    key an older version wrote into the profile file: it is migrated into the run state once (when none is
    recorded yet), so upgrading wabiz-tui changes nothing the operator sees."""
    state = read_run_state(profile, directory)
    if state is None and legacy_installed is not None:
        try:
            state = write_run_state(profile, directory, installed=bool(legacy_installed),
                                    installed_version=profile.wa_api_version if legacy_installed else "")
        except OSError:
            return profile.with_changes(installed=bool(legacy_installed))
    installed = bool(state and state.get("installed"))
    return profile if profile.installed == installed else profile.with_changes(installed=installed)
