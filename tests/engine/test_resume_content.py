"""Resume checks content, not existence (issue 14.1) and a journal never outlives the cluster (issue 13.3).

Runs the headless ``install`` as a subprocess against the simulator over real SSH on loopback; the
simulated containers log in to the simulated DB with the ``db.env`` they were started with."""

from __future__ import annotations

import dataclasses

from wabiz_tui.config.profile import save_profile
from wabiz_tui.domain.render import DB_ENV_FILE

from .test_install_resume import finish, start


def host_db_env(demo, host: str) -> str:
    root = demo.cluster.host_root(host)
    remote_dir = next(h.remote_dir for h in demo.profile.hosts if h.external_hostname == host)
    return (root / remote_dir.lstrip("/") / DB_ENV_FILE).read_text()


async def test_sim_containers_refuse_a_wrong_db_password(demo):
    """A wrong password fails in the containers as on a real cluster: step 6 fails with MySQL's words."""
    save_profile(demo.profile.with_changes(db=dataclasses.replace(demo.profile.db, password="Wrong-pass-4321")),
                 demo.profile_path)
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--skip-preflight", "-v"))
    assert code == 1, out + err
    assert "step 6 done" not in out and "Access denied for user" in out, out


async def test_fixed_db_password_reaches_the_hosts_and_says_why(demo):
    """The user trial: a failed install with a wrong DB password, the password fixed, ``install`` again:
    every host gets the new db.env and the output says step 3 re-runs because db.env changed."""
    right = demo.profile
    save_profile(right.with_changes(db=dataclasses.replace(right.db, password="Wrong-pass-4321")), demo.profile_path)
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--skip-preflight"))
    assert code == 1, out + err
    assert "WA_DB_PASSWORD=Wrong-pass-4321" in host_db_env(demo, "wa-core-1")

    save_profile(right, demo.profile_path)
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "-v"))
    assert code == 5, out + err  # healthy up to registration; the code is asked for (closed stdin)
    assert "step 3 re-runs: db.env changed since the earlier run" in out, out
    assert "step 5 re-runs: db.env changed since the earlier run" in out, out
    for host in (h.external_hostname for h in right.hosts):
        assert f"WA_DB_PASSWORD={right.db.password}" in host_db_env(demo, host), host
    step3 = [l for l in out.splitlines() if l.startswith("  step 3 ")]
    assert not any("already done in an earlier run" in l for l in step3), step3


async def test_a_db_env_edited_on_a_host_is_uploaded_again(demo):
    """The journal says step 3 is done, but a host's db.env differs from the profile's: it is re-uploaded
    there (content compared with sha256sum), and that host's containers are recreated from it."""
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--skip-preflight"))
    assert code == 5, out + err
    root = demo.cluster.host_root("wa-core-2")
    path = root / next(h.remote_dir for h in demo.profile.hosts if h.external_hostname == "wa-core-2").lstrip("/") / DB_ENV_FILE
    path.write_text(path.read_text().replace(demo.profile.db.password, "Tampered-9876"))
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "-v"))
    assert code == 5, out + err
    assert demo.profile.db.password in path.read_text()
    step3 = [l for l in out.splitlines() if l.startswith("  step 3 ")]
    assert any(l.startswith("  step 3 wa-core-1 | already done in an earlier run") for l in step3), step3
    assert not any(l.startswith("  step 3 wa-core-2 | already done") for l in step3), step3
    assert any("already in place on 4" in l and "step 3 done" in l for l in out.splitlines()), out
    step5 = [l for l in out.splitlines() if l.startswith("  step 5 wa-core-2 | ")]
    assert step5 and not any("already done" in l for l in step5), step5


async def test_install_after_uninstall_runs_the_preflight_again(demo):
    """Issue 13.3: an uninstall invalidates the install journal; a journal whose containers are gone is stale."""
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes"))
    assert code == 5, out + err
    name = demo.profile.name
    code, out, err = await finish(await start("uninstall", str(demo.profile_path), "--yes", "--confirm-name", name))
    assert code == 0, out + err
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes"))
    assert code == 5, out + err
    assert "resuming" not in out, out
    assert "preflight" in out.lower() and "step 5 done" in out, out


async def test_stale_journal_is_detected_on_the_hosts(demo, tmp_path):
    """Containers removed behind the tool's back (no uninstall): the journal is checked against what the
    hosts run, found stale, and the install starts over with the preflight."""
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--skip-preflight"))
    assert code == 5, out + err
    for host in demo.profile.hosts:
        for role in host.roles:
            demo.cluster.kill_container(host.external_hostname, role.service)
    brain = demo.cluster.brain
    for cid in list(brain.containers):
        del brain.containers[cid]
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes"))
    assert code == 5, out + err
    assert "the journal is stale" in out and "starts over from the preflight" in out, out
    assert "preflight" in out.split("the journal is stale", 1)[1].lower()
