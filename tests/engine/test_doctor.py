"""doctor against the simulator: the facts come from the simulated hosts' state over real SSH (direct-tcpip to the
other hosts' published ports and the DB, getent, docker inspect/logs, curl to the registry, df); a healthy cluster
gives no cause, each injected fault its cause with the host, the evidence line and the next action."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter

import pytest

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.domain.doctor import P_COMPOSE, P_COMPOSE_SHAPE, P_CONTAINER, P_DNS, P_TCP
from wabiz_tui.workflows.doctor import Doctor
from wabiz_tui.workflows.doctor.probes import DoctorProbes
from wabiz_tui.workflows.ha_install import HaInstall


async def run_doctor(demo, tmp_path, profile=None, **kw):
    wf = Doctor(profile or demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path), window=0.2, **kw)
    try:
        report = await wf.run()
    finally:
        await wf.close()
    return report


def _secrets(profile):
    return [s for s in (profile.db.password, profile.webapp.admin_password) if s]


async def test_a_healthy_cluster_has_no_cause_and_its_facts_rule_causes_out(installed, tmp_path):
    report = await run_doctor(installed, tmp_path)
    assert report.causes == (), [c.title for c in report.causes]
    ruled = {r.key for r in report.ruled_out}
    assert {"DB_DOWN", "DB_CREDENTIALS", "HOST_PATH_BLOCKED", "NAME_UNRESOLVED", "REGISTRY", "CONTAINER_DOWN",
            "DOCKERD_DOWN", "API"} <= ruled
    states = {f.host: f.get("states") for f in report.facts if f.probe == P_CONTAINER and f.host == "wa-core-1"}
    assert states["wa-core-1"] == ["running"] * 3  # sampled over the window
    # Webapp -> Coreapp and Master <-> Coreapp ports were really connected to, from the hosts themselves
    assert any(f.host == "wa-web-1" and f.get("target") == "wa-core-1" and f.ok for f in report.facts if f.probe == P_TCP)
    text = json.dumps(report.to_json())
    assert not [s for s in _secrets(installed.profile) if s in text]


@pytest.mark.parametrize("inject, key, host, evidence, action", [
    (lambda c: c.cut("wa-web-1", "wa-core-1"), "HOST_PATH_BLOCKED", "wa-web-1",
     "no answer within 3 s", "firewalls"),
    (lambda c: c.set_database("wa-db.demo.internal", 3306, password="changed-on-the-server"), "DB_CREDENTIALS", "",
     "Access denied for user", "WA_DB_PASSWORD"),
    (lambda c: c.set_database("wa-db.demo.internal", 3306, reachable=False), "DB_DOWN", "",
     "Connection refused", "start the DB server"),
    (lambda c: c.set_registry_denied(True), "REGISTRY", "wa-web-1", "HTTP/1.1 401 Unauthorized", "docker login"),
    (lambda c: c.set_unresolvable("wa-master-1", "wa-core-2"), "NAME_UNRESOLVED", "wa-master-1",
     "getent hosts wa-core-2: not found (exit status 2)", "/etc/hosts"),
    (lambda c: c.set_docker_fault("wa-core-2", "daemon_down"), "DOCKERD_DOWN", "wa-core-2",
     "Cannot connect to the Docker daemon", "systemctl start docker"),
    (lambda c: c.set_disk_free("wa-master-2", 1024), "DISK_FULL", "wa-master-2", "1024 KiB free", "free space"),
    (lambda c: c.set_host_unreachable("wa-core-1", True), "HOST_UNREACHABLE", "wa-core-1", "wa-core-1", "sshd"),
])
async def test_each_fault_is_named_with_host_evidence_and_next_action(installed, tmp_path, inject, key, host, evidence, action):
    inject(installed.cluster)
    report = await run_doctor(installed, tmp_path, api=False)
    top = report.causes[0]
    assert top.key == key, [(c.key, c.title) for c in report.causes]
    assert not host or host in top.hosts or host in top.title
    assert any(evidence in f.line for f in top.evidence), [f.line for f in top.evidence]
    assert action in top.next_action
    assert top.source
    assert not [s for s in _secrets(installed.profile) if s in json.dumps(report.to_json())]


async def test_a_crash_looping_coreapp_is_named_by_its_log_words(demo, tmp_path):
    """The Coreapp on wa-core-2 exits 1 at each start with the DB words (Docker restarts it): the cause is named by the
    catalogue from its log, with its state sampled over the window as evidence."""
    demo.cluster.set_start_fault("wa-core-2", "wacore", ["E 2026-12-05 06:00:00 UTC 140 db.cpp:88] Unable to connect to database"])
    wf = HaInstall(demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path))
    try:
        for n in range(1, 6):
            assert await wf.run_step(n)
    finally:
        await wf.close()
    await asyncio.sleep(0.3)
    report = await run_doctor(demo, tmp_path, api=False)
    top = report.causes[0]
    assert top.key == "CONTAINER_DOWN_WITH_WORDS", [c.key for c in report.causes]
    assert top.title.startswith("wacore on wa-core-2 is restarting") and "the database does not answer" in top.title
    assert any("Unable to connect to database" in f.line for f in top.evidence)


async def test_one_host_only(installed, tmp_path):
    report = await run_doctor(installed, tmp_path, hosts=("wa-core-1",), api=False)
    assert {f.host for f in report.facts if f.probe not in ("tcp", "image")} == {"wa-core-1"}
    # every other host is a peer (the nodes advertise their ports to each other through the DB; no link list is
    # documented): each only probes its way in to wa-core-1's ports (a block is one direction: issue 16 trial)
    # and has its containers' images read (trial 2 N1)
    others = {h.external_hostname for h in installed.profile.hosts} - {"wa-core-1"}
    assert {f.host for f in report.facts if f.probe == "image"} == others
    inbound = [f for f in report.facts if f.host != "wa-core-1" and f.probe != "image"]
    assert inbound and {f.get("target") for f in inbound} == {"wa-core-1"}
    assert {f.host for f in inbound} == others == {"wa-web-1", "wa-master-1", "wa-master-2", "wa-core-2"}
    # linear, not every pair: 4 ports of wa-core-1 from each of the 4 others; wa-core-1 to each other's published
    # ports (Webapp 9090, Masters 6254-6257, Coreapp 6250-6253); no probe between two other hosts
    assert len(inbound) == 4 * 4
    outbound = [f for f in report.facts if f.probe == P_TCP and f.host == "wa-core-1" and f.get("what") != "db"]
    assert Counter(f.get("target") for f in outbound) == {"wa-web-1": 1, "wa-master-1": 4, "wa-master-2": 4,
                                                          "wa-core-2": 4}
    names = {f.get("name") for f in report.facts if f.probe == P_DNS}
    assert others < names and "wa-core-1" in names


async def test_doctor_command_text_json_exit_codes_and_no_secret(installed):
    from tests.engine.test_ops_cli import cli
    profile = str(installed.profile_path)
    code, out, err = await cli("doctor", profile)
    assert code == 0, out + err
    assert "nothing wrong found" in out and "cause(s) ruled out by the facts (--verbose shows them)" in out
    installed.cluster.set_database("wa-db.demo.internal", 3306, password="changed-on-the-server")
    code, out, err = await cli("doctor", profile)
    assert code == 6, out + err
    lines = out.splitlines()
    first = next(i for i, l in enumerate(lines) if l.startswith("1. "))
    assert lines[first].startswith("1. [high] the database refuses db.env's credentials")
    assert "evidence: wa-" in lines[first + 1] and "Access denied for user" in lines[first + 2]
    assert any(l.strip().startswith("next: check WA_DB_USERNAME and WA_DB_PASSWORD") for l in lines)
    code, out, err = await cli("doctor", profile, "--json", "--host", "wa-core-1", "--verbose")
    assert code == 6
    data = json.loads(out)
    assert set(data) == {"profile", "causes", "ruled_out", "unknown", "facts"}
    cause = data["causes"][0]
    assert cause["key"] == "DB_CREDENTIALS" and cause["confidence"] == "high" and cause["next_action"] and cause["source"]
    assert {"probe", "host", "command", "line", "state", "data"} <= set(cause["evidence"][0])
    assert {f["host"] for f in cause["evidence"]} == {"wa-core-1"}
    secrets = _secrets(installed.profile)
    assert secrets and not [s for s in secrets if s in out + err]
    code, _, err = await cli("doctor", profile, "--host", "nope")
    assert code == 2 and "--host 'nope': not a host of the profile" in err


async def test_a_failed_headless_install_runs_doctor_unless_told_not_to(demo):
    from tests.engine.test_ops_cli import cli
    demo.cluster.set_docker_fault("wa-core-2", "daemon_down")
    code, out, err = await cli("install", str(demo.profile_path), "--yes", "--skip-preflight")
    assert code == 1, out + err
    after = out[out.index("looking for the cause"):]
    assert "[high] the Docker daemon is not running on wa-core-2" in after
    assert "next: start it on wa-core-2" in after
    code, out, err = await cli("install", str(demo.profile_path), "--yes", "--skip-preflight", "--no-doctor")
    assert code == 1 and "looking for the cause" not in out
    assert f"to find the cause: wabiz-tui doctor {demo.profile_path}" in out


async def test_db_env_edited_on_one_host_is_named_and_its_values_are_the_ones_tried(installed, tmp_path):
    """wa-core-2's db.env carries another password (edited by hand): the login from there, with the file's values,
    is refused while the others succeed; doctor names the file and the variable, never the value."""
    path = installed.cluster.host_root("wa-core-2") / "home/wa/biz/db.env"
    text = path.read_text()
    path.write_text(text.replace(f"WA_DB_PASSWORD={installed.profile.db.password}", "WA_DB_PASSWORD=Hand-edited-2026"))
    report = await run_doctor(installed, tmp_path, api=False)
    top = report.causes[0]
    assert top.key == "ENV_DIFFERS" and top.hosts == ("wa-core-2",)
    assert top.title == "db.env on wa-core-2 differs from the profile in WA_DB_PASSWORD"
    assert "DB_CREDENTIALS" in top.also  # refused from wa-core-2 only: the same cause
    assert "Hand-edited-2026" not in json.dumps(report.to_json())


async def test_a_compose_file_compose_refuses_is_named_with_its_words(installed, tmp_path):
    path = installed.cluster.host_root("wa-master-1") / "home/wa/biz/prod-multiconnect-compose.yml"
    path.write_text(path.read_text().replace("services:", "services:\n  broken: [", 1))
    report = await run_doctor(installed, tmp_path, api=False, hosts=("wa-master-1",))
    top = report.causes[0]
    assert top.key == "COMPOSE_REFUSED" and top.hosts == ("wa-master-1",), [(c.key, c.title) for c in report.causes]
    assert top.evidence[0].command.startswith("EXTERNAL_HOSTNAME=wa-master-1 WA_API_VERSION=")
    assert top.evidence[0].command.endswith(" config")


@pytest.mark.parametrize("from_here", [False, True])
async def test_the_db_login_from_this_machine_is_opt_in(installed, tmp_path, monkeypatch, from_here):
    """A refused login is tried from this machine only with ``db_from_here`` (``doctor --db-from-here``): it sends the
    credentials over a path the cluster never uses. Without it a fact says so and the finding says when it helps."""
    import wabiz_tui.workflows.doctor.database as database

    tried: list[str] = []
    here = database.read_db_facts_here

    async def recording(db, **kw):
        tried.append(db.hostname)
        return await here(db, **kw)

    monkeypatch.setattr(database, "read_db_facts_here", recording)
    installed.cluster.set_database("wa-db.demo.internal", 3306, password="changed-on-the-server")
    report = await run_doctor(installed, tmp_path, api=False, db_from_here=from_here)
    cause = next(c for c in report.causes if c.key == "DB_CREDENTIALS")
    untried = [f for f in report.facts if f.probe == "db.login" and f.get("opt_in")]
    if from_here:
        assert len(tried) == 1 and not untried and "--db-from-here" not in cause.next_action
    else:
        assert tried == [] and [f.line for f in untried] == [
            "no login from this machine: doctor --db-from-here makes one (it sends db.env's credentials from here)"]
        assert "the account may allow only other hosts: `wabiz-tui doctor PROFILE --db-from-here`" in cause.next_action


async def test_compose_config_runs_once_per_host(installed, tmp_path, monkeypatch):
    """``docker-compose config`` gives both the services and the published ports: one run per host, not two."""
    ran: list[tuple[str, str]] = []

    def recorder(run):
        async def recording(self, host, command):
            ran.append((host.external_hostname, command))
            return await run(self, host, command)
        return recording

    monkeypatch.setattr(DoctorProbes, "_sh", recorder(DoctorProbes._sh))
    monkeypatch.setattr(DoctorProbes, "_sh_apart", recorder(DoctorProbes._sh_apart))
    report = await run_doctor(installed, tmp_path, api=False)
    configs = Counter(h for h, c in ran if re.search(r"compose .*\bconfig\b", c))
    assert configs == {h.external_hostname: 1 for h in installed.profile.hosts}
    shapes = {f.host for f in report.facts if f.probe == P_COMPOSE_SHAPE}
    assert shapes == set(configs) and all(f.ok for f in report.facts if f.probe == P_COMPOSE)


async def test_a_host_too_slow_for_the_time_limit_is_a_fact_not_a_hang(installed, tmp_path):
    installed.cluster.set_host_latency("wa-core-2", 2.0)
    report = await run_doctor(installed, tmp_path, api=False, probe_timeout=1.0)
    timed = [f for f in report.unknown if f.host == "wa-core-2" and f.get("timeout")]
    assert timed and all("no answer within 1 s" in f.line for f in timed)
    slow = [c for c in report.causes if c.key == "PROBE_TIMEOUT" and c.hosts == ("wa-core-2",)]
    assert slow and "did not answer in time" in slow[0].title
    assert not [c for c in report.causes if c.key == "HOST_UNREACHABLE"]


async def test_a_secret_learnt_during_the_run_is_masked_in_facts_made_before_it(installed, tmp_path):
    """Review: facts were masked once, when made; a host's db.env password joins the secrets only when its
    ``cat db.env`` returns, so a fact made earlier (another host's, a slow cat) kept it in clear."""
    from wabiz_tui.domain.doctor import P_SSH, Fact

    wf = Doctor(installed.profile, emit=Recorder(), settings=settings_for(installed, tmp_path), window=0.2,
                hosts=("wa-core-1",), api=False)
    try:
        wf.facts.append(Fact(P_SSH, "wa-core-9", "ssh wa-core-9", "said Hush-learnt-late-77 early", False,
                             {"detail": "Hush-learnt-late-77"}))
        wf.extra_secrets.append("Hush-learnt-late-77")
        report = await wf.run()
    finally:
        await wf.close()
    text = json.dumps(report.to_json())
    assert "Hush-learnt-late-77" not in text
    assert any(f.host == "wa-core-9" for f in report.facts)


def test_doctor_help_documents_the_db_login_from_here(capsys):
    from wabiz_tui.cli.main import main

    with pytest.raises(SystemExit):
        main(["doctor", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--db-from-here" in text and "sends the DB credentials from here" in text


def test_compose_config_is_read_past_compose_warnings():
    """compose's stderr comes among ``config``'s lines; 1.29.2 here, stderr not a terminal, warned "The NOPE_X variable
    is not set. Defaulting to a blank string." (on a terminal with "WARNING: " before it)."""
    from wabiz_tui.workflows.doctor.containers import compose_yaml

    lines = ["services:", "The NOPE_X variable is not set. Defaulting to a blank string.", "  wacore:",
             "WARNING: The WA_X variable is not set. Defaulting to a blank string.", "    image: 'busybox:'"]
    assert compose_yaml(lines) == {"services": {"wacore": {"image": "busybox:"}}}
    assert compose_yaml(["services: [", "oops"]) is None


async def test_compose_services_are_read_from_stdout_past_any_stderr_line():
    """``docker-compose config``'s YAML is its stdout: a stderr line that is not one of compose's own warnings (here a
    Python deprecation warning, as compose 1.29's libraries print) lost the services fact when both were parsed."""
    from types import SimpleNamespace

    from wabiz_tui.domain.doctor import P_COMPOSE
    from wabiz_tui.workflows.doctor import Doctor

    out = ["services:", "  wacore:", "    image: 'busybox:'"]
    err = ["/usr/lib/python3/dist-packages/paramiko/transport.py:236: CryptographyDeprecationWarning: Blowfish has "
           "been deprecated", '  "class": algorithms.Blowfish,']
    facts = []

    async def sh_apart(host, command):
        return 0, out, err

    async def sh(host, command):  # the merged output the probe read before
        return 0, out[:1] + err + out[1:]

    fake = SimpleNamespace(session=SimpleNamespace(invocation=lambda h: SimpleNamespace(
                               command=lambda *a: "docker-compose config", flavour="v1")),
                           _sh_apart=sh_apart, _sh=sh, _compose_shape=lambda *a: None,
                           _fact=lambda probe, host, command, line, ok, **data: facts.append((probe, ok, data)))
    await Doctor._compose(fake, SimpleNamespace(external_hostname="wa-core-1"))
    assert facts == [(P_COMPOSE, True, {"flavour": "v1", "services": ["wacore"]})], facts


async def test_doctor_on_one_node_compares_its_version_with_the_other_nodes(installed, tmp_path):
    """s8 trial 2 N1: `d` on wa-core-1 of a half-upgraded cluster (Webapp and Masters on a newer image) said
    "every container runs 2.41.2 (1)" from wa-core-1's one container. The other hosts' images are read
    (``docker ps``), so the skew is found and wa-core-1 is named as the host behind."""
    from wabiz_tui.domain.doctor import P_CONTAINER as _container

    brain = installed.cluster.brain
    old = next(c for c in brain.on_host("wa-core-1") if c.service == "wacore").image
    assert old.rsplit(":", 1)[-1].startswith("v")
    newer = "v9.99.9"
    for host in ("wa-web-1", "wa-master-1", "wa-master-2"):
        for c in brain.on_host(host):
            c.image = c.image.rsplit(":", 1)[0] + ":" + newer
    report = await run_doctor(installed, tmp_path, hosts=("wa-core-1",), api=False)
    (cause,) = [c for c in report.causes if c.key == "VERSION_SKEW"]
    assert "9.99.9" in cause.title and "wa-core-1" in cause.next_action, (cause.title, cause.next_action)
    assert [f for f in report.facts if f.probe == _container and f.host == "wa-core-1"]
    # all on one version again: the clear line counts what was read, never "every container" from one
    for host in ("wa-web-1", "wa-master-1", "wa-master-2"):
        for c in brain.on_host(host):
            c.image = c.image.rsplit(":", 1)[0] + ":" + old.rsplit(":", 1)[-1]
    report = await run_doctor(installed, tmp_path, hosts=("wa-core-1",), api=False)
    note = next(r.note for r in report.ruled_out if r.key == "VERSION_SKEW")
    assert "every container" not in note and "host(s) all run" in note and "on 5 host(s)" in note, note
