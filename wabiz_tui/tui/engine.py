"""Builds the install engine (``workflows.ha_install.HaInstall``) the wizard drives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..domain.model import ClusterProfile

WorkflowFactory = Callable[..., Any]


def default_workflow_factory(profile_path: Path | None = None, *, demo_speed: float | None = None) -> WorkflowFactory:
    """A factory ``(profile, emit=...) -> HaInstall`` with the app's settings.

    The settings trust the app's known_hosts plus the profile's own file. For the demo
    (``demo_speed`` set) ``~/.ssh/config`` is ignored and health polling is scaled by the speed.
    """

    def factory(profile: ClusterProfile, *, emit: Callable[[Any], None]) -> Any:
        from ..config.paths import app_paths
        from ..workflows.ha_install import HaInstall
        from ..workflows.settings import default_settings

        settings = default_settings(profile, app_paths(), profile_path=profile_path,
                                    read_user_config=demo_speed is None)
        if demo_speed is not None:
            settings.poll_interval = max(0.1, 2.0 * demo_speed)
        return HaInstall(profile, emit=emit, settings=settings)

    return factory
