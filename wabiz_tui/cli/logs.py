"""``wabiz-tui logs PROFILE``: docker-compose logs into one debug_output.txt per host (and a support bundle),
under the state directory's logs folder like F4 in the TUI (``--output DIR`` chooses another)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_profile, add_trust, load, on_interrupt, settings_for, writes_locally
from ..domain.exitcodes import Exit
from .output import HeadlessPrinter, fail

SERVICES = ["waweb", "master", "wacore"]


def register(sub) -> None:
    """Declare ``logs``."""
    logs = sub.add_parser("logs", help="collect docker-compose logs into debug_output.txt per host (and a support bundle)",
                          description="Stream docker-compose logs of every chosen host into <output>/<cluster>-<time>/<host>/debug_output.txt "
                                      "(<output>: the state directory's logs folder unless --output is given), "
                                      "with the profile's secrets redacted.")
    add_profile(logs)
    logs.add_argument("--host", action="append", default=[], metavar="EXTERNAL_HOSTNAME", help="only this host (repeatable; default all)")
    logs.add_argument("--service", choices=SERVICES, help="only this service (default all)")
    logs.add_argument("--since", help="docker's --since: 10m, 2h, 2026-11-30T10:00:00, or a Unix time")
    logs.add_argument("--tail", type=int, help="at most this many lines per container")
    logs.add_argument("--output", "--out", dest="out", type=Path, default=None, metavar="DIR",
                      help="where the run's folder is created (default: the state directory's logs folder, "
                           "where F4 in the TUI writes too)")
    logs.add_argument("--bundle", action="store_true", help="also write health, /v1/support and ps, and pack everything as .tar.gz")
    add_trust(logs)
    writes_locally(logs, lambda args: [output_dir(args)])
    on_interrupt(logs, "interrupted: the logs collected so far are kept; nothing was changed on the hosts")
    logs.set_defaults(run=run)


def output_dir(args: argparse.Namespace) -> Path:
    """``--output``, else the state directory's logs folder (the one the TUI's F4 writes to)."""
    from ..config.paths import app_paths

    if args.out is None:
        args.out = app_paths().logs
    return args.out


def run(args: argparse.Namespace) -> int:
    """The ``logs`` command: 0 when every chosen host's logs (and the bundle) were written, else 1 (also when wabiz-tui
    uninstalled the cluster: nothing is written then)."""
    import asyncio
    from ..workflows.logs import LogCollection, LogRequest, uninstalled_refusal
    from .runreport import run_recorded

    profile, path = load(args.profile)
    request = LogRequest(tuple(args.host), args.service, args.since, args.tail)
    problems = request.problems([h.external_hostname for h in profile.hosts])
    if problems:
        return fail("; ".join(problems))
    refusal = uninstalled_refusal(profile, args.profile)
    if refusal:
        print(refusal)
        return Exit.FAILED
    out = output_dir(args)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return fail(f"--output {out}: cannot create it ({exc.strerror or exc})")
    print(f"logs go to {out} (choose another folder with --output DIR)")

    async def go() -> int:
        """Collect the logs (``request``) into ``out``, recorded, then name each host's file and its size: the exit
        code (``domain.exitcodes.Exit``)."""
        printer = HeadlessPrinter(verbose=False, progress=sys.stdout.isatty())
        wf = LogCollection(profile, emit=printer, settings=settings_for(args, profile, path))
        try:
            ok = await run_recorded(wf, wf.run(request, out, bundle=args.bundle),
                                    "nothing was changed on the hosts: run the same command again to collect the logs")
            if wf.directory is not None and wf.directory.exists():
                for host, file in sorted(getattr(wf, "files", {}).items()):
                    print(f"{host}: {file} ({file.stat().st_size} bytes)")
            printer.recap()
            if wf.bundle_path:
                print(f"bundle: {wf.bundle_path}")
            return 0 if ok else 1
        finally:
            await wf.close()

    return asyncio.run(go())
