"""Trust on first use: ask about each unknown SSH host key, record the accepted ones, then retry.

A workflow emits ``HostKeyQuestion`` for a key no trusted known_hosts file has. The face shows the
host, ``address:port``, the key type and its SHA256 fingerprint and asks "Trust this key?" (No is
the default). Accepted keys go to the app's own known_hosts (``workflows.hostkeys.trust_answered``). A
*changed* key never produces a question: that failure already names both fingerprints and how to
clear the old entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App

from ...workflows.events import HostKeyQuestion
from .confirm import ConfirmScreen


class HostKeyScreen(ConfirmScreen):
    """Asks "Trust this key?" for one ``HostKeyQuestion``; ``y`` trusts, ``n``/Escape/Enter refuse."""

    def __init__(self, question: HostKeyQuestion, index: int = 1, count: int = 1) -> None:
        q = question
        of = f" ({index} of {count})" if count > 1 else ""
        details = Text.assemble(
            ("Host        ", "bold"), f"{q.host}\n",
            ("Address     ", "bold"), f"{q.address}:{q.port}\n",
            ("Key type    ", "bold"), f"{q.key_type}\n",
            ("Fingerprint ", "bold"), (f"{q.fingerprint}\n\n", "bold yellow"),
            "Compare it with the host's own fingerprint (on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). "
            "Yes adds the key to wabiz-tui's known_hosts and runs the step again; No leaves the step failed.")
        super().__init__(f"Unknown SSH host key{of}. Trust this key?", details, yes="Trust", no="Do not trust")
        self.question_event = question
        self.add_class("host-key-screen")


def unique_questions(questions: list[HostKeyQuestion]) -> list[HostKeyQuestion]:
    """One question per ``address:port`` and key (hosts reached twice in a step ask once)."""
    seen: set[tuple[str, int, str]] = set()
    out = []
    for q in questions:
        ident = (q.address, q.port, q.public_key)
        if q.public_key and ident not in seen:
            seen.add(ident)
            out.append(q)
    return out


def ask_host_keys(app: App, questions: list[HostKeyQuestion], known_hosts: Path,
                  done: Callable[[bool, str], Any]) -> None:
    """Ask about each question in turn; trust each accepted key in ``known_hosts``.

    ``done(all_trusted, refused_host)`` is called at the end: True (and "") when every key was
    accepted, else False and the host whose key was refused (the remaining ones are not asked).
    """
    from ...workflows.hostkeys import trust_answered

    pending = unique_questions(questions)
    total = len(pending)
    if not pending:
        done(False, "")
        return

    def ask(index: int) -> None:
        """Show question ``pending[index]`` in a :class:`HostKeyScreen`; its answer asks the next one or calls
        ``done``."""
        question = pending[index]

        def answered(yes: bool | None) -> None:
            """The dialog's answer: No or Escape → ``done(False, host)``; Yes → trust the key in ``known_hosts`` (a
            write error is notified and counts as a refusal), then ask the next question, or ``done(True, "")`` after
            the last."""
            if not yes:
                done(False, question.host)
                return
            try:
                trust_answered(question, known_hosts)
            except OSError as exc:
                app.notify(f"Could not write {known_hosts}: {exc}", severity="error")
                done(False, question.host)
                return
            app.notify(f"Trusted the {question.key_type} key of {question.host} ({question.address}:{question.port}) "
                       f"in {known_hosts}", title="Host key trusted")
            if index + 1 < total:
                ask(index + 1)
            else:
                done(True, "")

        app.push_screen(HostKeyScreen(question, index + 1, total), answered)

    ask(0)


def refused_next_action(host: str) -> str:
    """What to do after the operator refused the key of ``host``."""
    return (f"the host key of {host} was not trusted: compare its fingerprint on the host "
            "(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then press ctrl+r to be asked again")
