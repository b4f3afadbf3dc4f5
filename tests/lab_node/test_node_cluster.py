"""The stand-in nodes against a real MariaDB and a real PostgreSQL, as plain local processes.

What these prove comes from the database and the processes, not from a script: the primary Master
is whoever won the lease row, a Coreapp is connected because it holds a shard lease, and failover
happens because a SIGKILLed process stopped renewing its lease. The product's own API client
(``wabiz_tui/api/client.py``) drives the Webapp, so both speak the same protocol.
"""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import pytest

from wabiz_tui.api.client import ApiError, WebappClient
from wabiz_tui.domain.diagnosis import diagnose_lines
from wabiz_tui.domain.health import Plan, judge, parse_health

from .conftest import DB_PASSWORD, VERIFY_CODE

ADMIN_PASSWORD = "Lab-admin-1!"
CERT = base64.b64encode(b"Lab Rehearsal Shop").decode()

# Budgets of waits for a state, not timing assertions: on a loaded 2-core CI machine (the whole suite beside
# the lab) a node's first start took over 30 s once.
READY_WAIT = 180  # generous: a loaded 2-core machine once needed more than 90 s for the proxied Coreapp
FAILOVER_WAIT = 60


async def poll(fn, timeout: float, what: str, step: float = 0.3):
    """Await ``fn()`` until it returns a truthy value; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = await fn()
        except ApiError as exc:
            last = exc
        if last and not isinstance(last, ApiError):
            return last
        await asyncio.sleep(step)
    pytest.fail(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def by_status(health: dict) -> dict[str, list[str]]:
    """gateway_status (or 'error <code>') → node ids."""
    out: dict[str, list[str]] = {}
    for nid, entry in health["health"].items():
        key = entry.get("gateway_status") or f"error {entry['errors'][0]['code']}"
        out.setdefault(key, []).append(nid)
    return out


def roles(health: dict, role: str) -> list[str]:
    return [nid for nid, e in health["health"].items() if e.get("role") == role]


def client(url: str) -> WebappClient:
    return WebappClient(url, username="admin", password=ADMIN_PASSWORD, self_signed_ok=True, timeout=10)


async def test_cluster_election_registration_failover_and_shards(database, cluster_factory):
    c = cluster_factory(database)
    web, url = c.webapp()
    m1, m2 = c.coreapp("master1", master=True), c.coreapp("master2", master=True)
    cores = [c.coreapp(f"wacore{i}") for i in (1, 2, 3)]
    async with client(url) as api:
        # before the nodes finish starting: 1011 per node, then all unregistered, exactly one primary
        first = await poll(api.health, READY_WAIT, "the Webapp to answer health")
        assert all("gateway_status" in e or e["errors"][0]["code"] == 1011 for e in first["health"].values())
        h = await poll(lambda: _when(api.health, lambda h: len(h["health"]) == 5 and
                                     set(by_status(h)) == {"unregistered"} and len(roles(h, "primary_master")) == 1),
                       30, "5 nodes unregistered with one primary master")
        assert len(roles(h, "secondary_master")) == 1 and len(roles(h, "coreapp")) == 3
        assert set(h["health"]) == {n.node_id for n in (m1, m2, *cores)}
        primary = roles(h, "primary_master")[0]
        # registration: the code comes from the lab's settings row and is written to the Webapp's log
        res = await api.request_code(cc="39", phone_number="3331234567", method="sms", cert=CERT)
        assert not res.already_registered and res.vname == "Lab Rehearsal Shop"
        assert f"SMS to +393331234567: your WhatsApp Business verification code is {VERIFY_CODE}" in web.output()
        with pytest.raises(ApiError) as bad:
            await api.verify("000000")
        assert bad.value.status == 403 and bad.value.code == 1005
        await api.verify(VERIFY_CODE)
        assert (await api.request_code(cc="39", phone_number="3331234567", method="sms", cert=CERT)).already_registered
        h = await poll(lambda: _when(api.health, lambda h: len(by_status(h).get("connected", [])) == 1 and
                                     len(by_status(h).get("disconnected", [])) == 4), 20,
                       "HA: one Coreapp connected, every other node disconnected")
        connected = by_status(h)["connected"][0]
        assert h["health"][connected]["role"] == "coreapp"
        # the product's own health judge reads this cluster as a healthy HA setup (design.md §4)
        plan = Plan(masters=("127.0.0.1",) * 2, coreapps=("127.0.0.1",) * 3, shards=1, registered=True)
        assert judge(parse_health(h), plan).healthy, judge(parse_health(h), plan)
        assert roles(h, "primary_master") == [primary]
        # SIGKILL the connected Coreapp: its shard lease expires and a standby takes the shard
        owner = next(n for n in cores if n.node_id == connected)
        owner.kill()
        h = await poll(lambda: _when(api.health, lambda h: connected not in h["health"] and
                                     len(by_status(h).get("connected", [])) == 1), 30,
                       "a standby Coreapp to take the shard over")
        successor = next(n for n in cores if n.node_id == by_status(h)["connected"][0])
        assert "Failover: taking over shard 0; connecting" in successor.output()
        # the primary Master dies: the other one takes the lease once it expired
        dead_master = next(n for n in (m1, m2) if n.node_id == primary)
        dead_master.kill()
        h = await poll(lambda: _when(api.health, lambda h: len(roles(h, "primary_master")) == 1 and
                                     primary not in h["health"]), FAILOVER_WAIT, "the secondary Master to become primary")
        assert "Acquired master lease" in next(n for n in (m1, m2) if n is not dead_master).output()
        # Multiconnect: 2 shards need 2 Coreapps, both now running → both connected + primary master
        with pytest.raises(ApiError) as bad:
            await api.set_shards(cc="39", phone_number="3331234567", shards=3, cert=CERT)
        assert bad.value.status == 400 and bad.value.code == 1009
        with pytest.raises(ApiError) as bad:
            await api.set_shards(cc="39", phone_number="3331234567", shards=4, cert=CERT)
        assert "only 2 Coreapp(s) running" in bad.value.details
        await api.set_shards(cc="39", phone_number="3331234567", shards=2, cert=CERT)
        assert await api.get_shards() == 2
        # each node publishes its status once per tick, so the primary Master's "connected" may come a tick after
        # the Coreapps' (seen once on a loaded machine): wait for both
        h = await poll(lambda: _when(api.health, lambda h: len([n for n in by_status(h).get("connected", [])
                                                                if h["health"][n]["role"] == "coreapp"]) == 2
                                     and [h["health"][n]["gateway_status"] for n in roles(h, "primary_master")]
                                     == ["connected"]),
                       20, "two Coreapps connected and the primary Master connected (Multiconnect)")
        # every node publishes its view once per tick: wait for the Coreapps' next one
        support = (await poll(lambda: _when(api.support, lambda s: sorted(
            e["shards"] for e in s["support"].values() if e["role"] == "coreapp") == [[[0, 0]], [[1, 1]]]),
            10, "support to show one shard per connected Coreapp (MC: no control shard on Coreapps)"))["support"]
        assert all(s["debug_info"] == "393331234567" for s in support.values())
        # backup / restore round trip through openssl; a wrong password is refused
        data = await api.backup_settings("Backup-pass-1!")
        await api.restore_settings("Backup-pass-1!", data)
        with pytest.raises(ApiError) as bad:
            await api.restore_settings("Other-pass-1!", data)
        assert bad.value.code == 1009
    # the real error envelope and metrics, as plain HTTP
    async with httpx.AsyncClient(base_url=url, verify=False) as raw:
        r = await raw.get("/v1/nope")
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == 1006 and r.json()["meta"]["version"] == "v2.41.2"
        r = await raw.get("/v1/health")
        assert r.status_code == 401
        login = await raw.post("/v1/users/login", auth=("admin", ADMIN_PASSWORD))
        token = login.json()["users"][0]["token"]
        r = await raw.get("/metrics", params={"format": "prometheus"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and f'web_uptime{{node="{web.env["HOSTNAME"]}"}}' in r.text


async def _when(fn, pred):
    value = await fn()
    return value if pred(value) else None


async def test_health_shows_unresolvable_node_as_the_cluster_would(database, cluster_factory):
    c = cluster_factory(database)
    _, url = c.webapp()
    good = c.coreapp("master1", master=True)
    lost = c.coreapp("wacore1", host="wa-core-9.invalid")
    async with client(url) as api:
        h = await poll(lambda: _when(api.health, lambda h: len(h["health"]) == 2 and
                                     "gateway_status" in h["health"].get(good.node_id, {})), READY_WAIT, "both nodes registered")
    entry = h["health"][lost.node_id]
    assert entry["errors"][0]["code"] == 1014
    assert "cannot resolve wa-core-9.invalid" in entry["errors"][0]["details"]
    assert lost.proc.poll() is None  # the node itself runs: only its registered name is wrong


async def test_blocked_port_shows_as_unreachable(database, cluster_factory):
    """A node that registered a port nobody listens on (a published port that is blocked) is unreachable."""
    c = cluster_factory(database)
    _, url = c.webapp()
    node = c.coreapp("master1", master=True, COREAPP_EXTERNAL_PORTS="1,2,3,4")
    async with client(url) as api:
        h = await poll(lambda: _when(api.health, lambda h: node.node_id in h["health"]), READY_WAIT, "the node registered")
    details = h["health"][node.node_id]["errors"][0]["details"]
    assert "connection to 127.0.0.1:1 failed: Connection refused" in details


def test_wrong_db_password_exits_with_the_database_words(database, cluster_factory):
    c = cluster_factory(database, password="Wrong-pass-1")
    node = c.coreapp("wacore1")
    assert node.wait(30) == 1
    out = node.output()
    words = "Access denied for user 'waent'" if database.engine == "MYSQL" else \
        'password authentication failed for user \\"waent\\"'  # inside the QSqlError text, as qDebug quotes it
    assert words in out and ("Unable to connect to database" if database.engine == "MYSQL" else "QPSQL: Unable to connect") in out
    assert "Wrong-pass-1" not in out and DB_PASSWORD not in out
    keys = {d.key for d in diagnose_lines(out.splitlines())}
    assert "DB_AUTH_FAILED" in keys


def test_dbupgrade_migrates_the_schema_version_and_fails_on_an_injected_fault(database, cluster_factory):
    c = cluster_factory(database, version="2.43.1")
    job = c.start("dbupgrade", "coreapp", WA_DB_UPGRADE="1")
    assert job.wait(30) == 0, job.output()
    assert "Database schema upgrade finished successfully: schema version 2.43.1" in job.output()
    assert database.cluster_sql(c.prefix, "SELECT version FROM schema_info WHERE id = 1") == "2.43.1"
    (c.media / "LAB_DBUPGRADE_FAIL").write_text("cannot alter table messages (error 1205 lock wait timeout)\n")
    job = c.start("dbupgrade2", "coreapp", WA_DB_UPGRADE="1")
    assert job.wait(30) == 1
    assert "Database schema upgrade failed: cannot alter table messages" in job.output()
    assert "DBUPGRADE_FAILED" in {d.key for d in diagnose_lines(job.output().splitlines())}


def test_dbupgrade_keeps_running_after_success_when_asked(mariadb, cluster_factory):
    c = cluster_factory(mariadb)
    job = c.start("dbupgrade", "coreapp", WA_DB_UPGRADE="1", EXIT_ON_SUCCESS="FALSE")
    deadline = time.monotonic() + 20
    while "finished successfully" not in job.output() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "finished successfully" in job.output()
    time.sleep(0.5)
    assert job.proc.poll() is None
    job.proc.terminate()
    assert job.wait(10) == 0


def test_crash_marker_exits_1(mariadb, cluster_factory):
    c = cluster_factory(mariadb)
    (c.media / "LAB_CRASH-127.0.0.1").write_text("injected crash\n")
    node = c.coreapp("wacore1")
    assert node.wait(30) == 1
    assert "C " in node.output() and "injected crash" in node.output()


async def test_a_starting_node_answers_1011_until_it_is_ready(mariadb, cluster_factory):
    """While starting (START_DELAY × speed) a node's entry is error 1011 "Service not ready"."""
    c = cluster_factory(mariadb)
    slow = {"WABIZ_LAB_SPEED": "4"}  # 12 s of starting, whatever the settings row says
    _, url = c.webapp(**slow)
    node = c.coreapp("wacore1", **slow)
    async with client(url) as api:
        h = await poll(lambda: _when(api.health, lambda h: node.node_id in h["health"]), READY_WAIT, "the node registered")
    assert h["health"][node.node_id] == {"errors": [{"code": 1011, "title": "Service not ready",
                                                     "details": "Wacore is not instantiated. Please check wacore log for details."}]}



def node_status(node) -> dict:
    """Ask a node directly over its status protocol (one line ``STATUS``, one JSON line back)."""
    import json
    import socket
    with socket.create_connection(("127.0.0.1", int(node.env["WABIZ_LAB_LISTEN_PORT"])), timeout=3) as s:
        s.sendall(b"STATUS\n")
        return json.loads(s.makefile().readline())


async def test_a_coreapp_cut_off_from_the_database_gives_its_shard_up(mariadb, cluster_factory):
    """A network cut between the connected Coreapp and the DB: its lease lapses, a standby takes the
    shard, and the cut-off node itself stops claiming it (no two owners)."""
    from .conftest import TcpProxy

    c = cluster_factory(mariadb)
    proxy = TcpProxy(mariadb.port)
    _, url = c.webapp()
    c.coreapp("master1", master=True)
    first = c.coreapp("wacore1", WA_DB_PORT=str(proxy.port))
    async with client(url) as api:
        await poll(lambda: _when(api.health, lambda h: h["health"].get(first.node_id, {}).get("gateway_status")),
                   READY_WAIT, "the proxied Coreapp ready")
        second = c.coreapp("wacore2")
        await api.request_code(cc="1", phone_number="6315550000", method="sms", cert=CERT)
        await api.verify(VERIFY_CODE)
        await poll(lambda: _when(api.health, lambda h: h["health"].get(first.node_id, {}).get("gateway_status")
                                 == "connected" and second.node_id in h["health"]), 20, "the proxied Coreapp connected")
        proxy.cut()
        h = await poll(lambda: _when(api.health, lambda h: h["health"].get(second.node_id, {}).get("gateway_status")
                                     == "connected"), FAILOVER_WAIT, "the standby to take the shard")
        assert first.node_id not in h["health"]  # it no longer heartbeats
    assert node_status(first)["health"] == {"gateway_status": "disconnected", "role": "coreapp"}
    assert "Lost contact with the cluster store: giving up shard 0; disconnected" in first.output()
    assert first.proc.poll() is None


async def test_restart_of_the_same_container_resumes_its_shard_and_sigterm_exits_0(mariadb, cluster_factory):
    """``restart: unless-stopped`` restarts the SAME container (same id, same node id): the only
    Coreapp gets its shard back; ``docker stop`` (SIGTERM) ends a node with status 0."""
    c = cluster_factory(mariadb)
    _, url = c.webapp()
    c.coreapp("master1", master=True)
    owner = c.coreapp("wacore1")
    async with client(url) as api:
        await poll(lambda: _when(api.health, lambda h: h["health"].get(owner.node_id, {}).get("gateway_status")),
                   READY_WAIT, "the Coreapp ready")
        await api.request_code(cc="1", phone_number="6315550000", method="sms", cert=CERT)
        await api.verify(VERIFY_CODE)
        await poll(lambda: _when(api.health, lambda h: h["health"][owner.node_id].get("gateway_status") == "connected"),
                   20, "the Coreapp connected")
        owner.kill()
        again = c.start("wacore1-restarted", "coreapp", **{k: owner.env[k] for k in (
            "HOSTNAME", "COREAPP_HOSTNAME", "COREAPP_EXTERNAL_PORTS", "WABIZ_LAB_LISTEN_PORT")})
        assert again.node_id == owner.node_id
        await poll(lambda: _when(api.health, lambda h: h["health"].get(again.node_id, {}).get("gateway_status")
                                 == "connected"), 20, "the restarted Coreapp connected again")
    # back before its lease expired it resumes the shard, else it takes it over like any spare
    assert ("Resuming shard 0 held before the restart; connected" in again.output() or
            "Failover: taking over shard 0; connecting" in again.output())
    again.proc.terminate()
    assert again.wait(10) == 0
    assert "Received SIGTERM, shutting down" in again.output()
