"""``wabiz-tui install PROFILE --yes``: the 9 HA steps headless, resuming an interrupted run."""

from __future__ import annotations

import argparse
import sys

from ..domain.exitcodes import Exit
from .common import add_profile, add_trust, invalid, journal, load, locked, settings_for, writes_locally
from .doctor import add_no_doctor, after_failure
from .output import HeadlessPrinter, fail

#: ``install`` stopped for the registration code (run again with ``--code``).
EXIT_NEEDS_CODE = Exit.NEEDS_INPUT
#: ``install``: registration not sent, another saved profile has the same cc/phone_number (field case R23).
EXIT_DUPLICATE_NUMBER = Exit.REFUSED


def register(sub) -> None:
    """Declare ``install``."""
    inst = sub.add_parser("install", help="run the 9 HA install steps headless (resumes an interrupted run)",
                          description="Run the 9 High Availability steps without the TUI, one line per step and host. An "
                                      "interrupted run resumes: completed work is re-checked on the hosts and skipped. Exit codes: "
                                      "0 installed and healthy, 1 a step failed, 2 bad input, 3 a local problem (state directory), "
                                      "4 refused by a guard (no --yes, another process works on the cluster, another saved "
                                      "cluster profile has the same number: --allow-duplicate-number), "
                                      "5 a registration code is needed (--code), 130 interrupted (Ctrl-C, SIGTERM: the "
                                      "abort is written to the run log and the journal; run again to resume). A report "
                                      "(report.md, report.json) is written next to the run's log.")
    add_profile(inst)
    inst.add_argument("--yes", action="store_true", help="confirm: run the remote commands")
    inst.add_argument("--code", metavar="NNNNNN", help="the registration code received by SMS/voice (step 8)")
    inst.add_argument("-v", "--verbose", action="store_true", help="print every output line of every host")
    inst.add_argument("--skip-preflight", action="store_true", help="do not run the preflight checks before step 5")
    inst.add_argument("--allow-duplicate-number", action="store_true",
                      help="register even though another saved cluster profile has the same cc/phone_number "
                           "(only one instance per number: the other cluster is disconnected)")
    add_trust(inst)
    add_no_doctor(inst)
    writes_locally(inst)
    inst.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``install`` command."""
    import asyncio
    from ..config.paths import app_paths
    from ..config.runstate import apply_run_state
    from ..workflows.errors import WorkflowError
    from ..workflows.ha_install import HaInstall
    from .runreport import print_report, run_recorded

    profile, path = load(args.profile)
    bad = invalid(profile, registration=True)
    if bad:
        return bad
    if args.code is not None and not (args.code.isdigit() and len(args.code) == 6):
        return fail("--code: the registration code has 6 digits")
    if not args.yes:
        return fail(f"add --yes to run the install on {len(profile.hosts)} host(s) (see first: wabiz-tui plan {args.profile})",
                    Exit.REFUSED)
    paths = app_paths().ensure()
    settings = settings_for(args, profile, path, paths)
    settings.journal = journal(paths, profile, "install", announce=False)  # HaInstall says it itself
    settings.preflight = not args.skip_preflight
    settings.allow_duplicate_number = args.allow_duplicate_number
    printer = HeadlessPrinter(args.verbose)
    needs_code = False

    async def get_code(request) -> str:
        """The 6-digit registration code: ``--code``, else asked on a terminal until 6 digits are typed; without
        either, the install stops there (``needs_code``) and says how to continue."""
        nonlocal needs_code
        if args.code:
            return args.code
        if sys.stdin.isatty():
            while True:
                code = (await asyncio.get_running_loop().run_in_executor(None, input, "registration code (6 digits): ")).strip()
                if code.isdigit() and len(code) == 6:
                    return code
                print("  the code has 6 digits, e.g. 123456: type it again (Ctrl-C to stop; run again later to resume)")
        needs_code = True
        printer.waiting_for = "the registration code"  # exit 5 (needs input): the step did not fail
        raise WorkflowError(f"a registration code was sent to +{profile.registration.cc} {profile.registration.phone_number}",
                            f"run again with --code NNNNNN: wabiz-tui install {args.profile} --yes --code NNNNNN")

    async def go() -> int:
        """The 9 HA steps headless, recorded (an abort or failure written to the run log and journal), then the
        report and the recap: the exit code (``domain.exitcodes.Exit``)."""
        wf = HaInstall(profile, emit=printer, settings=settings)
        try:
            ok = await run_recorded(wf, wf.run_all(get_code), f"continue with: wabiz-tui install {args.profile} --yes")
            print_report(wf, "stopped for the registration code" if needs_code else
                         ok and wf.last_verdict is not None and wf.last_verdict.healthy)
        finally:
            await wf.close()
        printer.recap()
        if wf.last_verdict:
            print(f"verdict: {wf.last_verdict.headline}")
        if needs_code:
            return EXIT_NEEDS_CODE
        if wf.duplicate_refused is not None:
            print(f"registration not sent: {wf.duplicate_refused.evidence}. Only one cluster may run a number; "
                  f"add --allow-duplicate-number if the other cluster is retired.")
            return EXIT_DUPLICATE_NUMBER
        if ok and wf.last_verdict is not None and wf.last_verdict.healthy:
            return 0
        await after_failure(args, profile, path)
        return 1

    with locked(profile, "install", settings):
        profile = apply_run_state(profile)  # installed or not, as the last run left it
        return asyncio.run(go())
