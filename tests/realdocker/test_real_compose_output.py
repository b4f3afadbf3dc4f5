"""Item 1 of issue 13 on real parts: docker-compose 1.29's words survive its PTY byte stream."""

from __future__ import annotations

from tests.realdocker.conftest import installing
from wabiz_tui.workflows.events import HostOutput


async def test_up_on_a_pty_keeps_the_done_words_of_real_compose(docker_host):
    async with installing(docker_host) as (_, events):
        pass
    lines = [e.line for e in events.of(HostOutput)]
    for service in ("waweb", "master", "wacore"):
        assert f"Creating biz_{service}_1 ... done" in lines, lines
    assert "" not in lines  # the trailing cursor move of compose's last line is no empty line


async def test_a_port_clash_keeps_the_error_word_and_leaves_a_created_container(docker_host):
    import socket

    from wabiz_tui.workflows.events import Finding

    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("0.0.0.0", 9090))
    holder.listen()
    try:
        async with installing(docker_host, (1, 2, 3, 4)) as (wf, events):
            assert not await wf.run_step(5)
    finally:
        holder.close()
    lines = [e.line for e in events.of(HostOutput)]
    assert "Creating biz_waweb_1 ... error" in lines, lines
    assert any("Error starting userland proxy: listen tcp4 0.0.0.0:9090: bind: address already in use" in line for line in lines)
    assert "PORT_IN_USE" in [e.key for e in events if isinstance(e, Finding)]
    status = docker_host.docker.docker("ps", "-a", "--filter", "name=biz_waweb_1", "--format", "{{.Status}}").stdout.strip()
    assert status == "Created"
