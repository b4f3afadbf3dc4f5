"""Encrypted SSH keys: the app's ``SshSettings.passphrase`` callback asks in a password dialog.

The passphrase is typed into a hidden input, handed to the SSH layer to decrypt the key once and
never stored or shown. Escape answers "" and the engine reports that the key is encrypted and no
passphrase was given. The SSH layer asks once per key file, even for many hosts at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual.worker import NoActiveWorker

from .screens.confirm import PasswordScreen

DETAILS = ("This private key is encrypted. Its passphrase decrypts it for this session only: it is never "
           "shown or stored. Esc: no passphrase (the step then fails and says the key is encrypted; "
           "ssh-add the key to the agent instead).")


def passphrase_screen(key_file: str) -> PasswordScreen:
    """The dialog that asks for the passphrase of ``key_file``."""
    screen = PasswordScreen(f"Passphrase for {key_file}", DETAILS)
    screen.add_class("passphrase-screen")
    return screen


#: A key whose dialog was dismissed is not asked again for this long (the other hosts of the same
#: run would each ask again); starting a wizard step forgets the refusals.
DECLINED_FOR = 30.0


async def ask_passphrase(app: Any, key_file: str) -> str:
    """Ask the passphrase of ``key_file`` in a modal dialog; "" when the user pressed Escape.

    Inside a worker (the wizard's steps and the operations run in one) it waits with
    ``push_screen_wait``; elsewhere it waits on the dialog's dismiss callback.
    ``app.declined_keys`` (key file -> time) records the refusals.
    """
    declined: dict[str, float] = app.declined_keys
    when = declined.get(key_file)
    if when is not None and time.monotonic() - when < DECLINED_FOR:
        return ""
    try:
        answer = await app.push_screen_wait(passphrase_screen(key_file))
    except NoActiveWorker:
        future: asyncio.Future = asyncio.get_running_loop().create_future()

        def done(value: Any) -> None:
            """The dialog's dismiss callback outside a worker: resolve the future with the answer (the first call
            only)."""
            if not future.done():
                future.set_result(value)

        app.push_screen(passphrase_screen(key_file), done)
        answer = await future
    if not answer:
        declined[key_file] = time.monotonic()
    return answer or ""
