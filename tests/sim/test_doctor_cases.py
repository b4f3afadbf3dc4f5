"""Every case of ``shared/cases/`` through ``doctor`` (issue 16 "Done means"): the fault is injected into the
simulator (its fault API, a container's log, the Webapp's answers, the profile), doctor runs over real SSH and
HTTPS on loopback, and names the cause with its evidence and next action (or, where the case is no fault, says so
without ranking a cause). The DB cases R05, R06, R07, R10 are the DB probes' (tests of the doctor DB work); the
client-library cases R33, R37-R39 are proven where the tool handles them (docs/field-reports.md, "shared/cases and
doctor"). The same cases on real parts: tests/lab/test_48_doctor_cases.py."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import ssl

import httpx
import pytest

from tests.engine.conftest import demo, installed  # noqa: F401 - the started demo session fixtures
from tests.openssh.conftest import ssh_lab  # noqa: F401 - plain OpenSSH hosts (a jump host for R30)
from tests.support import HEALTH_CASES, need_shared, settings_for
from wabiz_tui.api.client import WebappClient
from wabiz_tui.domain.model import Monitoring
from wabiz_tui.workflows.doctor import Doctor
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.monitor import HealthMonitor


async def run_doctor(session, tmp_path, profile=None, *, settings=None, client=None, **kw):
    """doctor's report on ``session``'s cluster (``profile``: another profile of it; ``client``: the API client
    the health watch uses instead of the profile's)."""
    wf = Doctor(profile or session.profile, emit=discard, settings=settings or settings_for(session, tmp_path),
                window=0.2, **kw)
    if client is not None:
        wf.health = HealthMonitor(lambda: wf.profile, client=client, interval=0.1, grace=0.0)
    try:
        return await wf.run()
    finally:
        await wf.close()


def keys(report) -> list[str]:
    return [c.key for c in report.causes]


def cause(report, key: str):
    mine = [c for c in report.causes if c.key == key]
    assert mine, [(c.key, c.title) for c in report.causes]
    return mine[0]


def no_secret(session, report) -> None:
    text = json.dumps(report.to_json())
    p = session.profile
    assert not [s for s in (p.db.password, p.webapp.admin_password) if s and s in text]


def only_container_of(cluster, host: str, service: str):
    (c,) = [c for c in cluster.brain.on_host(host) if c.service == service and c.running]
    return c


async def crash_at_start(cluster, host: str, service: str, lines: list[str]) -> None:
    """The running ``service`` on ``host`` crashes and, restarted by its policy, prints ``lines`` and exits 1 at each
    start (what the field report's container did)."""
    cluster.set_start_fault(host, service, lines)
    cluster.kill_main_process(host, service)
    await asyncio.sleep(0.5)


# --- R01, R02: compose and names --------------------------------------------------------------------------------
async def test_r01_legacy_links_make_the_webapp_exit(installed, tmp_path):
    from wabiz_tui.domain.render import render_compose
    await crash_at_start(installed.cluster, "wa-web-1", "waweb",
                         ["/opt/whatsapp/bin/web_setup.sh: line 368: WACORE_PORT_6250-6253_TCP: invalid variable name"])
    report = await run_doctor(installed, tmp_path, api=False)
    top = report.causes[0]
    assert top.key == "CONTAINER_DOWN_WITH_WORDS" and top.hosts == ("wa-web-1",), keys(report)
    assert "legacy links:" in top.title and "remove links:" in top.next_action
    assert any("invalid variable name" in f.line for f in top.evidence)
    assert "links:" not in render_compose(installed.profile)  # the tool never generates them


async def test_r02_the_db_host_name_does_not_resolve_is_dns_not_the_password(installed, tmp_path):
    db = installed.profile.db.hostname
    for h in installed.profile.hosts:
        installed.cluster.set_unresolvable(h.external_hostname, db)
    report = await run_doctor(installed, tmp_path, api=False)
    top = report.causes[0]
    assert top.key == "NAME_UNRESOLVED" and db in top.title and "does not resolve on any host" in top.title, keys(report)
    assert "WA_DB_HOSTNAME" in top.next_action
    assert any(f"getent hosts {db}: not found" in f.line for f in top.evidence)
    assert "DB_CREDENTIALS" not in keys(report)



# --- R07: a PostgreSQL server the client does not know -------------------------------------------------------------
async def test_r07_a_postgresql_server_outside_the_clients_matrix_is_named(tmp_path):
    """R07 ("The server version of this PostgreSQL is unknown", endless cluster-manager retries): a PostgreSQL cluster
    installed on 13.8, then the server upgraded to 16.2 behind the client's back; doctor logs in with the hosts' db.env
    and names the version against the client's support matrix (domain.dbsupport, Meta's production-setup pages)."""
    from tests.support import install_headless
    from wabiz_tui.demo import start_demo
    from wabiz_tui.domain.model import DbEngine

    session = await start_demo(tmp_path / "pg", speed=0.05, db_engine=DbEngine.PGSQL, db_version="13.8")
    try:
        await install_headless(session, tmp_path)
        db = session.profile.db
        session.cluster.set_database(db.hostname, db.port, engine="PGSQL", version="16.2")
        report = await run_doctor(session, tmp_path, hosts=("wa-core-1",), api=False)
        found = cause(report, "DB_SERVER_UNSUPPORTED")
        assert "PostgreSQL 16.2" in found.title and session.profile.wa_api_version in found.title, found.title
        assert found is report.causes[0], keys(report)
        no_secret(session, report)
    finally:
        await session.stop()


# --- R12: information lines are not a cause ---------------------------------------------------------------------
async def test_r12_info_level_retry_lines_are_no_cause(installed, tmp_path):
    """A running Coreapp's log with I-level "will retry" lines (the maintainer: information, errors start with W):
    doctor ranks no cause; the log fact says it holds no catalogued words, and an info line says what they are."""
    c = only_container_of(installed.cluster, "wa-core-1", "wacore")
    for _ in range(5):
        installed.cluster.brain.log(c, "Failed to initialize cluster manager, will retry after 8000 ms", "I",
                                    "cluster_manager.cpp:120")
    report = await run_doctor(installed, tmp_path, api=False)
    assert report.causes == (), keys(report)
    (logs,) = [f for f in report.facts if f.probe == "logs" and f.host == "wa-core-1" and f.get("service") == "wacore"]
    assert logs.ok and logs.line.startswith("no catalogued words")
    (said,) = [r for r in report.ruled_out if r.key == "INFO_RETRIES"]
    assert said.note.startswith('wacore on wa-core-1 logs 5 information-level "will retry" line(s) while it starts')
    assert "Failed to initialize cluster manager, will retry after 8000 ms" in said.note and said.evidence == (logs,)


# --- R14: compose variables, the Docker socket, the daemon -------------------------------------------------------
async def _compose_requires_a_variable(cluster, profile) -> None:
    path = cluster.host_root("wa-core-2") / profile.hosts[0].remote_dir.lstrip("/") / "prod-multiconnect-compose.yml"
    text = path.read_text()
    path.write_text(text.replace("restart: unless-stopped", "restart: ${WA_RESTART:?set WA_RESTART on the command line}", 1))


@pytest.mark.parametrize("fault, key, words, action", [
    ("socket", "DOCKER_DENIED", "permission denied while trying to connect to the Docker daemon socket", "docker group"),
    ("daemon", "DOCKERD_DOWN", "Cannot connect to the Docker daemon", "start it"),
    ("variable", "COMPOSE_REFUSED", "WA_RESTART", "variables passed on the command line"),
])
async def test_r14_compose_refuses_or_docker_is_denied_or_down(installed, tmp_path, fault, key, words, action):
    cluster = installed.cluster
    if fault == "socket":
        cluster.set_sudo("wa-core-2", "absent")
        cluster.set_docker_fault("wa-core-2", "socket_denied")
    elif fault == "daemon":
        cluster.set_docker_fault("wa-core-2", "daemon_down")
    else:
        await _compose_requires_a_variable(cluster, installed.profile)
    report = await run_doctor(installed, tmp_path, api=False)
    top = report.causes[0]
    assert top.key == key and "wa-core-2" in top.hosts, [(c.key, c.title) for c in report.causes]
    assert any(words in f.line for f in top.evidence), [f.line for f in top.evidence]
    assert action in top.next_action


# --- R15: plain HTTP, the HTTPS port, localhost -> ::1 -------------------------------------------------------------
async def test_r15_the_webapp_port_answering_plain_http_is_named(installed, tmp_path):
    await installed.cluster.set_webapp_plain_http(True)
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    top = cause(report, "API_TLS")
    assert report.causes[0] is top and "plain text, not TLS" in top.title
    assert any("WRONG_VERSION_NUMBER" in f.line or "wrong version number" in f.line for f in top.evidence)
    assert "HTTPS port" in top.next_action


async def test_r15_a_client_sending_http_to_the_https_port_is_named_from_the_webapp_log(installed, tmp_path):
    web = only_container_of(installed.cluster, "wa-web-1", "waweb")
    installed.cluster.brain.log(web, "(mod_openssl.c.3155) SSL: 1 error:1408F09C:SSL routines:ssl3_get_record:http request",
                                "E")
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    top = cause(report, "HTTP_ON_HTTPS_PORT")
    assert top.hosts == ("wa-web-1",) and "http://" in top.next_action
    assert any("ssl3_get_record:http request" in f.line for f in top.evidence)


async def test_r15_localhost_resolving_to_ipv6_where_nothing_listens(installed, tmp_path, monkeypatch):
    """The resolver answers ``::1`` first for localhost (Setup-Scripts #39); the Webapp listens on 127.0.0.1 only.
    wabiz-tui itself gets through (httpx tries the next address); doctor names what other clients meet."""
    url = installed.profile.webapp.url.replace("127.0.0.1", "localhost")
    port = int(url.rsplit(":", 1)[1].strip("/"))
    real = socket.getaddrinfo

    def resolver(host, *args, **kw):
        if host == "localhost":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    profile = installed.profile.with_changes(webapp=dataclasses.replace(installed.profile.webapp, url=url))
    report = await run_doctor(installed, tmp_path, profile, hosts=("wa-web-1",))
    top = cause(report, "WEBAPP_ADDRESSES")
    assert "localhost resolves to ::1" in top.title and "127.0.0.1" in top.next_action
    assert "API" not in keys(report) and "API_TLS" not in keys(report)  # the API answered through 127.0.0.1


# --- R16, R28: 401 is credentials, not an outage -------------------------------------------------------------------
async def test_r16_health_without_a_token_is_401_and_said_not_ranked(installed, tmp_path):
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    assert report.causes == (), keys(report)
    (note,) = [r for r in report.ruled_out if r.key == "API_WITHOUT_TOKEN"]
    assert "answers 401 while the login works" in note.note and "not an outage" in note.note
    assert note.evidence[0].get("status") == 401


async def test_r28_a_changed_admin_password_is_named_as_credentials_not_an_outage(installed, tmp_path):
    url, w = installed.profile.webapp.url, installed.profile.webapp
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=w.ca_file)) as http:  # someone changes the admin password on the Webapp
        r = await http.post(f"{url}/v1/users/login", auth=(w.admin_user, w.admin_password),
                            json={"new_password": "An0ther-pass!"})
        assert r.status_code == 200, r.text
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    top = report.causes[0]
    assert top.key == "API_CREDENTIALS" and "not an outage" in top.title, keys(report)
    assert "webapp.admin_password" in top.next_action and any("HTTP 401" in f.line for f in top.evidence)
    no_secret(installed, report)
    assert "An0ther-pass!" not in json.dumps(report.to_json())


# --- R21: 1014 and 1016 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status, code, words, action", [
    (500, 1014, "is wacore running?", "Coreapp containers"),
    (503, 1016, "system overloaded", "webhook"),
])
async def test_r21_error_envelopes_1014_and_1016_are_decoded(installed, tmp_path, status, code, words, action):
    installed.cluster.set_webapp_error(status, code)
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    top = report.causes[0]
    assert top.key == "API" and words in top.title, [(c.key, c.title) for c in report.causes]
    assert action in top.next_action and any(f"code {code}" in f.line for f in top.evidence)


# --- the health samples (cases/health), R17, R18: health judged against the plan -----------------------------------
R17_BODY = {"health": {
    "host-a:wa-master-16315550000-0": {"gateway_status": "unregistered", "role": "primary_master"},
    "host-a:wa-core-16315550000-1": {"errors": [{"title": "Service not ready", "code": 1011,
                                                  "details": "Wacore is not instantiated. Please check wacore log for details."}]}}}
R18_BODY = {"health": {
    "h1:wa-core-16315550000-2": {"gateway_status": "disconnected", "role": "coreapp"},
    "h2:wa-core-16315550000-3": {"gateway_status": "connected", "role": "coreapp"},
    "h3:wa-master-16315550000-0": {"gateway_status": "connected", "role": "primary_master"},
    "h4:wa-core-16315550000-1": {"gateway_status": "connected", "role": "coreapp"},
    "h5:wa-core-16315550000-0": {"gateway_status": "disconnected", "role": "coreapp"}},
    "meta": {"version": "v2.21.6", "api_status": "stable"}}


def _support_of(body: dict) -> dict:
    """``GET /v1/support``'s shard map as the cluster that answered ``body`` holds it (wa-onprem-api.md §3.8): the
    connected Coreapps own shards 0, 1, ... in turn; in HA the one owner also holds the control shard -1."""
    nodes = body["health"]
    owners = [k for k, v in nodes.items() if v.get("role") == "coreapp" and v.get("gateway_status") == "connected"]
    support = {}
    for key, v in nodes.items():
        shards = [[owners.index(key)] * 2] if key in owners else []
        if key in owners and len(owners) == 1:
            shards = [[-1, -1], [0, 0]]
        elif v.get("role") == "primary_master" and len(owners) > 1:
            shards = [[-1, -1]]
        support[key] = {"multi_connect": True, "role": v.get("role", "coreapp"), "shards": shards}
    return {"support": support}


def webapp_answering(body: dict, shards: int) -> httpx.MockTransport:
    """A Webapp that answers ``body`` to ``GET /v1/health`` (what the field report's cluster answered), 401 without a
    token, and the shard count and shard map that go with it."""
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/users/login":
            return httpx.Response(200, json={"users": [{"token": "t0ken-of-the-case", "expires_after": "2099-01-01 00:00:00+00:00"}]})
        if "Authorization" not in request.headers:
            return httpx.Response(401, json={"errors": [{"code": 1005, "title": "Access denied", "details": "Invalid credentials"}]})
        if path == "/v1/health":
            return httpx.Response(200, json=body)
        if path == "/v1/account/shards":
            return httpx.Response(200, json={"account": {"shards": shards}})
        if path == "/v1/support":
            return httpx.Response(200, json=_support_of(body))
        return httpx.Response(404, json={"errors": [{"code": 1006, "title": "Resource not found", "details": path}]})
    return httpx.MockTransport(handler)


def _profile_for(plan: dict):
    from wabiz_tui.domain.model import HostSpec, Role, SshTarget
    from tests.domain.test_validation import good_profile
    roles: dict[str, list[Role]] = {}
    for key, role in (("webapps", Role.WEBAPP), ("masters", Role.MASTER), ("coreapps", Role.COREAPP)):
        for name in plan[key]:
            roles.setdefault(name, []).append(role)
    hosts = tuple(HostSpec(n, SshTarget(f"127.0.0.{20 + i}", 22, "wa"), tuple(r)) for i, (n, r) in enumerate(roles.items()))
    return good_profile(hosts=hosts, shards=plan["shards"], installed=plan["registered"])


def _health_case(name: str) -> tuple[dict, dict]:
    if name == "R17":
        return R17_BODY, {"masters": ["host-a"], "coreapps": ["host-a"], "webapps": ["web"], "shards": 1, "registered": False}
    if name.startswith("R18"):
        shards = int(name.split("-")[1])
        return R18_BODY, {"masters": ["h3"], "coreapps": ["h1", "h2", "h4", "h5"], "webapps": ["web"], "shards": shards,
                          "registered": True}
    data = json.loads(need_shared(HEALTH_CASES / name).read_text())
    return data["body"], data["plan"]


@pytest.mark.parametrize("name, key, words, note", [
    ("seed-ha-before-registration.json", None, None, "register"),
    ("seed-ha-after-registration.json", None, None, ""),
    ("seed-mc-two-shards-standby.json", None, None, ""),
    ("seed-mc-two-shards.json", "API_HEALTH", "no standby Coreapp", ""),
    ("R17", None, None, "register"),
    ("R18-2", None, None, ""),
    ("R18-4", "API_HEALTH", "a shard has no connected Coreapp", ""),
])
async def test_health_answers_of_the_cases_against_the_plan(demo, tmp_path, name, key, words, note):
    """The seed's four health samples and the answers of R17 (a node with errors 1011 before registration) and R18
    (Multiconnect: a connected primary master and disconnected spares are expected, not faults) as the Webapp
    answers them; doctor ranks a cause only where the plan says the cluster is short."""
    body, plan = _health_case(name)
    profile = _profile_for(plan)
    client = WebappClient("https://wa-web-1:9090", username="admin", password="Adm1n-pass#",
                          transport=webapp_answering(body, plan["shards"]))
    report = await run_doctor(demo, tmp_path, profile, client=client, hosts=("no-host-probed",))
    if key is None:
        assert report.causes == (), [(c.key, c.title) for c in report.causes]
    else:
        top = report.causes[0]
        assert top.key == key and words in top.title, [(c.key, c.title) for c in report.causes]
        assert top.next_action and top.evidence[0].command.startswith("GET https://wa-web-1:9090/v1/health")
    notes = " ".join(r.note for r in report.ruled_out)
    assert note in notes, notes
    if name == "R17":
        assert "not registered yet" in notes and "POST /v1/account" in notes
    if name.startswith("R18"):
        (support,) = [f for f in report.facts if f.get("kind") == "support"]
        assert support.get("nodes") == 5 and (support.ok is (plan["shards"] == 2))


# --- R23, FR23, FR27: what registration answered, and the certificate -------------------------------------------
async def _register_refused(session, tmp_path) -> str:
    """Steps 1-7, then step 8's code request, which the Webapp refuses: the refusal's words."""
    from wabiz_tui.workflows.errors import WorkflowError
    wf = HaInstall(session.profile, emit=discard, settings=settings_for(session, tmp_path))
    try:
        for n in range(1, 8):
            assert await wf.run_step(n)
        with pytest.raises(WorkflowError) as refused:
            await wf.request_code()
    finally:
        await wf.close()
    return str(refused.value)


@pytest.mark.parametrize("inject, key, words, action", [
    (lambda c: c.set_registration_sunset(True), "REGISTRATION", "sunset on 2025-10-23", "Cloud API"),
    (lambda c: c.set_certificate_error(432), "REGISTRATION", "certificate error 432", "download a new certificate"),
], ids=["FR23-sunset", "R23-cert-432"])
async def test_a_refused_registration_is_named_from_its_recorded_answer(demo, tmp_path, inject, key, words, action):
    """doctor never registers (it would send a code): it reads the answer step 8 recorded, while the cluster is still
    unregistered, and puts it first: nothing on the hosts can change it."""
    inject(demo.cluster)
    said = await _register_refused(demo, tmp_path)
    report = await run_doctor(demo, tmp_path, hosts=("wa-web-1",))
    top = report.causes[0]
    assert top.key == key and words in top.title, [(c.key, c.title) for c in report.causes]
    assert action in top.next_action and top.evidence[0].get("code") in (1005, 432)
    assert top.evidence[0].line.split("answered ", 1)[1] in said  # the same answer the step showed


async def test_fr27_no_certificate_to_register_with(demo, tmp_path):
    """FR27 (Setup-Scripts #59, #45): the certificate is only available to the BSP, so the profile has none; before
    registration doctor says where to get it, not an infrastructure cause."""
    wf = HaInstall(demo.profile, emit=discard, settings=settings_for(demo, tmp_path))
    try:
        for n in range(1, 8):
            assert await wf.run_step(n)
    finally:
        await wf.close()
    profile = demo.profile.with_changes(registration=dataclasses.replace(demo.profile.registration, cert=""))
    report = await run_doctor(demo, tmp_path, profile, hosts=("wa-web-1",))
    top = report.causes[0]
    assert top.key == "REGISTRATION" and "certificate is empty" in top.title, [(c.key, c.title) for c in report.causes]
    assert "WhatsApp Manager" in top.next_action and "Business Solution Provider" in top.next_action


async def test_a_registered_cluster_forgets_an_old_refusal(installed, tmp_path):
    from wabiz_tui.config.runstate import write_run_state
    write_run_state(installed.profile, None, last_registration={"status": 400, "code": 432, "title": "x", "details": "y"})
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    assert "REGISTRATION" not in keys(report)


# --- R25: the dbupgrade container cannot start its command ---------------------------------------------------------
async def test_r25_dbupgrade_with_a_relative_command_is_named(installed, tmp_path):
    from wabiz_tui.workflows.upgrade import Upgrade
    installed.cluster.set_start_fault("wa-core-1", "dbupgrade", [
        'CannotStartContainerError: OCI runtime create failed: container_linux.go:380: starting container process caused: '
        'exec: "launch_within_docker.sh": cannot run executable found relative to current directory: unknown'])
    wf = Upgrade(installed.profile, emit=discard, settings=settings_for(installed, tmp_path), target="2.43.1",
                 backups_dir=tmp_path)
    try:
        assert not await wf.dbupgrade("wa-core-1")
    finally:
        await wf.close()
    report = await run_doctor(installed, tmp_path, hosts=("wa-core-1",), api=False)
    top = report.causes[0]
    assert top.key == "CONTAINER_DOWN_WITH_WORDS" and top.title.startswith("dbupgrade on wa-core-1"), keys(report)
    assert "/opt/whatsapp/bin/launch_within_docker.sh" in top.next_action
    assert any("cannot run executable found relative to current directory" in f.line for f in top.evidence)


# --- R27, FR45: the monitoring stack's targets -------------------------------------------------------------------
async def test_r27_fr45_exporter_targets_down_or_dropped_are_named(installed, tmp_path):
    """Monitoring from wa-web-1 scrapes node-exporter and cAdvisor on every host: wa-core-2 runs none (Prometheus
    shows its targets DOWN), a firewall drops wa-master-2's 9100."""
    c = installed.cluster
    for h in installed.profile.hosts:
        if h.external_hostname != "wa-core-2":
            c.set_exporters(h.external_hostname, 9100, 8080)
    c.set_port_filtered("wa-master-2", 9100)
    profile = installed.profile.with_changes(monitoring=Monitoring(from_host="wa-web-1", host_exporters=True))
    report = await run_doctor(installed, tmp_path, profile, hosts=("wa-web-1",), api=False)
    found = {c.title: c for c in report.causes if c.key == "SCRAPE_TARGETS"}
    (dropped,) = [t for t in found if "times out" in t]
    (absent,) = [t for t in found if "nothing listens" in t]
    assert "node-exporter wa-master-2:9100" in dropped and "open those ports" in found[dropped].next_action
    assert "wa-core-2:9100" in absent and "cAdvisor wa-core-2:8080" in absent and "start the exporters" in found[absent].next_action
    assert all(f.host == "wa-web-1" for t in found for f in found[t].evidence)
    assert "wa-web-1:9100" not in dropped + absent


# --- R29, R30, R32: SSH host keys, jump hosts, a connection lost mid-read -----------------------------------------
async def test_r29_an_untrusted_host_key_is_named_with_how_to_trust_it(installed, tmp_path):
    from wabiz_tui.remote.ssh import SshSettings
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    settings = settings_for(installed, tmp_path, ssh=SshSettings(known_hosts=[str(empty)], read_user_config=False))
    report = await run_doctor(installed, tmp_path, settings=settings, hosts=("wa-core-1",), api=False)
    top = report.causes[0]
    assert top.key == "HOST_UNREACHABLE" and top.hosts == ("wa-core-1",), keys(report)
    assert "refused here" in top.title and "unknown host key" in top.title
    assert "--trust-new-host-keys" in top.next_action and "SHA256:" in top.next_action
    assert "wabiz-tui's own known_hosts" in top.next_action


async def test_r30_an_untrusted_jump_host_key_names_the_jump_host(installed, tmp_path, ssh_lab):
    """wa-core-1 is reached through a real OpenSSH bastion whose key nobody trusted (asyncssh #698: the policy must
    hold on every hop): doctor names that hop and how to trust it; the cluster host itself is not blamed."""
    from wabiz_tui.remote.ssh import SshSettings
    bastion = ssh_lab.add("bastion", trusted=False)
    profile = installed.profile
    hosts = tuple(dataclasses.replace(h, ssh=dataclasses.replace(h.ssh, jump=f"{ssh_lab.user}@127.0.0.1:{bastion.port}"))
                  if h.external_hostname == "wa-core-1" else h for h in profile.hosts)
    profile = profile.with_changes(hosts=hosts)
    settings = settings_for(installed, tmp_path, ssh=SshSettings(known_hosts=[profile.known_hosts], read_user_config=False))
    report = await run_doctor(installed, tmp_path, profile, settings=settings, hosts=("wa-core-1",), api=False)
    top = report.causes[0]
    assert top.key == "HOST_UNREACHABLE" and "jump host" in top.title and "unknown host key" in top.title, keys(report)
    assert f"the jump host 127.0.0.1:{bastion.port}'s key" in top.next_action or "jump host" in top.next_action
    assert f"127.0.0.1:{bastion.port}" in top.next_action and "--trust-new-host-keys" in top.next_action
    assert top.evidence[0].get("hop", "").startswith("jump host")


async def test_r32_a_connection_lost_mid_read_is_named(installed, tmp_path):
    """wa-core-1 answers slowly, then drops off the network while doctor reads from it: the cut reads are named as a
    lost connection, the other hosts' facts are complete."""
    cluster = installed.cluster
    cluster.set_host_latency("wa-core-1", 0.8)

    async def drop() -> None:
        await asyncio.sleep(0.5)
        cluster.set_host_unreachable("wa-core-1", True)

    dropping = asyncio.create_task(drop())
    report = await run_doctor(installed, tmp_path, hosts=("wa-core-1", "wa-core-2"), api=False)
    await dropping
    top = report.causes[0]
    assert top.key == "HOST_CONNECTION_LOST" and top.hosts == ("wa-core-1",), [(c.key, c.title) for c in report.causes]
    assert any("connection lost during the command" in f.line for f in top.evidence)
    assert top.evidence[0].probe == "ssh" and top.evidence[0].ok
    assert [c for c in report.causes if "wa-core-2" in c.hosts] == []
    # direct connections over the lost SSH connection are no network refusal either (review)
    blamed = {"PORT_BLOCKED", "HOST_PATH_BLOCKED", "EGRESS_BLOCKED", "DB_PATH_BLOCKED", "DB_DOWN", "NOTHING_LISTENS"}
    assert not [c.key for c in report.causes if c.key in blamed], [(c.key, c.title) for c in report.causes]


# --- FR14, FR16, FR17: the way to the Webapp ------------------------------------------------------------------------
async def test_fr14_a_path_prefix_proxy_that_keeps_its_prefix_is_named(installed, tmp_path):
    """A reverse proxy routes clusters by path and passes its prefix on (Setup-Scripts #40): the Webapp is asked for
    /client-1/v1/... and answers not found. webapp.url points at the proxy."""
    from aiohttp import ClientSession, web
    cluster, w = installed.cluster, installed.profile.webapp
    upstream = ssl.create_default_context(cafile=w.ca_file)

    async def forward(request: web.Request) -> web.Response:
        async with ClientSession() as http:
            async with http.request(request.method, f"{cluster.webapp_url}/client-1{request.path_qs}",
                                    headers={k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")},
                                    data=await request.read(), ssl=upstream) as r:
                return web.Response(status=r.status, body=await r.read(), content_type=r.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(str(cluster._tls.cert_path), str(cluster._tls.key_path))
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=served)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        profile = installed.profile.with_changes(webapp=dataclasses.replace(w, url=f"https://127.0.0.1:{port}"))
        report = await run_doctor(installed, tmp_path, profile, hosts=("wa-web-1",))
    finally:
        await runner.cleanup()
    top = report.causes[0]
    assert top.key == "API_NOT_ROOT" and "the prefix /client-1 reached it" in top.title, [(c.key, c.title) for c in report.causes]
    assert "strip the prefix" in top.next_action and any("404" in f.line for f in top.evidence)


async def test_fr16_the_webapp_certificate_not_trusted_here_shows_what_it_presents(installed, tmp_path):
    """The profile trusts another CA than the one that signed the Webapp's certificate (Postman collection #5: the
    default certificate is not trusted by the client)."""
    other = tmp_path / "other-ca.pem"
    other.write_text(_another_ca())
    profile = installed.profile.with_changes(webapp=dataclasses.replace(installed.profile.webapp, ca_file=str(other)))
    report = await run_doctor(installed, tmp_path, profile, hosts=("wa-web-1",))
    top = report.causes[0]
    assert top.key == "API_TLS" and "does not trust the Webapp's certificate" in top.title, [(c.key, c.title) for c in report.causes]
    (seen,) = [f for f in top.evidence if f.get("kind") == "certificate"]
    assert f"the profile trusts {other}" in seen.line and "names 127.0.0.1, localhost" in seen.line
    assert "webapp.ca_file" in top.next_action


def _another_ca() -> str:
    """A CA certificate that signed nothing of the cluster's (a fresh self-signed one)."""
    import datetime as dt
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "another CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


async def test_fr17_an_invalid_webapp_certificate_bundle_keeps_the_webapp_down(installed, tmp_path):
    """After an invalid bundle was uploaded to /v1/certificates/external the Webapp's web server refuses it at each
    start (the simulator prints OpenSSL's words as Python 3.11 / OpenSSL 3.0 say them here)."""
    await crash_at_start(installed.cluster, "wa-web-1", "waweb",
                         ["ssl.SSLError: [X509: KEY_VALUES_MISMATCH] key values mismatch (_ssl.c:3926)"])
    report = await run_doctor(installed, tmp_path, hosts=("wa-web-1",))
    top = report.causes[0]
    assert top.key == "CONTAINER_DOWN_WITH_WORDS" and "certificate or key cannot be loaded" in top.title, \
        [(c.key, c.title) for c in report.causes]
    assert "in that order" in top.next_action and "API" in top.also  # the Webapp not answering is this cause


async def test_fr21_the_webapp_cannot_read_its_settings_file(installed, tmp_path):
    """FR21: the running Webapp logs that it cannot read database.yml (the field report's words); doctor names the
    file's permissions on that host, not the Coreapps, with the check to run inside waweb."""
    web = only_container_of(installed.cluster, "wa-web-1", "waweb")
    for _ in range(3):
        installed.cluster.brain.log(web, "Exception: Fail to read /var/lib/whatsapp/database.yml", "E", "web.php:41")
    report = await run_doctor(installed, tmp_path, api=False)
    found = cause(report, "LOG_WORDS")
    assert "database.yml" in found.title and found.hosts == ("wa-web-1",), [(c.key, c.title) for c in report.causes]
    assert "stat -c" in found.next_action
    assert any("Fail to read /var/lib/whatsapp/database.yml" in f.line for f in found.evidence)


async def test_r29_doctor_json_with_trust_new_host_keys_stays_json_and_then_reaches_the_host(installed, tmp_path):
    """The flag R29's advice names, used as a new user would: the keys are recorded (said on stderr) and the JSON on
    stdout stays one object."""
    import yaml
    from tests.engine.test_ops_cli import cli
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    data = yaml.safe_load(installed.profile_path.read_text())
    data["known_hosts"] = str(empty)
    path = tmp_path / "untrusted.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    code, out, err = await cli("doctor", str(path), "--json", "--host", "wa-core-1")
    report = json.loads(out)
    assert code == 6 and report["causes"][0]["key"] == "HOST_UNREACHABLE", report["causes"][:1]
    code, out, err = await cli("doctor", str(path), "--json", "--host", "wa-core-1", "--trust-new-host-keys")
    report = json.loads(out)
    assert "trusted the new host key" in err
    assert "HOST_UNREACHABLE" not in [c["key"] for c in report["causes"]], [(c["key"], c["title"]) for c in report["causes"]]
