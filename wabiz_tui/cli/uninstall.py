"""``wabiz-tui uninstall PROFILE``: the removal plan, then (confirmed twice for volumes) rm/down per host."""

from __future__ import annotations

import argparse
import shlex

from ..domain.exitcodes import Exit
from .common import add_profile, add_trust, journal, load, locked, settings_for, writes_locally
from .output import HeadlessPrinter, fail


def register(sub) -> None:
    """Declare ``uninstall``."""
    un = sub.add_parser("uninstall", help="remove the cluster's containers on every host (volumes kept unless asked)",
                        description="Show what will be removed on which host, then rm/down per host. Needs --yes and "
                                    "--confirm-name <cluster name>; volumes only with --remove-volumes --confirm-volumes.")
    add_profile(un)
    un.add_argument("--yes", action="store_true", help="do it (without it, only the plan is shown)")
    un.add_argument("--confirm-name", default="", metavar="NAME", help="the cluster name, typed to confirm")
    un.add_argument("--remove-volumes", action="store_true", help="also remove named volumes (media!)")
    un.add_argument("--confirm-volumes", action="store_true", help="second, separate confirmation for --remove-volumes")
    add_trust(un)
    writes_locally(un)
    un.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``uninstall`` command: 0 removed, 1 something remains, 4 not confirmed, 130 interrupted (the abort in
    the run log, the journal and the report). Every run that starts ends with a report (report.md/report.json)."""
    import asyncio
    from ..config.paths import app_paths
    from ..workflows.report import measure_before
    from ..workflows.uninstall import ConfirmationRequired, Uninstall
    from .runreport import print_report, run_recorded

    profile, path = load(args.profile)
    paths = app_paths().ensure()
    settings = settings_for(args, profile, path, paths)
    settings.journal = journal(paths, profile, "uninstall")
    wf = Uninstall(profile, emit=HeadlessPrinter(verbose=False), settings=settings)
    print(f"uninstall of cluster {profile.name!r} will remove:")
    for plan in wf.removals(args.remove_volumes):
        print(f"  {plan.host}: services {', '.join(plan.services)}; network; "
              + (f"volumes {', '.join(plan.volumes)}" if plan.volumes else "volumes kept"))
        for cmd in plan.commands:
            print(f"    $ {cmd}")
    if not args.yes:
        print("nothing done: add --yes --confirm-name <cluster name> to remove")
        return Exit.REFUSED
    try:
        wf.check_confirmation(args.confirm_name, args.remove_volumes, args.confirm_volumes)
    except ConfirmationRequired as exc:
        return fail(f"--confirm-name/--confirm-volumes: {exc}", Exit.REFUSED)

    again = shlex.join(["wabiz-tui", "uninstall", args.profile, "--yes", "--confirm-name", args.confirm_name,
                      *(["--remove-volumes", "--confirm-volumes"] if args.remove_volumes else [])])

    async def go() -> int:
        """Measure health, run the uninstall recorded (the journal notes whether volumes go), then print each host's
        outcome and the report: the exit code (``domain.exitcodes.Exit``)."""
        try:
            await measure_before(wf)
            # read by health/monitor (workflows.monitor.incomplete_uninstall) to say how to continue a stopped run
            settings.journal.note("remove_volumes", "yes" if args.remove_volumes else "no")
            ok = await run_recorded(wf, wf.run(args.confirm_name, remove_volumes=args.remove_volumes,
                                               volumes_confirmed=args.confirm_volumes), f"continue with: {again}")
            print("per host:")
            for host, outcome in wf.outcomes.items():
                print(f"  {host}: {outcome}")
            print_report(wf, ok, {"volumes": "removed" if args.remove_volumes else "kept"})
            if ok:
                print(f"profile {path} kept, marked as not installed")
            return 0 if ok else 1
        finally:
            await wf.close()

    with locked(profile, "uninstall", settings):
        return asyncio.run(go())
