"""The operation screens the app installs: upgrade (F3), logs (F4), uninstall (F9)."""

from __future__ import annotations

from .logs import LogsScreen
from .operation import OperationScreen
from .uninstall import UninstallScreen
from .upgrade import UpgradeScreen


def make_operation_screens() -> list[OperationScreen]:
    """New operation screens, each named by its ``OP``."""
    return [UpgradeScreen(), LogsScreen(), UninstallScreen()]
