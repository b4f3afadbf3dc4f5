"""``wabiz-tui health PROFILE``: judge the cluster once (or ``--watch``), monitoring-plugin exit codes;
``health --all`` or ``health PROFILE PROFILE...``: every cluster once, in parallel, the worst code (:mod:`.fleet`).

The poll loop and the printing are :mod:`wabiz_tui.cli.health` (imported only when the command runs: it needs
the API client).
"""

from __future__ import annotations

import argparse

from ..domain.exitcodes import HealthExit
from .common import PROFILE_HELP, invalid, load
from .monitor_flags import add_timing_flags, timing_errors
from .output import fail


def register(sub) -> None:
    """Declare ``health``."""
    health = sub.add_parser("health", help="judge the cluster's health once (exit 0 healthy, 1 degraded, 2 failing)",
                            description="Poll GET /v1/health, judge every node against the profile, print the verdict. "
                                        "Exit codes: 0 healthy, 1 degraded, 2 failing, 3 the check could not run. "
                                        "With --all (every saved profile) or several PROFILEs: one line per cluster, "
                                        "polled in parallel, and the worst cluster's exit code.")
    health.add_argument("profiles", nargs="*", metavar="PROFILE", help=PROFILE_HELP)
    health.add_argument("--all", action="store_true", help="every saved profile, one line each (worst exit code)")
    health.add_argument("--timeout", type=float, default=10.0,
                        help="with several clusters: seconds each cluster's poll may take (default 10)")
    health.add_argument("--json", action="store_true", help="print JSON (one object per poll)")
    health.add_argument("--watch", action="store_true", help="keep polling and print every change until Ctrl-C")
    health.add_argument("--interval", type=float, default=5.0, help="seconds between polls with --watch (default 5)")
    health.add_argument("--versions", action="store_true",
                        help="also read which version each node runs: one SSH login and 'docker ps' per host, "
                             "4 s at most in all, compared with WA_API_VERSION (off by default: the check stays "
                             "one API call)")
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
    if args.all or len(args.profiles) > 1:
        return _many(args)
    if not args.profiles:
        return fail("give a PROFILE, several, or --all (every saved profile)", HealthExit.UNKNOWN)
    try:
        profile, path = load(args.profiles[0])
    except SystemExit:
        return HealthExit.UNKNOWN
    if invalid(profile):  # a hostname with a tab would otherwise be judged and printed raw, as CRITICAL
        return HealthExit.UNKNOWN
    try:
        hint = "" if profile.installed else f"wabiz-tui install {args.profiles[0]}"
        return asyncio.run(run_health(profile, as_json=args.json, watch=args.watch, interval=args.interval,
                                      install_hint=hint, grace=args.grace, poll_floor=args.poll_floor,
                                      profile_ref=args.profiles[0], profile_file=str(path),
                                      versions=args.versions))
    except KeyboardInterrupt:
        return 130


def _many(args: argparse.Namespace) -> int:
    import asyncio
    from .fleet import health_all

    if args.all and args.profiles:
        return fail("--all checks every saved profile: give PROFILEs or --all, not both", HealthExit.UNKNOWN)
    if args.watch:
        return fail("--watch follows one cluster; for many, 'wabiz-tui fleet' shows them live", HealthExit.UNKNOWN)
    if not args.timeout > 0:
        return fail("--timeout must be greater than 0 seconds", HealthExit.UNKNOWN)
    try:
        return asyncio.run(health_all(args.profiles, as_json=args.json, timeout=args.timeout))
    except KeyboardInterrupt:
        return 130
