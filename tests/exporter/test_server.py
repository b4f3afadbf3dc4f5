"""Serving: basic auth, TLS with a real openssl certificate, the command line end to end, and planted
secrets that must appear in no scrape and no output."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import ssl
import sys

import httpx
import pytest
from prometheus_client import CollectorRegistry

from wabiz_tui.config.profile import save_profile
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.exporter.metrics import ClusterState, ExporterCollector
from wabiz_tui.exporter.scheduler import ClusterPoller
from wabiz_tui.exporter.server import DEFAULT_LISTEN, BasicAuth, ListenError, MetricsServer, parse_listen

from .helpers import FakeWebapp, free_port, installed_profile, scrape_text, self_signed

PLANTED = {"db.password": "Planted-Db-9137", "webapp.admin_password": "Planted-Adm1n#9", "registration.pin": "913742",
           "exporter password": "Planted-Scrape-55"}


def planted_profile(name: str = "prod", url: str = "https://127.0.0.1:9"):
    p = installed_profile(name, url=url)
    return p.with_changes(db=dataclasses.replace(p.db, password=PLANTED["db.password"]),
                          webapp=dataclasses.replace(p.webapp, admin_password=PLANTED["webapp.admin_password"]),
                          registration=dataclasses.replace(p.registration, pin=PLANTED["registration.pin"]))


def registry_of(*states: ClusterState) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(ExporterCollector(states))
    return registry


def test_listen_defaults_to_loopback_and_bad_values_name_the_fix():
    assert parse_listen(DEFAULT_LISTEN)[0] == "127.0.0.1"
    assert parse_listen("[::1]:9850") == ("::1", 9850) and parse_listen("0.0.0.0:1") == ("0.0.0.0", 1)
    for bad in ("9850", ":9850", "host:port", "h:70000"):
        with pytest.raises(ListenError, match="--listen"):
            parse_listen(bad)


def test_basic_auth_and_tls(tmp_path):
    cert, key = self_signed(tmp_path)
    server = MetricsServer(registry_of(ClusterState("prod", 15, 60)), "127.0.0.1", 0, certfile=str(cert), keyfile=str(key),
                           auth=BasicAuth("prom", "s3cret-x")).start()
    url = f"https://127.0.0.1:{server.port}/metrics"
    try:
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as http:
            denied = http.get(url)
            assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Basic")
            assert http.get(url, auth=("prom", "wrong")).status_code == 401
            assert http.get(url, auth=("other", "s3cret-x")).status_code == 401
            ok = http.get(url, auth=("prom", "s3cret-x"))
            assert ok.status_code == 200 and 'wabiz_cluster_verdict{cluster="prod",wabiz_cluster_verdict="unknown"} 1.0' in ok.text
        with pytest.raises(httpx.ConnectError):  # the certificate is not trusted by default
            httpx.get(url, auth=("prom", "s3cret-x"))
        with pytest.raises(httpx.HTTPError):  # no plain HTTP on the TLS port
            httpx.get(url.replace("https", "http"), auth=("prom", "s3cret-x"))
    finally:
        server.stop()


async def test_secrets_echoed_by_the_webapp_never_reach_the_metrics():
    """A Webapp whose error details carry the admin password (a hostile or buggy proxy): the exporter keeps
    only the error kind."""
    profile, state = planted_profile(), ClusterState("prod", 15, 60)
    fake = FakeWebapp()
    fake.error_details = f"bad password {PLANTED['webapp.admin_password']} for {PLANTED['db.password']}"
    texts = []
    for login, health in ((200, 200), (401, 200), (200, 503)):
        fake.login_status, fake.health_status = login, health
        poller = ClusterPoller(profile, state, timeout=5, monitor=fake.monitor(profile))
        await poller.poll()
        await poller.monitor.aclose()
        texts.append(scrape_text(state))
    assert 'kind="auth"} 1.0' in texts[1] and 'kind="http"} 1.0' in texts[2]
    for secret in (*PLANTED.values(), profile.registration.cert):
        assert all(secret not in t for t in texts), secret


async def _exporter(*args: str, env: dict | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "exporter", *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env={**os.environ, **(env or {})})


async def test_the_command_serves_with_auth_and_tls_and_stops_on_sigterm(tmp_path):
    cert, key = self_signed(tmp_path)
    dead_port = free_port()  # nothing listens there: the cluster is unreachable
    profile = save_profile(planted_profile(url=f"https://127.0.0.1:{dead_port}"), tmp_path / "prod.yaml")
    port = free_port()
    proc = await _exporter(str(profile), "--listen", f"127.0.0.1:{port}", "--interval", "0.2", "--tls-cert", str(cert),
                           "--tls-key", str(key), "--basic-auth-user", "prom",
                           env={"WABIZ_EXPORTER_PASSWORD": PLANTED["exporter password"]})
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert f"on https://127.0.0.1:{port}/metrics" in line and "(prod)" in line, line
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(cert))) as http:
            for _ in range(100):
                text = (await http.get(f"https://127.0.0.1:{port}/metrics", auth=("prom", PLANTED["exporter password"]))).text
                if 'wabiz_poll_errors_total{cluster="prod",kind="unreachable"} 2.0' in text:
                    break
                await asyncio.sleep(0.1)
            assert 'wabiz_last_poll_error{cluster="prod",wabiz_last_poll_error="unreachable"} 1.0' in text
            assert 'wabiz_cluster_verdict{cluster="prod",wabiz_cluster_verdict="failing"} 1.0' in text
            assert (await http.get(f"https://127.0.0.1:{port}/metrics")).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    everything = line + out.decode() + err.decode() + text
    for secret in PLANTED.values():
        assert secret not in everything, secret
    assert "Traceback" not in everything


async def test_bad_input_is_refused_with_the_fix(tmp_path):
    good = save_profile(installed_profile("prod"), tmp_path / "a.yaml")
    twin = save_profile(installed_profile("prod"), tmp_path / "b.yaml")
    busy = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    busy_port = busy.sockets[0].getsockname()[1]
    cases = [((), Exit.BAD_INPUT, "give at least one PROFILE"),
             ((str(good), "--listen", "9850"), Exit.BAD_INPUT, "give HOST:PORT"),
             ((str(good), "--interval", "0"), Exit.BAD_INPUT, "--interval must be greater than 0"),
             ((str(tmp_path / "none.yaml"),), Exit.BAD_INPUT, "none.yaml"),
             ((str(good), str(twin)), Exit.BAD_INPUT, "both named 'prod'"),
             ((str(good), "--basic-auth-user", "prom"), Exit.BAD_INPUT, "WABIZ_EXPORTER_PASSWORD"),
             ((str(good), str(good)), Exit.BAD_INPUT, "given twice"),
             ((str(good), "--listen", f"127.0.0.1:{busy_port}"), Exit.CANNOT_CHECK, "stop what uses it"),
             # a host that is not this machine's: not the port's advice (fresh-user trial)
             ((str(good), "--listen", "nohost.invalid:9850"), Exit.CANNOT_CHECK, "name or address of this machine"),
             ((str(good), "--listen", "192.0.2.1:9850"), Exit.CANNOT_CHECK, "name or address of this machine"),
             ((str(good), "--listen", f"127.0.0.1:{free_port()}", "--tls-cert", str(tmp_path / "no.pem")), Exit.CANNOT_CHECK,
              "no.pem: No such file"),
             ((str(good), "--listen", f"127.0.0.1:{free_port()}", "--tls-cert", str(good)), Exit.CANNOT_CHECK,
              "give a PEM certificate")]
    try:
        for args, code, words in cases:
            proc = await _exporter(*args, env={"WABIZ_EXPORTER_PASSWORD": ""})
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == code and words in err.decode(), (args, proc.returncode, err.decode())
            assert b"Traceback" not in err
    finally:
        busy.close()
