"""The programs inside the lab's stand-in images ``docker.whatsapp.biz/web:vX`` and
``docker.whatsapp.biz/coreapp:vX`` (issue 12 item 2, design.md §9).

:func:`image_tree` gives the files to put into an image; :data:`IMAGE_ENV` the environment the
image must set. The node itself is the ``wanode`` package beside this module plus the simulator's
``wabiz_tui/sim/rules.py`` copied in as ``wanode/rules.py``: one set of cluster rules, two storages.
Runtime in the image: Debian bookworm ``python3`` (3.11) with ``python3-pymysql`` and
``python3-psycopg2``, the ``openssl`` binary and busybox (``nc``).
"""

from __future__ import annotations

import re
from pathlib import Path

from ...sim import rules as _rules

HERE = Path(__file__).resolve().parent
BIN = "/opt/whatsapp/bin"
LIB = "/opt/whatsapp/lib"
KINDS = ("web", "coreapp")

#: Environment the image sets (``ENV`` lines of its Dockerfile).
IMAGE_ENV: dict[str, str] = {"PYTHONPATH": LIB, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def image_tree(kind: str, version: str) -> dict[str, tuple[bytes, int]]:
    """Files of the ``kind`` image (``"web"`` or ``"coreapp"``) for ``version`` (``"2.41.2"``, no ``v``).

    Returns absolute path inside the image → (content, mode): ``/opt/whatsapp/bin/wait_on_mysql.sh``,
    ``wait_on_postgres.sh``, ``launch_within_docker.sh`` (0755) and the package
    ``/opt/whatsapp/lib/wanode/`` (0644) with ``rules.py`` and the baked ``KIND`` and ``VERSION``
    files. Raises ``ValueError`` naming the argument for an unknown kind or a malformed version.
    """
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if not _VERSION.match(version or ""):
        raise ValueError(f"version: {version!r} is not of the form 2.41.2 (no leading v)")
    tree: dict[str, tuple[bytes, int]] = {}
    for script in sorted((HERE / "bin").glob("*.sh")):
        tree[f"{BIN}/{script.name}"] = (script.read_bytes(), 0o755)
    pkg = f"{LIB}/wanode"
    for module in sorted((HERE / "wanode").glob("*.py")):
        tree[f"{pkg}/{module.name}"] = (module.read_bytes(), 0o644)
    tree[f"{pkg}/rules.py"] = (Path(_rules.__file__).read_bytes(), 0o644)
    tree[f"{pkg}/KIND"] = (f"{kind}\n".encode(), 0o644)
    tree[f"{pkg}/VERSION"] = (f"{version}\n".encode(), 0o644)
    return tree


def materialise(tree: dict[str, tuple[bytes, int]], root: Path) -> Path:
    """Write ``tree`` under ``root`` (``/opt/...`` → ``root/opt/...``) with its modes; returns ``root``."""
    for path, (content, mode) in tree.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        target.chmod(mode)
    return root
