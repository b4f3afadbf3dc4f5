"""A demo whose terminal goes away (ssh drop, ``tmux kill-session``) ends, records nothing half-done and frees its
--workdir (s9 trial: 2 of 4 demos stayed without a terminal, one even ignoring SIGTERM, blocked in Textual's writer
queue; ``tui.hangup``)."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import threading
import time

import pytest

from wabiz_tui.cli.demo import WORKDIR_LOCK

#: How long a hung-up demo may take to end (its exit stops the simulated cluster; the machine may be loaded).
EXIT_WITHIN = 30.0


def _session_leader_on(slave: int) -> None:
    """In the child: a new session whose controlling terminal is ``slave`` (as a terminal window or sshd makes it),
    so closing the master hangs the demo up: SIGHUP then SIGCONT from the kernel."""
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)


def _drain(master: int, seen: bytearray, stop: threading.Event) -> None:
    while not stop.is_set():
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            seen += chunk


@pytest.mark.parametrize("how", ["terminal closed", "SIGTERM"])
def test_a_demo_whose_terminal_is_closed_or_that_is_killed_ends_and_frees_its_workdir(tmp_path, how):
    workdir = tmp_path / "demo"
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x32\x00\xa0\x00\x00\x00\x00\x00")  # 50 rows, 160 columns
    env = dict(os.environ, TERM="xterm-256color")
    demo = subprocess.Popen([sys.executable, "-m", "wabiz_tui", "demo", "--speed", "0.05", "--workdir", str(workdir)],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                            preexec_fn=lambda: _session_leader_on(slave))
    os.close(slave)
    seen, stop = bytearray(), threading.Event()
    reader = threading.Thread(target=_drain, args=(master, seen, stop), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while b"Working directory" not in seen and demo.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert b"Working directory" in seen, bytes(seen[-2000:])
        os.write(master, b"\x12")  # ctrl+r: step 1 runs, the screen keeps changing while the terminal goes away
        time.sleep(0.3)
        if how == "SIGTERM":  # the terminal stays open and read
            demo.send_signal(signal.SIGTERM)
        else:
            stop.set()
            reader.join()
            os.close(master)  # the terminal window is closed
            master = -1
        try:
            demo.wait(timeout=EXIT_WITHIN)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the demo still runs {EXIT_WITHIN:g} s after: {how}") from None
        with open(workdir / WORKDIR_LOCK, "a+") as lock:  # free: another demo may start there
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        stop.set()
        if master >= 0:
            os.close(master)
        if demo.poll() is None:
            demo.kill()
            demo.wait()


class _HungUpTerminal:
    """A terminal file after the hangup: every write and flush fails with EIO, as the kernel answers."""

    def __init__(self) -> None:
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(5, "Input/output error")

    def flush(self) -> None:
        raise OSError(5, "Input/output error")

    def isatty(self) -> bool:
        raise OSError(5, "Input/output error")


def test_output_to_a_hung_up_terminal_is_dropped_without_raising_and_tried_once():
    from wabiz_tui.tui.hangup import TerminalOutput

    terminal = _HungUpTerminal()
    out = TerminalOutput(terminal)
    assert out.write("\x1b[?1049h") == 8
    out.flush()
    assert out.write("more") == 4
    assert out.lost and terminal.writes == 1
    assert not out.isatty()


class _BusyTerminal:
    """A terminal left non-blocking by another program: the first write finds it busy (EAGAIN), later ones pass."""

    def __init__(self, busy: int = 1) -> None:
        self.busy, self.written = busy, []

    def write(self, text: str) -> int:
        if self.busy:
            self.busy -= 1
            raise BlockingIOError(11, "Resource temporarily unavailable")
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        return None

    def fileno(self) -> int:
        return 1  # select() waits on it: standard output is writable under pytest


def test_a_busy_terminal_is_waited_for_and_never_taken_for_gone():
    from wabiz_tui.tui.hangup import TerminalOutput

    once = TerminalOutput(_BusyTerminal(busy=1))
    once.write("frame")
    assert once._file.written == ["frame"] and not once.lost
    twice = TerminalOutput(_BusyTerminal(busy=2))
    twice.write("dropped")
    twice.write("next")
    assert twice._file.written == ["next"] and not twice.lost  # one frame lost, the terminal kept (restores on exit)


def test_writes_while_the_writer_thread_is_stopped_are_dropped_not_queued():
    """App.suspend stops the writer thread; the app's repaints went on into its 30-slot queue and the 31st blocked the
    loop for good (the node actions' shell). The driver drops them; Textual repaints on resume."""
    import threading

    from wabiz_tui.tui.hangup import HangupSafeDriver

    class _Thread:
        def __init__(self, alive: bool) -> None:
            self.alive, self.queued = alive, []

        def is_alive(self) -> bool:
            return self.alive

        def write(self, text: str) -> None:
            self.queued.append(text)

    driver = HangupSafeDriver.__new__(HangupSafeDriver)
    driver._writer_thread = None
    done = threading.Event()

    def many() -> None:
        for _ in range(100):
            driver.write("x")
        done.set()

    threading.Thread(target=many, daemon=True).start()
    assert done.wait(5), "a write blocked with no writer thread"
    driver._writer_thread = stopped = _Thread(alive=False)
    driver.write("while suspended")
    driver._writer_thread = running = _Thread(alive=True)
    driver.write("after resume")
    assert stopped.queued == [] and running.queued == ["after resume"]
