"""Log lines on stdout in the shapes the client's catalogue reads (``wabiz_tui/domain/diagnosis.py``).

Coreapp/Master/dbupgrade: ``<L> <YYYY-MM-DD HH:MM:SS> UTC <tid> <file>:<line>] <message>`` with L in
I/W/E/C; Webapp: ``<YYYY-MM-DD HH:MM:SS> UTC [info|warning|error] web: <message>`` (the same
shapes as the simulator's ``Brain.log``).
"""

from __future__ import annotations

import datetime as _dt
import sys
import threading

_lock = threading.Lock()
_WEB_LEVELS = {"I": "info", "W": "warning", "E": "error", "C": "error"}


class Log:
    """Writes one role's lines; ``web`` selects the Webapp shape."""

    def __init__(self, web: bool) -> None:
        self.web = web

    def __call__(self, msg: str, level: str = "I", where: str = "main.cpp:55") -> None:
        now = _dt.datetime.now(_dt.timezone.utc)
        if self.web:
            line = f"{now:%Y-%m-%d %H:%M:%S} UTC [{_WEB_LEVELS.get(level, 'info')}] web: {msg}"
        else:
            line = f"{level} {now:%Y-%m-%d %H:%M:%S} UTC {threading.get_native_id() % 1000} {where}] {msg}"
        with _lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
