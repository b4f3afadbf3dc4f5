"""Where wabiz-tui keeps its files (platformdirs), overridable for tests with ``WABIZ_TUI_HOME``.

* config dir: cluster profiles (``profiles/<name>.yaml``, mode 600);
* data dir: the app's own ``known_hosts`` (keys accepted by the operator), settings backups (``backups/``);
* state dir: logs of each run (full per-host output, the panes only keep a bounded history).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "wabiz-tui"


@dataclass(frozen=True)
class AppPaths:
    """The three base directories. Use :func:`app_paths` to get the ones in force."""

    config: Path
    data: Path
    state: Path

    @property
    def profiles(self) -> Path:
        """Directory of cluster profiles."""
        return self.config / "profiles"

    @property
    def known_hosts(self) -> Path:
        """The app's own known_hosts file (trust on first use lands here)."""
        return self.data / "known_hosts"

    @property
    def backups(self) -> Path:
        """Directory of settings backups (``POST /v1/settings/backup`` data), files mode 600."""
        return self.data / "backups"

    @property
    def journals(self) -> Path:
        """Directory of procedure journals (what an interrupted run completed)."""
        return self.state / "journals"

    @property
    def locks(self) -> Path:
        """Directory of the per-cluster lock files (one process works on a cluster at a time)."""
        return self.state / "locks"

    @property
    def writable(self) -> tuple[Path, ...]:
        """Every directory a procedure writes to (run logs, journals, locks, run state, backups)."""
        return (self.state, self.logs, self.journals, self.locks, self.state / "clusters", self.backups)

    @property
    def logs(self) -> Path:
        """Directory of per-run, per-host output logs."""
        return self.state / "logs"

    def ensure(self) -> "AppPaths":
        """Create the directories (mode 700) and return self."""
        for d in (self.config, self.data, self.state, self.profiles, self.logs, self.backups):
            # missing parents too (e.g. the WABIZ_TUI_HOME root): mkdir(parents=True) would make them 755
            for parent in reversed([d, *d.parents]):
                if not parent.exists():
                    parent.mkdir(mode=0o700, exist_ok=True)
        return self


def app_paths() -> AppPaths:
    """The directories in force: under ``$WABIZ_TUI_HOME`` when set, else the platformdirs user dirs."""
    home = os.environ.get("WABIZ_TUI_HOME")
    if home:
        base = Path(home)
        return AppPaths(base / "config", base / "data", base / "state")
    return AppPaths(Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
                    Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
                    Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)))


#: bytes written by :func:`local_problems` to prove a directory can take data (a full disk still creates files)
PROBE_BYTES = 4096


def local_problems(directories: Iterable[str | os.PathLike[str]]) -> list[str]:
    """One line per directory this machine cannot write (missing and not creatable, read-only, full,
    no permission): the path, the system's words and the fix. Checked before anything remote starts, so a
    local problem is never reported as a failure of the hosts (issue 14.8). Each directory gets a small
    temporary file, written, fsynced and removed."""
    fixes = {errno.ENOSPC: "free space on that disk (or set WABIZ_TUI_HOME to another disk)",
             errno.EDQUOT: "your disk quota is used up: free space (or set WABIZ_TUI_HOME to another disk)",
             errno.EROFS: "the file system is read-only: remount it read-write or set WABIZ_TUI_HOME to a writable place",
             errno.EACCES: "give your user write permission on it (chmod u+w) or set WABIZ_TUI_HOME to a writable place",
             errno.EPERM: "give your user write permission on it (chmod u+w) or set WABIZ_TUI_HOME to a writable place",
             errno.ENOTDIR: "a file stands where a directory is needed: move it away or set WABIZ_TUI_HOME elsewhere"}
    problems: list[str] = []
    for directory in dict.fromkeys(Path(d) for d in directories):
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".wabiz-write-check-", dir=directory)
            try:
                os.write(fd, b"\0" * PROBE_BYTES)
                os.fsync(fd)
            finally:
                os.close(fd)
                os.unlink(tmp)
        except OSError as exc:
            fix = fixes.get(exc.errno or 0, "check the path, its permissions and free space")
            problems.append(f"{directory}: {exc.strerror or exc} — {fix}")
    return problems


def saved_profile_names(directory: Path) -> list[str]:
    """The names of the saved profiles in ``directory`` (``*.yaml`` stems), sorted; empty when there are none."""
    directory = Path(directory)
    return sorted(f.stem for f in directory.glob("*.yaml")) if directory.is_dir() else []
