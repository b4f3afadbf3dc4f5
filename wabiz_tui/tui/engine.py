"""Builds the engines the wizard drives (``HaInstall`` for the 9 HA steps, ``Multiconnect`` for M1-M4)
and the settings every engine of the app shares (operations included)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..domain.model import ClusterProfile

WorkflowFactory = Callable[..., Any]


def engine_settings(profile: ClusterProfile, profile_path: Path | None, demo_speed: float | None) -> Any:
    """``RunSettings`` for any engine of the app: the app's known_hosts plus the profile's, logs in the
    state directory; for the demo (``demo_speed`` set) no ``~/.ssh/config`` and polling scaled by the speed."""
    from ..config.paths import app_paths
    from ..workflows.settings import default_settings

    settings = default_settings(profile, app_paths(), profile_path=profile_path,
                                read_user_config=demo_speed is None)
    if demo_speed is not None:
        settings.poll_interval = max(0.1, 2.0 * demo_speed)
    return settings


def default_workflow_factory(profile_path: Path | None = None, *, demo_speed: float | None = None) -> WorkflowFactory:
    """A factory ``(profile, emit=...) -> HaInstall`` with the app's settings.

    The settings trust the app's known_hosts plus the profile's own file. For the demo
    (``demo_speed`` set) ``~/.ssh/config`` is ignored and health polling is scaled by the speed.
    """

    def factory(profile: ClusterProfile, *, emit: Callable[[Any], None]) -> Any:
        from ..workflows.ha_install import HaInstall

        return HaInstall(profile, emit=emit, settings=engine_settings(profile, profile_path, demo_speed))

    return factory


def default_mc_factory(profile_path: Path | None = None, *, demo_speed: float | None = None) -> WorkflowFactory:
    """A factory ``(profile, emit=...) -> Multiconnect`` with the same settings as the install."""

    def factory(profile: ClusterProfile, *, emit: Callable[[Any], None]) -> Any:
        from ..workflows.multiconnect import Multiconnect

        return Multiconnect(profile, emit=emit, settings=engine_settings(profile, profile_path, demo_speed))

    return factory
