"""What the commands share: the profile argument and ``--trust-new-host-keys`` (declared once here), loading
and validating a profile, the run settings of a procedure, its journal, and the cluster's lock.

Light at import (argparse and our ``domain`` only): ``wabiz-tui --help`` imports every command module.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Sequence

from ..domain.exitcodes import Exit
from .output import fail

PROFILE_HELP = "profile file, or the name of a saved profile"


def add_profile(parser: argparse.ArgumentParser) -> None:
    """The positional ``profile`` (a file, or the name of a saved profile; completed with saved names)."""
    parser.add_argument("profile", help=PROFILE_HELP)


def add_trust(parser: argparse.ArgumentParser) -> None:
    """``--trust-new-host-keys``, for every command that opens SSH connections."""
    parser.add_argument("--trust-new-host-keys", action="store_true",
                        help="record hosts' unknown SSH keys in the app's known_hosts (check the fingerprints printed); "
                             "a changed key is always refused")


def read_profile(arg: str):
    """``(profile, path)`` for a profile file or saved name. Raises ``config.profile.ProfileError`` (its message
    names the argument and why: no such file, a directory, invalid YAML, a bad field)."""
    from ..config.paths import app_paths
    from ..config.profile import load_profile, resolve_profile

    path = resolve_profile(arg, app_paths().profiles)
    return load_profile(path), path


def load(arg: str):
    """``(profile, path)`` for a profile file or saved name; a refused profile prints its error and raises
    ``SystemExit(2)`` (``main`` turns it into the command's exit code)."""
    from ..config.profile import ProfileError

    try:
        return read_profile(arg)
    except ProfileError as exc:
        raise SystemExit(fail(str(exc)))


def profile_problems(profile, *, registration: bool = False) -> str:
    """"" when the profile is valid (its SSH key files included: not a public key, :mod:`workflows.keyfiles`), else
    one message naming every field error with its fix (one per line)."""
    from ..domain.validation import validate_profile
    from ..workflows.keyfiles import key_file_errors

    errors = validate_profile(profile, registration=registration) + key_file_errors(profile)
    return "the profile has invalid values:\n  " + "\n  ".join(map(str, errors)) if errors else ""


def invalid(profile, *, registration: bool = False) -> int:
    """0 when the profile is valid (:func:`profile_problems`), else print every field error (with its fix) and
    return 2."""
    problems = profile_problems(profile, registration=registration)
    return fail(problems) if problems else 0


def settings_for(args: argparse.Namespace, profile, path: Path | None, paths=None):
    """The run settings of a headless command: the app's trust files, a passphrase asked on the terminal, and
    ``--trust-new-host-keys`` when the command has it (``paths``: the app's paths, default :func:`app_paths`)."""
    from ..workflows.settings import default_settings
    from .output import terminal_passphrase

    return default_settings(profile, paths, profile_path=path, passphrase=terminal_passphrase(),
                            trust_new_host_keys=getattr(args, "trust_new_host_keys", False))


def journal(paths, profile, procedure: str, *, announce: bool = True):
    """The journal of ``procedure`` for this cluster; says so when an earlier run is being resumed."""
    from ..workflows.journal import Journal

    found = Journal.for_cluster(paths.journals, profile, procedure)
    if found.exists and announce:
        print(f"resuming {procedure}: an earlier run stopped after step {found.last_done()} ({found.path})", flush=True)
    return found


def lock(profile, command: str):
    """Take the cluster's lock for ``command`` (released on leaving the ``with``, or by the kernel when the
    process ends, even killed). Raises ``ClusterBusy`` naming the holder: ``main`` answers it with exit 4."""
    from ..config.lock import ClusterLock
    from ..config.paths import app_paths

    return ClusterLock.for_profile(app_paths().locks, profile).acquire(command)


@contextlib.contextmanager
def locked(profile, command: str, settings):
    """The cluster's lock for ``command`` (:func:`lock`), then the journal of ``settings`` read again: what was
    read before the lock (a prompt for a passphrase can last minutes) may be a run's that has ended since."""
    from ..workflows.journal import Journal

    with lock(profile, command):
        if settings.journal is not None:
            settings.journal = Journal(settings.journal.path)
        yield


def local_problems(extra: Sequence[Path] = ()) -> int:
    """0 when the state directory can be written, else print each local problem (path, cause, fix) and return 3."""
    from ..config.paths import app_paths, local_problems as problems_of

    problems = problems_of([*app_paths().writable, *extra])
    if not problems:
        return 0
    return fail("local problem, nothing was started on the hosts:\n  " + "\n  ".join(problems), Exit.CANNOT_CHECK)


def writes_locally(parser: argparse.ArgumentParser, paths=lambda args: ()) -> None:
    """Mark the command as writing to the state directory (logs, journals, locks, run state): ``main`` checks it,
    and the extra ``paths(args)``, before anything remote starts."""
    parser.set_defaults(local_paths=paths)


def on_interrupt(parser: argparse.ArgumentParser, words: str) -> None:
    """What ``main`` says when the command is interrupted (Ctrl-C, SIGTERM; exit 130), for a command the generic
    words ("procedures with a journal resume") do not fit."""
    parser.set_defaults(interrupted_words=words)
