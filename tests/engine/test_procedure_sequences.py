"""The order of a procedure is the procedure's own (``run``): every face calls it. The steps are replaced by
recorders here; what each step does on a cluster is tested in test_upgrade.py / test_ops_cli.py."""

from __future__ import annotations

import asyncio

import pytest

from tests.domain.test_validation import good_profile
from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.multiconnect import Multiconnect
from wabiz_tui.workflows.upgrade import Upgrade


def recorded(wf, calls: list, results: dict) -> None:
    """Replace the step methods of ``wf`` by ones that record their call and answer ``results[name]`` (True)."""
    for name in ("backup", "dbupgrade", "upgrade_role", "final_health", "media_chown", "set_shards", "health_served",
                 "add_coreapp", "health_with_standby"):
        if not hasattr(wf, name):
            continue

        async def step(*args, _name=name, **kw):
            label = f"{_name}:{args[0].label}" if _name == "upgrade_role" else _name
            calls.append(label)
            return results.get(label, True)
        setattr(wf, name, step)


@pytest.mark.parametrize("failing,expected", [
    (None, ["backup", "dbupgrade", "upgrade_role:Webapp", "upgrade_role:Master", "upgrade_role:Coreapp", "final_health",
            "media_chown"]),
    ("backup", ["backup"]),
    ("dbupgrade", ["backup", "dbupgrade"]),
    ("upgrade_role:Master", ["backup", "dbupgrade", "upgrade_role:Webapp", "upgrade_role:Master"]),
])
def test_upgrade_runs_backup_dbupgrade_roles_then_chown_and_stops_at_a_failure(failing, expected):
    wf = Upgrade(good_profile(wa_api_version="2.29.2"), emit=discard, target="2.29.3")
    calls: list[str] = []
    recorded(wf, calls, {failing: False} if failing else {})
    ok = asyncio.run(wf.run("a-long-password", dbupgrade_host="wa-master-1", media_chown=True))
    assert calls == expected and ok is (failing is None)
    assert wf.dbupgrade_ok is (None if failing == "backup" else failing != "dbupgrade")


def test_upgrade_without_a_dbupgrade_host_or_chown_need_skips_them():
    wf = Upgrade(good_profile(wa_api_version="2.41.2"), emit=discard, target="2.43.1")
    calls: list[str] = []
    recorded(wf, calls, {})
    assert asyncio.run(wf.run("a-long-password", media_chown=True))
    assert "dbupgrade" not in calls and "media_chown" not in calls and wf.dbupgrade_ok is None


def test_multiconnect_runs_the_extra_host_only_when_given_and_after_the_shards():
    new = HostSpec("wa-core-3", SshTarget("127.0.0.16", 22, "wa"), (Role.COREAPP,))
    for host, expected in ((None, ["set_shards", "health_served"]),
                           (new, ["set_shards", "health_served", "add_coreapp", "health_with_standby"])):
        wf = Multiconnect(good_profile(), emit=discard)
        calls: list[str] = []
        recorded(wf, calls, {})
        assert asyncio.run(wf.run(2, host)) and calls == expected
    wf = Multiconnect(good_profile(), emit=discard)
    calls = []
    recorded(wf, calls, {"health_served": False})
    assert not asyncio.run(wf.run(2, new)) and calls == ["set_shards", "health_served"]
