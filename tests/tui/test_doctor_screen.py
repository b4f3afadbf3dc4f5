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
        # every other host (the other Coreapp too) only probes its way in to wa-core-1's ports (doctor --host: both
        # directions)
        # (and reads their containers' images: one node's version is compared with the others', trial 2 N1)
        assert {f.host for f in screen.report.facts if f.host and f.probe not in ("tcp", "image")} == {"wa-core-1"}
        assert {f.get("target") for f in screen.report.facts
                if f.host not in ("", "wa-core-1") and f.probe != "image"} == {"wa-core-1"}
        assert {f.host for f in screen.report.facts if f.host not in ("", "wa-core-1")} == {
            "wa-web-1", "wa-master-1", "wa-master-2", "wa-core-2"}
        status = str(screen.query_one("#doctor-status").render())
        assert status.startswith("doctor on wa-core-1: ") and "cause(s) from" in status, status  # trial 2 N1
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


async def test_doctor_on_one_node_of_50_is_linear_in_hosts_and_readable(tmp_path):
    """s7 trial: `d` on one node of a 50-host cluster listed 52 names in its name-lookup line. Every other host is a
    peer (the nodes advertise their ports to each other through the DB; no link list is documented), yet the work is
    linear: wa-core-7 to each other host's published ports, each other host to wa-core-7's 4 ports, no probe between
    two other hosts, and commands run on wa-core-7 only; the names are said as a count and runs."""
    from tests.support import SPEED, big_layout
    from wabiz_tui.demo import start_demo
    from wabiz_tui.domain.doctor import P_DNS, P_TCP
    from wabiz_tui.domain.preflight import ROLE_PORTS
    from wabiz_tui.workflows.doctor.probes import REGISTRY

    session = await start_demo(tmp_path / "demo", speed=SPEED, hosts=big_layout(), spare_hosts=())
    try:
        profile = session.profile
        others = [h for h in profile.hosts if h.external_hostname != "wa-core-7"]
        assert len(profile.hosts) == 50
        before = {h.external_hostname: session.cluster.commands_run(h.external_hostname) for h in profile.hosts}
        app = WabizApp(profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=30)
        async with app.run_test(size=(140, 45)) as pilot:
            await app.run_action("doctor('wa-core-7')")
            await pilot_wait.until(pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen.report is not None,
                                   "the doctor report", 120)
            report = app.screen.report
            shown = str(app.screen.query_one("#doctor-status").render())
        ran = {h: session.cluster.commands_run(h) - n for h, n in before.items()}
        facts = report.facts
        names = {f.get("name") for f in facts if f.probe == P_DNS}
        assert names == {h.external_hostname for h in profile.hosts} | {profile.db.hostname, REGISTRY}
        tcp = [f for f in facts if f.probe == P_TCP and f.get("what") != "db"]
        inbound = [f for f in tcp if f.host != "wa-core-7"]
        assert {f.get("target") for f in inbound} == {"wa-core-7"} and len(inbound) == 49 * 4
        outbound = [f for f in tcp if f.host == "wa-core-7"]
        assert len(outbound) == sum(len(ROLE_PORTS[r]) for h in others for r in h.roles) == 4 + 3 * 4 + 42 * 4
        # commands (SSH exec sessions) on wa-core-7, a bounded number per host of the cluster; the others are
        # reached by direct-tcpip channels and run at most their docker access probe and one `docker ps` (their
        # images, to compare versions: trial 2 N1)
        assert {h for h, n in ran.items() if n > 2} == {"wa-core-7"}, {h: n for h, n in ran.items() if n > 2}
        assert ran["wa-core-7"] <= 3 * len(profile.hosts) + 60, ran["wa-core-7"]
        ruled = next(r.note for r in report.ruled_out if r.key == "NAME_UNRESOLVED")
        assert "52 lookups of 52 hosts: " in ruled and "wa-core-1…wa-core-43" in ruled, ruled
        assert "wa-core-17" not in ruled + shown, ruled
    finally:
        await session.stop()
