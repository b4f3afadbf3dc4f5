"""doctor's DB probing against the simulator over real SSH (workflows/doctor/database.py): the login is the DB's
reachability test (no separate TCP connection), it runs once per credential set and network position, refusals are
rationed, and evidence is masked before it is cut. The lab tier (tests/lab/test_46_doctor_db.py) proves the same on
MariaDB."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from tests.engine.test_doctor import run_doctor
from tests.engine.test_ha_install import Recorder
from tests.support import settings_for
from wabiz_tui.domain.doctor import P_DB_LOGIN, P_TCP
from wabiz_tui.workflows.doctor import Doctor
from wabiz_tui.workflows.doctor.database import REFUSAL_BUDGET
from wabiz_tui.workflows.ha_install import HaInstall


async def test_the_db_is_reached_by_its_login_only(installed, tmp_path):
    """One fact per host for the DB's TCP reachability, and it is the login's own connection (no bare connect)."""
    report = await run_doctor(installed, tmp_path, api=False)
    tcp = [f for f in report.facts if f.probe == P_TCP and f.get("what") == "db"]
    hosts = [h.external_hostname for h in installed.profile.hosts]
    assert sorted(f.host for f in tcp) == sorted(hosts)
    assert all("the DB login's own connection" in f.command and f.ok for f in tcp)
    logins = [f for f in report.facts if f.probe == P_DB_LOGIN]
    assert sorted(f.host for f in logins) == sorted(hosts) and all(f.ok for f in logins)


async def test_hosts_behind_one_ssh_target_log_in_once(installed, tmp_path):
    """Two profile hosts reached through the same SSH target are one network position: one login stands for both."""
    first = installed.profile.hosts[0]
    twin = dataclasses.replace(installed.profile.hosts[1], ssh=first.ssh)
    profile = dataclasses.replace(installed.profile, hosts=(first, twin) + installed.profile.hosts[2:])
    report = await run_doctor(installed, tmp_path, profile=profile, api=False)
    mine = [f for f in report.facts if f.probe == P_DB_LOGIN and f.host in (first.external_hostname, twin.external_hostname)]
    assert [f.ok for f in mine if f.host == first.external_hostname] == [True], [(f.host, f.command, f.line) for f in mine]
    (same,) = [f for f in mine if f.host == twin.external_hostname]
    assert same.ok is None and same.get("same_as") == first.external_hostname and "stands for both" in same.line


async def test_a_refused_password_is_not_tried_from_every_host(installed, tmp_path):
    """FAILED_LOGIN_ATTEMPTS / max_password_errors: after REFUSAL_BUDGET refusals in a row the same credentials are not
    tried again; the hosts left are said "not tried" (unknown), and the cause is still the credentials."""
    installed.cluster.set_database("wa-db.demo.internal", 3306, password="changed-on-the-server")
    report = await run_doctor(installed, tmp_path, api=False)
    logins = [f for f in report.facts if f.probe == P_DB_LOGIN]
    refused = [f for f in logins if f.ok is False and f.get("refused")]
    skipped = [f for f in logins if f.ok is None and "not tried" in f.line]
    assert len(refused) == REFUSAL_BUDGET, [(f.host, f.line) for f in logins]
    assert len(refused) + len(skipped) >= len(installed.profile.hosts)
    assert report.causes[0].key == "DB_CREDENTIALS"


async def test_a_password_crossing_the_evidence_cut_is_masked_whole(demo, tmp_path):
    """Review: a log line was cut to 300 characters by the catalogue and only then masked, so a DB password crossing
    character 300 lost its tail to the cut and its first part was shown. Now the whole line is masked, then cut."""
    password = demo.profile.db.password
    pad = "x" * (300 - len("E 2026-12-05 06:00:00 UTC 140 db.cpp:88] Unable to connect to database ") - 12)
    line = f"E 2026-12-05 06:00:00 UTC 140 db.cpp:88] Unable to connect to database {pad}pw={password} (tail)"
    assert line.index(password) < 300 < line.index(password) + len(password)
    demo.cluster.set_start_fault("wa-core-2", "wacore", [line])
    wf = HaInstall(demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path))
    try:
        for n in range(1, 6):
            assert await wf.run_step(n)
    finally:
        await wf.close()
    await asyncio.sleep(0.3)
    report = await run_doctor(demo, tmp_path, api=False)
    shown = [f for f in report.facts if "Unable to connect to database" in f.line]
    assert shown and all(len(f.line) <= 300 for f in shown)
    text = json.dumps(report.to_json())
    assert password[:4] not in text, [f.line[-40:] for f in shown]


async def test_a_secret_learnt_late_is_masked_before_the_cut(installed, tmp_path):
    """A fact made before a host's db.env password is known keeps its whole line until the final masking."""
    from wabiz_tui.domain.doctor import P_SSH

    wf = Doctor(installed.profile, emit=Recorder(), settings=settings_for(installed, tmp_path), window=0.2,
                hosts=("wa-core-1",), api=False)
    try:
        wf._fact(P_SSH, "wa-core-9", "ssh wa-core-9", "y" * 290 + "Hush-learnt-late-77", False)
        wf.extra_secrets.append("Hush-learnt-late-77")
        report = await wf.run()
    finally:
        await wf.close()
    (fact,) = [f for f in report.facts if f.host == "wa-core-9"]
    assert "Hush" not in fact.line and fact.line == "y" * 290 + "********"


def test_show_grants_hashes_are_masked_in_every_form():
    """Review: MariaDB 10.4+ prints the hash after USING (native and ed25519, with OR alternatives)."""
    from wabiz_tui.workflows.doctor.database import mask_grant
    lines = ["GRANT ALL PRIVILEGES ON *.* TO `waent`@`%` IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
             "GRANT USAGE ON *.* TO `waent`@`%` IDENTIFIED VIA mysql_native_password USING '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19' OR unix_socket",
             "GRANT USAGE ON *.* TO `waent`@`%` IDENTIFIED VIA ed25519 USING 'ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY'"]
    masked = [mask_grant(g) for g in lines]
    assert not [m for m in masked if "2470C0C0" in m or "ZIgUREUg" in m], masked
    assert masked[1].endswith("USING '…' OR unix_socket")
