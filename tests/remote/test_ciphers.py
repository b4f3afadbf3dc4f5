"""The SSH client puts AES-GCM first (asyncssh's chacha20-poly1305 costs 5-10x more CPU per packet here, and the
engine's SSH reads share the UI thread), unless the operator's OpenSSH config sets ``Ciphers`` for the host."""

from __future__ import annotations

import asyncssh

from wabiz_tui.domain.model import SshTarget
from wabiz_tui.remote import ssh
from wabiz_tui.remote.ssh import PREFERRED_CIPHERS, Hop, KeyStore, SshSettings, cipher_option, resolve_route


def test_aes_gcm_first_unless_the_config_sets_ciphers_for_the_host(tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text("Host core1\n  Ciphers aes256-ctr\nHost jump1\n  Ciphers aes128-ctr\nHost *\n  User wa\n")
    settings = SshSettings(known_hosts=[], read_user_config=False, config_file=config)
    _, plain = resolve_route(SshTarget(host="10.0.0.11"), SshSettings(known_hosts=[], read_user_config=False))
    assert cipher_option(plain) == {"encryption_algs": PREFERRED_CIPHERS}
    _, core1 = resolve_route(SshTarget(alias="core1"), settings)
    assert cipher_option(core1) == {}  # the operator's choice stands
    jumps, core2 = resolve_route(SshTarget(alias="core2", jump="jump1"), settings)
    assert cipher_option(core2) == {"encryption_algs": PREFERRED_CIPHERS}
    assert [cipher_option(h) for h in jumps] == [{}]  # each hop by its own config


async def test_the_preference_reaches_asyncssh_and_a_chacha_only_server_still_negotiates(tmp_path, monkeypatch):
    """Against a real asyncssh server that offers chacha20-poly1305 only, the connection still succeeds (the rest of
    asyncssh's list follows the two AES-GCM names); against one offering every default, AES-GCM is chosen."""
    server_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    chosen: list[bytes] = []

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def public_key_auth_supported(self) -> bool:
            return True

        def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
            return key.public_data == client_key.public_data

    async def one(server_algs):
        acceptor = await asyncssh.listen("127.0.0.1", 0, server_host_keys=[server_key], server_factory=Server,
                                         encryption_algs=server_algs)
        port = acceptor.sockets[0].getsockname()[1]
        known = tmp_path / f"known_{port}"
        known.write_text(f"[127.0.0.1]:{port} {server_key.export_public_key().decode()}")
        settings = SshSettings(known_hosts=[str(known)], read_user_config=False)
        key_file = tmp_path / "id"
        client_key.write_private_key(str(key_file))
        try:
            conn = await ssh._connect_hop(Hop("127.0.0.1", "127.0.0.1", port, "wa", (str(key_file),)), "wa-core-1",
                                          settings, KeyStore(), tunnel=None, via="", is_jump=False, use_agent=False)
            chosen.append(conn._enc_alg_cs)  # the negotiated cipher (asyncssh keeps no public accessor)
            conn.close()
            await conn.wait_closed()
        finally:
            acceptor.close()
            await acceptor.wait_closed()

    await one(())
    await one(["chacha20-poly1305@openssh.com"])
    assert chosen == [b"aes128-gcm@openssh.com", b"chacha20-poly1305@openssh.com"]
