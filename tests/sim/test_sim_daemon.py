"""The Docker daemon's state on its own (sim/daemon.py), without the WhatsApp cluster's rules: a
container of an image it knows nothing about starts ready, follows its ``restart:`` policy with
Docker's back-off after an exit Docker did not ask for, and stays down after one it did."""

from __future__ import annotations

import asyncio

from wabiz_tui.sim.daemon import Container, Daemon


def _container(daemon: Daemon, restart: str) -> Container:
    return daemon.add(Container(id=daemon.new_id(), name="biz_cache_1", host="h1", project="biz", service="cache",
                                image="redis:7", kind="other", node_hostname="h1", command=["redis-server"],
                                ports=[], env={}, restart=restart))


async def test_a_daemon_alone_runs_restarts_and_stops_a_container():
    daemon = Daemon(speed=0.01)
    try:
        c = _container(daemon, "unless-stopped")
        daemon.start(c)
        assert c.info().state == "running" and c.ready_at == c.started_at
        assert daemon.find("h1", "biz_cache_1") is c and daemon.find("h2", "biz_cache_1") is None
        daemon.kill_main_process(c)  # kill -9 from the host: the policy applies
        assert (c.state, c.exit_code) == ("restarting", 137)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if c.running:
                break
        assert c.running and c.restart_count == 1
        daemon.stop(c, 137)  # docker kill: asked through Docker, no restart
        await asyncio.sleep(0.05)
        assert c.info().state == "exited" and c.exit_code == 137 and c.restart_count == 1
        daemon.remove(c)
        assert daemon.on_host("h1") == []
    finally:
        await daemon.close()
    assert daemon._timers == set()


async def test_a_daemon_alone_leaves_a_no_policy_container_exited():
    daemon = Daemon(speed=0.01)
    try:
        c = _container(daemon, "no")
        daemon.start(c)
        daemon.kill_main_process(c)
        await asyncio.sleep(0.05)
        assert c.info().state == "exited" and c.restart_count == 0
    finally:
        await daemon.close()
