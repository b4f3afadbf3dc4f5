"""``wabiz-tui health PROFILE``: judge the cluster once (or ``--watch``), monitoring-plugin exit codes;
``health --all`` or ``health PROFILE PROFILE...``: every cluster once, in parallel, the worst code (:mod:`.fleet`).

The poll loop and the printing are :mod:`wabiz_tui.cli.health` (imported only when the command runs: it needs
the API client).
"""

from __future__ import annotations

import argparse

from ..domain.exitcodes import HealthExit
from .common import PROFILE_HELP, profile_problems, read_profile
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


def refusal(message: str, kind: str, as_json: bool) -> int:
    """Refuse the check (UNKNOWN, 3): ``message`` on stderr as every command's refusal, and with ``as_json`` one
    object on stdout too, so that a script reading the JSON gets an answer: ``{"exit_code": 3, "error": {"kind",
    "message", "status", "code", "next_action"}}`` (the keys of a poll's ``error``; ``kind`` ``profile`` for a
    profile that cannot be read or is invalid, ``usage`` for a bad flag)."""
    import json

    code = fail(message, HealthExit.UNKNOWN)
    if as_json:
        print(json.dumps({"exit_code": code, "error": {"kind": kind, "message": message, "status": None, "code": None,
                                                       "next_action": ""}}), flush=True)
    return code


def run(args: argparse.Namespace) -> int:
    """The ``health`` command: bad input and a check that cannot run answer UNKNOWN (3), with ``--json`` as one
    JSON object too (:func:`refusal`)."""
    import asyncio
    from ..config.profile import ProfileError
    from .health import run_health

    if args.interval <= 0:
        return refusal("--interval must be greater than 0 seconds", "usage", args.json)
    errors = timing_errors(args)
    if errors:
        return refusal(str(errors[0]), "usage", args.json)
    if args.all or len(args.profiles) > 1:
        return _many(args)
    if not args.profiles:
        return refusal("give a PROFILE, several, or --all (every saved profile)", "usage", args.json)
    try:
        profile, path = read_profile(args.profiles[0])
    except ProfileError as exc:
        return refusal(str(exc), "profile", args.json)
    problems = profile_problems(profile)
    if problems:  # a hostname with a tab would otherwise be judged and printed raw, as CRITICAL
        return refusal(problems, "profile", args.json)
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
        return refusal("--all checks every saved profile: give PROFILEs or --all, not both", "usage", args.json)
    if args.watch:
        return refusal("--watch follows one cluster; for many, 'wabiz-tui fleet' shows them live", "usage", args.json)
    if not args.timeout > 0:
        return refusal("--timeout must be greater than 0 seconds", "usage", args.json)
    try:
        return asyncio.run(health_all(args.profiles, as_json=args.json, timeout=args.timeout))
    except KeyboardInterrupt:
        return 130
