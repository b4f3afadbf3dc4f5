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
"""

from __future__ import annotations

from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver


class TerminalOutput:
    """The driver's output file (``sys.__stderr__``) whose writes and flushes never raise: after the first
    ``OSError`` (EIO on a hung-up terminal, EPIPE) the terminal is :attr:`lost` and every later write is dropped."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        #: True once a write or flush failed: the terminal is gone and nothing more is written to it.
        self.lost = False

    def write(self, text: str) -> int:
        """Write ``text`` (characters) unless the terminal is lost; returns the characters taken (all of them)."""
        if not self.lost:
            try:
                self._file.write(text)
            except (OSError, ValueError):  # ValueError: the file was closed
                self.lost = True
        return len(text)

    def flush(self) -> None:
        """Flush unless the terminal is lost; a failure marks it lost."""
        if not self.lost:
            try:
                self._file.flush()
            except (OSError, ValueError):
                self.lost = True

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

    def _sigcont_application(self, *args: Any) -> None:
        if self.output.lost or not self.output.isatty():
            return
        super()._sigcont_application(*args)
