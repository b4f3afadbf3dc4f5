"""Catalogued faults injected in the simulator and recognised by the product (issue 6): certificate error
432 and a number another saved profile registers (R23), scrape ports (R27), compose's ".env not read"
warning, and Docker/registry/TLS faults. Each fires on its fault and stays quiet without it."""

from __future__ import annotations

import pytest

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from tests.engine.test_preflight import run_preflight
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import save_profile
from wabiz_tui.domain.model import Monitoring, Registration
from wabiz_tui.domain.preflight import FAILURE, OK, WARNING
from wabiz_tui.workflows.errors import DuplicateNumber, WorkflowError
from wabiz_tui.workflows.events import Finding, StepFinished
from wabiz_tui.workflows.ha_install import HaInstall


def findings(events: Recorder, key: str | None = None) -> list[Finding]:
    return [e for e in events.of(Finding) if key is None or e.key == key]


def save_other_cluster(demo, name: str = "prod", **reg) -> None:
    """A second saved profile (another cluster) registering ``reg`` (default: the demo's own number)."""
    other = demo.profile.with_changes(name=name, installed=True,
                                      registration=Registration(**{"cc": demo.profile.registration.cc,
                                                                   "phone_number": demo.profile.registration.phone_number,
                                                                   "cert": "QUJD", **reg}))
    save_profile(other, app_paths().ensure().profiles / f"{name}.yaml")


async def test_registration_duplicate_number_and_certificate_432(demo, tmp_path):
    save_other_cluster(demo)
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events,
                   settings=settings_for(demo, tmp_path, preflight=False, profile_path=demo.profile_path,
                                         profiles_dir=app_paths().profiles))
    try:
        for n in range(1, 8):
            assert await wf.run_step(n), events.text()
        # R23: the same number in another saved profile: nothing is sent without an explicit yes
        with pytest.raises(DuplicateNumber) as refused:
            await wf.request_code()
        assert "prod" in str(refused.value) and "installed" in str(refused.value)
        assert demo.cluster.sms_outbox == []
        [dup] = findings(events, "DUPLICATE_REGISTRATION_RISK")
        assert "+1 6315550000" in dup.evidence and "prod" in dup.evidence
        assert not [e for e in events.of(StepFinished) if e.number == 8 and e.ok]
        # confirmed, but the Webapp answers 432 (certificate ID mismatch): the finding says what to do
        demo.cluster.set_certificate_error(432)
        with pytest.raises(WorkflowError) as failed:
            await wf.request_code(allow_duplicate=True)
        assert "432" in str(failed.value)
        [cert] = findings(events, "CERT_ERROR_43X")
        assert "432" in cert.title and "WhatsApp Manager" in cert.remedy and "432" in cert.evidence
        assert demo.cluster.sms_outbox == []
        # quiet: the certificate fixed, the confirmed registration goes through (202, a code is sent)
        demo.cluster.set_certificate_error(None)
        request = await wf.request_code(allow_duplicate=True)
        assert not request.already_registered and demo.cluster.sms_outbox
        assert len(findings(events, "CERT_ERROR_43X")) == 1
    finally:
        await wf.close()


async def test_preflight_warns_of_a_number_another_profile_has(demo, tmp_path):
    """R23 before anything starts: the preflight names the other cluster (a warning: registration asks)."""
    save_other_cluster(demo)
    ok, results, events = await run_preflight(demo, tmp_path, profile_path=demo.profile_path, profiles_dir=app_paths().profiles)
    check = results[("", "registration number")]
    assert check.level == WARNING and "prod" in check.reason
    assert [f.key for f in findings(events, "DUPLICATE_REGISTRATION_RISK")] == ["DUPLICATE_REGISTRATION_RISK"]
    assert ok


async def test_another_profile_with_another_number_is_quiet(demo, tmp_path):
    save_other_cluster(demo, name="other", phone_number="6315559999")
    wf = HaInstall(demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path, profiles_dir=app_paths().profiles))
    try:
        assert wf.duplicate_number() is None
    finally:
        await wf.close()


def monitoring(demo, **kw):
    return demo.profile.with_changes(monitoring=Monitoring(from_host="wa-web-1", **kw))


async def test_scrape_ports_reachable_are_quiet(demo, tmp_path):
    for h in demo.profile.hosts:
        demo.cluster.set_exporters(h.external_hostname, 9100, 8080)
    demo.cluster.set_exporters("wa-master-1", 9100, 8080, 9104)
    ok, results, events = await run_preflight(demo, tmp_path, monitoring(demo, host_exporters=True, mysqld_exporter="wa-master-1"))
    scrapes = {k: c for k, c in results.items() if k[1].startswith("scrape")}
    assert len(scrapes) == 2 * len(demo.profile.hosts) + 1
    assert all(c.level == OK for c in scrapes.values()), scrapes
    assert ok and not findings(events, "SCRAPE_PORT_BLOCKED")


async def test_scrape_port_blocked_by_a_firewall(demo, tmp_path):
    """R27: mysqld-exporter's 9104 is dropped on the way from the monitoring host: the probe times out."""
    demo.cluster.set_exporters("wa-master-1", 9100, 8080, 9104)
    demo.cluster.set_port_filtered("wa-master-1", 9104)
    ok, results, events = await run_preflight(demo, tmp_path, monitoring(demo, mysqld_exporter="wa-master-1:9104",
                                                                          targets=("wa-core-1:9100",)))
    blocked = results[("wa-master-1", "scrape 9104")]
    assert blocked.level == WARNING and "timed out" in blocked.reason and "firewall" in blocked.reason
    [f] = findings(events, "SCRAPE_PORT_BLOCKED")
    assert f.host == "wa-master-1" and "timed out" in f.evidence and "9104" in f.evidence
    refused = results[("wa-core-1", "scrape 9100")]  # nothing runs there: a refusal, not a firewall
    assert refused.level == WARNING and "nothing listens" in refused.reason
    assert ok  # monitoring is advice: it never blocks the install


async def test_an_unresolvable_scrape_target_is_a_name_problem_not_a_firewall(demo, tmp_path):
    ok, results, events = await run_preflight(demo, tmp_path, monitoring(demo, targets=("prometheus.internal:9090",)))
    check = results[("prometheus.internal", "scrape 9090")]
    assert check.level == WARNING and "cannot resolve prometheus.internal" in check.reason and "firewall" not in check.reason
    assert not findings(events, "SCRAPE_PORT_BLOCKED") and ok


async def test_registry_unreachable_and_full_disk_are_named_by_the_image_check(demo, tmp_path):
    demo.cluster.set_registry_unreachable(True)
    demo.cluster.set_disk_free("wa-core-2", 200 * 1024)
    ok, results, events = await run_preflight(demo, tmp_path)
    assert not ok
    assert results[("wa-web-1", "image")].level == FAILURE and "cannot reach the image registry" in results[("wa-web-1", "image")].reason
    assert {f.host for f in findings(events, "REGISTRY_UNREACHABLE")} >= {"wa-web-1", "wa-core-1"}
    demo.cluster.set_registry_unreachable(False)
    ok, results, events = await run_preflight(demo, tmp_path)
    assert results[("wa-core-2", "image")].level == FAILURE and "no space left" in results[("wa-core-2", "image")].reason
    assert [f.host for f in findings(events, "DISK_FULL")] == ["wa-core-2"]
    assert results[("wa-core-1", "image")].level == OK and not findings(events, "REGISTRY_UNREACHABLE")


async def test_registry_refusing_pulls_is_a_finding_with_its_words_and_the_next_action(demo, tmp_path):
    """The simulator's registry-denied fault answers with the words dockerd 20.10 gave in the lab (``lab fault
    registry deny``), and the preflight makes them an IMAGE_PULL_DENIED finding per host, as on the lab."""
    demo.cluster.set_registry_denied(True)
    ok, results, events = await run_preflight(demo, tmp_path)
    assert not ok
    refused = findings(events, "IMAGE_PULL_DENIED")
    assert {f.host for f in refused} == {h.external_hostname for h in demo.profile.hosts}
    assert all('manifests/v2.41.2": no basic auth credentials' in f.evidence and "docker login" in f.remedy
               for f in refused)
    assert "the registry refused the image" in results[("wa-core-1", "image")].reason


async def test_oci_runtime_failure_at_start(demo, tmp_path):
    demo.cluster.set_runtime_fault("wa-core-1", True)
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False))
    try:
        for n in range(1, 5):
            assert await wf.run_step(n)
        assert not await wf.run_step(5)
    finally:
        await wf.close()
    [f] = findings(events, "OCI_RUNTIME_FAILED")
    assert f.host == "wa-core-1" and "OCI runtime create failed" in f.evidence
    assert {e.host for e in findings(events) if e.host} == {"wa-core-1"}  # the hosts that started are quiet


@pytest.mark.parametrize("with_env_file", [False, True])
async def test_compose_variable_not_set_is_named_and_env_in_the_project_directory_is_read(demo, tmp_path, with_env_file):
    """A hand-edited compose file uses ${WA_LOG_TAG}: without a .env in the project directory compose warns and
    the step goes on; the finding names the variable. With the .env there, wabiz-tui's --project-directory
    makes compose read it (the SSH session's cwd is the home directory) and nothing is reported."""
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False))
    host = "wa-web-1"
    try:
        for n in range(1, 5):
            assert await wf.run_step(n)
        biz = demo.cluster.host_root(host) / "home/wa/biz"
        compose = biz / "prod-multiconnect-compose.yml"
        compose.write_text(compose.read_text().replace("WA_APP_MULTICONNECT: 1", "WA_APP_MULTICONNECT: 1\n      WA_LOG_TAG: ${WA_LOG_TAG}", 1))
        if with_env_file:
            (biz / ".env").write_text("WA_LOG_TAG=blue\n")
        assert await wf.run_step(5), events.text()
    finally:
        await wf.close()
    found = findings(events, "COMPOSE_ENV_FILE_NOT_LOADED")
    if with_env_file:
        assert not found
    else:
        [f] = found
        assert f.host == host and "WA_LOG_TAG" in f.title and "WA_LOG_TAG" in f.evidence


@pytest.mark.parametrize("fault,key", [("expired", "WEBAPP_TLS_EXPIRED"), ("wrong_name", "WEBAPP_TLS_NAME_MISMATCH")])
async def test_webapp_certificate_faults(demo, tmp_path, fault, key):
    events = Recorder()
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False, health_timeout=10.0))
    try:
        for n in range(1, 7):
            assert await wf.run_step(n)
        demo.cluster.set_webapp_certificate(fault)
        assert not await wf.run_step(7)
        [f] = findings(events, key)
        assert f.evidence and f.remedy and not findings(events, "WEBAPP_TLS_UNTRUSTED")
        demo.cluster.set_webapp_certificate(None)
        await wf.close()  # a new TLS connection sees the good certificate again
        assert await wf.run_step(7), events.text()
        assert len(findings(events, key)) == 1
    finally:
        await wf.close()


async def test_headless_install_refuses_a_number_another_profile_has(demo):
    """R23 headless: exit 4 and the other cluster named, nothing sent; --allow-duplicate-number goes on."""
    from tests.engine.test_ops_cli import cli

    save_other_cluster(demo)
    args = ("install", str(demo.profile_path), "--yes", "--skip-preflight")
    code, out, err = await cli(*args)
    assert code == 4, out + err
    assert "DUPLICATE_REGISTRATION_RISK" in out and "prod" in out and "--allow-duplicate-number" in out
    assert demo.cluster.sms_outbox == [] and "Traceback" not in err
    # refused before anything starts: no step ran, no container exists
    assert "step 1" not in out and "not started:" in out, out
    assert not any(demo.cluster.containers(h.external_hostname) for h in demo.profile.hosts)
    code, out, err = await cli(*args, "--allow-duplicate-number")
    assert code == 5, out + err  # the number was sent for a code (no terminal to type it)
    assert demo.cluster.sms_outbox and "confirmed by the operator" in out


async def test_a_failing_uninstall_host_gets_its_finding(demo, tmp_path):
    """Uninstall keeps its own ``report`` dict: a host failing must still give its named finding
    (it used to end in "TypeError: 'dict' object is not callable")."""
    from wabiz_tui.workflows.uninstall import Uninstall

    install = HaInstall(demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path))
    try:
        for n in range(1, 4):  # the files in place, so the other hosts' removal works
            assert await install.run_step(n)
    finally:
        await install.close()
    demo.cluster.set_docker_fault("wa-core-2", "daemon_down")
    events = Recorder()
    wf = Uninstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path))
    try:
        assert not await wf.run(demo.profile.name)
    finally:
        await wf.close()
    assert [f.host for f in findings(events, "DOCKER_DAEMON_DOWN")] == ["wa-core-2"]
    assert wf.outcomes["wa-core-2"].startswith("FAILED") and wf.outcomes["wa-web-1"].startswith("removed")
    assert "TypeError" not in events.text()
