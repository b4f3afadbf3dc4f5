"""Preflight against the simulator: quiet on the demo cluster, and every check fires on its injected fault."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.domain.model import MediaKind, MediaVolume
from wabiz_tui.domain.preflight import FAILURE, OK, WARNING
from wabiz_tui.workflows.events import CheckDone, HostCommand
from wabiz_tui.workflows.preflight import Preflight


async def run_preflight(demo, tmp_path, profile=None, **settings):
    events = Recorder()
    wf = Preflight(profile or demo.profile, emit=events, settings=settings_for(demo, tmp_path, **settings))
    try:
        ok = await wf.run()
    finally:
        await wf.close()
    return ok, {(c.host, c.name): c for c in wf.results}, events


async def test_quiet_on_a_good_cluster(demo, tmp_path):
    ok, results, events = await run_preflight(demo, tmp_path)
    assert ok
    failures = [c for c in results.values() if c.level == FAILURE]
    assert not failures, failures
    for host in ("wa-web-1", "wa-core-2"):
        for check in ("ssh", "docker", "compose", "disk /var/lib/docker", "ports", "names", "database", "clock", "image"):
            assert results[(host, check)].level == OK, results[(host, check)]
    assert results[("wa-core-1", "database")].reason.startswith("MySQL 8.0.33")
    assert results[("", "webapps")].level == WARNING  # 1 Webapp: the seed recommends 2
    assert len(events.of(CheckDone)) == len(results)
    # nothing was started
    assert not [e for e in events.of(HostCommand) if " up " in e.command]


@pytest.mark.parametrize("inject,host,check,fragment", [
    (lambda c: c.set_docker_fault("wa-core-1", "daemon_down"), "wa-core-1", "docker", "not running"),
    (lambda c: c.set_docker_fault("wa-core-1", "socket_denied"), "wa-core-1", "docker", "docker group"),
    (lambda c: c.set_port_taken("wa-web-1", 9090), "wa-web-1", "ports", "9090"),
    (lambda c: c.set_unresolvable("wa-master-1", "wa-core-2"), "wa-master-1", "names", "wa-core-2"),
    (lambda c: c.set_database("wa-db.demo.internal", 3306, reachable=False), "wa-core-1", "database", "does not answer"),
    (lambda c: c.set_database("wa-db.demo.internal", 3306, version="5.6.51"), "", "db version", "5.6.51 is not supported"),
    (lambda c: c.set_clock_offset("wa-core-2", 90), "wa-core-2", "clock", "s off: synchronise it"),
    (lambda c: c.set_disk_free("wa-master-2", 1024 * 1024), "wa-master-2", "disk /var/lib/docker", "1.0 GiB free"),
    (lambda c: c.set_registry_denied(True), "wa-web-1", "image", "cannot be pulled: Error response from daemon: Head \"https://docker.whatsapp.biz/v2/web/manifests/v2.41.2\": no basic auth credentials"),
])
async def test_each_check_fires_on_its_fault(demo, tmp_path, inject, host, check, fragment):
    inject(demo.cluster)
    ok, results, _ = await run_preflight(demo, tmp_path)
    assert not ok
    assert results[(host, check)].level == FAILURE and fragment in results[(host, check)].reason, results[(host, check)]


async def test_clock_a_little_off_is_a_warning(demo, tmp_path):
    demo.cluster.set_clock_offset("wa-web-1", 5)
    ok, results, _ = await run_preflight(demo, tmp_path)
    assert ok and results[("wa-web-1", "clock")].level == WARNING


async def test_media_host_path_checks(demo, tmp_path):
    profile = demo.profile.with_changes(media=MediaVolume(MediaKind.HOST_PATH, "/srv/local-media"))
    for h in profile.hosts:
        (demo.cluster.host_root(h.external_hostname) / "srv/local-media").mkdir(parents=True)
    (demo.cluster.host_root("wa-core-1") / "srv/local-media").chmod(0o700)
    ok, results, _ = await run_preflight(demo, tmp_path, profile)
    assert results[("wa-web-1", "media")].level == OK
    assert results[("wa-core-1", "media")].level == WARNING and "700" in results[("wa-core-1", "media")].reason
    # a directory on each host's own disk is not shared, and preflight says so
    assert results[("wa-web-1", "media shared")].level == FAILURE
    assert "not the same shared volume" in results[("wa-web-1", "media shared")].reason
    assert not ok


async def test_shared_media_path_is_quiet(demo, tmp_path):
    """The demo mounts one tree at /mnt/wamedia on every host (like NFS): a file one host writes, all see."""
    profile = demo.profile.with_changes(media=MediaVolume(MediaKind.HOST_PATH, "/mnt/wamedia"))
    ok, results, _ = await run_preflight(demo, tmp_path, profile)
    for h in profile.hosts:
        assert results[(h.external_hostname, "media")].level == OK, results[(h.external_hostname, "media")]
        shared = results[(h.external_hostname, "media shared")]
        assert shared.level == OK and "shared with every other host" in shared.reason
    assert ok
    # the markers were cleaned up from the one shared tree
    assert not list((demo.cluster.workdir / "shared" / "mnt__wamedia").glob(".wabiz-preflight-*"))


async def test_media_shared_with_only_some_hosts_names_the_others(tmp_path):
    """A mount missing on one host: that host's files are not seen by the others, and it sees none of theirs."""
    from wabiz_tui.demo import start_demo

    session = await start_demo(tmp_path / "demo", speed=0.05, shared_media=None)
    try:
        names = [h.external_hostname for h in session.profile.hosts]
        session.cluster.share_path("/mnt/nfs", names[:-1])
        (session.cluster.host_root(names[-1]) / "mnt/nfs").mkdir(parents=True)
        (session.cluster.host_root(names[-1]) / "mnt/nfs").chmod(0o755)
        profile = session.profile.with_changes(media=MediaVolume(MediaKind.HOST_PATH, "/mnt/nfs"))
        ok, results, _ = await run_preflight(session, tmp_path, profile)
    finally:
        await session.stop()
    assert not ok
    assert results[(names[0], "media shared")].level == FAILURE and results[(names[0], "media shared")].reason.count(",") == 0
    assert names[-1] in results[(names[0], "media shared")].reason
    assert results[(names[-1], "media shared")].level == FAILURE


async def test_missing_media_path_fails(demo, tmp_path):
    profile = demo.profile.with_changes(media=MediaVolume(MediaKind.HOST_PATH, "/mnt/nowhere"))
    ok, results, _ = await run_preflight(demo, tmp_path, profile)
    assert results[("wa-master-1", "media")].level == FAILURE and "does not exist" in results[("wa-master-1", "media")].reason
    # a host that could not write its marker is not also told "not the same shared volume"
    assert not [k for k in results if k[1] == "media shared"], [results[k].reason for k in results if k[1] == "media shared"]


async def test_preflight_command_table_and_exit_code(demo):
    demo.cluster.set_port_taken("wa-core-2", 6251)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "preflight", str(demo.profile_path),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode()
    assert proc.returncode == 1, text + err.decode()
    line = next(l for l in text.splitlines() if l.startswith("wa-core-2") and " ports " in l)
    assert "failure" in line and "6251" in line
    lines = text.splitlines()
    header = next(l for l in lines if l.split()[:3] == ["HOST", "CHECK", "RESULT"])
    # every row's RESULT starts under the header's, even for a long check name (fresh-user trial: "disk /var/lib/docker")
    column = header.index("RESULT")
    rows = [l for l in lines[lines.index(header) + 1:] if l.split() and l.split()[0].startswith(("wa-", "cluster"))]
    assert rows and all(l[column:].split()[0] in ("ok", "warning", "failure", "skipped") for l in rows), rows


async def test_install_stops_before_starting_anything_when_preflight_fails(demo, tmp_path):
    from wabiz_tui.workflows.ha_install import HaInstall

    demo.cluster.set_port_taken("wa-core-1", 6250)
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path))
    try:
        assert not await wf.run_all(lambda _r: asyncio.sleep(0, "000000"))
    finally:
        await wf.close()
    assert not [e for e in events.of(HostCommand) if " up -d " in e.command]
    assert any(isinstance(e, CheckDone) and e.host == "wa-core-1" and e.name == "ports" and e.level == FAILURE for e in events)


@pytest.mark.parametrize("lines,key,quote", [
    (["I 2026-11-30 10:00:00 UTC 140 main.cpp:55] Starting Coreapp node",
      "E 2026-11-30 10:00:01 UTC 140 db.cpp:12] Unknown MySQL server host 'db' (-2) QMYSQL: Unable to connect",
      "C 2026-11-30 10:00:01 UTC 140 main.cpp:55] Unable to initialize config store"], "COREAPP_FATAL", "Unable to initialize config store"),
    (["I 2026-11-30 10:00:00 UTC 140 main.cpp:55] Starting Coreapp node",
      "E 2026-11-30 10:00:01 UTC 140 db.cpp:12] Unknown MySQL server host 'db' (-2) QMYSQL: Unable to connect"], "DB_HOST_UNRESOLVABLE", "Unknown MySQL server host"),
    (["I 2026-11-30 10:00:00 UTC 140 main.cpp:55] Starting Coreapp node",
      "E 2026-11-30 10:00:01 UTC 140 db.cpp:12] QMYSQL: Unable to connect: Too many connections"], "DB_TOO_MANY_CONNECTIONS", "Too many connections"),
    (["I 2026-11-30 10:00:00 UTC 140 main.cpp:55] Starting Coreapp node",
      "W 2026-11-30 10:00:01 UTC 140 db.cpp:91] Lost connection to MySQL server during query"], "DB_CONNECTION_LOST", "Lost connection"),
])
async def test_after_start_a_crashing_container_gives_named_findings_from_its_log(demo, tmp_path, lines, key, quote):
    from wabiz_tui.workflows.events import Finding
    from wabiz_tui.workflows.ha_install import HaInstall

    demo.cluster.set_start_fault("wa-core-2", "wacore", lines)
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False))
    try:
        for n in range(1, 6):
            assert await wf.run_step(n)
        await asyncio.sleep(0.3)  # the container dies shortly after it started
        assert not await wf.run_step(6)
    finally:
        await wf.close()
    findings = [e for e in events if isinstance(e, Finding) and e.host == "wa-core-2"]
    assert key in {f.key for f in findings}, findings
    f = next(f for f in findings if f.key == key)
    assert quote in f.evidence and f.remedy
    assert len([x for x in findings if x.key == key]) == 1  # each once
    assert not [e for e in events if isinstance(e, Finding) and e.host == "wa-core-1"]  # quiet on the healthy host
    from wabiz_tui.workflows.events import HostFinished
    failed = next(e for e in events.of(HostFinished) if e.host == "wa-core-2" and not e.ok)
    assert "wacore is in a crash loop" in failed.error  # restart: unless-stopped restarts it; the check says so


async def test_preflight_on_a_running_cluster_accepts_its_own_ports(installed, tmp_path):
    ok, results, _ = await run_preflight(installed, tmp_path)
    assert results[("wa-web-1", "ports")].level == OK and "its own running Webapp" in results[("wa-web-1", "ports")].reason
    assert ok


async def test_local_files_the_profile_names_are_checked(demo, tmp_path):
    import dataclasses

    profile = demo.profile.with_changes(webapp=dataclasses.replace(demo.profile.webapp, ca_file=str(tmp_path / "none.pem")))
    ok, results, _ = await run_preflight(demo, tmp_path, profile)
    assert not ok and results[("", "webapp CA file")].level == FAILURE
    ok, results, _ = await run_preflight(demo, tmp_path)
    assert results[("", "webapp CA file")].level == OK


async def test_an_image_already_on_the_host_is_ok_without_a_pull(demo, tmp_path):
    """Issue 13 item 8: air-gapped hosts load images with docker load; the registry being unreachable does
    not matter for a host that holds the image, and a host that lacks it fails with the daemon's words."""
    demo.cluster.set_registry_unreachable(True)
    for name in ("wa-web-1", "wa-master-1"):
        for image in ("docker.whatsapp.biz/web:v2.41.2", "docker.whatsapp.biz/coreapp:v2.41.2"):
            demo.cluster.load_image(name, image)
    ok, results, _ = await run_preflight(demo, tmp_path)
    assert not ok
    assert results[("wa-web-1", "image")].level == OK and "already on the host (not pulled)" in results[("wa-web-1", "image")].reason
    missing = results[("wa-core-1", "image")]
    assert missing.level == FAILURE and "cannot be pulled: Error response from daemon: Get \"https://docker.whatsapp.biz/v2/\"" in missing.reason


def test_a_check_quoting_a_secret_is_masked_in_results_and_events(demo):
    """Review of the merge: check reasons quote host output (a failed pull's last line) and reached both the
    event and ``results`` (printed by the CLI) unmasked; Message/Finding events were masked, CheckDone was not."""
    from wabiz_tui.domain.preflight import FAILURE, Check
    from wabiz_tui.workflows.events import CheckDone

    events = Recorder()
    wf = Preflight(demo.profile, emit=events)
    secret = demo.profile.db.password
    wf._record(Check("wa-web-1", "image", FAILURE, f"cannot be pulled: Error response: {secret}"))
    assert secret not in wf.results[-1].reason and secret not in events.of(CheckDone)[-1].reason


def test_a_public_key_as_the_ssh_key_file_fails_the_local_files_check(tmp_path):
    """s9: the same words as ``init`` and ``profile import`` (``workflows.keyfiles``), per host."""
    import dataclasses

    import asyncssh

    from tests.domain.test_validation import good_profile

    pub = tmp_path / "id_ed25519.pub"
    asyncssh.generate_private_key("ssh-ed25519").write_public_key(str(pub))
    base = good_profile()
    core = dataclasses.replace(base.hosts[3], ssh=dataclasses.replace(base.hosts[3].ssh, key_file=str(pub)))
    profile = dataclasses.replace(base, hosts=(*base.hosts[:3], core, *base.hosts[4:]))
    checks = [c for c in Preflight(profile, emit=Recorder())._local_files() if c.name == "ssh key"]
    assert [(c.host, c.level, c.reason) for c in checks] == [
        ("wa-core-1", FAILURE, f"hosts[3].ssh.key_file: {pub} is a public key; give the private key, e.g. ~/.ssh/id_ed25519")]
