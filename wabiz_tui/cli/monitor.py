"""``wabiz-tui monitor PROFILE``: the live health monitor (TUI)."""

from __future__ import annotations

import argparse

from .common import add_profile, load


def register(sub) -> None:
    """Declare ``monitor``."""
    mon = sub.add_parser("monitor", help="open the live health monitor on a profile (F2 switches to the wizard)")
    add_profile(mon)
    mon.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``monitor`` command (Textual is imported here only)."""
    from ..tui.run import run_monitor_tui

    profile, path = load(args.profile)
    return run_monitor_tui(profile, path)
