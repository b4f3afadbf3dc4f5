"""A half-upgraded cluster (an upgrade journal left midway) must not read healthy: the one poll of the monitor
reads it degraded with the command that continues it, and health's exit code, the exporter's verdict and its
``wabiz_operation_incomplete`` follow from that poll (issue 17 trial). While the upgrade runs again (its lock),
nothing is said of it; once finished (journal cleared), the cluster is healthy again."""

from __future__ import annotations

from wabiz_tui.cli.health import exit_code, result_dict
from wabiz_tui.config.lock import ClusterLock
from wabiz_tui.exporter.metrics import ClusterState
from wabiz_tui.exporter.scheduler import ClusterPoller
from wabiz_tui.workflows.monitor import planned_state_reader
from wabiz_tui.workflows.observe import verdict_word
from wabiz_tui.workflows.upgrade import upgrade_journal

from .helpers import FakeWebapp, installed_profile, scrape_text, value


def stop_an_upgrade(journals, profile, target: str = "2.99.1"):
    journal = upgrade_journal(journals, profile, target)
    journal.note("target", target)
    journal.note("source", profile.wa_api_version)
    journal.step_done(1)
    journal.host_done(3, "wa-web-1")
    return journal


async def test_a_stopped_upgrade_reads_degraded_everywhere(tmp_path):
    profile, fake, state = installed_profile(), FakeWebapp(), ClusterState("prod", 15, 60)
    locks = tmp_path / "state" / "locks"
    locks.mkdir(parents=True)
    monitor = fake.monitor(profile, planned=planned_state_reader(profile, locks, profile_ref="prod.yaml"))
    poller = ClusterPoller(profile, state, timeout=5, monitor=monitor)
    try:
        await poller.poll()
        assert verdict_word(state.last) == "healthy" and exit_code(monitor.last) == 0
        assert value(scrape_text(state), "wabiz_operation_incomplete", cluster="prod", operation="upgrade") == 0

        journal = stop_an_upgrade(tmp_path / "state" / "journals", profile)
        await poller.poll()
        result = monitor.last
        assert exit_code(result) == 1 and verdict_word(state.last) == "degraded"
        assert "stopped midway (after step 1): nodes may run different versions" in result.verdict.headline
        assert result.verdict.next_action == "continue it: wabiz-tui upgrade prod.yaml --resume --yes"
        assert value(scrape_text(state), "wabiz_operation_incomplete", cluster="prod", operation="upgrade") == 1
        data = result_dict(result)
        assert data["installed"] is True and data["exit_code"] == 1
        assert data["operation_incomplete"]["target"] == "2.99.1"
        assert data["operation_incomplete"]["next_action"] == "wabiz-tui upgrade prod.yaml --resume --yes"

        with ClusterLock.for_profile(locks, profile).acquire("upgrade"):  # resumed: it runs, it is not stopped
            await poller.poll()
            assert monitor.last.incomplete is None and "stopped midway" not in monitor.last.verdict.headline
            assert value(scrape_text(state), "wabiz_operation_incomplete", cluster="prod", operation="upgrade") == 0

        journal.clear()  # finished
        await poller.poll()
        assert exit_code(monitor.last) == 0 and monitor.last.incomplete is None
    finally:
        await monitor.aclose()


async def test_a_worse_verdict_keeps_its_level_and_its_own_action_first(tmp_path):
    profile, fake = installed_profile(), FakeWebapp()
    del fake.nodes[next(k for k in fake.nodes if k.startswith("wa-master-1"))]  # a node missing
    locks = tmp_path / "state" / "locks"
    locks.mkdir(parents=True)
    stop_an_upgrade(tmp_path / "state" / "journals", profile)
    monitor = fake.monitor(profile, planned=planned_state_reader(profile, locks))
    try:
        before = (await fake.monitor(profile).poll_once()).verdict
        result = await monitor.poll_once()
    finally:
        await monitor.aclose()
    assert before.level.rank >= 2 and result.verdict.level == before.level
    assert result.verdict.next_action.startswith(before.next_action)
    assert result.verdict.next_action.endswith("then continue the upgrade: wabiz-tui upgrade prod --resume --yes")


def test_health_json_says_installed_or_not():
    from wabiz_tui.workflows.monitor import PollResult

    assert result_dict(PollResult(0.0, 0.0, notice="not installed (uninstalled at 08:01)"))["installed"] is False


def test_the_alert_names_the_profile_as_upgrade_takes_it_from_the_exporters_machine(tmp_path):
    """s9: the alert said ``wabiz-tui upgrade CLUSTER --resume`` while the exporter may read an unsaved file whose
    name no saved profile has (``upgrade prod`` then fails "no saved profile of that name"). The series carries how
    a command names the profile: the saved name, else the file's absolute path (quoted for the shell)."""
    from wabiz_tui.cli.exporter import _load_all
    from wabiz_tui.config.paths import app_paths
    from wabiz_tui.config.profile import save_profile

    saved = installed_profile("milano")
    save_profile(saved, app_paths().profiles / "milano.yaml")
    loose = tmp_path / "my clusters" / "roma.yaml"
    loose.parent.mkdir()
    save_profile(installed_profile("roma", url="https://wa-web-9:9090"), loose)
    profiles, refs = _load_all(["milano", str(loose)])
    assert [p.name for p in profiles] == ["milano", "roma"] and refs == ["milano", str(loose.resolve())]

    stopped = ClusterState("roma", 15, 60, profile_ref="'/srv/my clusters/roma.yaml'")
    text = scrape_text(stopped, ClusterState("milano", 15, 60))
    assert value(text, "wabiz_operation_incomplete", cluster="roma", operation="upgrade",
                 profile="'/srv/my clusters/roma.yaml'") == 0
    # a state built without a reference (tests, embedders) names the cluster
    assert value(text, "wabiz_operation_incomplete", cluster="milano", operation="upgrade", profile="milano") == 0
    # every cluster says how a command names its profile (the alerts' `wabiz-tui health ...` read it)
    assert value(text, "wabiz_profile_info", cluster="roma", profile="'/srv/my clusters/roma.yaml'") == 1
    assert value(text, "wabiz_profile_info", cluster="milano", profile="milano") == 1


async def test_a_stopped_upgrade_with_versions_read_says_its_command_once(tmp_path):
    """Trial s9: an upgrade cancelled during its Masters step (Webapps on the target, the rest on the profile's
    version) read "finish the upgrade: CMD; then continue the upgrade: CMD" in the monitor and `health`."""
    import io
    import time

    from wabiz_tui.cli.health import print_text
    from wabiz_tui.domain.model import Role
    from wabiz_tui.domain.versions import HostImages, VersionRead

    profile, fake = installed_profile(), FakeWebapp()
    locks = tmp_path / "state" / "locks"
    locks.mkdir(parents=True)
    stop_an_upgrade(tmp_path / "state" / "journals", profile)
    webapps = {h.external_hostname for h in profile.hosts_with(Role.WEBAPP)}

    async def read() -> VersionRead:
        return VersionRead(time.time(), {h.external_hostname: HostImages(h.external_hostname, (
            ("waweb", "docker.whatsapp.biz/web:v2.99.1"),
            ("master", f"docker.whatsapp.biz/coreapp:v{profile.wa_api_version}"),
            ("wacore", f"docker.whatsapp.biz/coreapp:v{profile.wa_api_version}"))) for h in profile.hosts})

    monitor = fake.monitor(profile, planned=planned_state_reader(profile, locks), versions=read)
    monitor.wait_versions = True
    try:
        result = await monitor.poll_once()
    finally:
        await monitor.aclose()
    command = "wabiz-tui upgrade prod --resume --yes"
    verdict = result.verdict
    assert verdict.versions_differ and all(w[2] for w in verdict.webapp_versions if w[0] in webapps)
    assert verdict.next_action == f"finish the upgrade: {command}"
    out = io.StringIO()
    print_text(result, out=out)
    next_line = next(line for line in out.getvalue().splitlines() if line.startswith("  next: "))
    assert next_line.count(command) == 1, out.getvalue()
