"""Output of the headless commands: the one-line error (:func:`fail`), the terminal prompts (key passphrase,
backup password), and the event printer (prefixed by step and host, no colour, a recap at the end)."""

from __future__ import annotations

import sys
import time

from ..domain.exitcodes import Exit
from ..workflows import events as ev


def fail(message: str, code: int = Exit.BAD_INPUT) -> int:
    """Print ``wabiz-tui: message`` on stderr and return ``code`` (an exit code of :mod:`domain.exitcodes`)."""
    print(f"wabiz-tui: {message}", file=sys.stderr)
    return int(code)


def secret_from(var: str, prompt: str) -> str | None:
    """The value of environment variable ``var``, else asked (not echoed) on a terminal, else None."""
    import getpass
    import os

    value = os.environ.get(var, "")
    if value:
        return value
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None


def terminal_passphrase():
    """A passphrase callback that asks on the terminal (never echoed, never stored), or None without one."""
    if not sys.stdin.isatty():
        return None

    def ask(key_file: str) -> str:
        """The passphrase of ``key_file``, typed on the terminal without echo (never stored, never printed)."""
        import getpass

        return getpass.getpass(f"passphrase for {key_file}: ")
    return ask


class HeadlessPrinter:
    """Prints one line per step and per host (all output lines with ``verbose``) and, at the end,
    a recap per host (:meth:`recap`). Progress lines are throttled to one per host per second and
    only printed on a terminal (``progress``), so a log file is not flooded."""

    def __init__(self, verbose: bool, progress: bool = False):
        self.verbose = verbose
        self.progress = progress
        #: the step the lines are about ("" before the first step: e.g. the resume notice)
        self.step = ""
        #: what the command stopped to wait for (e.g. "the registration code"): a step ended for it is not FAILED
        self.waiting_for = ""
        self._last_progress: dict[str, float] = {}
        self._tally: dict[str, dict[str, int]] = {}

    @staticmethod
    def _label(event) -> str:
        return f"step {event.number}" if event.procedure == "install" else f"{event.procedure} step {event.number}"

    def __call__(self, event) -> None:

        if isinstance(event, ev.StepStarted):
            self.step = self._label(event)
            print(f"{self.step}: {event.title}", flush=True)
        elif isinstance(event, ev.HostFinished):
            tally = self._tally.setdefault(event.host, {"ok": 0, "failed": 0, "skipped": 0})
            tally["ok" if event.ok else "failed"] += 1
            state = "ok" if event.ok else f"FAILED: {event.cause}"
            print(f"  {self.step} {event.host}: {state}", flush=True)
        elif isinstance(event, ev.HostOutput) and event.line.startswith("already done in an earlier run"):
            self._tally.setdefault(event.host, {"ok": 0, "failed": 0, "skipped": 0})["skipped"] += 1
            if self.verbose:
                print(f"  {self.step} {event.host} | {event.line}", flush=True)
        elif isinstance(event, ev.HostOutput) and self.verbose:
            print(f"  {self.step} {event.host} | {event.line}", flush=True)
        elif isinstance(event, ev.Progress) and event.unit == "layers":
            if event.done == event.total:
                print(f"  {self.step} {event.host}: image layers pulled {event.done}/{event.total}", flush=True)
        elif isinstance(event, ev.Progress) and self.progress:
            now = time.monotonic()
            if event.total is not None or now - self._last_progress.get(event.host, 0.0) >= 1.0:
                self._last_progress[event.host] = now
                print(f"  {self.step} {event.host}: {event.done / 1e6:.1f} MB", flush=True)
        elif isinstance(event, ev.CheckDone) and (event.level != "ok" or self.verbose):
            print(f"  {self.step} {event.host or 'cluster'} {event.name}: {event.level}: {event.reason}", flush=True)
        elif isinstance(event, ev.HostKeyQuestion):
            print(f"  {event.host}: unknown SSH host key {event.key_type} {event.fingerprint} at {event.address}:{event.port} — "
                  "check it against the host, then run again with --trust-new-host-keys", flush=True)
        elif isinstance(event, ev.Finding):
            where = f"{event.host}: " if event.host else ""
            print(f"  {event.severity} [{event.key}] {where}{event.title} — {event.remedy}", flush=True)
            if event.evidence:
                print(f"    evidence: {event.evidence}", flush=True)
        elif isinstance(event, ev.Message) and (self.verbose or event.notice):
            print(f"  {self.step}: {event.text}" if self.step else event.text, flush=True)
        elif isinstance(event, ev.StepFinished) and not event.ok and self.waiting_for:
            print(f"  {self._label(event)} needs {self.waiting_for}: {event.next_action or 'run again'} ({event.summary})",
                  flush=True)
        elif isinstance(event, ev.StepFinished):
            mark = "done" if event.ok else "FAILED"
            print(f"  {self._label(event)} {mark}: {event.summary}" + (f" (next: {event.next_action})" if event.next_action and not event.ok else ""),
                  flush=True)

    def recap(self) -> None:
        """One line per host: how many of its steps went ok, failed, or were skipped as already done."""
        if not self._tally:
            return
        print("recap:")
        for host, t in self._tally.items():
            skipped = f", {t['skipped']} already done" if t["skipped"] else ""
            print(f"  {host}: ok={t['ok'] - t['skipped']} failed={t['failed']}{skipped}")

