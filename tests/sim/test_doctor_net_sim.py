"""doctor's network/compose/container rules on the simulator, for faults the lab cannot hold: compose 1.29 on Docker
Engine 25 or later (FR40: the lab's only engine is dockerd 20.10; the simulator's hosts carry an engine version and
fail a recreate as compose#11693 shows); Docker 28 on a host without /etc/resolv.conf (FR44: the simulator's
containers get their resolver from the host's file and the engine version, sim/resolver.py)."""

from __future__ import annotations

from tests.engine.conftest import demo, installed  # noqa: F401 - the demo session, installed
from tests.sim.test_field_reports_sim import doctor_cause


async def test_fr40_doctor_names_compose_v1_on_engine_26(installed, tmp_path):
    installed.cluster.set_engine_version("wa-core-1", "26.1.4")
    cause = await doctor_cause(installed, tmp_path, "COMPOSE_V1_NEW_ENGINE")
    assert cause.hosts == ("wa-core-1",)
    assert cause.title == ("wa-core-1 drives Docker Engine 26.1.4 with docker-compose v1: it cannot recreate containers "
                           "there (KeyError: 'ContainerConfig')")
    assert [f.line for f in cause.evidence][0] == "Docker 26.1.4 answers"
    assert "docker compose v2" in cause.next_action and cause.source.startswith("FR40: https://")


async def test_fr44_doctor_names_docker_28_without_a_host_resolv_conf(installed, tmp_path):
    installed.cluster.upgrade_engine_without_resolv_conf("wa-core-1", "28.0.1")
    cause = await doctor_cause(installed, tmp_path, "CONTAINER_RESOLVER")
    assert cause.hosts == ("wa-core-1",)
    assert cause.title.startswith("containers on wa-core-1 cannot resolve wa-web-1, ")
    assert cause.title.endswith("the host has no /etc/resolv.conf and Docker 28.0.1 no longer falls back to public DNS")
    lines = {(f.probe, f.get("where")): f.line for f in cause.evidence}
    assert lines["dns.container", None] == "not found (exit status 2)"
    assert lines["resolv", "host"] == "cat: /etc/resolv.conf: No such file or directory"
    assert lines["resolv", "container"] == "nameserver 127.0.0.11"
    assert any(f.command.startswith("docker exec ") and "getent hosts" in f.command for f in cause.evidence)
    assert "/etc/resolv.conf" in cause.next_action and "daemon.json" in cause.next_action
    assert cause.source.endswith("FR44: https://github.com/moby/moby/issues/49665")
