"""Quitting while something runs (issue 17, defect 1): the question says what runs, on which hosts, what state
quitting leaves and how to continue; a "yes" writes the abort to the run log and the journal
(``workflows.report.record_abort``), the report, and the app exits with the interrupted code (130).

The same record is written when the TUI itself is told to stop (SIGTERM: ``kill``, a service manager; SIGHUP:
the terminal was closed): there is no one to ask, so the run is aborted and recorded at once
(:func:`install_signal_handlers`).
"""

from __future__ import annotations

import asyncio
import shlex
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..domain.exitcodes import Exit
from .runner import PREFLIGHT_TASK

if TYPE_CHECKING:
    from .app import WabizApp

#: The reason written to the run log and the journal.
QUIT_REASON = "quit from the TUI by the operator (ctrl+q, confirmed)"
#: The app's exit status after such a quit (the README's exit-code table: interrupted).
QUIT_EXIT = int(Exit.INTERRUPTED)


#: Steps that only talk to the Webapp's API (``StepInfo.key``): quitting drops the request in flight, no host
#: command runs. The value names what a request already received may still do (empty: it only reads).
API_STEPS = {"backup": "", "health": "", "health2": "", "register": "the registration",
             "shards": "the shard change"}
#: Steps that only read the hosts.
READ_ONLY_STEPS = {"collect", "bundle", "containers", "media"}
#: Steps that write files over SFTP (no command to hang up).
UPLOAD_STEPS = {"files", "db_env"}


def _commands_words(commands: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    from ..domain.hostnames import host_ranges

    return "; ".join(f"`{command}` on {host_ranges(hosts)}" for command, hosts in commands)


def quit_effect(procedure: str, key: str | None,
                commands: tuple[tuple[str, tuple[str, ...]], ...] | None = None) -> str:
    """What quitting does to the work in flight, as the end of "Quitting ...": ``key`` is the running step's
    ``StepInfo.key`` (None: the procedure runs but between two steps; "" a step of no known kind); ``commands``
    the remote commands running now with their hosts (``workflows.hold.Hold.in_flight``; None: not known). The
    words name what a quit cuts, so what the question says is what happens (the s8 trial's M1).

    Quitting drops every SSH connection at once (``SshPool.abort``). Long commands run on a terminal
    (``session.run``'s ``pty``), so a dropped connection hangs them up (SIGHUP); what they already asked dockerd to
    do (create, start or remove a container) is dockerd's and finishes on the host. The database upgrade's
    container runs detached (``up -d`` then ``docker wait``): only the wait ends."""
    if key is None:
        return (f"stops the {procedure} before its next step (no remote command is in flight now); the step that "
                "finished stays done")
    if key in API_STEPS:
        what = API_STEPS[key]
        return ("drops the API request it waits for; no host command runs" +
                (f" (the Webapp may still apply {what} if the request already reached it)" if what else ""))
    if commands is not None and not commands:
        return (f"stops the {procedure} here: no remote command runs now and none starts while this question is "
                "open, so nothing is cut")
    cut = f" ({_commands_words(commands)})" if commands else ""
    if key == "dbupgrade":
        return (f"stops waiting for the dbupgrade container{cut}: it runs detached and goes on to its end on the "
                "host (the database upgrade is not cut)")
    if key in UPLOAD_STEPS:
        return (f"cuts the file uploads in flight{cut}: a file may be left half written, and running the step again "
                "writes it whole")
    if procedure == "preflight" or key in READ_ONLY_STEPS:
        return f"hangs up the read-only commands in flight{cut}; nothing on the hosts changes"
    if commands:
        return (f"hangs up {_commands_words(commands)} (run on a terminal: SIGHUP ends it); a container create, "
                "start or remove it already asked dockerd for still happens on the host")
    return ("hangs up the remote commands in flight (they run on a terminal: SIGHUP ends them); a container create, "
            "start or remove they already asked dockerd for still happens on the host")


@dataclass(frozen=True)
class RunningWork:
    """What runs now: ``what`` (e.g. "Upgrade step 3 of 6 (Upgrade Webapps)"), its ``hosts``, ``leaves`` (the
    state quitting leaves and how to continue), ``engine`` (the procedure whose abort is recorded; None for a
    task without one) and ``effect`` (what quitting does to the work in flight: :func:`quit_effect`)."""

    what: str
    hosts: tuple[str, ...]
    leaves: str
    engine: Any = None
    effect: str = "stops it where it is"
    #: the remote commands running now, each with its hosts (``Hold.in_flight``); None: not known (no hold)
    commands: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    #: whether the run waits for the question's answer before its next command or step (``Hold.held``)
    held: bool = False

    @property
    def question(self) -> str:
        """The dialog's question."""
        return f"{self.what} is running. Quit anyway?"

    @property
    def details(self) -> str:
        """The dialog's text: where it runs, what runs now, what quitting leaves and does. Host lists are counts
        and ranges (``domain.hostnames.host_ranges``): 43 names must not push the buttons off an 80x24 screen."""
        from ..domain.hostnames import host_ranges

        where = (f"{self.what} runs on {host_ranges(self.hosts)}" if self.hosts else self.what if self.commands else
                 f"{self.what} is between two remote commands (no host is being changed this moment)")
        # the commands in flight are named once: by what quitting does to them when it names them (at 80x24 the
        # words named them twice and the last sentence was below the dialog's fold: s9 trial)
        named = bool(self.commands) and _commands_words(self.commands or ()) in self.effect
        # with nothing in flight the effect already says so, and that nothing starts while the question is open
        # (the s11 trial read both sentences twice, the second pair contradicting the first)
        idle = self.commands == ()
        now = ("" if named or idle else f"Running now: {_commands_words(self.commands)}." if self.commands else
               "No remote command runs this moment." if self.hosts and self.commands is not None else "")
        if self.held and not idle:
            now += " Nothing new starts while this question is open (what runs goes on to its end; n continues)."
        now = f"{now.strip()} " if now else ""
        recorded = ("The abort goes to the run log and the journal" if self.engine is not None else
                    "Nothing is recorded (nothing of a procedure is left half done)")
        return f"{where}: {self.leaves}\n\n{now}Quitting {self.effect}. {recorded}; the exit status is {QUIT_EXIT} (interrupted)."


def _profile_ref(app: WabizApp) -> str:
    return shlex.quote(app.profile_ref())


#: How to continue after a quit, in the demo (issue 17, defect 10): its simulated cluster ends with the app, so no
#: resume command or reopening can continue (the s9 fresh-user trial: the first quit question said nothing is
#: kept, the second and the exit message then gave `upgrade --resume`).
DEMO_END = ("in the demo nothing is kept and nothing can be resumed: its simulated cluster ends with `wabiz-tui demo` "
            "(a new demo starts again at step 1)")


def _then(app: WabizApp, how: str) -> str:
    """How to continue after a quit: ``how``, or in the demo :data:`DEMO_END`."""
    return how if app.demo is None else DEMO_END


def _upgrade_resume(app: WabizApp) -> str:
    # `upgrade` refuses to change a cluster without --yes (exit 4): the command must work as written
    return _then(app, f"`wabiz-tui upgrade {_profile_ref(app)} --resume --yes` (or F3, Resume) continues")


def _upgrade_leaves(number: int, app: WabizApp, engine: Any) -> str:
    target = getattr(engine, "target", "the new version")
    source = getattr(engine, "source", app.profile.wa_api_version)
    resume = _upgrade_resume(app)
    if number <= 1:
        return f"no container was changed yet; {resume}."
    if number == 2:
        return f"the database upgrade to {target} is half done and no container runs {target} yet; {resume}."
    if number <= 5:
        return (f"quitting now leaves the cluster half upgraded (some containers on {target}, others on {source}); "
                f"{resume}.")
    if number == 6:
        return f"every role runs {target}; the final health check and the profile's new version are left; {resume}."
    return f"the media ownership step is half done; {_then(app, 'it is safe to run again (F3, ctrl+o)')}."


def _leaves(procedure: str, number: int, app: WabizApp, engine: Any) -> str:
    if procedure == "upgrade":
        return _upgrade_leaves(number, app, engine)
    if procedure == "install":
        how = (f"reopening wabiz-tui continues at this step (or `wabiz-tui install {_profile_ref(app)} --yes`): "
               "finished hosts are re-checked and skipped")
        return f"quitting now leaves the install half done at step {number}; {_then(app, how)}."
    if procedure == "multiconnect":
        how = f"reopen wabiz-tui and run step M{number} again"
        return f"quitting now leaves the Multiconnect change half made at step M{number}; {_then(app, how)}."
    if procedure == "uninstall":
        return ("quitting now leaves some hosts with their containers and others without; "
                f"{_then(app, 'run the uninstall again (F9) to finish')}.")
    if procedure == "logs":
        return "nothing on the cluster changes; the logs collected so far are kept."
    if procedure == "preflight":
        return "the preflight only reads the hosts: nothing is changed; it runs again before step 5."
    return _stops(app)


def _stops(app: WabizApp) -> str:
    """What quitting leaves of work the words know nothing more of."""
    return f"it stops where it is; {_then(app, 'run it again to finish')}."


def cancel_words(commands: tuple[tuple[str, tuple[str, ...]], ...] | None) -> str:
    """What a cancel stopped, for the cancelled line (``⊘ … cancelled; <words>``): ``commands`` are the remote
    commands in flight when it was cancelled with their hosts (``RunningWork.commands``; empty: none ran, the run
    was between two commands; None: not known). Cancelling closes the channels of what runs (``remote.run``)."""
    if commands is None:
        return "any remote command it had running was stopped"
    if not commands:
        return "it was between two remote commands: none was running, none was cut"
    return f"its remote commands were stopped ({_commands_words(commands)})"


def running_work(app: WabizApp) -> RunningWork | None:
    """What runs now in ``app``'s runner (a wizard step, a task of a step, an operation), or None."""
    active = app.runner.active
    if active is None:
        return None
    engine: Any = None
    if active.step is not None and active.label == PREFLIGHT_TASK:
        # its checks run in a process of their own, not in the install engine: nothing of the install to record
        hosts = tuple(h.external_hostname for h in app.profile.hosts)
        return RunningWork(f"The preflight before step {active.step}", hosts, _leaves("preflight", active.step, app, None),
                           None, quit_effect("preflight", ""))
    if active.step is not None:
        step = app.steps[active.step - 1]
        engine = app.workflow if step.procedure == "install" else app.mc_workflow
    else:
        screen = next((s for s in app.operation_screens() if s.HEADING == active.heading), None)
        engine = getattr(screen, "engine", None)
    record = getattr(engine, "record", None)
    step_record = record.running if record is not None else None
    hold = getattr(getattr(engine, "session", None), "hold", None)
    # masked as the abort record is (report.record_abort): a command's words may carry a secret
    mask = getattr(engine, "_redact", None) or (lambda text: text)
    commands = tuple((mask(command), hosts) for command, hosts in hold.in_flight()) if hold is not None else None
    held = bool(hold is not None and hold.held)
    if step_record is None:
        label = active.heading or active.label
        leaves = (f"the upgrade stops between two steps, and the cluster may be half upgraded; {_upgrade_resume(app)}."
                  if getattr(engine, "procedure", "") == "upgrade" else _stops(app))
        procedure = getattr(engine, "procedure", "") or "operation"
        return RunningWork(label[:1].upper() + label[1:], (), leaves, engine, quit_effect(procedure, None),
                           commands, held)
    procedure = step_record.procedure
    total = len(getattr(engine, "steps", ())) if procedure == getattr(engine, "procedure", "") else 0
    if procedure == "upgrade":
        total = 6 if total == 7 else total  # the 2.29.3 media step runs apart (offered after the upgrade)
    tag = f"M{step_record.number}" if procedure == "multiconnect" else str(step_record.number)
    what = f"{procedure.capitalize()} step {tag}" + (f" of {total}" if total and step_record.number <= total else "")
    steps = getattr(engine, "steps", ()) if procedure == getattr(engine, "procedure", "") else ()
    info = next((s for s in steps if s.number == step_record.number), None)
    hosts = tuple(step_record.hosts)
    return RunningWork(f"{what} ({step_record.title})", hosts, _leaves(procedure, step_record.number, app, engine),
                       engine, quit_effect(procedure, info.key if info is not None else "", commands), commands,
                       held)


#: The present-tense words of :func:`running_work`'s ``leaves`` and their form once the quit happened (the s8
#: trial's C7: the terminal said "quitting now leaves ..." after quitting).
LEFT_WORDS = (("quitting now leaves the cluster half upgraded", "the cluster is left half upgraded"),
              ("quitting now leaves the install half done", "the install is left half done"),
              ("quitting now leaves the Multiconnect change half made", "the Multiconnect change is left half made"),
              ("quitting now leaves some hosts with their containers and others without",
               "some hosts are left with their containers and others without"),
              ("the upgrade stops between two steps", "the upgrade stopped between two steps"),
              ("it stops where it is", "it stopped where it was"))


def left_words(leaves: str) -> str:
    """``leaves`` (what quitting leaves, said before the quit) as said after it, in the past tense."""
    for now, then in LEFT_WORDS:
        leaves = leaves.replace(now, then)
    return leaves


def record_quit(work: RunningWork, reason: str = QUIT_REASON) -> str:
    """Write the abort of ``work``'s engine to its run log and journal (with ``reason``), and its report (outcome
    ``aborted``); returns what the terminal is told after the exit. A local problem (disk full) never stops the
    quit."""
    if work.engine is None or not hasattr(work.engine, "record"):
        return f"wabiz-tui: {work.what} was aborted: {left_words(work.leaves)}"
    from ..workflows.report import record_abort, write_report

    record = record_abort(work.engine, reason)
    report = None
    try:
        report = work.engine.record.report_path = write_report(work.engine, "aborted")
    except OSError:
        pass
    where = f" (run log and report: {report.parent})" if report is not None else ""
    return f"wabiz-tui: {record['line']}{where}\nwabiz-tui: quit: {left_words(work.leaves)}"


#: The signals that end the TUI without a question: a ``kill`` (or a service manager) and a closed terminal.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def signal_reason(signum: int) -> str:
    """The reason written to the run log and the journal when the TUI got ``signum``."""
    name = signal.Signals(signum).name
    why = "its terminal was closed" if signum == signal.SIGHUP else "it was told to stop (kill or a service manager)"
    return f"the TUI got {name}: {why}"


def stop_on_signal(app: WabizApp, signum: int) -> None:
    """``app`` got ``signum`` (one of :data:`STOP_SIGNALS`): abort what runs and record it as ctrl+q's confirmed quit
    does (run log, journal, report; exit status 130); with nothing running, leave (exit status 0)."""
    work = running_work(app)
    if work is None:
        app._leave()
        return
    app.quit_note = record_quit(work, signal_reason(signum))
    app._leave(QUIT_EXIT)


def install_signal_handlers(app: WabizApp) -> tuple[int, ...]:
    """Make :data:`STOP_SIGNALS` call :func:`stop_on_signal` on ``app``'s event loop; returns the signals handled
    (none where the loop cannot: not the main thread, not a Unix loop). Undo with :func:`remove_signal_handlers`."""
    loop = asyncio.get_running_loop()
    handled = []
    for signum in STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, stop_on_signal, app, signum)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        handled.append(int(signum))
    return tuple(handled)


def remove_signal_handlers(signums: tuple[int, ...]) -> None:
    """Give the signals :func:`install_signal_handlers` took back to their previous handling."""
    loop = asyncio.get_running_loop()
    for signum in signums:
        loop.remove_signal_handler(signum)
