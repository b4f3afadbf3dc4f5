"""A terminal that goes away (ssh drop, closed tmux/terminal window) must not hold the TUI (s9 trial, fd).

Textual's Linux driver writes the screen from a thread through a queue of 30 writes. On a hung-up terminal every
write fails with EIO: the first failure ends that thread, the queue fills, and the next write blocks the event loop
for good — so the SIGHUP/SIGTERM handlers (``quitting.install_signal_handlers``), which run on that loop, never
run, and the process stays without a terminal until SIGKILL. The kernel also sends SIGCONT with the SIGHUP (to
the session leader), and Textual answers SIGCONT by starting application mode again: a second writer thread,
which dies the same way.

:class:`HangupSafeDriver` writes through :class:`TerminalOutput`, which drops output once the terminal refuses
it, and does not restart application mode on a terminal that is gone; the SIGHUP handler then aborts and records
the run as a quit does, and the process ends.

The same queue blocked the loop while the app was suspended (``App.suspend``, the node actions' shell): suspending
stops the writer thread, the app keeps repainting (the monitor's timers), and the 31st write waits forever. Writes
made while no writer thread runs are dropped; Textual repaints the whole screen when it resumes. (Textual 8.2.8,
``drivers/linux_driver.py`` and ``drivers/_writer_thread.py``; found by the session's second review.)
"""

from __future__ import annotations

import errno
import os
import select
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver


#: The errors of a terminal that is gone: EIO (hung up), EPIPE, ENXIO (no such device), EBADF (closed).
GONE = (errno.EIO, errno.EPIPE, errno.ENXIO, errno.EBADF)


class TerminalOutput:
    """The driver's output file (``sys.__stderr__``) whose writes and flushes never raise: after an error of a
    terminal that is gone (:data:`GONE`, or the file closed) the terminal is :attr:`lost` and every later write is
    dropped. A terminal that is only busy (EAGAIN, when another program left it non-blocking) is waited for up to
    a second and the write tried again; if it is still busy that write is dropped, the terminal is not lost."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        #: True once a write or flush failed: the terminal is gone and nothing more is written to it.
        self.lost = False

    def write(self, text: str) -> int:
        """Write ``text`` (characters) unless the terminal is lost; returns the characters taken (all of them)."""
        if not self.lost:
            self._attempt(lambda: self._file.write(text))
        return len(text)

    def flush(self) -> None:
        """Flush unless the terminal is lost (see the class for which failures mark it lost)."""
        if not self.lost:
            self._attempt(self._file.flush)

    def _attempt(self, call: Any) -> None:
        """Run ``call`` (a write or a flush); a busy terminal gets one more try after waiting up to 1 s for it."""
        for last in (False, True):
            try:
                call()
                return
            except BlockingIOError:
                if last:
                    return
                try:
                    select.select([], [self._file.fileno()], [], 1.0)
                except (OSError, ValueError):
                    self.lost = True
                    return
            except OSError as exc:
                if exc.errno in GONE:
                    self.lost = True
                return
            except ValueError:  # the file was closed
                self.lost = True
                return

    def fileno(self) -> int:
        """The file descriptor of the wrapped file."""
        return self._file.fileno()

    def isatty(self) -> bool:
        """Whether the wrapped file is still a terminal (False once lost)."""
        if self.lost:
            return False
        try:
            return self._file.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class HangupSafeDriver(LinuxDriver):
    """Textual's Linux driver writing through :class:`TerminalOutput`; a SIGCONT after the terminal is lost
    (the kernel's hangup sends SIGHUP then SIGCONT) leaves application mode stopped instead of restarting it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output = TerminalOutput(self._file)
        self._file = self.output

    def write(self, data: str) -> None:
        """Queue ``data`` for the writer thread; dropped while none runs (suspended, or before application mode)."""
        thread = self._writer_thread
        if thread is None or not thread.is_alive():
            return
        thread.write(data)

    def _sigcont_application(self, *args: Any) -> None:
        # the terminal Textual itself checks is stdin's (LinuxDriver.fileno); a hung-up one is no tty any more
        if self.output.lost or not _is_tty(self.fileno):
            return
        super()._sigcont_application(*args)


def _is_tty(fd: int) -> bool:
    """``os.isatty(fd)``, False for a closed descriptor."""
    try:
        return os.isatty(fd)
    except OSError:
        return False
