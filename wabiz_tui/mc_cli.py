"""``wabiz-tui multiconnect PROFILE --shards N``: the 4 Multiconnect steps headless, and their dry-run plan."""

from __future__ import annotations

import asyncio
import sys

from .domain.model import ClusterProfile, HostSpec, Role, SshTarget
from .domain.render import COMPOSE_FILE, DB_ENV_FILE


def new_host(name: str, ssh: str, user: str, key: str, remote_dir: str) -> HostSpec:
    """The ``--add-host`` Coreapp host from the flags (``--ssh HOST[:PORT]``); validated later by the workflow."""
    address, _, port = ssh.rpartition(":") if ":" in ssh and not ssh.startswith("[") else (ssh, "", "22")
    port_num = int(port) if port.isdigit() else 0
    return HostSpec(name, SshTarget(address or ssh, port_num, user, key, use_agent=not key), (Role.COREAPP,),
                    remote_dir or f"/home/{user}/biz")


def print_plan(profile: ClusterProfile, shards: int, host: HostSpec | None) -> int:
    """What the Multiconnect steps would send and run (secrets masked), contacting nothing."""
    from .workflows.events import discard
    from .workflows.multiconnect import Multiconnect

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
    from .workflows.multiconnect import Multiconnect

    mc = Multiconnect(profile, emit=printer, settings=settings)
    try:
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
    return 0 if ok and mc.last_verdict is not None and mc.last_verdict.healthy else 1


def main(args, profile: ClusterProfile, path) -> int:
    """The ``multiconnect`` command."""
    from .workflows.settings import default_settings

    host = new_host(args.add_host, args.ssh or args.add_host, args.user, args.key, args.remote_dir) if args.add_host else None
    if not args.yes:
        print_plan(profile, args.shards, host)
        print("wabiz-tui: nothing done: add --yes to set the shards (connections drop briefly)", file=sys.stderr)
        return 1
    from .headless import HeadlessPrinter, terminal_passphrase

    return asyncio.run(run(profile, default_settings(profile, profile_path=path, passphrase=terminal_passphrase(),
                                                      trust_new_host_keys=args.trust_new_host_keys), HeadlessPrinter(verbose=False),
                           args.shards, host))
