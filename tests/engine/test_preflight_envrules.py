"""The env rules (domain/envrules.py) in the preflight, against the simulator demo: a warning row with its
source while the DB still answers, and a value compose would misread stops the preflight before any host."""

from __future__ import annotations

import dataclasses

from tests.engine.test_preflight import run_preflight
from wabiz_tui.domain.preflight import OK, WARNING
from wabiz_tui.workflows.events import HostCommand, Message


async def test_db_port_of_the_other_engine_is_a_preflight_warning(demo, tmp_path):
    demo.cluster.set_database(demo.profile.db.hostname, 5432)  # a MySQL really listening on 5432
    profile = demo.profile.with_changes(db=dataclasses.replace(demo.profile.db, port=5432))
    ok, results, _ = await run_preflight(demo, tmp_path, profile)
    row = results[("", "env DB_PORT_ENGINE")]
    assert row.level == WARNING and "db.port" in row.reason and "source:" in row.reason
    assert results[("wa-core-1", "database")].level == OK  # the warning does not pretend the DB is unreachable
    assert ok


async def test_password_compose_would_cut_stops_before_any_host(demo, tmp_path):
    profile = demo.profile.with_changes(db=dataclasses.replace(demo.profile.db, password="Demo-pass #2026"))
    ok, results, events = await run_preflight(demo, tmp_path, profile)
    assert not ok and not events.of(HostCommand)
    messages = [e.text for e in events.of(Message)]
    assert any("db.password" in m and "compose" in m for m in messages), messages
    assert not any("Demo-pass" in m for m in messages)
