"""The one table of what a simulated host can run by name: shell built-ins and programs alike.

Each module that provides commands registers them here with :func:`program` when it is imported
(``shell`` its built-ins, ``probes`` the preflight programs, ``docker`` and ``compose`` their CLIs);
``wabiz_tui/sim/__init__.py`` imports them all. The shell looks a name up with :func:`lookup` and
imports nothing of the programs, so no program module and the shell import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .shell.proc import Proc

Run = Callable[["Proc"], Awaitable[int]]


@dataclass(frozen=True)
class Program:
    """One runnable name: ``run(proc)`` returns the exit status. ``path`` is where ``which`` and
    ``command -v`` say it is installed (``/usr/bin/docker``); None for the shell's own commands."""

    name: str
    run: Run
    path: str | None = None


PROGRAMS: dict[str, Program] = {}


def program(*names: str, path: str | None = None) -> Callable[[Run], Run]:
    """Decorator: register ``fn`` under each of ``names`` (``@program("test", "[")``).

    Raises ``ValueError`` if a name is already taken: two modules must not both answer a name.
    """
    def deco(fn: Run) -> Run:
        """Register ``fn`` under every name and return it unchanged; raises ``ValueError`` if a name is already
        registered to another function."""
        for name in names:
            old = PROGRAMS.get(name)
            if old is not None and (old.run.__module__, old.run.__qualname__) != (fn.__module__, fn.__qualname__):
                raise ValueError(f"program {name!r} is registered twice")
            PROGRAMS[name] = Program(name, fn, path)
        return fn
    return deco


def lookup(name: str) -> Program | None:
    """The program registered as ``name`` (a bare name such as ``docker``), or None."""
    return PROGRAMS.get(name)
