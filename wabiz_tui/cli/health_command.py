"""``wabiz-tui health PROFILE``: judge the cluster once (or ``--watch``), monitoring-plugin exit codes.

The poll loop and the printing are :mod:`wabiz_tui.cli.health` (imported only when the command runs: it needs
the API client).
"""

from __future__ import annotations

import argparse

from ..domain.exitcodes import HealthExit
from .common import add_profile, invalid, load
from .monitor_flags import add_timing_flags, timing_errors
from .output import fail


def register(sub) -> None:
    """Declare ``health``."""
    health = sub.add_parser("health", help="judge the cluster's health once (exit 0 healthy, 1 degraded, 2 failing)",
                            description="Poll GET /v1/health, judge every node against the profile, print the verdict. "
                                        "Exit codes: 0 healthy, 1 degraded, 2 failing, 3 the check could not run.")
    add_profile(health)
    health.add_argument("--json", action="store_true", help="print JSON (one object per poll)")
    health.add_argument("--watch", action="store_true", help="keep polling and print every change until Ctrl-C")
    health.add_argument("--interval", type=float, default=5.0, help="seconds between polls with --watch (default 5)")
    add_timing_flags(health)
    health.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``health`` command: bad input and a check that cannot run answer UNKNOWN (3)."""
    import asyncio
    from .health import run_health

    if args.interval <= 0:
        return fail("--interval must be greater than 0 seconds", HealthExit.UNKNOWN)
    errors = timing_errors(args)
    if errors:
        return fail(str(errors[0]), HealthExit.UNKNOWN)
    try:
        profile, _ = load(args.profile)
    except SystemExit:
        return HealthExit.UNKNOWN
    if invalid(profile):  # a hostname with a tab would otherwise be judged and printed raw, as CRITICAL
        return HealthExit.UNKNOWN
    try:
        return asyncio.run(run_health(profile, as_json=args.json, watch=args.watch, interval=args.interval,
                                      grace=args.grace, poll_floor=args.poll_floor))
    except KeyboardInterrupt:
        return 130
