"""Command line entry point: the TUI by default, headless subcommands driving the same workflows.

Heavy modules (Textual, asyncssh, the simulator) are imported only inside the command that needs
them, so ``wabiz-tui --help`` stays fast. Exit codes: the one table of :mod:`wabiz_tui.exitcodes`
(``health`` keeps the monitoring-plugin convention).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..domain.exitcodes import Exit, HealthExit
from .headless import HeadlessPrinter, terminal_passphrase


#: Largest --speed factor (every simulated delay multiplied by it): 100 makes a 3 s start take 5 minutes.
MAX_SPEED = 100.0


def _fail(message: str, code: int = Exit.BAD_INPUT) -> int:
    print(f"wabiz-tui: {message}", file=sys.stderr)
    return int(code)


class _BadArguments(Exception):
    """argparse found a bad flag or value (its message is the one-line error)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting with 2: ``health`` must answer bad input with UNKNOWN (3)."""

    def error(self, message: str):
        sub = self.prog.removeprefix("wabiz-tui").strip()
        exc = _BadArguments(f"{sub}: {message}" if sub else message)
        exc.usage = self.format_usage()  # the sub-command's usage, not the top-level one
        raise exc


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="wabiz-tui",
        description="Install, operate and monitor a WhatsApp Business API On-Premises cluster (HA/Multiconnect) over SSH.",
        epilog="Try it with no infrastructure: wabiz-tui demo")
    p.add_argument("--version", action="version", version=f"wabiz-tui {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="walk the 9 HA steps on an embedded simulated cluster",
                          description="Start a simulated 5-host cluster in-process and open the install wizard on it.")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="run the 9 steps without the TUI; exit 0 only if the cluster ends healthy")
    mode.add_argument("--serve", action="store_true", help="run only the simulator until Ctrl-C and print 'profile: <path>'")
    demo.add_argument("--speed", type=float, default=1.0, help="multiply every simulated delay (default 1.0; 0.1 is 10x faster)")
    demo.add_argument("--workdir", type=Path, help="keep the simulator's files here (default: a temporary directory)")
    demo.add_argument("--multiconnect", action="store_true",
                      help="headless: after the HA steps, the 4 Multiconnect steps (2 shards, a third Coreapp) and a failover drill")
    demo.add_argument("-v", "--verbose", action="store_true", help="headless: print every output line of every host")

    mon = sub.add_parser("monitor", help="open the live health monitor on a profile (F2 switches to the wizard)")
    mon.add_argument("profile", help="profile file, or the name of a saved profile")

    wiz = sub.add_parser("wizard", help="open the install wizard on a profile")
    wiz.add_argument("profile", help="profile file, or the name of a saved profile")

    inst = sub.add_parser("install", help="run the 9 HA install steps headless (resumes an interrupted run)",
                          description="Run the 9 High Availability steps without the TUI, one line per step and host. An "
                                      "interrupted run resumes: completed work is re-checked on the hosts and skipped. Exit codes: "
                                      "0 installed and healthy, 1 a step failed, 2 bad input, 3 a local problem (state directory), "
                                      "4 refused by a guard (no --yes, another process works on the cluster, another saved "
                                      "cluster profile has the same number: --allow-duplicate-number), "
                                      "5 a registration code is needed (--code).")
    inst.add_argument("profile", help="profile file, or the name of a saved profile")
    inst.add_argument("--yes", action="store_true", help="confirm: run the remote commands")
    inst.add_argument("--code", metavar="NNNNNN", help="the registration code received by SMS/voice (step 8)")
    inst.add_argument("-v", "--verbose", action="store_true", help="print every output line of every host")
    inst.add_argument("--skip-preflight", action="store_true", help="do not run the preflight checks before step 5")
    inst.add_argument("--allow-duplicate-number", action="store_true",
                      help="register even though another saved cluster profile has the same cc/phone_number "
                           "(only one instance per number: the other cluster is disconnected)")

    pre = sub.add_parser("preflight", help="check every host and the plan before anything starts",
                         description="SSH, Docker and compose, disk, ports, names, the database, media, clocks, the image, "
                                     "and topology advice: a table of host x check. Exit 0 no failure, 1 failures, 2 bad input.")
    pre.add_argument("profile", help="profile file, or the name of a saved profile")

    health = sub.add_parser("health", help="judge the cluster's health once (exit 0 healthy, 1 degraded, 2 failing)",
                            description="Poll GET /v1/health, judge every node against the profile, print the verdict. "
                                        "Exit codes: 0 healthy, 1 degraded, 2 failing, 3 the check could not run.")
    health.add_argument("profile", help="profile file, or the name of a saved profile")
    health.add_argument("--json", action="store_true", help="print JSON (one object per poll)")
    health.add_argument("--watch", action="store_true", help="keep polling and print every change until Ctrl-C")
    health.add_argument("--interval", type=float, default=5.0, help="seconds between polls with --watch (default 5)")

    logs = sub.add_parser("logs", help="collect docker-compose logs into debug_output.txt per host (and a support bundle)",
                          description="Stream docker-compose logs of every chosen host into <out>/<cluster>-<time>/<host>/debug_output.txt, "
                                      "with the profile's secrets redacted.")
    logs.add_argument("profile", help="profile file, or the name of a saved profile")
    logs.add_argument("--host", action="append", default=[], metavar="EXTERNAL_HOSTNAME", help="only this host (repeatable; default all)")
    logs.add_argument("--service", choices=["waweb", "master", "wacore"], help="only this service (default all)")
    logs.add_argument("--since", help="docker's --since: 10m, 2h, 2026-11-30T10:00:00, or a Unix time")
    logs.add_argument("--tail", type=int, help="at most this many lines per container")
    logs.add_argument("--out", type=Path, default=Path("."), help="where the run's folder is created (default: here)")
    logs.add_argument("--bundle", action="store_true", help="also write health, /v1/support and ps, and pack everything as .tar.gz")

    up = sub.add_parser("upgrade", help="upgrade the cluster to a new WA_API_VERSION (settings backup first; downtime expected)",
                        description="Back up the settings, optionally run the MySQL dbupgrade service, then bring Webapps, "
                                    "Masters and Coreapps up with the new version, checking health after each role.")
    up.add_argument("profile", help="profile file, or the name of a saved profile")
    up.add_argument("--to", required=True, metavar="VERSION", help="the new WA_API_VERSION, e.g. 2.29.3")
    up.add_argument("--force", action="store_true", help="allow a downgrade")
    up.add_argument("--yes", action="store_true", help="confirm: downtime is expected")
    up.add_argument("--backup-password-env", default="WABIZ_BACKUP_PASSWORD", metavar="VAR",
                    help="environment variable holding the backup password (default WABIZ_BACKUP_PASSWORD; asked on a terminal)")
    up.add_argument("--dbupgrade-host", metavar="EXTERNAL_HOSTNAME", help="run the MySQL dbupgrade service on this host first")
    up.add_argument("--no-exit-on-success", action="store_true", help="dbupgrade with EXIT_ON_SUCCESS=FALSE")
    up.add_argument("--media-chown", action="store_true", help="run the 2.29.3 media ownership step when it applies")

    db = sub.add_parser("dbupgrade", help="run the MySQL database upgrade service, then restart Coreapps and Webapps",
                        description="Upload dbupgrade-compose.yml to a host, start it with the new version, docker wait for its "
                                    "exit code, show its log, and on 0 restart Coreapp and Webapp containers with the new version.")
    db.add_argument("profile", help="profile file, or the name of a saved profile")
    db.add_argument("--to", required=True, metavar="VERSION", help="the new WA_API_VERSION")
    db.add_argument("--host", required=True, metavar="EXTERNAL_HOSTNAME", help="where the dbupgrade container runs")
    db.add_argument("--no-exit-on-success", action="store_true", help="EXIT_ON_SUCCESS=FALSE (for orchestrators that restart on exit)")
    db.add_argument("--force", action="store_true", help="allow an older version")
    db.add_argument("--yes", action="store_true", help="confirm")

    un = sub.add_parser("uninstall", help="remove the cluster's containers on every host (volumes kept unless asked)",
                        description="Show what will be removed on which host, then rm/down per host. Needs --yes and "
                                    "--confirm-name <cluster name>; volumes only with --remove-volumes --confirm-volumes.")
    un.add_argument("profile", help="profile file, or the name of a saved profile")
    un.add_argument("--yes", action="store_true", help="do it (without it, only the plan is shown)")
    un.add_argument("--confirm-name", default="", metavar="NAME", help="the cluster name, typed to confirm")
    un.add_argument("--remove-volumes", action="store_true", help="also remove named volumes (media!)")
    un.add_argument("--confirm-volumes", action="store_true", help="second, separate confirmation for --remove-volumes")

    sub.add_parser("init", help="create a profile with plain terminal prompts (validated, re-asked on bad values)")
    sub.add_parser("profiles", help="list the saved profiles")
    show = sub.add_parser("profile", help="show (secrets masked), import or export a profile",
                          description="show NAME: print it with secrets masked; import FILE: validate and save it among the "
                                      "profiles; export NAME --out FILE: write it to a YAML file (mode 600).")
    show.add_argument("action", choices=["show", "import", "export"], help="what to do")
    show.add_argument("profile", help="profile file, or the name of a saved profile")
    show.add_argument("--out", type=Path, help="export: the file to write")
    show.add_argument("--replace", action="store_true", help="import: overwrite a saved profile of the same name")

    plan = sub.add_parser("plan", help="dry run: print the files and commands a procedure would use, contacting nothing")
    plan.add_argument("profile", help="profile file, or the name of a saved profile")
    plan.add_argument("--procedure", choices=["install", "multiconnect", "uninstall", "upgrade", "logs"], default="install")
    plan.add_argument("--to", metavar="VERSION", help="with --procedure upgrade: the new WA_API_VERSION")
    plan.add_argument("--shards", type=int, default=2, help="with --procedure multiconnect: the shard count (default 2)")

    mc = sub.add_parser("multiconnect", help="the 4 Multiconnect steps headless: set shards, health, one more Coreapp, health",
                        description="Set the shard count (POST /v1/account/shards), check that many Coreapps connect, then "
                                    "start one more Coreapp on a new host (--add-host) so one failure is tolerated.")
    mc.add_argument("profile", help="profile file, or the name of a saved profile")
    mc.add_argument("--shards", type=int, required=True, choices=[1, 2, 4, 8, 16, 32], help="the shard count")
    mc.add_argument("--yes", action="store_true", help="confirm (without it, only the plan is shown)")
    mc.add_argument("--add-host", metavar="EXTERNAL_HOSTNAME", help="the new Coreapp host")
    mc.add_argument("--ssh", metavar="HOST[:PORT]", help="how to reach it by SSH (default: its EXTERNAL_HOSTNAME)")
    mc.add_argument("--user", default="wa", help="SSH user (default wa)")
    mc.add_argument("--key", default="", help="private key file (default: agent and default keys)")
    mc.add_argument("--remote-dir", default="", help="directory for the configuration files (default /home/<user>/biz)")

    from .lab import add_parser as add_lab_parser
    add_lab_parser(sub)
    render = sub.add_parser("render", help="write prod-multiconnect-compose.yml and db.env for a profile")
    render.add_argument("profile", help="profile file, or the name of a saved profile")
    render.add_argument("--out", type=Path, required=True, help="directory to write the files into (created if needed)")
    for sp in sub.choices.values():
        if sp.prog.split()[-1] in ("install", "preflight", "upgrade", "dbupgrade", "uninstall", "logs", "multiconnect"):
            sp.add_argument("--trust-new-host-keys", action="store_true",
                            help="record hosts' unknown SSH keys in the app's known_hosts (check the fingerprints printed); "
                                 "a changed key is always refused")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by the console script).

    No traceback reaches the user: an OS error (permission, disk full, missing directory) is one line
    naming the file; anything unexpected is one line naming a crash report written to the state directory.
    """
    from ..config.lock import ClusterBusy as ClusterBusyError

    argv = list(sys.argv[1:] if argv is None else argv)
    health = bool(argv) and argv[0] == "health"
    try:
        args = _parser().parse_args(argv)
    except _BadArguments as exc:
        sys.stderr.write(getattr(exc, "usage", ""))
        return _fail(str(exc), HealthExit.UNKNOWN if health else Exit.BAD_INPUT)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = _dispatch(args)
    except SystemExit as exc:  # _load refusing a profile
        code = exc.code if isinstance(exc.code, int) and not health else Exit.BAD_INPUT
    except KeyboardInterrupt:
        return _fail("interrupted (run the same command again: procedures with a journal resume where they stopped)",
                     Exit.INTERRUPTED)
    except ClusterBusyError as exc:
        return _fail(f"refused: {exc}", Exit.REFUSED)
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        code = _fail(f"{where}{exc.strerror or exc} — check the path and its permissions", Exit.CANNOT_CHECK)
    except Exception:  # noqa: BLE001 - the last line of defence: a report file instead of a traceback
        code = _fail(f"unexpected error; details written to {_crash_report()} — please report it", Exit.FAILED)
    else:
        return int(code)  # health's own answer is already the monitoring-plugin code
    if health:  # Exit's FAILED (1) and BAD_INPUT (2) would read as WARNING and CRITICAL: it could not run
        return int(HealthExit.UNKNOWN)
    return int(code)


def _terminate(signum, frame) -> None:
    """SIGTERM (a closed terminal, kill) ends like Ctrl-C, so clean-up code runs."""
    raise KeyboardInterrupt


def _crash_report() -> str:
    import traceback

    from ..config.paths import app_paths
    from ..domain.text import Redactor

    text = traceback.format_exc()
    try:
        directory = app_paths().state
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        secret_names = ("PASSWORD", "PASS", "PIN", "TOKEN", "SECRET", "CERT", "KEY")
        path.write_text(Redactor(v for k, v in os.environ.items() if any(n in k.upper() for n in secret_names))(text),
                        encoding="utf-8")
        path.chmod(0o600)
        return str(path)
    except OSError:
        return "(nowhere: the state directory is not writable)"


#: commands that write to the state directory (logs, journals, locks, run state): local problems are
#: checked before anything remote starts
WRITES_LOCALLY = ("install", "preflight", "logs", "upgrade", "dbupgrade", "uninstall", "multiconnect", "wizard")


def _local_problems(extra: Sequence[Path] = ()) -> int:
    """0 when the state directory can be written, else print each local problem (path, cause, fix) and return 3."""
    from ..config.paths import app_paths, local_problems

    problems = local_problems([*app_paths().writable, *extra])
    if not problems:
        return 0
    return _fail("local problem, nothing was started on the hosts:\n  " + "\n  ".join(problems), Exit.CANNOT_CHECK)


def _dispatch(args: argparse.Namespace) -> int:
    import asyncio
    if args.command in WRITES_LOCALLY:
        problem = _local_problems([args.out] if args.command == "logs" else [])
        if problem:
            return problem
    if args.command == "demo":
        if not math.isfinite(args.speed) or not 0 < args.speed <= MAX_SPEED:
            return _fail(f"--speed must be a number above 0 and at most {MAX_SPEED:g}, e.g. 0.5 or 1")
        if args.serve:
            return asyncio.run(_demo_serve(args))
        if args.multiconnect and not args.headless:
            return _fail("--multiconnect goes with --headless (in the TUI the Multiconnect steps follow the install)")
        if args.headless:
            return asyncio.run(_demo_headless(args))
        return _demo_tui(args)
    if args.command == "render":
        return _render(args)
    if args.command == "lab":
        from . import lab as lab_cli
        return lab_cli.run(args)
    if args.command in ("profiles", "profile"):
        return _profiles(args)
    if args.command == "init":
        if not sys.stdin.isatty():
            return _fail("init asks questions on a terminal; to create a profile without one, write the YAML and use: wabiz-tui profile import FILE")
        from .init import run_init

        return run_init()
    if args.command == "plan":
        profile, _ = _load(args.profile)
        invalid = _invalid(profile)
        if invalid:
            return invalid
        if args.procedure == "multiconnect":
            from . import multiconnect as mc_cli

            return mc_cli.print_plan(profile, args.shards, None)
        from .profiles import print_plan

        return print_plan(profile, args.procedure, args.to)
    if args.command == "multiconnect":
        from . import multiconnect as mc_cli

        profile, path = _load(args.profile)
        return mc_cli.main(args, profile, path)
    if args.command == "health":
        return _health(args)
    if args.command == "install":
        return _install(args)
    if args.command == "preflight":
        return _preflight(args)
    if args.command == "logs":
        return _logs(args)
    if args.command == "uninstall":
        return _uninstall(args)
    if args.command in ("upgrade", "dbupgrade"):
        return _upgrade(args)
    if args.command == "wizard":
        return _wizard(args)
    if args.command == "monitor":
        from ..tui.run import run_monitor_tui

        profile, path = _load(args.profile)
        return run_monitor_tui(profile, path)
    _parser().print_help()
    return 0


def _load(arg: str):
    from ..config.paths import app_paths
    from ..config.profile import ProfileError, load_profile, resolve_profile

    try:
        path = resolve_profile(arg, app_paths().profiles)
        return load_profile(path), path
    except ProfileError as exc:
        raise SystemExit(_fail(str(exc)))


def _profiles(args: argparse.Namespace) -> int:
    from ..config.profile import ProfileError
    from .profiles import export_profile, import_profile, list_profiles, show_profile

    if args.command == "profiles":
        return list_profiles()
    if args.action == "import":
        try:
            return import_profile(Path(args.profile), replace=args.replace)
        except ProfileError as exc:
            return _fail(str(exc))
    profile, _ = _load(args.profile)
    if args.action == "export":
        if not args.out:
            return _fail("profile export needs --out FILE")
        return export_profile(profile, args.out)
    return show_profile(profile)


def _invalid(profile, *, registration: bool = False) -> int:
    """0 when the profile is valid, else print every field error (with its fix) and return 2."""
    from ..domain.validation import validate_profile

    errors = validate_profile(profile, registration=registration)
    if not errors:
        return 0
    return _fail("the profile has invalid values:\n  " + "\n  ".join(map(str, errors)))


def _render(args: argparse.Namespace) -> int:
    from ..domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env

    profile, _ = _load(args.profile)
    invalid = _invalid(profile)
    if invalid:
        return invalid
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / COMPOSE_FILE).write_text(render_compose(profile), encoding="utf-8")
        env = out / DB_ENV_FILE
        env.touch(mode=0o600)
        env.chmod(0o600)
        env.write_text(render_db_env(profile.db), encoding="utf-8")
    except OSError as exc:
        return _fail(f"--out {out}: cannot write there ({exc.strerror or exc})")
    print(f"wrote {out / COMPOSE_FILE}")
    print(f"wrote {env} (mode 600)")
    return 0


def _workdir(args: argparse.Namespace) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return args.workdir, None
    tmp = tempfile.TemporaryDirectory(prefix="wabiz-demo-")
    return Path(tmp.name), tmp


async def _demo_serve(args: argparse.Namespace) -> int:
    import asyncio
    from ..demo import start_demo

    workdir, tmp = _workdir(args)
    session = await start_demo(workdir, speed=args.speed)
    try:
        session.cluster.on_sms(lambda phone, code: print(f"SMS to {phone}: your WhatsApp code is {code}", flush=True))
        print(f"profile: {session.profile_path}", flush=True)
        for spare in session.spare_hosts:
            print(f"spare host: {spare.external_hostname} ssh 127.0.0.1:{spare.ssh.port} user {spare.ssh.user} key "
                  f"{spare.ssh.key_file} (for Multiconnect step 3: wabiz-tui multiconnect {session.profile_path} --shards 2 "
                  f"--add-host {spare.external_hostname} --ssh 127.0.0.1:{spare.ssh.port} --key {spare.ssh.key_file} --yes)",
                  flush=True)
        print("simulated cluster running; press Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        pass
    finally:
        await session.stop()
        if tmp:
            tmp.cleanup()
    return 0


async def _demo_headless(args: argparse.Namespace) -> int:
    from ..config.paths import app_paths
    from ..demo import start_demo
    from ..workflows.ha_install import HaInstall
    from ..workflows.settings import default_settings

    workdir, tmp = _workdir(args)
    session = await start_demo(workdir, speed=args.speed)
    settings = default_settings(session.profile, app_paths(), profile_path=session.profile_path, read_user_config=False)
    settings.poll_interval = max(0.1, 2.0 * args.speed)
    settings.state_window *= min(1.0, args.speed)
    printer = HeadlessPrinter(args.verbose)
    workflow = HaInstall(session.profile, emit=printer, settings=settings)

    async def sms_code(request) -> str:
        print(f"  code sent for {request.vname!r}; the simulator's SMS says {session.cluster.sms_outbox[-1][1]}", flush=True)
        return session.cluster.sms_outbox[-1][1]

    try:
        ok = await workflow.run_all(sms_code)
        verdict = workflow.last_verdict
        if ok and args.multiconnect:
            ok, verdict = await _demo_multiconnect(session, workflow.profile, settings, printer)
        printer.recap()
        print(f"verdict: {verdict.headline if verdict else 'no health answer'}")
        return 0 if ok and verdict is not None and verdict.healthy else 1
    finally:
        await workflow.close()
        await session.stop()
        if tmp:
            tmp.cleanup()


async def _demo_multiconnect(session, profile, settings, printer):
    """The 4 Multiconnect steps with 2 shards and the spare host, then a failover drill."""
    from ..workflows.drill import FailoverDrill
    from ..workflows.multiconnect import Multiconnect

    print("multiconnect:", flush=True)
    mc = Multiconnect(profile, emit=printer, settings=settings)
    try:
        ok = (await mc.set_shards(2, confirmed=True) and await mc.health_served()
              and await mc.add_coreapp(session.spare_hosts[0]) and await mc.health_with_standby())
        profile = mc.profile
    finally:
        await mc.close()
    if not ok:
        return False, mc.last_verdict
    print("failover drill:", flush=True)
    drill = FailoverDrill(profile, emit=printer, settings=settings)
    try:
        ok = await drill.run_all()
        if drill.takeover_seconds is not None:
            print(f"takeover: a standby served the shard of {drill.victim} {drill.takeover_seconds:.1f} s after the kill", flush=True)
        return ok, drill.last_verdict
    finally:
        await drill.close()


def _demo_tui(args: argparse.Namespace) -> int:
    from ..demo import run_demo
    from ..tui.run import run_demo_tui

    workdir, tmp = _workdir(args)
    try:
        return run_demo(workdir, run_demo_tui, speed=args.speed)
    finally:
        if tmp:
            tmp.cleanup()


def _logs(args: argparse.Namespace) -> int:
    import asyncio
    from ..workflows.logs import LogCollection, LogRequest
    from ..workflows.settings import default_settings

    profile, path = _load(args.profile)
    request = LogRequest(tuple(args.host), args.service, args.since, args.tail)
    problems = request.problems([h.external_hostname for h in profile.hosts])
    if problems:
        return _fail("; ".join(problems))
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"--out {args.out}: cannot create it ({exc.strerror or exc})")

    async def run() -> int:
        printer = HeadlessPrinter(verbose=False, progress=sys.stdout.isatty())
        wf = LogCollection(profile, emit=printer, settings=default_settings(profile, profile_path=path, passphrase=terminal_passphrase(),
                                trust_new_host_keys=getattr(args, 'trust_new_host_keys', False)))
        try:
            ok = await wf.collect(request, args.out)
            if wf.directory is not None and wf.directory.exists():
                for host, file in sorted(getattr(wf, "files", {}).items()):
                    print(f"{host}: {file} ({file.stat().st_size} bytes)")
            printer.recap()
            if args.bundle and wf.directory is not None and wf.directory.exists():
                ok = await wf.bundle() and ok
                if wf.bundle_path:
                    print(f"bundle: {wf.bundle_path}")
            return 0 if ok else 1
        finally:
            await wf.close()

    return asyncio.run(run())


def _backup_password(var: str) -> str | None:
    import getpass
    import os

    value = os.environ.get(var, "")
    if value:
        return value
    if sys.stdin.isatty():
        return getpass.getpass("settings backup password (needed to restore; not stored): ")
    return None


def _upgrade(args: argparse.Namespace) -> int:
    import asyncio
    from ..config.paths import app_paths
    from ..domain.model import Role
    from ..workflows.settings import default_settings
    from ..workflows.upgrade import Upgrade, needs_media_chown

    profile, path = _load(args.profile)
    paths = app_paths().ensure()
    printer = HeadlessPrinter(verbose=False)
    settings = default_settings(profile, paths, profile_path=path, passphrase=terminal_passphrase(),
                                trust_new_host_keys=getattr(args, 'trust_new_host_keys', False))
    settings.journal = _journal(paths, profile, f"{args.command}-{args.to.strip()}")
    wf = Upgrade(profile, emit=printer, settings=settings, target=args.to, force=args.force, backups_dir=paths.backups)
    problems = wf.problems()
    if problems:
        return _fail(problems[0])
    host = args.host if args.command == "dbupgrade" else args.dbupgrade_host
    if host and host not in [h.external_hostname for h in profile.hosts]:
        return _fail(f"{'--host' if args.command == 'dbupgrade' else '--dbupgrade-host'}: {host!r} is not a host of the profile")
    print(f"{args.command} of cluster {profile.name!r}: {profile.wa_api_version} -> {wf.target}. Downtime is expected.")
    if not args.yes:
        return _fail("add --yes to confirm (downtime is expected)", Exit.REFUSED)
    password = None
    if args.command == "upgrade":
        password = _backup_password(args.backup_password_env)
        if not password:
            return _fail(f"the settings backup needs a password: set {args.backup_password_env} or run on a terminal")

    async def run() -> int:
        try:
            if args.command == "dbupgrade":
                ok = (await wf.dbupgrade(host, exit_on_success=not args.no_exit_on_success)
                      and await wf.upgrade_role(Role.COREAPP) and await wf.upgrade_role(Role.WEBAPP))
                if ok:
                    print(f"Coreapps and Webapps run {wf.target}; Masters still run {profile.wa_api_version}: "
                          f"finish with wabiz-tui upgrade {args.profile} --to {wf.target}")
                return 0 if ok else 1
            ok = await wf.backup(password)
            if wf.backup_path:
                print(f"backup: {wf.backup_path} (restore it with the same password: POST /v1/settings/restore)")
            if ok and host:
                ok = await wf.dbupgrade(host, exit_on_success=not args.no_exit_on_success)
            elif ok:
                print("no --dbupgrade-host: the MySQL database upgrade service was not run "
                      "(MySQL users upgrading to 2.23.x or later need it: add --dbupgrade-host HOST)")
            ok = ok and await wf.run_roles()
            if ok and needs_media_chown(wf.source, wf.target):
                if args.media_chown:
                    ok = await wf.start_media_chown()
                else:
                    print("this upgrade needs the 2.29.3 media ownership step: run it again with --media-chown, or in the "
                          "Webapp container: chown -R root /usr/local/wamedia/incoming /usr/local/wamedia/outgoing /usr/local/wamedia/shared")
            printer.recap()
            if wf.last_verdict:
                print(f"verdict: {wf.last_verdict.headline}")
            if ok and wf.profile_refused:
                print(f"the cluster runs {wf.target}, but the profile was not updated: {wf.profile_refused}")
                return Exit.REFUSED
            return Exit.OK if ok else Exit.FAILED
        finally:
            await wf.close()

    with _locked(profile, args.command, settings):
        return asyncio.run(run())


def _uninstall(args: argparse.Namespace) -> int:
    import asyncio
    from ..workflows.settings import default_settings
    from ..workflows.uninstall import ConfirmationRequired, Uninstall

    from ..config.paths import app_paths

    profile, path = _load(args.profile)
    paths = app_paths().ensure()
    settings = default_settings(profile, paths, profile_path=path, passphrase=terminal_passphrase(),
                                trust_new_host_keys=getattr(args, 'trust_new_host_keys', False))
    settings.journal = _journal(paths, profile, "uninstall")
    wf = Uninstall(profile, emit=HeadlessPrinter(verbose=False), settings=settings)
    print(f"uninstall of cluster {profile.name!r} will remove:")
    for plan in wf.plan(args.remove_volumes):
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
        return _fail(f"--confirm-name/--confirm-volumes: {exc}", Exit.REFUSED)

    async def run() -> int:
        try:
            ok = await wf.run(args.confirm_name, remove_volumes=args.remove_volumes, volumes_confirmed=args.confirm_volumes)
            print("report:")
            for host, outcome in wf.report.items():
                print(f"  {host}: {outcome}")
            if ok:
                print(f"profile {path} kept, marked as not installed")
            return 0 if ok else 1
        finally:
            await wf.close()

    with _locked(profile, "uninstall", settings):
        return asyncio.run(run())


#: ``install`` stopped for the registration code (run again with ``--code``).
EXIT_NEEDS_CODE = Exit.NEEDS_INPUT
#: ``install``: registration not sent, another saved profile has the same cc/phone_number (field case R23).
EXIT_DUPLICATE_NUMBER = Exit.REFUSED


def _lock(profile, command: str):
    """Take the cluster's lock for ``command`` (released on leaving the ``with``, or by the kernel when the
    process ends, even killed). Raises ``ClusterBusy`` naming the holder: ``main`` answers it with exit 4."""
    from ..config.lock import ClusterLock
    from ..config.paths import app_paths

    return ClusterLock.for_profile(app_paths().locks, profile).acquire(command)


@contextlib.contextmanager
def _locked(profile, command: str, settings):
    """The cluster's lock for ``command`` (:func:`_lock`), then the journal of ``settings`` read again: what was
    read before the lock (a prompt for a passphrase can last minutes) may be a run's that has ended since."""
    from ..workflows.journal import Journal

    with _lock(profile, command):
        if settings.journal is not None:
            settings.journal = Journal(settings.journal.path)
        yield


def _journal(paths, profile, procedure: str, *, announce: bool = True):
    """The journal of ``procedure`` for this cluster; says so when an earlier run is being resumed."""
    from ..workflows.journal import Journal

    journal = Journal.for_cluster(paths.journals, profile, procedure)
    if journal.exists and announce:
        print(f"resuming {procedure}: an earlier run stopped after step {journal.last_done()} ({journal.path})", flush=True)
    return journal


def _install(args: argparse.Namespace) -> int:
    import asyncio
    from ..config.paths import app_paths
    from ..config.runstate import apply_run_state
    from ..workflows.errors import WorkflowError
    from ..workflows.ha_install import HaInstall
    from ..workflows.settings import default_settings

    profile, path = _load(args.profile)
    invalid = _invalid(profile, registration=True)
    if invalid:
        return invalid
    if args.code is not None and not (args.code.isdigit() and len(args.code) == 6):
        return _fail("--code: the registration code has 6 digits")
    if not args.yes:
        return _fail(f"add --yes to run the install on {len(profile.hosts)} host(s) (see first: wabiz-tui plan {args.profile})",
                     Exit.REFUSED)
    paths = app_paths().ensure()
    settings = default_settings(profile, paths, profile_path=path, passphrase=terminal_passphrase(),
                                trust_new_host_keys=getattr(args, 'trust_new_host_keys', False))
    settings.journal = _journal(paths, profile, "install", announce=False)  # HaInstall says it itself
    settings.preflight = not args.skip_preflight
    settings.allow_duplicate_number = args.allow_duplicate_number
    printer = HeadlessPrinter(args.verbose)
    needs_code = False

    async def get_code(request) -> str:
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
        raise WorkflowError(f"a registration code was sent to +{profile.registration.cc} {profile.registration.phone_number}",
                            f"run again with --code NNNNNN: wabiz-tui install {args.profile} --yes --code NNNNNN")

    async def run() -> int:
        wf = HaInstall(profile, emit=printer, settings=settings)
        try:
            ok = await wf.run_all(get_code)
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
        return 0 if ok and wf.last_verdict is not None and wf.last_verdict.healthy else 1

    with _locked(profile, "install", settings):
        profile = apply_run_state(profile)  # installed or not, as the last run left it
        return asyncio.run(run())


def _preflight(args: argparse.Namespace) -> int:
    import asyncio
    from ..workflows.preflight import Preflight
    from ..workflows.settings import default_settings

    profile, path = _load(args.profile)

    async def run() -> int:
        wf = Preflight(profile, emit=HeadlessPrinter(verbose=False), settings=default_settings(profile, profile_path=path, passphrase=terminal_passphrase(),
                                trust_new_host_keys=getattr(args, 'trust_new_host_keys', False)))
        try:
            ok = await wf.run()
        finally:
            await wf.close()
        if not wf.results:
            return Exit.CANNOT_CHECK
        width = max(len(c.host or "cluster") for c in wf.results)
        print(f"{'HOST':{width}}  {'CHECK':18} {'RESULT':8} REASON")
        for c in sorted(wf.results, key=lambda c: (c.host, c.name)):
            print(f"{c.host or 'cluster':{width}}  {c.name:18} {c.level:8} {c.reason}")
        return 0 if ok else 1

    return asyncio.run(run())


def _health(args: argparse.Namespace) -> int:
    import asyncio
    from .health import EXIT_UNKNOWN, run_health

    if args.interval <= 0:
        return _fail("--interval must be greater than 0 seconds", EXIT_UNKNOWN)
    try:
        profile, _ = _load(args.profile)
    except SystemExit:
        return EXIT_UNKNOWN
    if _invalid(profile):  # a hostname with a tab would otherwise be judged and printed raw, as CRITICAL
        return EXIT_UNKNOWN
    try:
        return asyncio.run(run_health(profile, as_json=args.json, watch=args.watch, interval=args.interval))
    except KeyboardInterrupt:
        return 130


def _wizard(args: argparse.Namespace) -> int:
    from ..tui.run import run_wizard_tui

    profile, path = _load(args.profile)
    return run_wizard_tui(profile, path)


if __name__ == "__main__":
    sys.exit(main())
