"""End-to-end: the seed's HA procedure, Multiconnect shards, failover and faults — over real SSH and
real HTTPS (httpx verifying the generated certificate)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ssl

import httpx
import pytest

from sim_helpers import compose_cmd, connect, poll, up_all, upload

pytestmark = pytest.mark.asyncio

NEW_PW = "S1mulated!pass"
CERT = base64.b64encode("Acme Pizza 🍕".encode()).decode()
ACCOUNT = {"cc": "39", "phone_number": "3331234567", "method": "sms", "cert": CERT}


def client(sim) -> httpx.AsyncClient:
    # same as verify=str(sim.ca_cert_path), without httpx 0.28's deprecation warning
    return httpx.AsyncClient(base_url=sim.webapp_url, verify=ssl.create_default_context(cafile=str(sim.ca_cert_path)),
                             timeout=5)


async def login(http: httpx.AsyncClient) -> dict:
    r = await http.post("/v1/users/login", auth=("admin", "secret"), json={"new_password": NEW_PW})
    assert r.status_code == 200, r.text
    token = r.json()["users"][0]["token"]
    http.headers["Authorization"] = f"Bearer {token}"
    return r.json()


async def health(http: httpx.AsyncClient) -> dict:
    r = await http.get("/v1/health")
    assert r.status_code == 200, r.text
    return r.json()["health"]


def by_host(h: dict) -> dict[str, dict]:
    return {k.split(":")[0]: v for k, v in h.items()}


async def register(sim, http) -> None:
    r = await http.post("/v1/account", json=ACCOUNT)
    assert r.status_code == 202, r.text
    assert r.json()["account"] == [{"vname": "Acme Pizza 🍕"}]
    phone, code = sim.sms_outbox[-1]
    assert phone == "+393331234567" and len(code) == 6 and code.isdigit()
    r = await http.post("/v1/account/verify", json={"code": code})
    assert r.status_code == 201 and r.content == b""


async def test_webapp_refused_before_waweb_and_after_down(cluster, compose_text, db_env_text):
    async with client(cluster) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/v1/health")
    await upload(cluster, "wa-web-1", compose_text, db_env_text)
    async with await connect(cluster, "wa-web-1") as conn:
        r = await conn.run(compose_cmd("wa-web-1", "up -d waweb"))
        assert r.exit_status == 0, r.stderr
        async with client(cluster) as http:
            r = await http.get("/v1/health")
            assert r.status_code == 401
            assert r.json()["errors"][0]["code"] == 1005
            assert r.json()["meta"] == {"api_status": "stable", "version": "v2.41.2"}
        url = cluster.webapp_url
        r = await conn.run(compose_cmd("wa-web-1", "down"))
        assert r.exit_status == 0
    assert cluster.webapp_url == url
    async with client(cluster) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/v1/health")


async def test_tls_verification_needs_the_generated_ca(cluster, compose_text, db_env_text):
    await upload(cluster, "wa-web-1", compose_text, db_env_text)
    async with await connect(cluster, "wa-web-1") as conn:
        await conn.run(compose_cmd("wa-web-1", "up -d waweb"))
    async with httpx.AsyncClient(base_url=cluster.webapp_url, timeout=5) as http:  # system CAs only
        with pytest.raises(httpx.ConnectError) as exc:
            await http.get("/v1/health")
        assert isinstance(exc.value.__context__, ssl.SSLCertVerificationError) or "CERTIFICATE" in str(exc.value)


async def test_login_rules(cluster, compose_text, db_env_text):
    await upload(cluster, "wa-web-1", compose_text, db_env_text)
    async with await connect(cluster, "wa-web-1") as conn:
        await conn.run(compose_cmd("wa-web-1", "up -d waweb"))
    async with client(cluster) as http:
        r = await http.post("/v1/users/login", auth=("admin", "secret"))
        assert r.status_code == 401 and r.json()["errors"][0]["code"] == 1024
        r = await http.post("/v1/users/login", auth=("admin", "wrong"))
        assert r.status_code == 401
        r = await http.post("/v1/users/login", auth=("admin", "secret"), json={"new_password": "weakpass"})
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == 1009
        body = await login(http)
        exp = dt.datetime.strptime(body["users"][0]["expires_after"], "%Y-%m-%d %H:%M:%S%z")
        assert dt.timedelta(days=6, hours=23) < exp - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=7)
        r = await http.post("/v1/users/login", auth=("admin", "secret"))
        assert r.status_code == 401
        r = await http.post("/v1/users/login", auth=("admin", NEW_PW))
        assert r.status_code == 200
        r = await http.get("/v1/health", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
        r = await http.post("/v1/users/logout")
        assert r.status_code == 200
        r = await http.get("/v1/health")
        assert r.status_code == 401


async def test_full_ha_sequence_then_failover(cluster, compose_text, db_env_text):
    sms: list[tuple[str, str]] = []
    cluster.on_sms(lambda phone, code: sms.append((phone, code)))
    await up_all(cluster, compose_text, db_env_text)
    async with client(cluster) as http:
        await login(http)
        h = by_host(await health(http))
        assert set(h) == {"wa-master-1", "wa-master-2", "wa-core-1", "wa-core-2"}
        assert h["wa-core-1"] == {"errors": [{"code": 1011, "title": "Service not ready",
                                              "details": "Wacore is not instantiated. Please check wacore log "
                                                         "for details."}]}
        # registering too early: no primary master yet
        r = await http.post("/v1/account", json=ACCOUNT)
        assert r.status_code == 503 and r.json()["errors"][0]["code"] == 1011

        async def started():
            h = by_host(await health(http))
            return h if all("errors" not in v for v in h.values()) else None

        h = await poll(started)
        roles = sorted(v["role"] for k, v in h.items() if k.startswith("wa-master"))
        assert roles == ["primary_master", "secondary_master"]
        assert all(v["gateway_status"] == "unregistered" for v in h.values())

        r = await http.post("/v1/account", json={**ACCOUNT, "method": "fax"})
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == 1009
        r = await http.post("/v1/account", json={k: v for k, v in ACCOUNT.items() if k != "cc"})
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == 1008
        r = await http.post("/v1/account/verify", json={"code": "000000"})
        assert r.status_code == 403
        await register(cluster, http)
        assert sms == cluster.sms_outbox
        r = await http.post("/v1/account", json=ACCOUNT)
        assert r.status_code == 201

        h = await health(http)
        cores = {k: v for k, v in h.items() if v["role"] == "coreapp"}
        connected = [k for k, v in cores.items() if v["gateway_status"] == "connected"]
        assert len(connected) == 1
        assert [v["gateway_status"] for k, v in cores.items() if k not in connected] == ["disconnected"]
        assert all(v["gateway_status"] == "disconnected" for v in h.values() if v["role"] != "coreapp")

        # failover: kill the connected coreapp, the standby takes shard 0 after 6 s * speed
        owner_host = connected[0].split(":")[0]
        spare_host = ({"wa-core-1", "wa-core-2"} - {owner_host}).pop()
        cluster.kill_container(owner_host, "wacore")
        h = by_host(await health(http))
        assert owner_host not in h and h[spare_host]["gateway_status"] == "disconnected"

        async def spare_status():
            return by_host(await health(http))[spare_host]["gateway_status"] in ("connecting", "connected")

        await poll(spare_status)
        await poll(lambda: _status_is(http, spare_host, "connected"))
        r = await http.get("/v1/account/shards")
        assert r.json()["account"] == {"shards": 1}


async def _status_is(http, host, status) -> bool:
    return by_host(await health(http))[host]["gateway_status"] == status


async def test_multiconnect_shards_and_primary_master_takeover(tmp_path, compose_text, db_env_text):
    from wabiz_tui.sim import SimHost, SimulatedCluster

    hosts = (SimHost("web", ("webapp",)), SimHost("m1", ("master",)), SimHost("m2", ("master",)),
             SimHost("c1", ("coreapp",)), SimHost("c2", ("coreapp",)), SimHost("c3", ("coreapp",)))
    async with SimulatedCluster(tmp_path / "mc", hosts, speed=0.05) as sim:
        await up_all(sim, compose_text, db_env_text)
        async with client(sim) as http:
            await login(http)
            await poll(lambda: _all_ready(http))
            await register(sim, http)
            r = await http.post("/v1/account/shards", json={"shards": 3})
            assert r.status_code == 400 and r.json()["errors"][0]["code"] == 1009
            r = await http.post("/v1/account/shards", json={"shards": 4})
            assert r.status_code == 400  # only 3 coreapps running
            r = await http.post("/v1/account/shards", json={"shards": 2})
            assert r.status_code == 201
            r = await http.get("/v1/account/shards")
            assert r.json()["account"]["shards"] == 2
            h = await health(http)
            cores = [v["gateway_status"] for v in h.values() if v["role"] == "coreapp"]
            assert sorted(cores) == ["connected", "connected", "disconnected"]
            [primary] = [k for k, v in h.items() if v["role"] == "primary_master"]
            assert h[primary]["gateway_status"] == "connected"

            sim.kill_container(primary.split(":")[0], "master")
            h = await health(http)
            assert not any(v["role"] == "primary_master" for v in h.values())

            async def new_primary():
                h = await health(http)
                return [k for k, v in h.items() if v["role"] == "primary_master"]

            [p2] = await poll(new_primary)
            assert p2.split(":")[0] != primary.split(":")[0]
            r = await http.get("/v1/support")
            assert r.status_code == 200 and all(v["multi_connect"] for v in r.json()["support"].values())


async def _all_ready(http) -> bool:
    h = await health(http)
    return bool(h) and all("errors" not in v for v in h.values())


async def test_faults_sunset_webapp_error_unreachable(cluster, compose_text, db_env_text):
    await up_all(cluster, compose_text, db_env_text)
    async with client(cluster) as http:
        await login(http)
        await poll(lambda: _all_ready(http))
        cluster.set_registration_sunset(True)
        r = await http.post("/v1/account", json=ACCOUNT)
        assert r.status_code == 403
        assert r.json()["errors"] == [{"code": 1005, "title": "Access denied",
                                       "details": "Unknown error: biz_link_on_prem_reg_blocked"}]
        cluster.set_webapp_error(503)
        r = await http.get("/v1/health")
        assert r.status_code == 503 and "errors" in r.json()
        cluster.set_webapp_error(None)
        assert (await http.get("/v1/health")).status_code == 200

    conn = await connect(cluster, "wa-core-2")
    cluster.set_host_unreachable("wa-core-2", True)
    with pytest.raises(Exception):
        await asyncio.wait_for(conn.run("true", check=True), 2)
    with pytest.raises(OSError):
        await connect(cluster, "wa-core-2")
    cluster.set_host_unreachable("wa-core-2", False)
    await cluster.settle()
    async with await connect(cluster, "wa-core-2") as conn2:
        assert (await conn2.run("hostname")).stdout == "wa-core-2\n"


async def test_stop_leaves_no_task(tmp_path, compose_text, db_env_text):
    from wabiz_tui.sim import SimulatedCluster

    sim = SimulatedCluster(tmp_path / "x", speed=0.05)
    await sim.start()
    await up_all(sim, compose_text, db_env_text)
    conn = await connect(sim, "wa-core-1")
    proc = await conn.create_process(compose_cmd("wa-core-1", "logs -f wacore"))
    await proc.stdout.readline()
    await sim.stop()
    conn.close()
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in left:  # asyncssh's own client-side tasks finish right after close
        await asyncio.wait_for(t, 2)
    assert sim.brain._timers == set()
