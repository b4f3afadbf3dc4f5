"""Work done ahead, in a worker thread once the app's first screen is up, so that a key's turn does not do it
(issue 17: starting step 5's preflight imported its modules, 33-40 ms of the UI loop, and ran the state directories'
write check, an fsync per directory, 34-62 ms under load, on the key that starts it)."""

from __future__ import annotations

import importlib
from typing import Any

#: the modules step 5's gate imports when it starts (``engine.default_preflight``, the preflight's own lazy imports)
PREFLIGHT_MODULES = ("wabiz_tui.workflows.preflight", "wabiz_tui.tui.widgets.preflight_table", "ssl")


def warm_up(runner: Any, directories: list[Any]) -> None:
    """Import :data:`PREFLIGHT_MODULES` and prime ``runner.write_check`` for ``directories`` (its problems, if any,
    are told when a run is asked: the check runs again then). Blocking: call it in a thread."""
    for name in PREFLIGHT_MODULES:
        importlib.import_module(name)
    runner.write_check.problems(directories)
