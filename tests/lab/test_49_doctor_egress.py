"""The way out of the cluster on real parts (``wabiz_tui.lab.egress``): the lab's router, its fake WhatsApp servers
(chat on 5222, HTTPS on 443), its CONNECT proxy and the business's own servers (webhook on an internal CA, media
server), with the faults of the field reports FR11, FR12, FR13, FR18, FR26 and FR28. Each test checks the real
program's own words on a cluster host, then that ``doctor`` names the cause with its evidence and next action.

Doctor runs on one host (``--host``) per fault: the egress faults are per host, and it keeps the tier fast.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.lab.test_40_doctor import doctor
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.lab import egress, faults, field_faults, services
from wabiz_tui.lab.profile import LAB_ADMIN_PASSWORD


@pytest.fixture
def broken(lab, shared_cluster):
    """The session's installed cluster (tests/lab/conftest.py); the test's faults cleared after."""
    yield shared_cluster
    faults.clear(lab.paths)


def cause(report: dict, key: str) -> dict:
    mine = [c for c in report["causes"] if c["key"] == key]
    assert mine, [(c["key"], c["title"]) for c in report["causes"]]
    return mine[0]


def lines(c: dict) -> list[str]:
    return [f["line"] for f in c["evidence"]]


def show(fr: str, report: dict) -> None:
    """Print doctor's words for the report (the final report quotes them)."""
    for c in report["causes"]:
        print(f"{fr} doctor: [{c['key']}] {c['title']} | evidence: {lines(c)[:3]} | next: {c['next_action']}")


def test_the_outside_answers_from_a_coreapp_host(lab):
    """Names, routes, ports: what a Coreapp host sees of the lab's WhatsApp, proxy and business servers."""
    got = lab.sh("wa-core-1", "getent hosts g.whatsapp.net graph.facebook.com proxy.lab.internal; "
                              "timeout 3 bash -c '</dev/tcp/g.whatsapp.net/5222' && echo chat ok; "
                              "timeout 3 bash -c '</dev/tcp/graph.facebook.com/443' && echo https ok; "
                              f"curl -sS -o /dev/null -w '%{{http_code}}\\n' --max-time 5 {egress.MEDIA_URL}")
    assert f"{egress.WA_IP} g.whatsapp.net" in " ".join(got.stdout.split())
    assert "chat ok" in got.stdout and "https ok" in got.stdout
    assert got.stdout.strip().endswith("200"), got.stdout + got.stderr


def test_fr11_443_closed_outbound_from_one_coreapp_host(lab, broken):
    egress.block_port(lab.paths, 443, "wa-core-1")
    got = lab.sh("wa-core-1", "timeout 3 bash -c '</dev/tcp/g.whatsapp.net/443'; "
                              "timeout 3 bash -c '</dev/tcp/g.whatsapp.net/5222' && echo chat ok")
    assert "No route to host" in got.stderr and "chat ok" in got.stdout  # the router's icmp-admin-prohibited
    code, report = doctor(broken, "--host", "wa-core-1")
    show("FR11", report)
    assert code == Exit.CAUSES_FOUND
    c = cause(report, "EGRESS_BLOCKED")
    assert c["hosts"] == ["wa-core-1"] and "443 is closed outbound from wa-core-1 while 5222 answers" in c["title"]
    assert any("g.whatsapp.net:443" in line for line in lines(c)), lines(c)
    assert "open outbound TCP 443" in c["next_action"] and c["source"].startswith("FR11: https://")


def test_fr12_idle_chat_connection_cut_by_the_router(lab, broken):
    egress.idle_cut(lab.paths, 2)
    code, report = doctor(broken, "--host", "wa-core-2")
    show("FR12", report)
    c = cause(report, "EGRESS_IDLE_CUT")
    assert c["hosts"] == ["wa-core-2"] and "idle" in c["title"]
    assert any("carries nothing" in line for line in lines(c)), lines(c)
    assert "idle (session) timeout" in c["next_action"]


def test_fr13_egress_only_through_the_proxy_is_not_a_fault(lab, broken):
    """Direct egress refused, HTTPS_PROXY in db.env: the direct checks fail, the proxy tunnels (WADebug #5)."""
    egress.proxy_only(lab.paths)
    field_faults.edit_file(lab.paths, "wa-core-1", "db.env", "set", "HTTPS_PROXY", egress.PROXY_URL)
    got = lab.sh("wa-core-1", "timeout 3 bash -c '</dev/tcp/g.whatsapp.net/443'; "
                              f"curl -sS -p -x {egress.PROXY_URL} -o /dev/null --max-time 5 -k https://g.whatsapp.net/ "
                              "-w '%{http_connect}\\n'")
    assert "No route to host" in got.stderr and got.stdout.strip() == "200", got.stdout + got.stderr
    _, report = doctor(broken, "--host", "wa-core-1")
    show("FR13", report)
    assert "EGRESS_BLOCKED" not in {c["key"] for c in report["causes"]}, report["causes"]
    (ruled,) = [r for r in report["ruled_out"] if r["key"] == "EGRESS_BLOCKED"]
    assert "through the proxy" in ruled["note"]
    assert any(f["probe"] == "egress.proxy" and "HTTPS_PROXY" in f["line"] for f in report["facts"])


def test_fr13_a_proxy_that_does_not_tunnel_is_named(lab, broken):
    egress.proxy_only(lab.paths)
    field_faults.edit_file(lab.paths, "wa-core-1", "db.env", "set", "HTTPS_PROXY",
                           f"http://user:pw-not-shown@{egress.PROXY_NAME}:3129")
    _, report = doctor(broken, "--host", "wa-core-1")
    show("FR13b", report)
    c = cause(report, "EGRESS_PROXY_REFUSES")
    assert "wa-core-1" in c["hosts"] and "pw-not-shown" not in json.dumps(report)
    assert "EGRESS_BLOCKED" in c["also"]


@pytest.fixture
def webhook(lab, broken):
    """The lab's webhook receiver (certificate of an internal CA) set as the cluster's webhook; unset after."""
    profile = json.loads(json.dumps(__import__("yaml").safe_load(broken.read_text())))
    base = profile["webapp"]["url"]

    def patch(url: str) -> None:
        with httpx.Client(base_url=base, verify=False, timeout=10) as http:
            token = http.post("/v1/users/login", auth=("admin", LAB_ADMIN_PASSWORD)).json()["users"][0]["token"]
            got = http.patch("/v1/settings/application", json={"webhooks": {"url": url}},
                             headers={"Authorization": f"Bearer {token}"})
            assert got.status_code in (200, 204), got.text

    patch(egress.WEBHOOK_URL)
    yield broken
    patch("")


def test_fr18_webhook_on_an_internal_ca_is_not_trusted_from_the_coreapp_hosts(lab, webhook):
    got = lab.sh("wa-core-1", f"curl -sS -o /dev/null --max-time 5 {egress.WEBHOOK_URL}")
    assert "SSL certificate problem: unable to get local issuer certificate" in got.stderr
    _, report = doctor(webhook, "--host", "wa-core-1")
    show("FR18", report)
    c = cause(report, "WEBHOOK_UNTRUSTED")
    assert egress.WEBHOOK_URL in c["title"] and "wa-core-1" in c["hosts"]
    assert any("unable to get local issuer certificate" in line for line in lines(c)), lines(c)
    assert "POST /v1/certificates/webhooks/ca" in c["next_action"] and "restart every Coreapp" in c["next_action"]


def test_fr28_media_link_slower_than_the_fetch_limit(lab, broken):
    egress.media_delay(lab.paths, 8)
    _, report = doctor(broken, "--host", "wa-core-1", "--url", egress.MEDIA_URL)
    show("FR28", report)
    c = cause(report, "MEDIA_LINK_UNFETCHABLE")
    assert egress.MEDIA_URL in c["title"] and "wa-core-1" in c["hosts"]
    assert any("Operation timed out" in line for line in lines(c)), lines(c)
    assert "POST /v1/media" in c["next_action"]
    assert any(line.endswith(" 499") for line in egress.requests(lab.paths, egress.BIZ_NS))  # the server's own log


def test_fr26_webapp_container_using_its_whole_cpu_limit(lab, broken):
    egress.webapp_cpu(lab.paths, "wa-web-1", 0.2)
    _, report = doctor(broken, "--host", "wa-web-1")
    show("FR26", report)
    c = cause(report, "WEBAPP_SATURATED")
    assert c["hosts"] == ["wa-web-1"] and "budget" in c["title"]
    assert any(line.startswith("waweb: CPU") for line in lines(c)), lines(c)
    assert "add Webapps" in c["next_action"]
    assert services.DB_PASSWORD not in json.dumps(report)
