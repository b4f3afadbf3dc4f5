"""``wabiz-tui plan PROFILE [--procedure P]``: the dry run of a procedure, contacting nothing.

Prints the procedure's own ``plan()`` (:mod:`wabiz_tui.workflows.plan`): the same data the headless commands and
the TUI show before they run, so this command knows no step order itself.
"""

from __future__ import annotations

import argparse
import sys

from .common import add_profile, invalid, load
from .output import fail

PROCEDURES = ["install", "multiconnect", "uninstall", "upgrade", "logs"]


def register(sub) -> None:
    """Declare ``plan``."""
    plan = sub.add_parser("plan", help="dry run: print the files and commands a procedure would use, contacting nothing")
    add_profile(plan)
    plan.add_argument("--procedure", choices=PROCEDURES, default="install")
    plan.add_argument("--to", metavar="VERSION", help="with --procedure upgrade: the new WA_API_VERSION")
    plan.add_argument("--shards", type=int, default=None, help="with --procedure multiconnect: the shard count (default 2)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON (steps, hosts, actions)")
    plan.set_defaults(run=run)


def build_plan(profile, procedure: str, *, to: str | None = None, shards: int = 2):
    """The :class:`ProcedurePlan` of ``procedure`` for ``profile``. Raises ValueError naming the flag for a
    missing or bad ``--to``."""
    from ..workflows.events import discard
    from ..workflows.ha_install import HaInstall
    from ..workflows.logs import LogCollection
    from ..workflows.multiconnect import Multiconnect
    from ..workflows.uninstall import Uninstall
    from ..workflows.upgrade import Upgrade

    if procedure == "install":
        return HaInstall(profile, emit=discard).plan()
    if procedure == "multiconnect":
        return Multiconnect(profile, emit=discard).plan(shards)
    if procedure == "uninstall":
        return Uninstall(profile, emit=discard).plan()
    if procedure == "logs":
        return LogCollection(profile, emit=discard).plan()
    if not to:
        raise ValueError("plan --procedure upgrade needs --to VERSION")
    up = Upgrade(profile, emit=discard, target=to)
    problems = up.problems()
    if problems:
        raise ValueError(problems[0])
    return up.plan()


def run(args: argparse.Namespace) -> int:
    """The ``plan`` command: 0 printed, 2 a bad profile or option."""
    import json

    if args.to is not None and args.procedure != "upgrade":
        return fail(f"--to goes with --procedure upgrade (this is the {args.procedure} plan): add --procedure upgrade")
    if args.shards is not None and args.procedure != "multiconnect":
        return fail(f"--shards goes with --procedure multiconnect (this is the {args.procedure} plan): "
                    "add --procedure multiconnect")
    profile, _ = load(args.profile)
    bad = invalid(profile)
    if bad:
        return bad
    try:
        plan = build_plan(profile, args.procedure, to=args.to, shards=2 if args.shards is None else args.shards)
    except ValueError as exc:
        return fail(str(exc))
    sys.stdout.write(json.dumps(plan.as_dict(), indent=2) + "\n" if args.json else plan.text())
    return 0
