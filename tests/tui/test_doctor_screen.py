"""The doctor screen against the real simulator: opened by the app action other screens call with a host, it lists
the causes found and shows the selected cause's evidence and next action; no secret on screen."""

from __future__ import annotations

import pytest

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.doctor import DoctorScreen
from . import pilot_wait

pytestmark = pytest.mark.slow


async def test_doctor_for_one_host_names_the_db_credentials(installed_demo, tmp_path):
    session = installed_demo
    session.cluster.set_database("wa-db.demo.internal", 3306, password="changed-on-the-server")
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(140, 45)) as pilot:
        await app.run_action("doctor('wa-core-1')")
        await pilot_wait.until(pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen.report is not None,
                               "the doctor report", 60)
        screen = app.screen
        # its peers (the Webapp and the Masters, not the other Coreapp) only probe their way in to wa-core-1's ports
        # (doctor --host: both directions)
        assert {f.host for f in screen.report.facts if f.host and f.probe != "tcp"} == {"wa-core-1"}
        assert {f.get("target") for f in screen.report.facts if f.host not in ("", "wa-core-1")} == {"wa-core-1"}
        assert {f.host for f in screen.report.facts if f.host not in ("", "wa-core-1")} == {
            "wa-web-1", "wa-master-1", "wa-master-2"}
        status = str(screen.query_one("#doctor-status").render())
        assert "cause(s) from" in status
        first = screen.query_one("#doctor-causes").get_option_at_index(0).prompt
        assert str(first).startswith("[high]") or str(first).startswith("[medium]"), first  # not read as markup
        evidence = str(screen.query_one("#doctor-evidence").render())
        assert "the database refuses db.env's credentials" in evidence
        assert "wa-core-1: mysql login" in evidence and "Access denied for user" in evidence
        assert "next: check WA_DB_USERNAME and WA_DB_PASSWORD" in evidence
        assert session.profile.db.password not in evidence
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DoctorScreen)


async def test_doctor_on_one_node_of_50_probes_that_node_and_its_peers_only(tmp_path):
    """s7 trial: `d` on one node of a 50-host cluster probed all 50 hosts (its name-lookup line listed 52 names). On a
    Coreapp: the node itself, the names and ports of the hosts it talks to (4 Webapps, 3 Masters), the DB."""
    from tests.support import SPEED, big_layout
    from wabiz_tui.demo import start_demo
    from wabiz_tui.domain.doctor import P_DNS
    from wabiz_tui.workflows.doctor.probes import REGISTRY

    session = await start_demo(tmp_path / "demo", speed=SPEED, hosts=big_layout(), spare_hosts=())
    try:
        profile = session.profile
        webapps = {h.external_hostname for h in profile.hosts if any(r.value == "webapp" for r in h.roles)}
        masters = {h.external_hostname for h in profile.hosts if any(r.value == "master" for r in h.roles)}
        assert len(profile.hosts) == 50 and len(webapps) == 4 and len(masters) == 3
        app = WabizApp(profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=30)
        async with app.run_test(size=(140, 45)) as pilot:
            await app.run_action("doctor('wa-core-7')")
            await pilot_wait.until(pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen.report is not None,
                                   "the doctor report", 120)
            facts = app.screen.report.facts
        names = {f.get("name") for f in facts if f.probe == P_DNS}
        assert names == {"wa-core-7", *webapps, *masters, profile.db.hostname, REGISTRY}, sorted(names)
        assert {f.host for f in facts if f.host} <= {"wa-core-7", *webapps, *masters, profile.db.hostname}
        assert {f.get("target") for f in facts if f.probe == "tcp" and f.host == "wa-core-7"} <= (
            webapps | masters | {profile.db.hostname})
    finally:
        await session.stop()
