"""``wabiz-tui init``: create a cluster profile with plain terminal prompts, before any full-screen app. The
prompts are a face of their own (``tui/init_prompts.py``: only faces import questionary); this module declares
the command and checks it runs on a terminal."""

from __future__ import annotations


def register(sub) -> None:
    """Declare ``init``."""
    sub.add_parser("init", help="create a profile with plain terminal prompts (validated, re-asked on bad values)",
                   description="Ask the profile's questions on the terminal, re-ask a refused value with the field's "
                               "name and the fix, show a summary and save it (mode 600). Answers not saved (values "
                               "left to fix, 'Save? No') are kept as a draft the next init continues from."
                   ).set_defaults(run=run)


def run(args) -> int:
    """The ``init`` command: needs a terminal (else says how to create a profile without one)."""
    import sys

    from .output import fail

    if not sys.stdin.isatty():
        return fail("init asks questions on a terminal; to create a profile without one, write the YAML and use: "
                    "wabiz-tui profile import FILE")
    from ..tui.init_prompts import run_init

    return run_init()
