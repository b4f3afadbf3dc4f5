"""``wabiz-tui upgrade PROFILE --to VERSION`` (the whole upgrade) and ``wabiz-tui dbupgrade`` (the MySQL
database upgrade service, then Coreapps and Webapps): the order is :class:`workflows.upgrade.Upgrade`'s."""

from __future__ import annotations

import argparse

from ..domain.exitcodes import Exit
from .common import add_profile, add_trust, journal, load, locked, settings_for, writes_locally
from .doctor import add_no_doctor, after_failure
from .output import HeadlessPrinter, fail, secret_from


def register(sub) -> None:
    """Declare ``upgrade`` and ``dbupgrade``."""
    up = sub.add_parser("upgrade", help="upgrade the cluster to a new WA_API_VERSION (settings backup first; downtime expected)",
                        description="Back up the settings, optionally run the MySQL dbupgrade service, then bring Webapps, "
                                    "Masters and Coreapps up with the new version, checking health after each role.")
    add_profile(up)
    target = up.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="VERSION", help="the new WA_API_VERSION, e.g. 2.29.3")
    target.add_argument("--resume", action="store_true",
                        help="continue the upgrade that stopped (aborted, failed or killed) with its version and options; "
                             "hosts already upgraded are re-checked and skipped")
    up.add_argument("--force", action="store_true", help="allow a downgrade")
    up.add_argument("--yes", action="store_true", help="confirm: downtime is expected")
    up.add_argument("--backup-password-env", default="WABIZ_BACKUP_PASSWORD", metavar="VAR",
                    help="environment variable holding the backup password (default WABIZ_BACKUP_PASSWORD; asked on a terminal)")
    up.add_argument("--dbupgrade-host", metavar="EXTERNAL_HOSTNAME", help="run the MySQL dbupgrade service on this host first")
    up.add_argument("--no-exit-on-success", action="store_true", help="dbupgrade with EXIT_ON_SUCCESS=FALSE")
    up.add_argument("--media-chown", action="store_true", help="run the 2.29.3 media ownership step when it applies")
    add_trust(up)
    add_no_doctor(up)
    writes_locally(up)
    up.set_defaults(run=run)

    db = sub.add_parser("dbupgrade", help="run the MySQL database upgrade service, then restart Coreapps and Webapps",
                        description="Upload dbupgrade-compose.yml to a host, start it with the new version, docker wait for its "
                                    "exit code, show its log, and on 0 restart Coreapp and Webapp containers with the new version.")
    add_profile(db)
    db.add_argument("--to", required=True, metavar="VERSION", help="the new WA_API_VERSION")
    db.add_argument("--host", required=True, metavar="EXTERNAL_HOSTNAME", help="where the dbupgrade container runs")
    db.add_argument("--no-exit-on-success", action="store_true", help="EXIT_ON_SUCCESS=FALSE (for orchestrators that restart on exit)")
    db.add_argument("--force", action="store_true", help="allow an older version")
    db.add_argument("--yes", action="store_true", help="confirm")
    add_trust(db)
    add_no_doctor(db)
    writes_locally(db)
    db.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``upgrade`` and ``dbupgrade`` commands: 0 done, 1 a step failed, 2 bad input, 4 not confirmed (or the
    profile could not record the new version)."""
    import asyncio
    from ..config.paths import app_paths
    from ..workflows.report import measure_before
    from ..workflows.upgrade import Upgrade, media_chown_args
    from .runreport import print_report, run_recorded

    profile, path = load(args.profile)
    paths = app_paths().ensure()
    if getattr(args, "resume", False):
        refused = _resume_options(args, profile, paths)
        if refused:
            return refused
    printer = HeadlessPrinter(verbose=False)
    settings = settings_for(args, profile, path, paths)
    settings.journal = journal(paths, profile, f"{args.command}-{args.to.strip()}")
    wf = Upgrade(profile, emit=printer, settings=settings, target=args.to, force=args.force, backups_dir=paths.backups)
    problems = wf.problems()
    if problems:
        return fail(problems[0])
    db_only = args.command == "dbupgrade"
    host = args.host if db_only else args.dbupgrade_host
    if host and host not in [h.external_hostname for h in profile.hosts]:
        return fail(f"{'--host' if db_only else '--dbupgrade-host'}: {host!r} is not a host of the profile")
    print(f"{args.command} of cluster {profile.name!r}: {profile.wa_api_version} -> {wf.target}. Downtime is expected.")
    if not args.yes:
        return fail("add --yes to confirm (downtime is expected)", Exit.REFUSED)
    password = None
    backed_up = bool(settings.journal.note("backup_path"))
    if not db_only and backed_up:
        password = ""  # the settings backup of the earlier run is kept: step 1 is skipped, no password needed
    elif not db_only:
        password = secret_from(args.backup_password_env, "settings backup password (needed to restore; not stored): ")
        if not password:
            return fail(f"the settings backup needs a password: set {args.backup_password_env} or run on a terminal")
        if not host:
            print("no --dbupgrade-host: the MySQL database upgrade service will not run "
                  "(MySQL users upgrading to 2.23.x or later need it: add --dbupgrade-host HOST)")

    continue_with = f"continue with: wabiz-tui {args.command} {args.profile} " + (
        f"--to {wf.target} --host {host} --yes" if db_only else "--resume --yes")

    async def go() -> int:
        """The upgrade (or the dbupgrade only) recorded, with the report: the exit code
        (``domain.exitcodes.Exit``)."""
        try:
            await measure_before(wf)
            if db_only:
                ok = await run_recorded(wf, wf.dbupgrade_and_restart(host, exit_on_success=not args.no_exit_on_success),
                                        continue_with)
                print_report(wf, ok)
                if ok:
                    print(f"Coreapps and Webapps run {wf.target}; Masters still run {profile.wa_api_version}: "
                          f"finish with wabiz-tui upgrade {args.profile} --to {wf.target}")
                return 0 if ok else 1
            ok = await run_recorded(wf, wf.run(password, dbupgrade_host=host, exit_on_success=not args.no_exit_on_success,
                                               media_chown=args.media_chown), continue_with)
            print_report(wf, ok, {"backup": str(wf.backup_path)} if wf.backup_path else None)
            if not ok:
                print(f"the upgrade stopped; continue it with: wabiz-tui upgrade {args.profile} --resume --yes")
            if wf.backup_path:
                print(f"backup: {wf.backup_path} (restore it with the same password: POST /v1/settings/restore)")
            if ok and wf.media_chown_needed and not args.media_chown:
                chown = " ".join(media_chown_args())
                print(f"this upgrade needs the 2.29.3 media ownership step: run it again with --media-chown, or in the "
                      f"Webapp container: {chown}")
            printer.recap()
            if wf.last_verdict:
                print(f"verdict: {wf.last_verdict.headline}")
            if ok and wf.profile_refused:
                print(f"the cluster runs {wf.target}, but the profile was not updated: {wf.profile_refused}")
                return Exit.REFUSED
            return Exit.OK if ok else Exit.FAILED
        finally:
            await wf.close()

    async def go_then_doctor() -> int:
        """:func:`go`, then on a failure doctor's reading of the cluster (``after_failure``); :func:`go`'s code."""
        code = await go()
        if code == Exit.FAILED:
            await after_failure(args, wf.profile, path)
        return code

    with locked(profile, args.command, settings):
        return asyncio.run(go_then_doctor())


def _resume_options(args: argparse.Namespace, profile, paths) -> int:
    """``--resume``: take the version and options of the upgrade that stopped (0), or say there is none (2)."""
    from ..workflows.upgrade import interrupted_upgrade

    found = interrupted_upgrade(paths.journals, profile)
    if found is None:
        return fail(f"--resume: no unfinished upgrade of cluster {profile.name!r} to continue "
                    f"(journals in {paths.journals}); start one with --to VERSION")
    print(found.note, flush=True)
    args.to = found.target
    if not args.dbupgrade_host:
        args.dbupgrade_host = found.dbupgrade_host
    args.no_exit_on_success = args.no_exit_on_success or not found.exit_on_success
    args.media_chown = args.media_chown or found.media_chown
    return 0

