"""``wabiz-tui demo``: the 9 HA steps on an embedded simulated cluster (TUI, ``--headless`` or ``--serve``)."""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path
from typing import Any

from ..domain.exitcodes import Exit
from .common import on_interrupt
from .output import HeadlessPrinter, fail

#: Largest --speed factor (every simulated delay multiplied by it): 100 makes a 3 s start take 5 minutes.
MAX_SPEED = 100.0


def register(sub) -> None:
    """Declare ``demo``."""
    demo = sub.add_parser("demo", help="walk the 9 HA steps on an embedded simulated cluster",
                          description="Start a simulated 5-host cluster in-process and open the install wizard on it.")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="run the 9 steps without the TUI; exit 0 only if the cluster ends healthy")
    mode.add_argument("--serve", action="store_true", help="run only the simulator until Ctrl-C and print 'profile: <path>'")
    demo.add_argument("--speed", type=float, default=1.0, help="multiply every simulated delay (default 1.0; 0.1 is 10x faster)")
    demo.add_argument("--name", default="demo",
                      help="--serve: the cluster's name (default demo); two served clusters need two names")
    demo.add_argument("--workdir", type=Path, help="keep the simulator's files here (default: a temporary directory)")
    demo.add_argument("--multiconnect", action="store_true",
                      help="headless: after the HA steps, the 4 Multiconnect steps (2 shards, a third Coreapp) and a failover drill")
    demo.add_argument("--hosts", type=int, default=5, metavar="N",
                      help="simulate N hosts, 5 to 50 (default 5; 50 = 4 Webapps, 3 Masters, 43 Coreapps, the largest "
                           "cluster Meta supports)")
    demo.add_argument("-v", "--verbose", action="store_true", help="headless: print every output line of every host")
    on_interrupt(demo, "demo interrupted: the simulated cluster is stopped")
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``demo`` command."""
    import asyncio

    if not math.isfinite(args.speed) or not 0 < args.speed <= MAX_SPEED:
        return fail(f"--speed must be a number above 0 and at most {MAX_SPEED:g}, e.g. 0.5 or 1")
    try:  # the layout's own bounds (demo.session MIN_HOSTS..MAX_HOSTS)
        _layout(args)
    except ValueError as exc:
        return fail(f"--hosts {args.hosts}: {exc}, e.g. --hosts 50")
    if args.name != "demo":
        from ..domain.validation import check_cluster_name

        problem = check_cluster_name(args.name, "--name")
        if problem:
            return fail(str(problem[0]))
        if not args.serve:
            return fail("--name goes with --serve (the demo's TUI and --headless run one cluster named demo)")
    if args.multiconnect and not args.headless:
        return fail("--multiconnect goes with --headless (in the TUI the Multiconnect steps follow the install; "
                    "--serve runs only the simulator: run `wabiz-tui multiconnect` on its profile)")
    busy = _claim_workdir(args)
    if busy:
        return fail(busy, Exit.REFUSED)
    if args.serve:
        try:
            return asyncio.run(_serve(args))
        except KeyboardInterrupt:  # Ctrl-C/SIGTERM is how a served simulator ends: 130 as the table says, but
            print("simulated cluster stopped; its files are removed", flush=True)  # nothing to resume
            return Exit.INTERRUPTED
    if args.headless:
        return asyncio.run(_headless(args))
    return _tui(args)


def _layout(args: argparse.Namespace) -> dict[str, Any]:
    """``start_demo``'s ``hosts`` and ``spare_hosts`` for ``--hosts``."""
    from ..demo import demo_layout

    hosts, spare = demo_layout(args.hosts)
    return {"hosts": hosts, "spare_hosts": (spare,)}


#: In a ``--workdir``: held (``fcntl.flock``) by the demo that runs there, with its pid; the kernel lets it go when
#: that process ends, however it ends.
WORKDIR_LOCK = ".wabiz-demo.lock"


def _claim_workdir(args: argparse.Namespace) -> str:
    """Lock ``--workdir`` for this process (kept on ``args`` until it exits); "" when done or no ``--workdir``, else
    why not. A second demo there would rewrite the running one's profile and share its hosts' files (s8 trial)."""
    import fcntl
    import os

    if not args.workdir:
        return ""
    args.workdir.mkdir(parents=True, exist_ok=True)
    lock = open(args.workdir / WORKDIR_LOCK, "a+")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        return (f"--workdir {args.workdir}: another demo (pid {holder}) runs there; stop it first (Ctrl-C in its "
                f"terminal, or `kill {holder}` where it has none), or give another --workdir")
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    args.workdir_lock = lock
    return ""


def _workdir(args: argparse.Namespace) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return args.workdir, None
    tmp = tempfile.TemporaryDirectory(prefix="wabiz-demo-")
    return Path(tmp.name), tmp


async def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    from ..demo import start_demo

    # a client stopped with Ctrl-C leaves its sockets to the simulator's servers, and asyncio warns
    # "socket.send() raised exception." once per write to them (trial): a served simulator's terminal stays readable
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    workdir, tmp = _workdir(args)
    session = await start_demo(workdir, speed=args.speed, name=args.name, **_layout(args))
    try:
        session.cluster.on_sms(lambda phone, code: print(f"SMS to {phone}: your WhatsApp code is {code}", flush=True))
        print(f"profile: {session.profile_path}", flush=True)
        for spare in session.spare_hosts:
            print(f"spare host: {spare.external_hostname} ssh 127.0.0.1:{spare.ssh.port} user {spare.ssh.user} key "
                  f"{spare.ssh.key_file} (for Multiconnect step M3: wabiz-tui multiconnect {session.profile_path} --shards 2 "
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


async def _headless(args: argparse.Namespace) -> int:
    from ..config.paths import app_paths
    from ..demo import start_demo
    from ..workflows.ha_install import HaInstall
    from ..workflows.settings import default_settings
    from .runreport import run_recorded

    workdir, tmp = _workdir(args)
    session = await start_demo(workdir, speed=args.speed, **_layout(args))
    settings = default_settings(session.profile, app_paths(), profile_path=session.profile_path, read_user_config=False)
    settings.poll_interval = max(0.1, 2.0 * args.speed)
    settings.state_window *= min(1.0, args.speed)
    printer = HeadlessPrinter(args.verbose)
    workflow = HaInstall(session.profile, emit=printer, settings=settings)

    async def sms_code(request) -> str:
        """The registration code from the simulator's SMS outbox (its newest message), printed as a real operator
        would read it off the phone; ``request``: the workflow's code request (its ``vname``)."""
        print(f"  code sent for {request.vname!r}; the simulator's SMS says {session.cluster.sms_outbox[-1][1]}", flush=True)
        return session.cluster.sms_outbox[-1][1]

    try:
        ok = await run_recorded(workflow, workflow.run_all(sms_code),
                                "the simulated cluster is stopped and its files removed: start again with wabiz-tui demo --headless")
        verdict = workflow.last_verdict
        if ok and args.multiconnect:
            ok, verdict = await _multiconnect(session, workflow.profile, settings, printer)
        printer.recap()
        print(f"verdict: {verdict.headline if verdict else 'no health answer'}")
        return 0 if ok and verdict is not None and verdict.healthy else 1
    finally:
        await workflow.close()
        await session.stop()
        if tmp:
            tmp.cleanup()


async def _multiconnect(session, profile, settings, printer):
    """The 4 Multiconnect steps with 2 shards and the spare host, then a failover drill."""
    from ..workflows.drill import FailoverDrill
    from ..workflows.multiconnect import Multiconnect

    print("multiconnect:", flush=True)
    mc = Multiconnect(profile, emit=printer, settings=settings)
    try:
        ok = await mc.run(2, session.spare_hosts[0])
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


def _tui(args: argparse.Namespace) -> int:
    from ..demo import run_demo
    from ..tui.run import run_demo_tui

    workdir, tmp = _workdir(args)
    try:
        return run_demo(workdir, run_demo_tui, speed=args.speed, hosts=args.hosts)
    finally:
        if tmp:
            tmp.cleanup()
