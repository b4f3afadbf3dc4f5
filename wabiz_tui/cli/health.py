"""``wabiz-tui health PROFILE``: the monitor's verdict once (or ``--watch``), for cron and monitoring agents.

Exit codes follow the monitoring-plugin convention: 0 healthy, 1 degraded (served, but fewer failures
tolerated than planned, transitional past the grace period, or an upgrade stopped midway), 2 failing (a shard unserved, no or
two primary masters, API down), 3 the check itself could not run (bad profile). A cluster wabiz-tui
uninstalled is not polled and answers 0 ("not installed (uninstalled at HH:MM)"): nothing runs to fail.
While a planned operation runs (another wabiz-tui command holds the cluster's lock) the words say so and
``--watch`` prints no finding (alerts paused); the exit code still reads the cluster.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import aclosing
from dataclasses import asdict

from ..domain.health import ClusterVerdict, Level
from ..domain.exitcodes import HealthExit
from ..config.runstate import read_run_state
from ..workflows.monitor import HealthMonitor, PollResult, planned_state_reader
from ..workflows.observe import HEALTH_EXIT_OF, reading_of
from ..workflows.settings import monitor_settings

EXIT_OK, EXIT_DEGRADED, EXIT_FAILING, EXIT_UNKNOWN = (int(c) for c in HealthExit)
#: ``ApiError.kind`` of a Webapp that gives no answer at all (a cluster never installed has no Webapp listening)
NO_ANSWER = ("unreachable", "timeout")
#: Seconds the whole image read of ``health --versions`` may take, every host included: a monitoring agent's check
#: must end well within its own timeout (check_nrpe's default -t: DEFAULT_SOCKET_TIMEOUT 10 s, NRPE's include/common.h)
VERSION_TIMEOUT = 4.0


def exit_code(result: PollResult) -> int:
    """The exit code for one poll result: the word of ``workflows.observe.reading`` (the one reading the
    exporter and the fleet use too) as a monitoring-plugin code."""
    return int(HEALTH_EXIT_OF[reading_of(result)])


def verdict_dict(v: ClusterVerdict) -> dict:
    """A verdict as JSON-able data."""
    return {
        "level": v.level.value, "headline": v.headline, "next_action": v.next_action,
        "registered": v.registered, "shards_expected": v.shards_expected, "shards_served": v.shards_served,
        "standby_coreapps": v.standby, "failures_tolerated": v.failures_tolerated,
        "failures_planned": v.failures_planned, "primary_master": v.primary_master,
        "problems": list(v.problems),
        "nodes": [{k: (val.value if isinstance(val, Level) else val) for k, val in asdict(n).items()} for n in v.nodes],
    } | ({"versions": {"read_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(v.versions_read_at)),
                       "age_s": round(max(0.0, time.time() - v.versions_read_at), 1), "differ": v.versions_differ,
                       "webapps": [{"host": h, "version": t, "reason": r, "version_action": a}
                                   for h, t, r, a in v.webapp_versions]}}
         if v.versions_read_at else {})


def versions_line(v: ClusterVerdict) -> str:
    """``versions: v2.43.1 on wa-web-1, wa-core-1; v2.41.2 on wa-core-2; version not read: ... on wa-core-3``: every
    node's version text (masters and coreapps from the rows, the Webapps'), grouped; "" when no read was made."""
    if not v.versions_read_at:
        return ""
    groups: dict[str, list[str]] = {}
    for host, text in [(n.host, n.version) for n in v.nodes if n.version] + [(h, t) for h, t, *_ in v.webapp_versions]:
        hosts = groups.setdefault(text, [])
        if host not in hosts:
            hosts.append(host)
    return "versions: " + "; ".join(f"{text} on {', '.join(hosts)}" for text, hosts in groups.items())


def result_dict(r: PollResult) -> dict:
    """A poll result as JSON-able data (no secrets: errors carry none)."""
    data: dict = {"polled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r.polled_at)),
                  "latency_ms": round(r.latency * 1000, 1), "age_s": round(max(0.0, r.age()), 1),
                  "exit_code": exit_code(r), "installed": reading_of(r) != "not_installed"}
    if r.notice:
        data["notice"] = r.notice
    if r.alerts_paused:
        data["alerts_paused"] = r.alerts_paused
    if r.failover.state != "none":
        data["failover"] = {"state": r.failover.state, "words": r.failover.words(),
                            "elapsed_s": round(r.failover.elapsed, 1), "grace_s": r.failover.grace}
    if r.incomplete is not None:
        i = r.incomplete
        data["operation_incomplete"] = {"operation": i.operation, "source": i.source, "target": i.target,
                                        "last_done": i.last_done, "words": i.words, "next_action": i.next_action}
        if i.operation == "upgrade":  # the key the first version of this note had
            data["upgrade_stopped"] = {"target": i.target, "source": i.source, "last_done": i.last_done}
    if r.verdict is not None:
        data["verdict"] = verdict_dict(r.verdict)
    if r.new_findings:
        data["findings"] = [{"key": d.key, "severity": d.severity, "title": d.title, "next_action": d.next_action,
                             "host": d.host, "evidence": d.evidence} for d in r.new_findings]
    if r.error is not None:
        data["error"] = {"kind": r.error.kind, "message": str(r.error), "status": r.error.status,
                         "code": r.error.code, "next_action": r.error.next_action}
    return data


def print_text(r: PollResult, out=sys.stdout) -> None:
    """Human lines: the headline, the next action, then one line per node that is not ok."""
    stamp = time.strftime("%H:%M:%S", time.localtime(r.polled_at))
    age = f" ({r.age_text()})" if r.verdict is not None else ""
    if r.verdict is None and r.notice and r.error is None:
        print(f"{stamp} NOT INSTALLED: {r.notice}" if r.notice.startswith("not installed")
              else f"{stamp} PLANNED: {r.notice}", file=out)
        if r.alerts_paused:
            print(f"  {r.alerts_paused}", file=out)
        return
    if r.verdict is None:
        word = "UNKNOWN" if exit_code(r) == EXIT_UNKNOWN else "FAILING"  # the word a Nagios-style reader pairs with the code
        i = r.incomplete
        if i is not None:  # what stopped midway first: an uninstall's Webapp is down on purpose
            print(f"{stamp} {word}: {i.words} — {r.error}" + age, file=out)
            print(f"  next: continue it: {i.next_action}" if i.supersedes or not r.error or not r.error.next_action else
                  f"  next: {r.error.next_action}; then continue the {i.operation}: {i.next_action}", file=out)
        else:
            print(f"{stamp} {word}: {r.error} — {r.error.next_action if r.error else ''}".rstrip(" —") + age, file=out)
        if r.alerts_paused:
            print(f"  {r.notice + '; ' if r.notice else ''}{r.alerts_paused}", file=out)
        return
    v = r.verdict
    print(f"{stamp} {v.level.value.upper()}: {v.headline}{age}", file=out)
    if v.level is not Level.OK:
        print(f"  next: {v.next_action}", file=out)
    for n in v.nodes:
        if n.level not in (Level.OK, Level.STANDBY):
            print(f"  {n.level.value:8} {n.host}:{n.container_id} {n.actual_role} {n.actual_status} — {n.reason}", file=out)
    for host, _text, why, _action in v.webapp_versions:
        if why:
            print(f"  {'warning':8} {host} webapp — {why}", file=out)
    if versions_line(v):
        print(f"  {versions_line(v)}", file=out)
    for d in r.new_findings:
        print(f"  [{d.key}] {d.title} — {d.next_action}", file=out)


async def run_health(profile, *, as_json: bool, watch: bool, interval: float, install_hint: str = "",
                     grace: float | None = None, poll_floor: float | None = None, profile_ref: str = "",
                     profile_file: str = "",
                     versions: bool = False) -> int:
    """Poll once (or until interrupted with ``watch``); print; return the exit code of the last poll.

    ``install_hint`` (the profile is not installed, e.g. ``wabiz-tui install demo.yaml``): a first poll that
    gets no answer at all (:data:`NO_ANSWER`) is reported as "not installed" with that next action and UNKNOWN (3),
    not as an outage. ``grace``/``poll_floor``: the flags (None: the profile's, else the defaults,
    ``workflows.settings``). ``profile_ref``: how the user named the profile (for the commands suggested). An
    unfinished upgrade journal makes the cluster degraded at best, with the command that continues it
    (``workflows.monitor.with_incomplete``; ``operation_incomplete`` in JSON): the API cannot show mixed versions.
    An unfinished uninstall journal is said first, its command as the next action (its Webapp may be gone on purpose).
    ``versions`` (``--versions``; off by default: the check stays one API call): each node's image is read over SSH
    beside the first poll (one ``docker ps`` per host, ``workflows.versions``; with ``watch`` again every
    ``VERSION_EVERY`` seconds), :data:`VERSION_TIMEOUT` seconds at most in all (a host not read by then: "version not
    read: no answer within 4 s"), and, when the cluster answered, judged against the profile's ``WA_API_VERSION``; a
    host that cannot be read says why. No passphrase is asked: an encrypted key is "not read". A cluster that gives
    no answer is not waited for. ``profile_file``: the profile's file, named in the versions' advice.
    """
    from ..config.paths import app_paths
    from ..workflows.settings import default_settings
    from ..workflows.versions import VersionReader

    timing = monitor_settings(profile, grace=grace, poll_floor=poll_floor)
    reader = (VersionReader(lambda: profile, default_settings(profile), timeout=VERSION_TIMEOUT, total=VERSION_TIMEOUT)
              if versions else None)
    monitor = HealthMonitor(profile, interval=interval, grace=timing.grace, poll_floor=timing.poll_floor,
                            planned=planned_state_reader(profile, app_paths().locks, journals=app_paths().journals,
                                                         profile_ref=profile_ref),
                            versions=reader.read if reader is not None else None, profile_ref=profile_ref,
                            profile_file=profile_file)
    monitor.wait_versions = True  # the versions read beside the first poll come with its answer
    started = (read_run_state(profile) or {}).get("started_at")
    if isinstance(started, (int, float)):  # the grace counts from the containers' start, not from this command
        monitor.note_start(at=float(started))
    try:
        first = True
        async with aclosing(monitor.results()) as polls:
            async for result in polls:
                if first and install_hint and result.error is not None and result.error.kind in NO_ANSWER:
                    if as_json:
                        print(json.dumps(result_dict(result) | {"exit_code": EXIT_UNKNOWN, "installed": False}),
                              flush=True)
                    else:
                        print(f"UNKNOWN: {profile.name} is not installed (no install of it is recorded here): "
                              f"run {install_hint} first", flush=True)
                    return EXIT_UNKNOWN
                if first or result.new_entries or as_json:
                    _print(result, as_json, first=first)
                first = False
                if not watch:
                    break
        return exit_code(result)
    finally:
        await monitor.aclose()
        if reader is not None:
            await reader.close()


def _print(r: PollResult, as_json: bool, first: bool) -> None:
    if as_json:
        print(json.dumps(result_dict(r)), flush=True)
        return
    if first:
        print_text(r)
    else:
        for e in r.new_entries:
            print(f"{time.strftime('%H:%M:%S', time.localtime(e.at))} {e.text}", flush=True)
