"""Per-node versions against the simulator over SSH: an upgrade stopped after its Webapps step leaves two versions,
and the monitor names each node's (its docker answers ``docker ps`` from what compose started)."""

from __future__ import annotations

from tests.engine.test_upgrade import BACKUP_PASSWORD
from tests.engine.test_ha_install import Recorder
from tests.support import install_headless as install, settings_for
from wabiz_tui.domain.health import Level
from wabiz_tui.domain.model import Role
from wabiz_tui.workflows.monitor import HealthMonitor, IncompleteOperation, PlannedState
from wabiz_tui.workflows.upgrade import Upgrade
from wabiz_tui.workflows.versions import VersionReader


async def test_upgrade_stopped_after_webapps_names_each_nodes_version(demo, tmp_path):
    await install(demo, tmp_path, wa_api_version="2.29.2")
    settings = settings_for(demo, tmp_path, profile_path=demo.profile_path)
    wf = Upgrade(demo.profile, emit=Recorder(), settings=settings, target="2.31.4", backups_dir=tmp_path / "b")
    try:
        assert await wf.backup(BACKUP_PASSWORD) and await wf.dbupgrade("wa-core-1") and await wf.upgrade_role(Role.WEBAPP)
    finally:
        await wf.close()  # aborted here: the Masters and Coreapps still run 2.29.2
    profile = demo.profile.with_changes(wa_api_version="2.31.4")  # the operator's profile says the target
    stopped = IncompleteOperation("upgrade", "2.29.2", "2.31.4", 3, "upgrade stopped midway",
                                  "wabiz-tui upgrade demo --resume --yes")
    reader = VersionReader(lambda: profile, settings)
    monitor = HealthMonitor(profile, interval=0.05, grace=1.0, versions=reader.read,
                            planned=lambda: PlannedState(incomplete=stopped))
    try:
        assert monitor.last is None and monitor.versions is None
        await monitor.read_versions()
        result = await monitor.poll_once()
    finally:
        await monitor.aclose()
        await reader.close()
    verdict = result.verdict
    assert result.versions is monitor.versions and verdict is not None
    rows = {(n.host, n.expected_role): n for n in verdict.nodes}
    masters = [n for n in verdict.nodes if "master" in n.expected_role]
    coreapps = [n for n in verdict.nodes if n.expected_role == "coreapp"]
    assert masters and coreapps and len(rows) == len(verdict.nodes)
    for n in masters + coreapps:
        assert n.version == "v2.29.2", n
        assert n.reason.startswith("runs v2.29.2, profile says v2.31.4: finish the upgrade "
                                   "(`wabiz-tui upgrade demo --resume --yes`)"), n.reason
        assert n.level.rank >= Level.WARNING.rank
    webapps = verdict.webapp_versions
    assert webapps and {w[1] for w in webapps} == {"v2.31.4"}
    assert all(w[2] == "" for w in webapps)  # they run the profile's version
    assert verdict.level.rank >= Level.WARNING.rank and verdict.versions_differ
    problem = next(p for p in verdict.problems if p.startswith("versions differ"))
    assert all(n.host in problem for n in masters + coreapps) and "run v2.29.2" in problem
    assert any(e.text == problem for e in result.new_entries)
    await _health_command_says_it(profile, tmp_path)


async def _health_command_says_it(profile, tmp_path):
    """``wabiz-tui health`` and ``--json`` on the half-upgraded cluster: degraded (1), each node's version."""
    import asyncio
    import json
    import sys

    from wabiz_tui.config.profile import save_profile

    path = tmp_path / "half.yaml"
    save_profile(profile, path)

    async def health(*args: str) -> tuple[int | None, str]:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "health", str(path), *args,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        return proc.returncode, out.decode()

    code, out = await health("--json")  # the SSH read is opt-in: a monitoring agent's check stays one API call
    assert all(n["version"] == "" for n in json.loads(out)["verdict"]["nodes"]), out
    code, out = await health("--json", "--versions")
    assert code == 1, out
    verdict = json.loads(out)["verdict"]
    assert {n["host"]: n["version"] for n in verdict["nodes"]} == {
        h.external_hostname: "v2.29.2" for h in profile.hosts if h.roles != (Role.WEBAPP,)}
    assert {w["version"] for w in verdict["versions"]["webapps"]} == {"v2.31.4"} and verdict["versions"]["differ"]
    code, out = await health("--versions")
    assert code == 1 and "runs v2.29.2, profile says v2.31.4" in out, out
    assert "versions: v2.29.2 on " in out and "; v2.31.4 on wa-web-" in out, out


async def test_unreachable_host_is_not_read_and_says_why(installed, tmp_path):
    settings = settings_for(installed, tmp_path)
    host = installed.profile.hosts_with(Role.COREAPP)[0].external_hostname
    installed.cluster.set_host_unreachable(host, True)
    reader = VersionReader(lambda: installed.profile, settings, timeout=3.0)
    try:
        read = await reader.read()
    finally:
        await reader.close()
    assert read.node(host, "coreapp").startswith("version not read: ")
    others = [h.external_hostname for h in installed.profile.hosts if h.external_hostname != host]
    assert all(read.node(h, "webapp" if h.startswith("wa-web") else "coreapp" if h.startswith("wa-core")
                         else "master") == f"v{installed.profile.wa_api_version}" for h in others)


async def test_a_read_has_a_total_cap_whatever_the_hosts(installed, tmp_path):
    import time

    settings = settings_for(installed, tmp_path)
    host = installed.profile.hosts_with(Role.COREAPP)[0].external_hostname
    installed.cluster.set_host_latency(host, 30.0)  # answers, but only after 30 s
    reader = VersionReader(lambda: installed.profile, settings, timeout=30.0, total=1.0)
    start = time.monotonic()
    try:
        read = await reader.read()
    finally:
        await reader.close()
    assert time.monotonic() - start < 5.0  # the 30 s of one host's timeout are not waited
    assert read.node(host, "coreapp") == "version not read: no answer within 1 s"
    other = installed.profile.hosts_with(Role.COREAPP)[1].external_hostname
    assert read.node(other, "coreapp") == f"v{installed.profile.wa_api_version}"  # the others are read


async def test_versions_are_read_at_start_on_a_slow_cadence_and_on_demand_never_per_poll(installed):
    import asyncio

    from wabiz_tui.domain.versions import VersionRead

    calls: list[float] = []
    now = [1000.0]

    async def reader() -> VersionRead:
        calls.append(now[0])
        return VersionRead(now[0], {})

    monitor = HealthMonitor(installed.profile, interval=0.05, versions=reader, version_every=60.0,
                            clock=lambda: now[0])
    try:
        for _ in range(5):
            result = await monitor.poll_once()
            await asyncio.sleep(0)
        assert calls == [1000.0]
        assert {n.version for n in result.verdict.nodes} == {"version not read: host not in the last read"}
        now[0] += 30.0
        await monitor.poll_once()
        assert len(calls) == 1
        now[0] += 31.0
        await monitor.poll_once()
        assert len(calls) == 2
        monitor.refresh_versions()
        await monitor.poll_once()
        assert len(calls) == 3
    finally:
        await monitor.aclose()


async def test_a_read_from_before_an_operation_ended_or_the_profile_changed_is_not_judged(installed):
    import asyncio

    from wabiz_tui.domain.transitions import PlannedOperation
    from wabiz_tui.domain.versions import HostImages, VersionRead

    profile = [installed.profile]
    running: list[PlannedOperation | None] = [None]
    calls: list[str] = []

    async def reader() -> VersionRead:
        p = profile[0]
        calls.append(p.wa_api_version)
        image = f"docker.whatsapp.biz/coreapp:v{installed.profile.wa_api_version}"  # what the containers run
        return VersionRead(0.0, {h.external_hostname: HostImages(h.external_hostname, (("master", image), ("wacore", image)))
                                 for h in p.hosts})

    monitor = HealthMonitor(lambda: profile[0], interval=0.05, versions=reader,
                            planned=lambda: PlannedState(operation=running[0]))
    try:
        await monitor.read_versions()
        assert not (await monitor.poll_once()).verdict.versions_differ
        profile[0] = installed.profile.with_changes(wa_api_version="9.9.9")  # the operator's profile now says 9.9.9
        changed = await monitor.poll_once()
        # the read made under the old version is dropped, not judged against the new one; a new one starts
        assert changed.versions is None and {n.version for n in changed.verdict.nodes} == {""}
        await asyncio.sleep(0)
        assert calls == [installed.profile.wa_api_version, "9.9.9"]
        await asyncio.sleep(0.05)
        again = await monitor.poll_once()
        assert again.versions is not None and again.verdict.versions_differ  # the new read, judged against 9.9.9
        running[0] = PlannedOperation("upgrade", 0.0, "this window")
        await monitor.poll_once()
        reads = len(calls)
        running[0] = None
        await monitor.poll_once()  # the operation ended: read again at once, whatever the cadence
        assert len(calls) == reads + 1
    finally:
        await monitor.aclose()


async def test_no_version_read_or_judgement_while_an_operation_runs(installed):
    """Mid-upgrade the images change before the profile's version does (it is written at the upgrade's end): a
    judged read would advise running the old version on the upgraded nodes and replace the paused words."""
    from wabiz_tui.domain.transitions import PlannedOperation, paused_words
    from wabiz_tui.domain.versions import HostImages, VersionRead

    old = installed.profile.wa_api_version
    calls: list[int] = []

    async def reader() -> VersionRead:  # the Webapps already on the target, the rest on the profile's version
        calls.append(1)
        return VersionRead(0.0, {h.external_hostname: HostImages(h.external_hostname, (
            ("waweb", "docker.whatsapp.biz/web:v9.9.9"), ("master", f"docker.whatsapp.biz/coreapp:v{old}"),
            ("wacore", f"docker.whatsapp.biz/coreapp:v{old}"))) for h in installed.profile.hosts})

    upgrade = PlannedOperation("upgrade", 0.0, "this window")
    running: list[PlannedOperation | None] = [upgrade]
    monitor = HealthMonitor(installed.profile, interval=0.05, versions=reader,
                            planned=lambda: PlannedState(operation=running[0]))
    monitor.wait_versions = True
    try:
        for _ in range(2):
            result = await monitor.poll_once()
            assert result.verdict is not None and not result.verdict.versions_differ
            assert result.alerts_paused == paused_words(upgrade)
            assert result.verdict.next_action.startswith(paused_words(upgrade) + "; ")  # the operation's words kept
            assert "WA_API_VERSION" not in result.verdict.next_action, result.verdict.next_action
            assert not any("versions differ" in e.text for e in result.new_entries)
        assert calls == [] and result.versions is None
        running[0] = None
        ended = await monitor.poll_once()  # ended: read at once, then judged
        assert calls == [1] and ended.versions is not None and ended.verdict.versions_differ
    finally:
        await monitor.aclose()


async def test_a_read_cancelled_when_an_operation_ends_leaves_no_unretrieved_exception(installed):
    """A read running when an operation ends is cancelled (it may predate what the operation changed); one that ends
    with another exception on its way out is retrieved, never logged "Task exception was never retrieved"."""
    import asyncio
    import gc

    from wabiz_tui.domain.transitions import PlannedOperation
    from wabiz_tui.domain.versions import VersionRead

    first = asyncio.Event()
    calls: list[int] = []

    async def reader() -> VersionRead:
        calls.append(1)
        if len(calls) == 1:
            try:
                await first.wait()  # never set: hangs until cancelled
            except asyncio.CancelledError:
                raise RuntimeError("ssh connection lost while closing")
        return VersionRead(0.0, {})

    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    running: list[PlannedOperation | None] = [None]
    monitor = HealthMonitor(installed.profile, interval=0.05, versions=reader,
                            planned=lambda: PlannedState(operation=running[0]))
    try:
        await monitor.poll_once()  # the first read starts and hangs
        running[0] = PlannedOperation("upgrade", 0.0, "this window")
        await monitor.poll_once()
        running[0] = None
        await monitor.poll_once()  # ended: the hanging read is cancelled, a new one starts
        for _ in range(5):
            await asyncio.sleep(0)
        gc.collect()
        assert len(calls) == 2
        assert not [c for c in reported if "never retrieved" in str(c.get("message", ""))], reported
    finally:
        loop.set_exception_handler(None)
        await monitor.aclose()
