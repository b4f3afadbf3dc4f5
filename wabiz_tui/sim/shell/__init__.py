"""A small POSIX-ish shell, enough for the commands an installer sends over SSH.

:mod:`.lexer` turns a line into pipelines, :mod:`.interpreter` runs them (:class:`Shell`),
:mod:`.proc` is what a command gets (:class:`Proc`), :mod:`.builtins` and :mod:`.coreutils` are
the commands, registered in the one table of :mod:`..programs` like every other program.

Supported: lists with ``&&``, ``||``, ``;``; pipes ``|`` (stdin for ``cat``/``grep``/``head``/
``tail``/``wc``/``tr``); single/double quotes and backslashes; ``$VAR``/``${VAR}``/``$?`` expansion;
``VAR=value`` prefixes (passed to the command only); redirections ``>``, ``>>``, ``2>``, ``2>&1``,
``&>``; built-ins ``cd mkdir chmod stat test [ cat ls echo rm touch true false hostname id whoami
pwd command which exit sudo sh/bash -c uname grep head tail wc tr``.
"""

from . import builtins as _builtins, coreutils as _coreutils  # noqa: F401 - register their commands
from .interpreter import Shell
from .lexer import ShellSyntaxError, parse, split_list, tokenize
from .proc import BufferWriter, ExitShell, Proc, Writer

__all__ = ["Shell", "Proc", "ExitShell", "BufferWriter", "Writer", "ShellSyntaxError", "tokenize", "split_list",
           "parse"]
