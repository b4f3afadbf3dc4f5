"""Command line entry point: the TUI by default, headless subcommands driving the same workflows.

Each command is a module of this package that declares its own sub-parser (``register(subparsers)``, which sets
``run``) and runs it; this module only builds the parser from :data:`COMMANDS` and dispatches. Heavy modules
(Textual, asyncssh, the API client, the simulator) are imported only inside the command that needs them, so
``wabiz-tui --help`` stays fast. Exit codes: the one table of :mod:`wabiz_tui.domain.exitcodes` (``health``
keeps the monitoring-plugin convention).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import time
import warnings
from typing import Sequence

from .. import __version__
from ..domain.exitcodes import Exit, HealthExit
from .common import local_problems
from .output import fail

#: The command modules, in the order ``--help`` lists them.
COMMANDS = ("demo", "monitor", "fleet", "wizard", "install", "preflight", "health_command", "doctor", "logs", "upgrade", "uninstall", "init",
            "profiles", "plan", "multiconnect", "lab", "render", "exporter", "completion")

#: What an interrupted command says (a command whose words differ declares them: ``common.on_interrupt``).
INTERRUPTED_WORDS = "interrupted (run the same command again: procedures with a journal resume where they stopped)"


class _BadArguments(Exception):
    """argparse found a bad flag or value (its message is the one-line error)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting with 2: ``health`` must answer bad input with UNKNOWN (3)."""

    def error(self, message: str):
        sub = self.prog.removeprefix("wabiz-tui").strip()
        exc = _BadArguments(f"{sub}: {message}" if sub else message)
        exc.usage = self.format_usage()  # the sub-command's usage, not the top-level one
        raise exc


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, with a flag the command does not know refused by that command's parser, so the
    usage printed is the command's (argparse leaves unknown words to the top-level parser)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        (commands.choices.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: each module of :data:`COMMANDS` adds its sub-parsers (and their ``run``)."""
    p = _Parser(
        prog="wabiz-tui",
        description="Install, operate and monitor a WhatsApp Business API On-Premises cluster (HA/Multiconnect) over SSH.",
        epilog="Try it with no infrastructure: wabiz-tui demo")
    p.add_argument("--version", action="version", version=f"wabiz-tui {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return p


def quiet_ssh_library_warnings() -> None:
    """Hide the cryptography deprecation warnings that asyncssh raises when it is imported.

    cryptography 51 (2026-09, pyca/cryptography#15597) deprecates DSA and asyncssh 2.24 names the DSA types at import
    (ronf/asyncssh#826 is the same for FFDH): several lines on stderr before every command's own words, about
    algorithms the operator neither chose nor can change. Only warnings of that category raised from asyncssh's own
    modules are hidden; everything else is left to Python's defaults.
    """
    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"asyncssh(\.|$)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by the console script).

    No traceback reaches the user: an OS error (permission, disk full, missing directory) is one line
    naming the file; anything unexpected is one line naming a crash report written to the state directory.
    """
    quiet_ssh_library_warnings()
    argv = list(sys.argv[1:] if argv is None else argv)
    health = bool(argv) and argv[0] == "health"
    try:
        args = _parse(build_parser(), argv)
    except _BadArguments as exc:
        sys.stderr.write(getattr(exc, "usage", ""))
        return fail(str(exc), HealthExit.UNKNOWN if health else Exit.BAD_INPUT)
    # restored on return: main() also runs inside other programs (tests, benchmarks) that keep their own handler
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _guarded(args, health)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _guarded(args: argparse.Namespace, health: bool) -> int:
    """Run the parsed command; every error ends as one line and an exit code of the one table."""
    from ..config.lock import ClusterBusy as ClusterBusyError

    try:
        code = _dispatch(args)
    except SystemExit as exc:  # common.load refusing a profile
        code = exc.code if isinstance(exc.code, int) and not health else Exit.BAD_INPUT
    except KeyboardInterrupt:
        return fail(getattr(args, "interrupted_words", INTERRUPTED_WORDS), Exit.INTERRUPTED)
    except ClusterBusyError as exc:
        return fail(f"refused: {exc}", Exit.REFUSED)
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        code = fail(f"{where}{exc.strerror or exc} — check the path and its permissions", Exit.CANNOT_CHECK)
    except Exception:  # noqa: BLE001 - the last line of defence: a report file instead of a traceback
        code = fail(f"unexpected error; details written to {_crash_report()} — please report it", Exit.FAILED)
    else:
        return int(code)  # health's own answer is already the monitoring-plugin code
    if health:  # Exit's FAILED (1) and BAD_INPUT (2) would read as WARNING and CRITICAL: it could not run
        return int(HealthExit.UNKNOWN)
    return int(code)


def _terminate(signum, frame) -> None:
    """SIGTERM (a closed terminal, kill) ends like Ctrl-C, so clean-up code runs."""
    raise KeyboardInterrupt


def _crash_report() -> str:
    import traceback

    from ..config.paths import app_paths
    from ..domain.text import Redactor

    text = traceback.format_exc()
    try:
        directory = app_paths().state
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        secret_names = ("PASSWORD", "PASS", "PIN", "TOKEN", "SECRET", "CERT", "KEY")
        path.write_text(Redactor(v for k, v in os.environ.items() if any(n in k.upper() for n in secret_names))(text),
                        encoding="utf-8")
        path.chmod(0o600)
        return str(path)
    except OSError:
        return "(nowhere: the state directory is not writable)"


def _dispatch(args: argparse.Namespace) -> int:
    """Check the state directory for the commands that write there, then run the command (help without one)."""
    paths = getattr(args, "local_paths", None)
    if paths is not None:
        problem = local_problems(list(paths(args)))
        if problem:
            return problem
    run = getattr(args, "run", None)
    if run is None:
        build_parser().print_help()
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
