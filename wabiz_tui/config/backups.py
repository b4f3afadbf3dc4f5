"""Settings backups on disk: the data ``POST /v1/settings/backup`` returned, with its context.

Files are JSON ``{"cluster", "wa_api_version", "created", "data"}`` written atomically with mode 600
under the data directory's ``backups/``. The backup password is never stored.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .profile import ProfileError


def save_backup(directory: Path, cluster: str, version: str, data: str) -> Path:
    """Write a backup file and return its path (``<cluster>-v<version>-<YYYYmmdd-HHMMSS>.backup.json``)."""
    name = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', cluster)}-v{version}-{time.strftime('%Y%m%d-%H%M%S')}.backup.json"
    doc = {"cluster": cluster, "wa_api_version": version,
           "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "data": data}
    return write_atomic(Path(directory) / name, json.dumps(doc), mode=0o600)


def load_backup(path: Path) -> dict[str, Any]:
    """Read a backup file. Raises :class:`ProfileError` naming the file when it is not one."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{path}: not a readable wabiz-tui backup ({exc.__class__.__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), str):
        raise ProfileError(f"{path}: not a wabiz-tui backup (no 'data')")
    return doc
