"""``wabiz-tui doctor PROFILE [--json] [--host H] [--url URL] [--db-from-here] [--verbose]``: explain a failure
from evidence gathered on every layer of every host (``workflows.doctor``), changing nothing. Exit 0 when nothing
wrong was found, 6 (``Exit.CAUSES_FOUND``) when causes were named, 2 bad input, 3 when nothing could be probed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

from ..domain.exitcodes import Exit
from ..domain.validation import show
from .common import add_profile, add_trust, invalid, load, settings_for
from .output import fail

#: Evidence facts shown per cause (the rest are counted; --verbose or --json shows all).
SHOWN_EVIDENCE = 4


def register(sub) -> None:
    """Declare ``doctor``."""
    doc = sub.add_parser("doctor", help="explain a failure: evidence from every layer, ranked causes, next actions",
                         description="Probe every host in parallel (containers and their logs, compose config, names, "
                                     "ports between hosts, the DB login with db.env's values, registry, disk, media, "
                                     "clocks) and the API, read-only, each probe within a time limit; print the causes "
                                     "found, ranked, each with its evidence (host, command, output line) and the next "
                                     "action. Exit 0 nothing wrong found, 6 causes found, 2 bad input, 3 cannot check.")
    add_profile(doc)
    add_trust(doc)
    doc.add_argument("--json", action="store_true", help="print the report as one JSON object")
    doc.add_argument("--host", action="append", default=[], metavar="H",
                     help="probe only this host (EXTERNAL_HOSTNAME; repeatable) and, of every other host, only its "
                          "name, its published ports from this host and its way in to this host's ports (work "
                          "linear in hosts); the DB and the API are still checked")
    doc.add_argument("--url", action="append", default=[], metavar="URL",
                     help="also fetch this business URL (a media link) from every Coreapp host (repeatable)")
    doc.add_argument("--db-from-here", action="store_true",
                     help="when the DB refuses db.env's login from the hosts, try the same login from this machine "
                          "(tells a wrong password from an account that allows only other hosts; sends the DB "
                          "credentials from here, a path the cluster never uses)")
    doc.add_argument("--verbose", "-v", action="store_true",
                     help="also show every evidence line, what ruled causes out, and the probes that could not run")
    doc.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The ``doctor`` command."""
    import asyncio

    profile, path = load(args.profile)
    if invalid(profile):
        return Exit.BAD_INPUT
    known = [h.external_hostname for h in profile.hosts]
    unknown = [h for h in args.host if h not in known]
    if unknown:
        return fail(f"--host {show(unknown[0])}: not a host of the profile{_did_you_mean(unknown[0], known)} "
                    f"(hosts: {', '.join(known)}); give its EXTERNAL_HOSTNAME as the profile writes it")
    from ..workflows.doctor.egress import mask_proxy
    bad = [u for u in args.url if not u.lower().startswith(("http://", "https://")) or len(u) < 10]
    if bad:
        return fail(f"--url {mask_proxy(bad[0])}: not an http(s) URL; give the whole link, such as "
                    "https://media.example.com/path/file.jpg")
    from ..workflows.monitor import uninstalled_words

    gone = uninstalled_words(profile)
    if gone:
        # the containers were removed on purpose: a "missing container" on every host is no cause (trial)
        if args.json:
            print(json.dumps({"profile": profile.name, "installed": False, "notice": gone, "causes": []}, indent=2))
        else:
            print(f"doctor {profile.name}: {gone}: nothing of the cluster runs to diagnose; "
                  f"`wabiz-tui install {args.profile}` installs it again")
        return Exit.OK
    try:
        return asyncio.run(diagnose(args, profile, path))
    except KeyboardInterrupt:
        return Exit.INTERRUPTED


def _did_you_mean(typed: str, known: list[str]) -> str:
    """``"; did you mean 'wa-core-1'?"`` for a name that differs from a host's only in case or by a typo."""
    import difflib

    near = [k for k in known if k.lower() == typed.strip().lower()] or difflib.get_close_matches(typed, known, 1, 0.8)
    return f"; did you mean {near[0]!r}?" if near else ""


async def diagnose(args: argparse.Namespace, profile: Any, path: Any, *, heading: str = "") -> int:
    """Run doctor on ``profile`` and print its report (``args``: ``json``, ``host``, ``verbose`` and the trust
    flag); returns the exit code. Also used after a failed headless step (``install``/``upgrade``)."""
    from .output import HeadlessPrinter
    from ..workflows.doctor import Doctor

    printer = HeadlessPrinter(verbose=False)

    def emit(event: Any) -> None:  # with --json, stdout holds the JSON object only: what the run says goes to stderr
        """Print one engine event (``printer``); with ``--json`` onto stderr, stdout keeping the report only."""
        with contextlib.redirect_stdout(sys.stderr if getattr(args, "json", False) else sys.stdout):
            printer(event)

    wf = Doctor(profile, emit=emit, settings=settings_for(args, profile, path),
                hosts=tuple(getattr(args, "host", ()) or ()), db_from_here=getattr(args, "db_from_here", False))
    wf.urls = tuple(getattr(args, "url", ()) or ())
    try:
        report = await wf.run()
    finally:
        await wf.close()
    if not report.facts:
        return fail("doctor could not probe anything", Exit.CANNOT_CHECK)
    if getattr(args, "json", False):
        print(json.dumps({"profile": profile.name, **report.to_json()}, indent=2))
    else:
        print_report(profile.name, report, verbose=getattr(args, "verbose", False), heading=heading)
        for line in asked_but_not_checked(report, db_from_here=getattr(args, "db_from_here", False)):
            print(line)
    return Exit.CAUSES_FOUND if report.causes else Exit.OK


def asked_but_not_checked(report: Any, *, db_from_here: bool = False) -> list[str]:
    """Lines for the probes the user asked for by name that gave no answer, each with the flag or field and the fix:
    the monitoring .env of ``monitoring.env_file`` (absent, unreadable, a directory, its host unreachable) and the
    login of ``--db-from-here`` (this machine does not reach the DB, or none was needed). They are never folded into
    the "probe(s) could not run" count: the user would take silence for a check that passed (s8 trial)."""
    from ..domain.doctor import P_DB_LOGIN
    from ..domain.doctor_rules_monitoring import P_MON_ENV, P_MON_LOGIN

    lines = []
    for f in report.facts:
        if f.ok is not None:
            continue
        if f.probe == P_MON_ENV:
            lines.append(f"monitoring.env_file: not checked: {f.host}: {f.command}: {f.line}; fix: set "
                         "monitoring.env_file (and monitoring.from_host) in the profile to where Meta's monitoring "
                         "stack keeps its .env and make it readable by the SSH user, or remove env_file")
        elif f.probe == P_MON_LOGIN:
            lines.append(f"monitoring.env_file: the monitoring login was not tried: {f.host}: {f.line}")
        elif db_from_here and f.probe == P_DB_LOGIN and f.get("position") == "here":
            lines.append(f"--db-from-here: not checked: {f.line}; fix: run doctor from a machine "
                         "that reaches the DB (its address and port as the hosts reach them), or leave out "
                         "--db-from-here")
    if db_from_here and not any(f.probe == P_DB_LOGIN and f.get("position") == "here" for f in report.facts):
        lines.append("--db-from-here: no login from this machine was made: it is tried only when the DB refuses "
                     "db.env's login from the hosts, and it did not")
    return ["", *lines] if lines else []


def print_report(name: str, report: Any, *, verbose: bool = False, heading: str = "") -> None:
    """The report in words: each cause (confidence, title, evidence, next action, rule and source), then the
    ruled-out rules and the probes that could not run, folded to a count unless ``verbose``."""
    hosts = len({f.host for f in report.facts if f.host})
    print(heading or f"doctor {name}: {len(report.causes) or 'no'} cause(s) found from {len(report.facts)} facts "
                     f"on {hosts} host(s)")
    for n, cause in enumerate(report.causes, 1):
        print(f"\n{n}. [{cause.confidence}] {cause.title}")
        shown = cause.evidence if verbose else cause.evidence[:SHOWN_EVIDENCE]
        for f in shown:
            print(f"   evidence: {f.host or 'this machine'}: {f.command}")
            print(f"             -> {f.line}")
        if len(cause.evidence) > len(shown):
            print(f"   (+{len(cause.evidence) - len(shown)} more evidence line(s): --verbose)")
        print(f"   next: {cause.next_action}")
        also = f"; explains {', '.join(cause.also)}" if cause.also else ""
        print(f"   rule: {cause.key} (source: {cause.source}{also})")
    if not report.causes:
        print("nothing wrong found")
    if verbose:
        for r in report.ruled_out:
            print(f"\nruled out {r.key}: {r.note}")
            for f in r.evidence[:3]:
                print(f"   {f.host or 'this machine'}: {f.command} -> {f.line}")
        for f in report.unknown:
            print(f"\nnot probed: {f.host or 'this machine'}: {f.command}: {f.line} ({f.get('why', '')})")
    else:
        folded = f"\n{len(report.ruled_out)} cause(s) ruled out by the facts"
        if report.unknown:
            folded += f", {len(report.unknown)} probe(s) could not run"
        print(folded + " (--verbose shows them)")


def add_no_doctor(parser: argparse.ArgumentParser) -> None:
    """``--no-doctor``, for the headless procedures that run doctor after a failed step."""
    parser.add_argument("--no-doctor", action="store_true",
                        help="after a failed step, do not run doctor (it probes every host read-only, within seconds)")


async def after_failure(args: argparse.Namespace, profile: Any, path: Any) -> None:
    """After a failed headless step: run doctor on the cluster and print its causes (``--no-doctor``: only say how)."""
    if getattr(args, "no_doctor", False):
        print(f"to find the cause: wabiz-tui doctor {args.profile}")
        return
    print(f"\nlooking for the cause (wabiz-tui doctor {args.profile}; --no-doctor skips this)…", flush=True)
    view = argparse.Namespace(json=False, host=[], verbose=False, trust_new_host_keys=False)
    await diagnose(view, profile, path)
