"""``wabiz-tui wizard PROFILE``: the install wizard (TUI) on a profile."""

from __future__ import annotations

import argparse

from .common import add_profile, load, writes_locally


def register(sub) -> None:
    """Declare ``wizard``."""
    wiz = sub.add_parser("wizard", help="open the install wizard on a profile")
    add_profile(wiz)
    writes_locally(wiz)
    wiz.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``wizard`` command (Textual is imported here only)."""
    from ..tui.run import run_wizard_tui

    profile, path = load(args.profile)
    return run_wizard_tui(profile, path)
