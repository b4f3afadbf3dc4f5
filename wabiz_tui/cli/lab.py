"""The ``wabiz-tui lab`` face: ``up``, ``status``, ``down``, ``fault …``, ``code`` on the lab of real parts
(:mod:`wabiz_tui.lab`). It turns the lab's facts into a profile with the client's own loader and saves it.

Exit codes (the table of :mod:`wabiz_tui.exitcodes`): 0 done, 1 a lab step failed, 2 bad arguments, 3 the lab
cannot run here (not root, not Linux, a tool missing), 4 ``up`` while a lab is already up.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from ..domain.exitcodes import Exit

FAULTS = {
    "kill": "HOST SERVICE — docker kill the service's container on HOST (e.g. kill wa-core-1 wacore)",
    "stop": "HOST SERVICE — docker stop it",
    "dockerd-stop": "HOST — stop the host's dockerd (its containers stop)",
    "freeze": "HOST — SIGSTOP every process of the host",
    "cut": "A B — drop all traffic between hosts A and B (B may be db)",
    "dns-remove": "NAME — remove a name from the lab DNS",
    "registry": "down|deny|forbid — stop the registry, make it demand a login (HTTP 401), or answer HTTP 403 in its place",
    "registry-intermittent": "N|off — a front passes requests on to the registry and refuses (HTTP 403 "
                             "\"Forbidden!\") every N-th (2-10) manifest/blob request of each host; off removes it",
    "db": "down|password|max-connections|host-restrict|idle-timeout|read-only|no-create|tls-only|auth-plugin — stop "
          "the DB, change the user's password, let no new connection in, allow the user from the admin address only, "
          "close idle sessions after 2 s, refuse writes, take CREATE from the user, require TLS, move the user to the "
          "ed25519 auth plugin",
    "media": "full|readonly|inodes — fill the shared media filesystem, remount it read-only, or leave it no inode",
    "media-private": "HOST — a host-private directory over HOST's media path (media not shared)",
    "registry-ca": "HOST — take the registry's CA out of HOST's Docker trust (x509 unknown authority)",
    "port": "HOST PORT — a process listening on HOST's PORT (a container publishing it cannot start)",
    "port-block": "A B PORT drop|reject — block TCP PORT from host A to host B only (times out / refused)",
    "resolver-loopback": "HOST — HOST resolves through a stub on 127.0.0.53 (as systemd-resolved): containers cannot use it",
    "dbenv": "HOST KEY VALUE — set KEY=VALUE in HOST's db.env (as a hand edit; backup kept)",
    "compose-tab": "HOST — put a tab in HOST's compose file (as a hand edit; backup kept)",
    "dbupgrade": "REASON — make the dbupgrade service exit non-zero with REASON",
    "clock-skew": "(not possible in this lab: says why)",
    "clear": "undo every fault in force",
}


def register(sub) -> None:
    """Declare ``lab`` and its sub-commands on the main parser's subparsers."""
    lab = sub.add_parser("lab", help="rehearsal lab of real parts: sshd + dockerd per host, registry, DB, DNS (Linux, root)",
                         description="A lab of real parts on this machine (Linux, root): one network namespace per host "
                                     "with its own sshd and dockerd, a TLS registry as docker.whatsapp.biz, MariaDB or "
                                     "PostgreSQL, lab DNS and a shared media path.")
    lsub = lab.add_subparsers(dest="lab_command", required=True)
    up = lsub.add_parser("up", help="bring the lab up and write its profile")
    up.add_argument("--hosts", type=int, default=6, help="number of hosts (default 6: the seed's 5 and a spare Coreapp)")
    up.add_argument("--db", choices=["mysql", "postgres"], default="mysql", help="mysql = MariaDB (default) or postgres")
    up.add_argument("--versions", default="2.41.2",
                    help="WA_API_VERSIONs to build stand-in images for, comma-separated (the first goes in the profile)")
    # The client's support matrix names MySQL 5.7/8.0 only, so a MariaDB announcing itself fails the preflight: the
    # rehearsal default spoofs; --real-db-version shows how the product names a real MariaDB.
    up.add_argument("--db-version-spoof", dest="db_version_spoof", action="store_true", default=True,
                    help="MariaDB announces MySQL 8.0.36 (the default, so the preflight passes)")
    up.add_argument("--real-db-version", dest="db_version_spoof", action="store_false",
                    help="MariaDB announces its real version (the preflight then names it as unsupported)")
    up.add_argument("--speed", type=float, default=1.0, help="the stand-in nodes' speed factor (lower is faster)")
    st = lsub.add_parser("status", help="hosts, addresses, daemons, memory and the lab's shortcuts")
    st.add_argument("--json", action="store_true", help="print the status as JSON")
    lsub.add_parser("down", help="remove everything the lab made")
    lsub.add_parser("code", help="print the registration code the lab's Webapp expects")
    fault = lsub.add_parser("fault", help="inject a real fault (or clear them)",
                            description="\n".join(f"{k} {v}" for k, v in FAULTS.items()),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    # optional for argparse, so that a bare `lab fault` is told which faults exist instead of argparse's
    # "the following arguments are required: kind, targets" (targets are optional)
    fault.add_argument("kind", nargs="?", choices=list(FAULTS), help="which fault")
    fault.add_argument("targets", nargs="*", help="its arguments (see above)")
    lab.set_defaults(run=run)


def _err(message: str, code: int) -> int:
    print(f"wabiz-tui lab: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    """Run ``wabiz-tui lab …``; returns the exit code."""
    from ..lab import LabError, LabRefused
    from ..lab.control import LabAlreadyUp, check_can_run
    from ..lab.errors import LabNotUp
    try:
        check_can_run()
        return _COMMANDS[args.lab_command](args)
    except (LabRefused, LabNotUp) as exc:  # nothing was done: the command could not run, no step failed
        return _err(str(exc), Exit.CANNOT_CHECK)
    except LabAlreadyUp as exc:
        return _err(str(exc), Exit.REFUSED)
    except ValueError as exc:
        return _err(str(exc), Exit.BAD_INPUT)
    except LabError as exc:
        return _err(str(exc), Exit.FAILED)


def _versions(text: str) -> tuple[str, ...]:
    versions = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in versions if not re.fullmatch(r"\d+\.\d+\.\d+", v)]
    if not versions or bad:
        raise ValueError(f"--versions: {', '.join(bad) or text!r} is not X.Y.Z (e.g. 2.41.2,2.43.1)")
    return versions


def _up(args: argparse.Namespace) -> int:
    from ..lab import control
    from ..lab.profile import spare_hosts
    from ..lab.state import Paths
    if not 0 < args.speed <= 100:
        raise ValueError("--speed must be above 0 and at most 100")
    paths = Paths()
    ledger = control.up(paths, hosts=args.hosts, db=args.db, versions=_versions(args.versions),
                        db_version_spoof=args.db_version_spoof, speed=args.speed)
    path = save_lab_profile(paths, ledger)
    print(f"lab up in {ledger.data.get('up_seconds')} s: {len(ledger.data['hosts'])} hosts, "
          f"{ledger.data['db']['engine']} {ledger.data['db']['version']}")
    print(f"registration code: {ledger.data['code']}")
    for h in spare_hosts(ledger):
        print(f"spare host: {h['name']} ssh {h['ip']}:22 user wa key {paths.client_key} (Multiconnect step 3: "
              f"wabiz-tui multiconnect {path} --shards 2 --add-host {h['name']} --ssh {h['ip']}:22 "
              f"--key {paths.client_key} --yes)")
    print(f"profile: {path}", flush=True)
    return 0


def save_lab_profile(paths, ledger, target: Path | None = None) -> Path:
    """Turn the lab's facts into a profile (validated by the client's loader) and save it with mode 600."""
    from ..config.profile import profile_from_dict, save_profile
    from ..lab.profile import profile_data
    return save_profile(profile_from_dict(profile_data(paths, ledger)), target or paths.profile)


def _lab_status() -> dict:
    """The lab's :func:`~wabiz_tui.lab.control.status`; :class:`LabNotUp` (exit 3, as every lab command with no lab
    up) when none is up."""
    from ..lab import control
    from ..lab.errors import LabNotUp
    from ..lab.state import Paths
    st = control.status(Paths())
    if st is None:
        raise LabNotUp()
    return st


def _status(args: argparse.Namespace) -> int:
    st = _lab_status()
    if args.json:
        print(json.dumps(st, indent=1))
        return 0
    print(f"lab {st['phase']} (up in {st['up_seconds']} s); profile: {st['profile']}; registration code {st['code']}")
    print(f"{'host':<13}{'address':<15}{'roles':<22}{'sshd':<14}{'dockerd':<14}{'PSS MiB':>8}{'containers MiB':>16}")
    for h in st["hosts"]:
        d = h["daemons"]
        roles = ",".join(h["roles"]) + (" (spare)" if h["spare"] else "")
        print(f"{h['name']:<13}{h['ip']:<15}{roles:<22}{_d(d['sshd']):<14}{_d(d['dockerd']):<14}"
              f"{h['pss_kib'] / 1024:>8.1f}{h['containers_memory'] / 1048576:>16.1f}")
    for name, d in st["services"].items():
        print(f"service {name:<9} {_d(d)}  PSS {d['pss_kib'] / 1024:.1f} MiB")
    db = st["db"]
    print(f"db: {db.get('engine')} {db.get('version', '?')}" + (" (version spoofed)" if db.get("spoof") else ""))
    print(f"media: {st['media']['path']}: {st['media']['how']}")
    print(f"stand-in versions: {', '.join(st['versions'])}")
    for f in st.get("faults", []):
        print(f"fault in force: {f}")
    for s in st["shortcuts"]:
        print(f"shortcut: {s}")
    return 0


def _d(d: dict) -> str:
    return f"{d['pid']} {'alive' if d['alive'] else 'DEAD'}" if d.get("pid") else "not running"


def _down(args: argparse.Namespace) -> int:
    from ..lab import control
    problems = control.down()
    return 1 if problems else 0


def _code(args: argparse.Namespace) -> int:
    print(_lab_status()["code"])
    return 0


def _number(text: str, what: str, low: int = 1, high: int = 65535) -> int:
    """``text`` as a whole number from ``low`` to ``high`` written in ASCII digits (``str.isdigit`` also takes ``²``
    and ``٣``, which ``int`` then refuses or reads as 3); ValueError naming ``what`` and the range otherwise."""
    if not re.fullmatch(r"[0-9]{1,9}", text) or not low <= int(text) <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


def _fault(args: argparse.Namespace) -> int:
    from ..lab import faults
    from ..lab import field_faults as field
    from ..lab import field_faults_net as field_net
    from ..domain.render import COMPOSE_FILE, DB_ENV_FILE
    from ..lab.state import Paths
    paths, t, kind = Paths(), args.targets, args.kind
    if kind is None:
        raise ValueError(f"fault: name the fault, one of {', '.join(FAULTS)} (`wabiz-tui lab fault -h` says what each takes)")
    need = {"kill": 2, "stop": 2, "dockerd-stop": 1, "freeze": 1, "cut": 2, "dns-remove": 1, "registry": 1, "db": 1,
            "media": 1, "dbupgrade": 1, "clock-skew": 0, "clear": 0, "media-private": 1, "registry-ca": 1,
            "port": 2, "port-block": 4, "resolver-loopback": 1, "dbenv": 3, "compose-tab": 1,
            "registry-intermittent": 1}[kind]
    if len(t) != need:
        raise ValueError(f"fault {kind} takes {need} argument(s): {FAULTS[kind]}")
    if kind == "clock-skew":
        return _err(faults.NO_CLOCK_SKEW, 2)
    if kind == "clear":
        done = faults.clear(paths)
        print("cleared: " + (", ".join(done) or "nothing was in force"))
        return 0
    if kind == "registry-intermittent" and t[0] == "off":
        from ..lab import registry_faults
        print("registry-intermittent: " + ("off" if registry_faults.off(paths) else "was not in force"))
        return 0
    actions = {"kill": lambda: faults.container(paths, t[0], t[1], "kill"),
               "stop": lambda: faults.container(paths, t[0], t[1], "stop"),
               "dockerd-stop": lambda: faults.stop_dockerd(paths, t[0]), "freeze": lambda: faults.freeze(paths, t[0]),
               "cut": lambda: faults.cut(paths, t[0], t[1]), "dns-remove": lambda: faults.remove_dns_name(paths, t[0]),
               "registry": lambda: faults.registry(paths, t[0]), "db": lambda: faults.db(paths, t[0]),
               "media": lambda: faults.media(paths, t[0]), "dbupgrade": lambda: faults.dbupgrade(paths, t[0]),
               "media-private": lambda: field.media_private(paths, t[0]),
               "registry-ca": lambda: field.registry_ca(paths, t[0]), "port": lambda: field.port(paths, t[0], _number(t[1], "fault port: PORT")),
               "port-block": lambda: field_net.block_port(paths, t[0], t[1], _number(t[2], "fault port-block: PORT"), t[3]),
               "resolver-loopback": lambda: field_net.resolver_loopback(paths, t[0]),
               "dbenv": lambda: field.edit_file(paths, t[0], DB_ENV_FILE, "set", t[1], t[2]),
               "compose-tab": lambda: field.edit_file(paths, t[0], COMPOSE_FILE, "tab"),
               "registry-intermittent": lambda: _intermittent(paths, t[0])}
    actions[kind]()
    print(f"fault {kind} {' '.join(t)}: in force")
    return 0


def _intermittent(paths, every: str) -> None:
    from ..lab import registry_faults
    n = _number(every, "fault registry-intermittent: N (every N-th manifest/blob request of each host refused; or "
                       "off)", registry_faults.EVERY[0], registry_faults.EVERY[-1])
    registry_faults.intermittent(paths, n)


_COMMANDS = {"up": _up, "status": _status, "down": _down, "code": _code, "fault": _fault}
