"""The demo: the simulated cluster, the profile that points at it, and the logic of its fault keys.

The session's names are loaded on first use (PEP 562), so importing ``demo.faults`` does not start the
simulator's imports (asyncssh, aiohttp) in a process that only needs the fault keys' logic.
"""

from __future__ import annotations

from typing import Any

_SESSION_NAMES = ("DEMO_ADMIN_PASSWORD", "DEMO_DB_PASSWORD", "DemoSession", "demo_layout", "match_db_to_client", "run_demo",
                  "start_demo")
__all__ = list(_SESSION_NAMES)


def __getattr__(name: str) -> Any:
    if name in _SESSION_NAMES:
        from . import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
