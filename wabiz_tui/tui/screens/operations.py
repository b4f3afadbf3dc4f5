"""The operation screens the app installs: upgrade (F3), logs (F4), uninstall (F9).

They are built (and their engines imported) on first use, not when the app starts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .operation import OperationScreen

#: Operation name (the screen's ``OP``) -> (module, class) of its screen.
OPERATIONS: dict[str, tuple[str, str]] = {"upgrade": (".upgrade", "UpgradeScreen"),
                                          "logs": (".logs", "LogsScreen"),
                                          "uninstall": (".uninstall", "UninstallScreen")}


def make_operation_screen(name: str) -> OperationScreen:
    """A new screen for the operation ``name``."""
    module, cls = OPERATIONS[name]
    return getattr(import_module(module, __package__), cls)()


def make_operation_screens() -> list[OperationScreen]:
    """New operation screens, each named by its ``OP``."""
    return [make_operation_screen(name) for name in OPERATIONS]
