"""``wabiz-tui preflight PROFILE``: every check on every host, as a table, before anything starts."""

from __future__ import annotations

import argparse

from ..domain.exitcodes import Exit
from .common import add_profile, add_trust, invalid, load, settings_for, writes_locally
from .output import HeadlessPrinter


def register(sub) -> None:
    """Declare ``preflight``."""
    pre = sub.add_parser("preflight", help="check every host and the plan before anything starts",
                         description="SSH, Docker and compose, disk, ports, names, the database, media, clocks, the image, "
                                     "and topology advice: a table of host x check. Exit 0 no failure, 1 failures, 2 bad input.")
    add_profile(pre)
    add_trust(pre)
    writes_locally(pre)
    pre.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``preflight`` command."""
    import asyncio
    from ..workflows.preflight import Preflight

    profile, path = load(args.profile)
    bad = invalid(profile)  # every field error with its fix, exit 2 (the table's "bad input"), nothing contacted
    if bad:
        return bad

    async def go() -> int:
        """Run the preflight and print its table: ``Exit.CANNOT_CHECK`` when nothing was checked, else the worst
        result's exit code."""
        wf = Preflight(profile, emit=HeadlessPrinter(verbose=False), settings=settings_for(args, profile, path))
        try:
            ok = await wf.run()
        finally:
            await wf.close()
        if not wf.results:
            return Exit.CANNOT_CHECK
        width = max(len(c.host or "cluster") for c in wf.results)
        check = max(len("CHECK"), *(len(c.name) for c in wf.results))  # e.g. "disk /var/lib/docker" (20)
        print(f"{'HOST':{width}}  {'CHECK':{check}} {'RESULT':8} REASON")
        for c in sorted(wf.results, key=lambda c: (c.host, c.name)):
            print(f"{c.host or 'cluster':{width}}  {c.name:{check}} {c.level:8} {c.reason}")
        return 0 if ok else 1

    return asyncio.run(go())
