"""Builds the engines the wizard drives (``HaInstall`` for the 9 HA steps, ``Multiconnect`` for M1-M4, the
preflight gate of step 5) and the settings every engine of the app shares (operations included).

Nothing heavy is imported here at module level: the engines (asyncssh, httpx) load on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..domain.model import ClusterProfile

WorkflowFactory = Callable[..., Any]
#: ``passphrase(key_file) -> str | Awaitable[str]`` for encrypted SSH keys (``SshSettings.passphrase``).
Passphrase = Callable[[str], Any]


def engine_settings(profile: ClusterProfile, profile_path: Path | None, demo_speed: float | None,
                    passphrase: Passphrase | None = None) -> Any:
    """``RunSettings`` for any engine of the app: the app's known_hosts plus the profile's, logs in the
    state directory, ``passphrase`` asked for encrypted keys; for the demo (``demo_speed`` set) no
    ``~/.ssh/config`` and polling (and step 6's state window) scaled by the speed."""
    from ..config.paths import app_paths
    from ..workflows.settings import default_settings

    settings = default_settings(profile, app_paths(), profile_path=profile_path,
                                read_user_config=demo_speed is None, passphrase=passphrase)
    if demo_speed is not None:
        settings.poll_interval = max(0.1, 2.0 * demo_speed)
        settings.state_window = settings.state_window * min(1.0, demo_speed)
    return settings


def install_journal(profile: ClusterProfile) -> Any:
    """The install journal of this cluster (what an interrupted install completed), the same file the
    headless ``install`` uses, so either face resumes the other's run."""
    from ..config.paths import app_paths
    from ..workflows.journal import Journal

    return Journal.for_cluster(app_paths().journals, profile, "install")


def default_workflow_factory(profile_path: Path | None = None, *, demo_speed: float | None = None,
                             passphrase: Passphrase | None = None) -> WorkflowFactory:
    """A factory ``(profile, emit=...) -> HaInstall`` with the app's settings and the install journal.

    The settings trust the app's known_hosts plus the profile's own file. For the demo
    (``demo_speed`` set) ``~/.ssh/config`` is ignored and health polling is scaled by the speed.
    The journal records finished steps and hosts: a resumed run re-checks and skips them.
    """

    def factory(profile: ClusterProfile, *, emit: Callable[[Any], None]) -> Any:
        """A new ``HaInstall`` for ``profile`` that sends its events to ``emit``, with :func:`engine_settings` and the
        cluster's install journal."""
        from ..workflows.ha_install import HaInstall

        settings = engine_settings(profile, profile_path, demo_speed, passphrase)
        settings.journal = install_journal(profile)
        return HaInstall(profile, emit=emit, settings=settings)

    return factory


def default_mc_factory(profile_path: Path | None = None, *, demo_speed: float | None = None,
                       passphrase: Passphrase | None = None) -> WorkflowFactory:
    """A factory ``(profile, emit=...) -> Multiconnect`` with the same settings as the install and the Multiconnect
    journal (``mc_resume``: an interrupted change continues where it stopped)."""

    def factory(profile: ClusterProfile, *, emit: Callable[[Any], None]) -> Any:
        """A new ``Multiconnect`` for ``profile`` that sends its events to ``emit``, with :func:`engine_settings` and
        the cluster's Multiconnect journal."""
        from ..workflows.multiconnect import Multiconnect
        from .mc_resume import multiconnect_journal

        settings = engine_settings(profile, profile_path, demo_speed, passphrase)
        settings.journal = multiconnect_journal(profile)
        return Multiconnect(profile, emit=emit, settings=settings)

    return factory


def default_preflight(engine: Any, profile: ClusterProfile, *, emit: Callable[[Any], None]) -> Any:
    """A ``Preflight`` run with the settings of the wizard's install ``engine`` (same trust files, SSH
    settings, passphrase callback and log directory), but without its journal: the preflight's own
    step numbers must never be recorded as install steps. None when ``engine`` has no such settings
    (a stand-in engine): the wizard then has no preflight gate."""
    settings = getattr(engine, "settings", None)
    if settings is None or not dataclasses.is_dataclass(settings) or not hasattr(settings, "journal"):
        return None
    from ..workflows.preflight import Preflight

    return Preflight(profile, emit=emit, settings=dataclasses.replace(settings, journal=None))


def sync_journal(engine: Any, profile: ClusterProfile) -> None:
    """Keep the engine's install journal on the profile's name (the cluster may be renamed in step 1)."""
    settings = getattr(engine, "settings", None)
    journal = getattr(settings, "journal", None)
    if journal is None:
        return
    expected = install_journal(profile)
    if expected.path != journal.path:
        settings.journal = expected
