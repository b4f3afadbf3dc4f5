"""The one runner of the app: wizard steps, tasks inside a step (request a code, the preflight) and
operations (upgrade, logs, uninstall) all run here, in one worker body, one at a time.

:meth:`Runner.refusal` is the one place that says what may run at once: nothing while a step or an
operation runs, and nothing that changes the cluster while another process holds the cluster's lock
(design.md §11). Background work that is not a run (the upgrade's 2.29.3 media ownership step, the
monitor's polling, the Multiconnect form's live shard check) is not the runner's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.worker import Worker

    from .app import WabizApp

#: Seconds an engine may take to close its connections once its run ended.
CLOSE_TIMEOUT = 5


@dataclass
class Outcome:
    """How a run ended: ``result`` of its body, or the ``error`` it raised, or ``cancelled`` by the user."""

    result: Any = None
    error: Exception | None = None
    cancelled: bool = False

    @property
    def returned(self) -> bool:
        """True when the body returned (whatever it returned)."""
        return self.error is None and not self.cancelled


#: The label of step 5's preflight task: its checks are not the install engine's work (``quitting.running_work``).
PREFLIGHT_TASK = "Preflight"


@dataclass
class Run:
    """One run: ``label`` for messages, ``step`` its wizard position (None for an operation), ``heading`` the
    operation's name, ``doing`` what it does in the monitor's words ("restart of wacore on wa-core-1"; "": the
    planned command's words); ``ended(outcome)`` shows the outcome (called once, after the run's last event)."""

    label: str
    ended: Callable[[Outcome], None]
    step: int | None = None
    heading: str = ""
    doing: str = ""


async def close_engine(engine: Any, log: Any) -> None:
    """Close ``engine``'s connections (at most :data:`CLOSE_TIMEOUT` s); a failure is logged, never raised."""
    if engine is None:
        return
    try:
        await asyncio.wait_for(engine.close(), timeout=CLOSE_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - closing must never raise out of the app
        log.warning(f"closing the engine failed: {exc!r}")


class Runner:
    """Runs the app's steps, tasks and operations, one at a time, as Textual workers of the app."""

    def __init__(self, app: WabizApp) -> None:
        self.app = app
        self.active: Run | None = None
        self._worker: Worker | None = None
        self._cluster_lock: Any = None
        self._began = False
        self._body: Any = None
        #: what the last cancel stopped (``quitting.cancel_words``), read once by the cancelled line
        self.cancel_words: str | None = None
        from ..config.write_check import WriteCheck

        #: the state directories' write check, primed off the UI loop once the app is up (:func:`.warm_up.warm_up`)
        self.write_check = WriteCheck()

    @property
    def step(self) -> int | None:
        """The wizard position of the step that runs now (None when none does)."""
        return self.active.step if self.active is not None else None

    @property
    def operation(self) -> str | None:
        """The heading of the operation that runs now (None when none does)."""
        return self.active.heading or None if self.active is not None else None

    def refusal(self, what: str, *, changes_cluster: bool = True) -> str | None:
        """Why ``what`` may not start now (None: it may): a step or an operation runs, or another process
        holds the cluster's lock (taken here for a run that ``changes_cluster``, and kept while the app runs).
        A refusal is also told to the user."""
        app = self.app
        active, wizard = self.active, what == "step"
        if active is None:
            reason = None
        elif active.step is not None:
            reason = (f"Step {app.step_tag(active.step)} is still running; wait for it to finish." if wizard else
                      f"Wizard step {app.step_tag(active.step)} is running; wait for it to finish.")
        else:
            reason = (f"{active.heading} is running; wait for it to finish." if wizard else
                      f"{active.heading.capitalize()} is still running; wait for it to finish.")
        if wizard and not self.hold_cluster_lock(what):  # the wizard asks the lock first (its own notice)
            return "the cluster's lock"
        if reason is not None:
            app.notify(reason, severity="warning")
            return reason
        if not wizard and changes_cluster and not self.hold_cluster_lock(what):
            return "the cluster's lock"
        return None

    def planned_command(self) -> str | None:
        """The planned operation (``domain.transitions.PLANNED_COMMANDS``) the run in progress is: a wizard step is
        the install (``multiconnect`` for M steps), the upgrade and uninstall screens' runs by name, a node restarted
        or stopped from the monitor a ``node-action`` (its run's ``doing`` says which: no failover drill runs);
        None when nothing runs or what runs changes no container (log collection)."""
        run = self.active
        if run is None:
            return None
        if run.step is not None:
            return "multiconnect" if self.app.step_tag(run.step).startswith("M") else "install"
        heading = run.heading.lower()
        if heading.startswith(("restart ", "stop ")):  # a node changed from the monitor
            return "node-action"
        return {"upgrade": "upgrade", "uninstall": "uninstall"}.get(heading)

    def _note_in_lock(self) -> None:
        # other processes (the exporter, `health`) read what this window runs from its lock
        lock = self._cluster_lock
        if lock is not None and lock.held:
            try:
                run = self.active
                lock.note_operation(self.planned_command() or "", run.doing if run is not None else "")
            except OSError as exc:
                self.app.log.warning(f"cannot note the operation in the cluster's lock: {exc}")

    def start(self, run: Run, body: Callable[[], Awaitable[Any]]) -> None:
        """Run ``body()`` in the app's run worker; ``run.ended`` gets its outcome once its events are shown."""
        self.active = run
        self._began = False
        self._note_in_lock()
        self._body = self._work(run, body)
        self._worker = self.app.run_worker(self._body, name=run.label, group="run", exclusive=True,
                                           exit_on_error=False)
        self.app.refresh_bindings()

    async def _work(self, run: Run, body: Callable[[], Awaitable[Any]]) -> None:
        self._began = True
        outcome = Outcome()
        try:
            try:
                outcome.result = await body()
            except Exception as exc:  # noqa: BLE001 - shown by run.ended
                outcome.error = exc
            # what the engine emitted last (a burst of 5 hosts' output) is shown a slice at a time, the loop turning
            # between slices: shown at once, it held a key press at the end of the streaming benchmark (issue 17)
            await self.app.drain_events()
        except asyncio.CancelledError:
            outcome.cancelled = True
            raise
        finally:
            self.app.deliver_events()  # the run's last events are shown before its outcome (all at once if cancelled)
            if self.active is run:
                self.active = None
                self._note_in_lock()
            self._worker = None
            run.ended(outcome)
            self.app.refresh_bindings()

    def cancel(self, words: str | None = None) -> bool:
        """Cancel the run (its remote commands are stopped: ``remote.run`` closes their channels); False when
        nothing runs. ``words``: what this cancel stops (``quitting.cancel_words``), for the cancelled line."""
        if self._worker is None:
            return False
        self.cancel_words = words
        self._worker.cancel()
        run = self.active
        if not self._began and run is not None:
            # cancelled before its body began: Textual never enters the worker, so no ``finally`` ends the run
            self.active, self._worker = None, None
            if self._body is not None:
                self._body.close()
            self._note_in_lock()
            run.ended(Outcome(cancelled=True))
            self.app.refresh_bindings()
        return True

    def take_cancel_words(self) -> str:
        """What the last cancel stopped, said once (then forgotten): ``its remote commands were stopped (…)``,
        ``it was between two remote commands: …``, or, not known, ``any remote command it had running was
        stopped`` (``quitting.cancel_words``)."""
        from .quitting import cancel_words

        words, self.cancel_words = self.cancel_words, None
        return words or cancel_words(None)

    def failed(self, worker: Worker) -> int | None:
        """``worker`` failed outside a run's body (the safety net of ``Worker.StateChanged``): the wizard step it
        leaves unfinished, if any."""
        step = self.step if worker is self._worker else None
        if worker is self._worker:
            self.active, self._worker = None, None
            self._note_in_lock()
        return step

    async def wait_ended(self, timeout: float) -> bool:
        """Wait until the run's worker, once cancelled, has ended (at most ``timeout`` seconds): Textual cancels the
        workers when the app leaves but does not wait for them, and a cancelled preflight still ends its child
        process (``workflows.offprocess.CANCEL_GRACE``). True when no worker is alive (a worker cancelled before its
        body began has nothing to end)."""
        from textual.worker import WorkerError

        worker = self._worker
        if worker is None:
            return True
        try:  # shielded: a time limit must not cancel the worker's own ending a second time
            await asyncio.wait_for(asyncio.shield(worker.wait()), timeout)
        except TimeoutError:
            return False
        except WorkerError:  # cancelled or failed: ended all the same
            pass
        return True

    # ---- the cluster's lock ----------------------------------------------------------------------
    def hold_cluster_lock(self, what: str) -> bool:
        """Take the cluster's lock (state directory, shared with the headless commands) before the first
        change to the cluster, and keep it while the app runs; False with an error naming the holder when
        another process works on the cluster (one process per cluster, design.md §11)."""
        from ..config.lock import ClusterBusy, ClusterLock
        from ..config.paths import app_paths

        app = self.app
        problems = self.write_check.problems(app_paths().writable)
        if problems:
            app.notify("Local problem, nothing was started on the hosts: " + "; ".join(problems), severity="error",
                       timeout=20)
            return False
        lock = self._cluster_lock
        wanted = ClusterLock.for_profile(app_paths().locks, app.profile)
        if lock is None or lock.path != wanted.path:  # a new name or new hosts (the wizard edited them): another lock
            if lock is not None:
                lock.release()
            lock = self._cluster_lock = wanted
        try:
            lock.acquire(f"wizard ({what})")
        except ClusterBusy as exc:
            app.notify(f"Refused: {exc}", severity="error", timeout=15)
            return False
        except OSError as exc:
            app.notify(f"Cannot take the cluster's lock {lock.path}: {exc.strerror or exc}; check the state directory "
                       "(free space, permissions)", severity="error", timeout=15)
            return False
        return True

    def release_cluster_lock(self) -> None:
        """Free the cluster's lock (the app is closing)."""
        if self._cluster_lock is not None:
            self._cluster_lock.release()
