"""The state directories' write check, remembered with the state it checked (issue 17: the check fsyncs a file per
directory, 34-62 ms of the UI loop under load, on the key that starts step 5's preflight).

:func:`.paths.local_problems` proves a directory takes data by writing, fsyncing and removing a file. A directory
that passed is not probed again while what could make it fail is unchanged: the directory itself (device, inode,
mode, owner), the file system's read-only flag, the user's write access and at least :data:`ROOM_BYTES` free. Any
change there (a remount read-only, a chmod, a nearly full disk, a directory replaced) probes it again; a failure is
never remembered."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from .paths import local_problems

#: free bytes below which a directory that passed is probed again (a full disk lets a stat pass)
ROOM_BYTES = 1 << 20


def directory_state(directory: Path) -> tuple[object, ...] | None:
    """What a passed write check depends on, as a comparable tuple; None when it cannot be read (then probed)."""
    try:
        st = os.stat(directory)
        fs = os.statvfs(directory)
    except OSError:
        return None
    free = (fs.f_bfree if os.geteuid() == 0 else fs.f_bavail) * fs.f_frsize
    return (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid, bool(fs.f_flag & os.ST_RDONLY),
            os.access(directory, os.W_OK), free >= ROOM_BYTES)


class WriteCheck:
    """:func:`local_problems` whose passes are remembered per directory with :func:`directory_state`. Safe to call
    from a worker thread (the app primes it off the UI loop) and from the UI loop at once."""

    def __init__(self) -> None:
        self._passed: dict[Path, tuple[object, ...]] = {}
        self._lock = threading.Lock()
        #: directories actually probed (written and fsynced), for tests and traces
        self.probes = 0

    def problems(self, directories: Iterable[str | os.PathLike[str]]) -> list[str]:
        """The lines of :func:`local_problems` for ``directories``, probing only those not known to pass."""
        found: list[str] = []
        for directory in dict.fromkeys(Path(d) for d in directories):
            with self._lock:
                known = self._passed.get(directory)
            if known is not None and known == directory_state(directory):
                continue
            self.probes += 1
            try:  # created first (as the probe would): its state is then read before the probe
                directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError:
                pass  # the probe says why
            before = directory_state(directory)
            lines = local_problems([directory])
            # remembered only when nothing changed during the probe (a remount read-only then is probed next time)
            state = before if not lines and before == directory_state(directory) else None
            with self._lock:
                if state is None:
                    self._passed.pop(directory, None)
                else:
                    self._passed[directory] = state
            found += lines
        return found
