"""``remote.ssh.private_key_problem``: the words for a file given as the SSH private key that is not one (s9: a
``.pub`` was accepted by ``init``); a private key, encrypted or not, and an absent file are no problem here."""

from __future__ import annotations

import asyncssh

from wabiz_tui.remote.ssh import private_key_problem


def test_only_a_file_that_is_not_a_private_key_is_a_problem(tmp_path):
    key = asyncssh.generate_private_key("ssh-ed25519")
    plain, locked, lone = tmp_path / "id_ed25519", tmp_path / "id_locked", tmp_path / "lone.pub"
    key.write_private_key(str(plain))
    key.write_private_key(str(locked), passphrase="secret")  # its passphrase is asked when connecting
    key.write_public_key(f"{plain}.pub")
    key.write_public_key(str(lone))
    (tmp_path / "notes.txt").write_text("not a key\n")
    assert private_key_problem(str(plain)) == private_key_problem(str(locked)) == ""
    assert private_key_problem(str(tmp_path / "absent")) == ""  # said where it is needed (preflight, connecting)
    assert private_key_problem(f"{plain}.pub") == f"{plain}.pub is a public key; give the private key, e.g. {plain}"
    assert private_key_problem(str(lone)) == f"{lone} is a public key; give the private key, e.g. ~/.ssh/id_ed25519"
    assert private_key_problem(str(tmp_path / "notes.txt")).startswith(f"{tmp_path / 'notes.txt'} is not an SSH private key")
