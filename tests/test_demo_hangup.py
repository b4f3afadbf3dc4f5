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
