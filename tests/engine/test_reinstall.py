"""Install again on a cluster that was uninstalled with its volumes kept: the number stays registered on the
kept database, so step 7 judges what the cluster says, step 8 is skipped and no code is asked (found by a
fresh-user trial on the simulator)."""

from __future__ import annotations

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.workflows.events import StepFinished
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.uninstall import Uninstall


async def _uninstall(session, tmp_path) -> None:
    wf = Uninstall(session.profile, emit=Recorder(), settings=settings_for(session, tmp_path, profile_path=session.profile_path))
    try:
        assert await wf.run("demo")
    finally:
        await wf.close()
    session.profile = session.profile.with_changes(installed=False)


async def test_install_after_uninstall_with_volumes_kept_skips_registration(installed, tmp_path):
    await _uninstall(installed, tmp_path)
    sent = len(installed.cluster.sms_outbox)
    events = Recorder()
    wf = HaInstall(installed.profile, emit=events, settings=settings_for(installed, tmp_path, profile_path=installed.profile_path))

    async def code(_req):
        raise AssertionError("no code may be asked: the number is registered on the kept DB")
    try:
        assert await wf.run_all(code), events.text()
    finally:
        await wf.close()
    finished = {e.number: e for e in events.of(StepFinished)}
    assert finished[7].ok and "registered" in finished[7].summary.lower(), finished[7]
    assert finished[8].ok and "already registered" in finished[8].summary, finished[8]
    assert finished[9].ok and "healthy" in finished[9].summary
    assert len(installed.cluster.sms_outbox) == sent


async def test_cli_uninstall_then_install_ends_healthy_without_registering(installed):
    from tests.engine.test_install_resume import finish, start

    profile = str(installed.profile_path)
    code, out, err = await finish(await start("uninstall", profile, "--yes", "--confirm-name", "demo"))
    assert code == 0, out + err
    sent = len(installed.cluster.sms_outbox)
    code, out, err = await finish(await start("install", profile, "--yes"))
    assert code == 0, out + err
    assert "step 8 skipped" in out and "Not ready for registration" not in out, out
    assert out.strip().splitlines()[-1].startswith("verdict: HA healthy"), out
    assert len(installed.cluster.sms_outbox) == sent
