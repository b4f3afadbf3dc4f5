"""Settings of a procedure run (timeouts, health polling, trust files, where logs go) and of the health
monitor (grace, poll floor)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config.paths import AppPaths, app_paths
from ..domain.model import ClusterProfile
from ..remote.ssh import PassphraseCallback, SshSettings
from .journal import Journal


@dataclass
class RunSettings:
    """Tunables of a procedure run (seconds unless said otherwise).

    ``health_timeout``: how long the health steps wait for the expected state; ``grace``: how long
    transitional states (``connecting``, ``uninitialized``, 1011) are tolerated after a start;
    ``poll_interval``: time between two health polls; ``command_timeout``: one remote command;
    ``retry_backoff``: first pause before retrying an API call the server refused for now (doubles each time).
    ``journal``: where completed steps and hosts are recorded, so an interrupted run can resume.
    ``preflight``: run the preflight checks before containers start (``run_all``).
    ``state_window``: how long step 6 watches each container (3 samples) so a crash loop under
    ``restart: unless-stopped`` is not taken for a running container (``domain.crashloop``).
    ``log_dir``: where each host's full output is written (None: no files).
    ``profiles_dir``: the saved cluster profiles, read before registering to find the same number in another
    cluster (None: not checked); ``allow_duplicate_number``: register even then (field case R23).
    """

    ssh: SshSettings = field(default_factory=SshSettings)
    poll_interval: float = 2.0
    health_timeout: float = 180.0
    grace: float = 90.0
    command_timeout: float = 900.0
    retry_backoff: float = 1.0
    log_dir: Path | None = None
    profile_path: Path | None = None
    journal: Journal | None = None
    preflight: bool = True
    state_window: float = 4.0
    profiles_dir: Path | None = None
    allow_duplicate_number: bool = False


@dataclass(frozen=True)
class MonitorSettings:
    """The health monitor's timing, in seconds: ``grace`` (a start or failover may leave nodes transitional or a
    shard unserved that long) and ``poll_floor`` (never two polls of one cluster closer than that)."""

    grace: float
    poll_floor: float


def monitor_settings(profile: ClusterProfile, *, grace: float | None = None, poll_floor: float | None = None,
                     default_grace: float | None = None) -> MonitorSettings:
    """The monitor's timing for ``profile``: a flag (``grace``, ``poll_floor``, None when not given) wins over the
    profile's ``monitoring.grace``/``monitoring.poll_floor``, which wins over the defaults (``default_grace``,
    else ``workflows.monitor.DEFAULT_GRACE``; ``DEFAULT_POLL_FLOOR``). Values are not checked here: see
    ``domain.validation.check_monitor_timing``."""
    from .monitor import DEFAULT_GRACE, DEFAULT_POLL_FLOOR

    m = profile.monitoring
    g = grace if grace is not None else m.grace if m.grace is not None else (
        DEFAULT_GRACE if default_grace is None else default_grace)
    f = poll_floor if poll_floor is not None else m.poll_floor if m.poll_floor is not None else DEFAULT_POLL_FLOOR
    return MonitorSettings(g, f)


def default_settings(profile: ClusterProfile, paths: AppPaths | None = None, *, profile_path: Path | None = None,
                     read_user_config: bool = True, passphrase: PassphraseCallback | None = None, trust_new_host_keys: bool = False) -> RunSettings:
    """Settings for ``profile``: trust the app's known_hosts, the profile's own file, and ~/.ssh/known_hosts.
    ``passphrase(key_file)`` is asked for encrypted private keys (the face supplies it; None: refuse them clearly).
    ``trust_new_host_keys`` records unknown host keys in the app's known_hosts (headless TOFU, opt-in)."""
    paths = (paths or app_paths()).ensure()
    trusted = [paths.known_hosts] + ([Path(profile.known_hosts)] if profile.known_hosts else [])
    return RunSettings(ssh=SshSettings(known_hosts=trusted, read_user_config=read_user_config, passphrase=passphrase,
                                       trust_new_keys_into=paths.known_hosts if trust_new_host_keys else None),
                       log_dir=paths.logs, profile_path=profile_path, profiles_dir=paths.profiles,
                       grace=monitor_settings(profile, default_grace=RunSettings.grace).grace)
