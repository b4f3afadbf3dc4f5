"""``wabiz-tui multiconnect PROFILE --shards N``: the 4 Multiconnect steps headless, and their dry-run plan."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..domain.exitcodes import Exit
from ..domain.model import ClusterProfile, HostSpec, Role, SshTarget
from ..domain.validation import ALLOWED_SHARDS
from ..workflows.keyfiles import key_file_error
from .common import add_profile, add_trust, load, lock, settings_for, writes_locally
from .output import HeadlessPrinter, fail


#: profile field of the new host → the flag that sets it
_FLAGS = {"external_hostname": "--add-host", "ssh.host": "--ssh", "ssh.port": "--ssh", "ssh.user": "--user",
          "ssh.key_file": "--key", "ssh.alias": "--ssh", "remote_dir": "--remote-dir", "roles": "--add-host"}


def new_host(name: str, ssh: str, user: str, key: str, remote_dir: str) -> HostSpec:
    """The ``--add-host`` Coreapp host from the flags (``--ssh HOST[:PORT]``). Raises ValueError naming the flag."""
    address, sep, port = ssh.rpartition(":") if ":" in ssh and not ssh.startswith("[") else (ssh, "", "22")
    if sep and not port.isdigit():
        raise ValueError(f"--ssh: {port!r} is not a port number (HOST[:PORT], e.g. 10.0.0.17:22)")
    if key and not Path(key).expanduser().is_file():
        what = "is a directory" if Path(key).expanduser().is_dir() else "does not exist"
        raise ValueError(f"--key: {key} {what} (give the private key file for the new host)")
    refused = key_file_error("--key", key) if key else None
    if refused is not None:  # a .pub or any other non-key file, as for a profile's ssh.key_file
        raise ValueError(f"--key: {refused.message}")
    return HostSpec(name, SshTarget(address or ssh, int(port), user, key, use_agent=not key), (Role.COREAPP,),
                    remote_dir or f"/home/{user}/biz")


def flag_message(error) -> str:
    """A new-host FieldError as the flag the operator typed (``hosts[5].ssh.port`` → ``--ssh``)."""
    field = error.field.split(".", 1)[1] if "." in error.field else error.field
    return f"{_FLAGS.get(field, '--add-host')}: {error.message}"


def register(sub) -> None:
    """Declare ``multiconnect``."""
    mc = sub.add_parser("multiconnect", help="the 4 Multiconnect steps headless: set shards, health, one more Coreapp, health",
                        description="Set the shard count (POST /v1/account/shards), check that many Coreapps connect, then "
                                    "start one more Coreapp on a new host (--add-host) so one failure is tolerated.")
    add_profile(mc)
    mc.add_argument("--shards", type=int, required=True, choices=list(ALLOWED_SHARDS), help="the shard count")
    mc.add_argument("--yes", action="store_true", help="confirm (without it, only the plan is shown)")
    mc.add_argument("--add-host", metavar="EXTERNAL_HOSTNAME", help="the new Coreapp host")
    mc.add_argument("--ssh", metavar="HOST[:PORT]", help="how to reach it by SSH (default: its EXTERNAL_HOSTNAME)")
    mc.add_argument("--user", default="wa", help="SSH user (default wa)")
    mc.add_argument("--key", default="", help="private key file (default: agent and default keys)")
    mc.add_argument("--remote-dir", default="", help="directory for the configuration files (default /home/<user>/biz)")
    add_trust(mc)
    writes_locally(mc)
    mc.set_defaults(run=run)


def plan_text(profile: ClusterProfile, shards: int, host: HostSpec | None) -> str:
    """What the Multiconnect steps would send and run (secrets masked), contacting nothing."""
    from ..workflows.events import discard
    from ..workflows.multiconnect import Multiconnect

    return Multiconnect(profile, emit=discard).plan(shards, host).text()


async def _go(profile: ClusterProfile, settings, printer, shards: int, host: HostSpec | None) -> int:
    """Steps 1-2, and 3-4 when ``host`` is given. 0 healthy at the end, 1 otherwise."""
    from ..remote.errors import RemoteError
    from ..workflows.multiconnect import Multiconnect
    from ..workflows.report import measure_before
    from .runreport import print_report, run_recorded

    mc = Multiconnect(profile, emit=printer, settings=settings)
    try:
        if host is not None:  # everything about the new host is checked before the shards change
            problems = mc.new_host_problems(host)
            if problems:
                return fail("; ".join(flag_message(e) for e in problems))
            try:
                await mc.reach(host)
            except RemoteError as exc:
                return fail(f"--add-host {host.external_hostname}: {exc} ({exc.next_action}); nothing was changed", Exit.FAILED)
        await measure_before(mc)
        ok = await run_recorded(mc, mc.run(shards, host), "run the same multiconnect command again to continue")
        print_report(mc, ok and mc.last_verdict is not None and mc.last_verdict.healthy)
        if ok and host is None:
            print("no --add-host: no standby Coreapp was added (shards + X Coreapps tolerate X failures)", file=sys.stderr)
    finally:
        await mc.close()
    printer.recap()
    if mc.last_verdict:
        print(f"verdict: {mc.last_verdict.headline}")
    healthy = ok and mc.last_verdict is not None and mc.last_verdict.healthy
    if healthy and mc.profile_refused:
        print(f"the cluster is as asked, but the profile was not updated: {mc.profile_refused}")
        return Exit.REFUSED
    return Exit.OK if healthy else Exit.FAILED


def run(args: argparse.Namespace) -> int:
    """The ``multiconnect`` command: without ``--yes`` the plan only (exit 4)."""
    import asyncio

    profile, path = load(args.profile)
    try:
        host = new_host(args.add_host, args.ssh or args.add_host, args.user, args.key, args.remote_dir) if args.add_host else None
    except ValueError as exc:
        return fail(str(exc))
    if not args.yes:
        sys.stdout.write(plan_text(profile, args.shards, host))
        return fail("nothing done: add --yes to set the shards (connections drop briefly)", Exit.REFUSED)

    with lock(profile, "multiconnect"):
        return asyncio.run(_go(profile, settings_for(args, profile, path), HeadlessPrinter(verbose=False), args.shards, host))
