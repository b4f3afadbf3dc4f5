"""The operation screens the app installs: upgrade (F3), logs (F4), uninstall (F9).

They are built (and their engines imported) on first use, not when the app starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .operation import OperationScreen

#: The operations, by the name of their screen (its ``OP``).
OPERATIONS: tuple[str, ...] = ("upgrade", "logs", "uninstall")


def make_operation_screen(name: str) -> OperationScreen:
    """A new screen for the operation ``name`` (one of :data:`OPERATIONS`)."""
    match name:
        case "upgrade":
            from .upgrade import UpgradeScreen as screen
        case "logs":
            from .logs import LogsScreen as screen
        case "uninstall":
            from .uninstall import UninstallScreen as screen
        case _:
            raise KeyError(name)
    return screen()


def make_operation_screens() -> list[OperationScreen]:
    """New operation screens, each named by its ``OP``."""
    return [make_operation_screen(name) for name in OPERATIONS]
