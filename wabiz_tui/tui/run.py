"""Entry points the CLI calls: the wizard on a profile, the health monitor, and the wizard on a demo session the
CLI started (the TUI never starts the demo itself)."""

from __future__ import annotations

from pathlib import Path

from ..domain.model import ClusterProfile
from .app import WabizApp
from .demo_keys import DemoHooks


def exit_note(app: WabizApp) -> str:
    """What the terminal shows after the app closed: where this run's logs went."""
    from ..config.paths import app_paths

    run_logs = app_paths().logs
    lines = [app.quit_note] if app.quit_note else []
    lines += [f"wabiz-tui: the full output of every run is in {run_logs} (<cluster>-<time>/<host>.log)."]
    if app.saved_logs:
        lines.append(f"wabiz-tui: {len(app.saved_logs)} saved pane(s) (ctrl+s) in {app.log_dir}.")
    elif Path(app.log_dir) != run_logs:
        lines.append(f"wabiz-tui: panes saved with ctrl+s go to {app.log_dir}.")
    return "\n".join(lines)


def _finish(app: WabizApp) -> int:
    from ..workflows.fleet import FleetMember

    if isinstance(app.return_value, FleetMember):  # another cluster chosen in ctrl+k's fleet view: open it
        from .fleet_run import fleet_with, run_fleet_tui, saved_fleet

        members, _here = fleet_with(saved_fleet(), app.profile, app.profile_path)
        return run_fleet_tui(members, first=app.return_value)
    print(exit_note(app), flush=True)
    return app.return_code or 0


def run_wizard_tui(profile: ClusterProfile, profile_path: Path | None = None) -> int:
    """Open the install wizard on ``profile``; returns the exit code."""
    app = WabizApp(profile, profile_path=profile_path, freeze_gc=True)
    app.run()
    return _finish(app)


def run_monitor_tui(profile: ClusterProfile, profile_path: Path | None = None, *,
                    interval: float | None = None, bell: bool = True, grace: float | None = None,
                    poll_floor: float | None = None) -> int:
    """Open the live health monitor on ``profile`` (F2 switches to the wizard); returns the exit code.

    ``interval`` is the first polling interval in seconds (default 5; +/- change it in the app) and
    ``bell`` whether the terminal bell rings when health worsens (``b`` toggles it); ``grace`` and
    ``poll_floor`` (seconds) the flags that win over the profile's (``workflows.settings.monitor_settings``).
    """
    app = WabizApp(profile, profile_path=profile_path, start_on="monitor", monitor_interval=interval, bell=bell,
                    freeze_gc=True)
    app.monitor_grace, app.monitor_poll_floor = grace, poll_floor
    app.run()
    return _finish(app)


async def run_demo_tui(demo: DemoHooks) -> int:
    """Open the wizard prefilled on a running ``demo`` (the caller starts it and stops it after); returns the
    exit code."""
    app = WabizApp(demo.profile, demo=demo, freeze_gc=True)
    await app.run_async()
    return _finish(app)
