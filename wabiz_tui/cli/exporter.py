"""``wabiz-tui exporter PROFILE...``: serve each cluster's health as Prometheus metrics, and
``wabiz-tui exporter --print-rules``: print the shipped alert rules (:mod:`wabiz_tui.exporter`).

Exit codes (the table of :mod:`wabiz_tui.domain.exitcodes`): 0 stopped by Ctrl-C/SIGTERM or rules printed,
2 bad arguments or profile, 3 the address cannot be bound or the TLS files cannot be used.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from pathlib import Path

from ..domain.exitcodes import Exit
from .monitor_flags import add_timing_flags, timing_errors


def register(sub) -> None:
    """Declare ``exporter`` on the main parser's subparsers."""
    from ..exporter import DEFAULT_LISTEN

    p = sub.add_parser("exporter", help="serve the clusters' health as Prometheus metrics (one or many profiles)",
                       description="Poll each profile's cluster on its own schedule (the same health path as the monitor; "
                                   "no overlapping polls, a dead cluster never delays another) and serve the verdicts as "
                                   "Prometheus metrics on /metrics. --print-rules prints the shipped alert rules.")
    p.add_argument("profiles", nargs="*", metavar="PROFILE", help="profile files or names of saved profiles")
    p.add_argument("--listen", default=DEFAULT_LISTEN, metavar="ADDR:PORT",
                   help=f"where to serve /metrics (default {DEFAULT_LISTEN}: this machine only)")
    p.add_argument("--interval", type=float, default=15.0, help="seconds between the polls of one cluster (default 15)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds one poll may take (default 10)")
    add_timing_flags(p)
    p.add_argument("--tls-cert", default="", metavar="PEM", help="serve HTTPS with this certificate (chain) file")
    p.add_argument("--tls-key", default="", metavar="PEM", help="the certificate's private key (if not in --tls-cert)")
    p.add_argument("--basic-auth-user", default="", metavar="USER", help="require HTTP basic auth with this user")
    p.add_argument("--basic-auth-password-env", default="WABIZ_EXPORTER_PASSWORD", metavar="VAR",
                   help="environment variable holding the basic-auth password (default WABIZ_EXPORTER_PASSWORD)")
    p.add_argument("--print-rules", action="store_true", help="print the Prometheus alert rules and exit")
    p.set_defaults(run=run)


def _fail(message: str, code: int = Exit.BAD_INPUT) -> int:
    print(f"wabiz-tui: exporter: {message}", file=sys.stderr)
    return int(code)


def _load_all(names: list[str]) -> tuple[list, list[str]]:
    """The profiles ``names`` (files or saved names), validated, and how a command names each from here (its saved
    name, else its file's absolute path: ``config.profile.command_ref``), for the alerts' commands. Raises
    ``ValueError`` naming the argument (unreadable, invalid, given twice, two of one name)."""
    from ..config.paths import app_paths
    from ..config.profile import ProfileError, command_ref, load_profile, resolve_profile
    from ..domain.validation import validate_profile

    profiles, refs = [], []
    files: dict[Path, str] = {}
    for arg in names:
        try:
            path = resolve_profile(arg, app_paths().profiles)
            if path.resolve() in files:
                raise ValueError(f"{arg}: the same profile as {files[path.resolve()]}, given twice: give it once")
            files[path.resolve()] = arg
            profile = load_profile(path)
        except ProfileError as exc:
            raise ValueError(str(exc)) from None  # it names the file
        errors = validate_profile(profile)
        if errors:
            raise ValueError(f"{arg}: the profile has invalid values:\n  " + "\n  ".join(map(str, errors)))
        profiles.append(profile)
        refs.append(command_ref(profile.name, path.resolve(), app_paths().profiles))
    seen: dict[str, str] = {}
    for arg, profile in zip(names, profiles):
        if profile.name in seen:
            raise ValueError(f"{arg} and {seen[profile.name]} are both named {profile.name!r}: the cluster label "
                             "must tell them apart — rename one (its name: field)")
        seen[profile.name] = arg
    return profiles, refs


def run(args: argparse.Namespace) -> int:
    """Run ``exporter`` with parsed ``args``; returns the exit code."""
    from ..exporter.rules import rules_text
    from ..exporter.server import BasicAuth, ListenError, parse_listen

    if args.print_rules:
        sys.stdout.write(rules_text())
        return 0
    if not args.profiles:
        return _fail("give at least one PROFILE (or --print-rules)")
    for flag, value in (("--interval", args.interval), ("--timeout", args.timeout)):
        if not value > 0:
            return _fail(f"{flag} must be greater than 0 seconds")
    errors = timing_errors(args)
    if errors:
        return _fail(str(errors[0]))
    try:
        host, port = parse_listen(args.listen)
    except ListenError as exc:
        return _fail(str(exc))
    if args.tls_key and not args.tls_cert:
        return _fail("--tls-key goes with --tls-cert")
    auth = None
    if args.basic_auth_user:
        password = os.environ.get(args.basic_auth_password_env, "")
        if not password:
            return _fail(f"--basic-auth-user needs the password in the environment variable {args.basic_auth_password_env}")
        auth = BasicAuth(args.basic_auth_user, password)
    try:
        return _load_and_serve(args, host, port, auth)
    except KeyboardInterrupt:
        # Ctrl-C/SIGTERM before the poll loop took the signals over (reading the profiles, binding): a stop like
        # any other (0, as under systemd's `stop`), and nothing of an exporter is left to resume
        print("exporter stopped (Ctrl-C or SIGTERM) before it served metrics; start it again to serve them", flush=True)
        return Exit.OK


def _load_and_serve(args: argparse.Namespace, host: str, port: int, auth) -> int:
    from ..exporter.server import TlsFilesError

    try:
        profiles, refs = _load_all(args.profiles)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        import asyncio

        return asyncio.run(_serve(args, profiles, refs, host, port, auth))
    except TlsFilesError as exc:
        return _fail(str(exc), Exit.CANNOT_CHECK)
    except OSError as exc:
        return _fail(f"cannot serve on {args.listen}: {exc.strerror or exc} — {_listen_advice(exc)}", Exit.CANNOT_CHECK)


def _listen_advice(exc: OSError) -> str:
    """The next action for a ``bind`` that failed: the port is taken, or the host part is not this machine's."""
    import errno
    import socket

    if exc.errno == errno.EADDRINUSE:
        return "choose another --listen port or stop what uses it"
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return "the host part must be a name or address of this machine (127.0.0.1, 0.0.0.0, or one of its addresses)"
    return "check the --listen address and its permissions (ports under 1024 need root)"


async def _serve(args: argparse.Namespace, profiles, refs: list[str], host: str, port: int, auth) -> int:
    from prometheus_client import CollectorRegistry

    from ..config.paths import app_paths
    from ..exporter.metrics import ClusterState, ExporterCollector
    from ..exporter.scheduler import ClusterPoller, run_pollers
    from ..exporter.server import MetricsServer

    from ..workflows.settings import monitor_settings

    # each cluster's grace and poll floor: the flags, else its profile's, else the defaults
    timings = [monitor_settings(p, grace=args.grace, poll_floor=args.poll_floor) for p in profiles]
    states = [ClusterState(p.name, max(args.interval, t.poll_floor), t.grace, profile_ref=shlex.quote(ref))
              for p, t, ref in zip(profiles, timings, refs)]
    registry = CollectorRegistry()
    registry.register(ExporterCollector(states))
    import asyncio

    # the loop takes Ctrl-C/SIGTERM over before the server starts: from here a stop always stops the server
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = MetricsServer(registry, host, port, certfile=args.tls_cert, keyfile=args.tls_key, auth=auth).start()
    scheme = "https" if server.tls else "http"
    shown = f"[{host}]" if ":" in host else host
    print(f"serving the metrics of {len(profiles)} cluster(s) ({', '.join(s.cluster for s in states)}) on "
          f"{scheme}://{shown}:{server.port}/metrics", flush=True)
    pollers = [ClusterPoller(p, s, timeout=args.timeout, locks=app_paths().locks, profile_ref=ref)
               for p, s, ref in zip(profiles, states, refs)]
    try:
        await run_pollers(pollers, stop)
    finally:
        server.stop()
    return 0
