"""The TUI's preflight (``Preflight.run_off_loop``) runs its SSH work in a child process (issue 17): no connection of
this process is used, the events and the results come back, a passphrase is asked here once, secrets stay masked."""

from __future__ import annotations

import shutil

import asyncssh
import pytest

from tests.engine.test_ha_install import Recorder
from tests.support import settings_for
from tests.tui.test_encrypted_key import encrypted_profile
from wabiz_tui.domain.preflight import FAILURE, OK
from wabiz_tui.workflows.events import CheckDone, HostCommand
from wabiz_tui.workflows.preflight import Preflight


async def test_the_checks_run_in_a_child_and_their_events_and_results_come_back(demo, tmp_path, monkeypatch):
    async def no_ssh_here(*args, **kw):
        raise AssertionError("the preflight connected from the TUI's own process")

    monkeypatch.setattr(asyncssh, "connect", no_ssh_here)
    demo.cluster.set_unresolvable("wa-master-1", "wa-core-2")
    events = Recorder()
    wf = Preflight(demo.profile, emit=events, settings=settings_for(demo, tmp_path))
    assert not await wf.run_off_loop()
    results = {(c.host, c.name): c for c in wf.results}
    assert results[("wa-master-1", "names")].level == FAILURE
    assert results[("wa-core-1", "ssh")].level == OK and results[("wa-web-1", "docker")].level == OK
    assert [(e.host, e.name, e.level, e.reason) for e in events.of(CheckDone)] == [
        (c.host, c.name, c.level, c.reason) for c in wf.results]
    assert any(e.host == "wa-core-1" for e in events.of(HostCommand))
    # the child kept the run log (and masked it): the DB password is in the profile, never in the log
    logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*") if p.is_file())
    assert "getent" in logs and demo.profile.db.password not in logs


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
async def test_an_encrypted_keys_passphrase_is_asked_here_once(demo, tmp_path):
    profile, key = encrypted_profile(demo, tmp_path, "Key-pass-42")
    asked: list[str] = []

    async def passphrase(path: str) -> str:
        asked.append(path)
        return "Key-pass-42"

    settings = settings_for(demo, tmp_path)
    settings.ssh = type(settings.ssh)(**{**settings.ssh.__dict__, "passphrase": passphrase})
    events = Recorder()
    wf = Preflight(profile, emit=events, settings=settings)
    await wf.run_off_loop()
    assert asked == [str(key)]
    assert all(c.level == OK for c in wf.results if c.name == "ssh"), [c for c in wf.results if c.name == "ssh"]
    assert not any("Key-pass-42" in repr(e) for e in events)
