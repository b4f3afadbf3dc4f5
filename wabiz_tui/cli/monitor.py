"""``wabiz-tui monitor PROFILE``: the live health monitor (TUI)."""

from __future__ import annotations

import argparse

from .common import add_profile, load
from .monitor_flags import add_timing_flags, timing_errors


def register(sub) -> None:
    """Declare ``monitor``."""
    mon = sub.add_parser("monitor", help="open the live health monitor on a profile (F2 switches to the wizard)")
    add_profile(mon)
    add_timing_flags(mon)
    mon.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``monitor`` command (Textual is imported here only)."""
    from .output import fail

    errors = timing_errors(args)
    if errors:
        return fail(str(errors[0]))
    from ..tui.run import run_monitor_tui

    profile, path = load(args.profile)
    return run_monitor_tui(profile, path, grace=args.grace, poll_floor=args.poll_floor)
