"""doctor's probe from inside a container (``ContainerPathProbes.connect_inside``) on a container that dies under it:
the failure says nothing of the path when the container restarted, stopped, or waits for its restart policy (Docker
keeps such a container ``Running`` with its old ``StartedAt``: moby ``container/state.go`` ``SetRestarting``; seen on
the lab, test_52's crash-looping Coreapp, its probe killed with status 137)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wabiz_tui.workflows.doctor.paths import ContainerPathProbes

STARTED = "2026-12-05T21:30:01.123456789Z"


class Probes(ContainerPathProbes):
    """Answers ``docker inspect`` with ``states`` in turn and every ``docker exec`` with ``probe``."""

    def __init__(self, states: list[str], probe: tuple[int, list[str]]):
        self.states, self.probe = list(states), probe

    def _docker(self, host, command: str) -> str:
        return command

    async def _sh(self, host, command: str):
        return (0, [self.states.pop(0)]) if command.startswith("docker inspect") else self.probe


@pytest.mark.parametrize("after, checked", [
    (f"true false {STARTED}", True),  # still running since the same start: the failure is the path's
    (f"true true {STARTED}", False),  # died, waiting for its restart policy (Running stays true)
    ("true false 2026-12-05T21:30:04.5Z", False),  # died and restarted
    (f"false false {STARTED}", False),  # died and stays down
])
async def test_a_probe_killed_with_its_container_is_not_checked(after, checked):
    probes = Probes([f"true false {STARTED}", after], (137, []))
    _tool, _command, answer = await probes.connect_inside(SimpleNamespace(external_hostname="wa-core-2"), "9da65377ef51",
                                                         "g.whatsapp.net", 443)
    assert answer.ok is (False if checked else None), answer
    assert answer.why == ("" if checked else "not checked (the container restarted or stopped while probed)")
