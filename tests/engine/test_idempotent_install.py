"""``install`` run again on an installed cluster (issue 14.4): nothing to do when converged, else only
what differs. Headless ``install`` as a subprocess against the simulator over real SSH on loopback."""

from __future__ import annotations

from wabiz_tui.domain.render import DB_ENV_FILE

from .test_install_resume import finish, start


async def test_install_on_a_converged_healthy_cluster_does_nothing(installed):
    code, out, err = await finish(await start("install", str(installed.profile_path), "--yes", "-v"))
    assert code == 0, out + err
    assert "already installed, healthy; nothing to do" in out, out
    assert "uploaded" not in out and "Creating" not in out and "Not ready for registration" not in out, out


async def test_install_converges_only_what_differs(installed):
    host = next(h for h in installed.profile.hosts if h.external_hostname == "wa-core-2")
    path = installed.cluster.host_root(host.external_hostname) / host.remote_dir.lstrip("/") / DB_ENV_FILE
    path.write_text(path.read_text().replace("WA_DB_PORT=", "WA_DB_PORT=1"))
    code, out, err = await finish(await start("install", str(installed.profile_path), "--yes", "-v"))
    assert code == 0, out + err
    assert "not as the profile says: wa-core-2: step 3" in out, out
    uploads = [l for l in out.splitlines() if "uploaded db.env" in l]
    assert len(uploads) == 1 and "wa-core-2" in uploads[0], uploads
    assert "WA_DB_PORT=1" not in path.read_text()
    assert "registered" in out and out.strip().splitlines()[-1].startswith("verdict: HA healthy"), out
