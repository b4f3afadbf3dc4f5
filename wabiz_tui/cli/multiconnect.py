"""``wabiz-tui multiconnect PROFILE --shards N``: the 4 Multiconnect steps headless, and their dry-run plan."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ..domain.model import ClusterProfile, HostSpec, Role, SshTarget
from ..domain.exitcodes import Exit
from ..domain.render import COMPOSE_FILE, DB_ENV_FILE


#: profile field of the new host → the flag that sets it
_FLAGS = {"external_hostname": "--add-host", "ssh.host": "--ssh", "ssh.port": "--ssh", "ssh.user": "--user",
          "ssh.key_file": "--key", "ssh.alias": "--ssh", "remote_dir": "--remote-dir", "roles": "--add-host"}


def new_host(name: str, ssh: str, user: str, key: str, remote_dir: str) -> HostSpec:
    """The ``--add-host`` Coreapp host from the flags (``--ssh HOST[:PORT]``). Raises ValueError naming the flag."""
    address, sep, port = ssh.rpartition(":") if ":" in ssh and not ssh.startswith("[") else (ssh, "", "22")
    if sep and not port.isdigit():
        raise ValueError(f"--ssh: {port!r} is not a port number (HOST[:PORT], e.g. 10.0.0.17:22)")
    if key and not Path(key).expanduser().is_file():
        raise ValueError(f"--key: {key} does not exist (give the private key file for the new host)")
    return HostSpec(name, SshTarget(address or ssh, int(port), user, key, use_agent=not key), (Role.COREAPP,),
                    remote_dir or f"/home/{user}/biz")


def flag_message(error) -> str:
    """A new-host FieldError as the flag the operator typed (``hosts[5].ssh.port`` → ``--ssh``)."""
    field = error.field.split(".", 1)[1] if "." in error.field else error.field
    return f"{_FLAGS.get(field, '--add-host')}: {error.message}"


def print_plan(profile: ClusterProfile, shards: int, host: HostSpec | None) -> int:
    """What the Multiconnect steps would send and run (secrets masked), contacting nothing."""
    from ..workflows.events import discard
    from ..workflows.multiconnect import Multiconnect

    r = profile.registration
    print(f"== step 1: POST {profile.webapp.url}/v1/account/shards "
          f'{{"cc": "{r.cc}", "phone_number": "{r.phone_number}", "shards": {shards}, "cert": "********"'
          + (', "pin": "********"}' if r.pin else "}"))
    print(f"== step 2: GET {profile.webapp.url}/v1/health: {shards} Coreapp(s) connected")
    if host is None:
        print("== step 3: (give --add-host to plan the new Coreapp host: mkdir, upload, up -d wacore)")
    else:
        mc = Multiconnect(profile.with_changes(hosts=profile.hosts + (host,)), emit=discard)
        print(f"== step 3: {host.external_hostname}")
        print(f"mkdir -p {host.remote_dir}\nput {COMPOSE_FILE}\nput {DB_ENV_FILE} (mode 600)")
        print(mc.invocation(host).up(Role.COREAPP))
    print(f"== step 4: GET {profile.webapp.url}/v1/health: {shards} connected, the new Coreapp a standby")
    return 0


async def run(profile: ClusterProfile, settings, printer, shards: int, host: HostSpec | None) -> int:
    """Steps 1-2, and 3-4 when ``host`` is given. 0 healthy at the end, 1 otherwise."""
    from ..workflows.multiconnect import Multiconnect

    from ..remote.errors import RemoteError

    mc = Multiconnect(profile, emit=printer, settings=settings)
    try:
        if host is not None:  # everything about the new host is checked before the shards change
            problems = mc.new_host_problems(host)
            if problems:
                print("wabiz-tui: " + "; ".join(flag_message(e) for e in problems), file=sys.stderr)
                return 2
            try:
                await mc.reach(host)
            except RemoteError as exc:
                print(f"wabiz-tui: --add-host {host.external_hostname}: {exc} ({exc.next_action}); nothing was changed",
                      file=sys.stderr)
                return 1
        ok = await mc.set_shards(shards, confirmed=True) and await mc.health_served()
        if ok and host is not None:
            ok = await mc.add_coreapp(host) and await mc.health_with_standby()
        elif ok:
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


def main(args, profile: ClusterProfile, path) -> int:
    """The ``multiconnect`` command."""
    from ..workflows.settings import default_settings

    try:
        host = new_host(args.add_host, args.ssh or args.add_host, args.user, args.key, args.remote_dir) if args.add_host else None
    except ValueError as exc:
        print(f"wabiz-tui: {exc}", file=sys.stderr)
        return 2
    if not args.yes:
        print_plan(profile, args.shards, host)
        print("wabiz-tui: nothing done: add --yes to set the shards (connections drop briefly)", file=sys.stderr)
        return Exit.REFUSED
    from .headless import HeadlessPrinter, terminal_passphrase

    from ..config.lock import ClusterLock
    from ..config.paths import app_paths

    with ClusterLock.for_profile(app_paths().locks, profile).acquire("multiconnect"):
        return asyncio.run(run(profile, default_settings(profile, profile_path=path, passphrase=terminal_passphrase(),
                                                          trust_new_host_keys=args.trust_new_host_keys),
                               HeadlessPrinter(verbose=False), args.shards, host))
