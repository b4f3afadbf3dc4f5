"""doctor's network/compose/container rules on the simulator, for faults the lab cannot hold: compose 1.29 on Docker
Engine 25 or later (FR40: the lab's only engine is dockerd 20.10; the simulator's hosts carry an engine version and
fail a recreate as compose#11693 shows)."""

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
