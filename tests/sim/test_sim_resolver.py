"""The resolver a simulated container gets (sim/resolver.py): derived from the host's /etc/resolv.conf and the engine
version, and followed by ``getent hosts`` under ``docker exec``. The cases are the lab's observations on dockerd 20.10
(FR43) and moby's documented Docker 28 change (FR44, moby/moby#49665, #47602)."""

from __future__ import annotations

import time

import pytest

from sim_helpers import compose_cmd, connect, upload
from wabiz_tui.sim.brain import Brain
from wabiz_tui.sim.fs import Sandbox
from wabiz_tui.sim.host import HostContext
from wabiz_tui.sim.resolver import EMBEDDED_DNS, PUBLIC_DNS, SITE_DNS, container_dns


def host_with(tmp_path, engine: str, resolv: str | None) -> HostContext:
    (tmp_path / "etc").mkdir(exist_ok=True)
    if resolv is not None:
        (tmp_path / "etc" / "resolv.conf").write_text(resolv)
    return HostContext("h", "wa", Sandbox(tmp_path), Brain(0.05), engine_version=engine)


@pytest.mark.parametrize("engine, resolv, network, conf, upstreams", [
    # compose network: the embedded DNS, forwarding to the host's servers (loopback too: lab FR43, 20.10)
    ("20.10.24", f"nameserver {SITE_DNS}\n", None, EMBEDDED_DNS, (SITE_DNS,)),
    ("20.10.24", "nameserver 127.0.0.53\n", None, EMBEDDED_DNS, ("127.0.0.53",)),
    ("27.5.1", None, None, EMBEDDED_DNS, PUBLIC_DNS),          # no file: public fallback before 28 (moby#41859)
    ("28.0.1", None, None, EMBEDDED_DNS, ()),                  # ... none from 28 (moby#49665)
    ("28.0.1", "# nothing\n", None, EMBEDDED_DNS, ()),
    # default bridge: the host's servers less loopback, else Google's (lab FR43: 8.8.8.8, 8.8.4.4), 28 included
    ("20.10.24", "nameserver 127.0.0.53\n", "bridge", "8.8.8.8", PUBLIC_DNS),
    ("28.0.1", None, "bridge", "8.8.8.8", PUBLIC_DNS),
    ("28.0.1", f"nameserver 127.0.0.53\nnameserver {SITE_DNS}\n", "bridge", SITE_DNS, (SITE_DNS,)),
])
def test_the_container_resolver_follows_the_host_file_and_the_engine(tmp_path, engine, resolv, network, conf, upstreams):
    dns = container_dns(host_with(tmp_path, engine, resolv), network)
    assert dns.resolv_conf.splitlines()[0] == f"nameserver {conf}"
    assert dns.upstreams == upstreams


async def _inside(cluster, host: str, command: str):
    (c,) = [c for c in cluster.brain.on_host(host) if c.service == "wacore" and c.running]
    async with await connect(cluster, host) as conn:
        return await conn.run(f"docker exec {c.id} {command}")


@pytest.mark.parametrize("engine, resolv, resolves, waits", [
    ("24.0.7", [SITE_DNS], True, False),
    ("24.0.7", ["127.0.0.53"], True, False),   # forwarded from the host's namespace (lab FR43, compose network)
    ("24.0.7", None, False, True),             # public DNS: knows no internal name, and offline does not answer
    ("28.0.1", None, False, False),            # no upstream at all
])
async def test_a_container_resolves_through_what_it_was_given(cluster, compose_text, db_env_text, engine, resolv,
                                                              resolves, waits):
    await upload(cluster, "wa-core-1", compose_text, db_env_text)
    async with await connect(cluster, "wa-core-1") as conn:
        assert (await conn.run(compose_cmd("wa-core-1", "up -d wacore"))).exit_status == 0
    cluster.set_engine_version("wa-core-1", engine)
    cluster.set_resolv_conf("wa-core-1", resolv)
    conf = await _inside(cluster, "wa-core-1", "cat /etc/resolv.conf")
    assert conf.stdout.startswith(f"nameserver {EMBEDDED_DNS}\n")
    start = time.monotonic()
    looked = await _inside(cluster, "wa-core-1", "getent hosts wa-web-1")
    assert (looked.exit_status == 0) is resolves and (("wa-web-1" in looked.stdout) is resolves)
    if waits:  # (no upper bound asserted on the others: a loaded machine makes any exec slow)
        assert time.monotonic() - start >= 10.4 * cluster.speed
    async with await connect(cluster, "wa-core-1") as conn:  # the host itself resolves through NSS either way
        assert (await conn.run("getent hosts wa-web-1")).exit_status == 0
