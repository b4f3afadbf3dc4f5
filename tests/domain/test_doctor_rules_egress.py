"""The egress, webhook, media-link and resource rules of ``doctor`` (``domain/doctor_rules_egress.py``), on facts
shaped as ``workflows/doctor/egress.py`` makes them (lines as observed on the lab: OpenSSH's direct-tcpip refusal
text, curl 7.88's messages, ``docker stats`` columns)."""

from __future__ import annotations

import pytest

from wabiz_tui.domain.doctor import P_CONTAINER, Fact, reason
from wabiz_tui.domain.doctor_rules_egress import (P_EGRESS, P_IDLE, P_PROXY, P_RESOURCES, P_URL, P_WEBHOOK,
                                                  saturated)
from wabiz_tui.workflows.doctor.egress import cpu_budget_pct, mask_proxy, parse_percent, proxy_address


def tcp(host: str, port: int, ok: bool, target: str = "g.whatsapp.net", via: str = "host", **kw) -> Fact:
    line = "connected in 2 ms" if ok else f"{target}:{port}: Connect failed (No route to host)"
    return Fact(P_EGRESS, host, f"tcp connect {target}:{port} from {host}", line, ok,
                {"target": target, "port": port, "via": via, **kw})


def keys(facts) -> list[str]:
    return [c.key for c in reason(facts).causes]


def test_443_closed_while_5222_answers_is_named_on_that_host_only():
    facts = [tcp("wa-core-1", 443, False), tcp("wa-core-1", 443, False, "graph.facebook.com"),
             tcp("wa-core-1", 5222, True),
             tcp("wa-core-2", 443, True), tcp("wa-core-2", 5222, True)]
    (c,) = [c for c in reason(facts).causes if c.key == "EGRESS_BLOCKED"]
    assert c.hosts == ("wa-core-1",) and "443 is closed outbound from wa-core-1 while 5222 answers" in c.title
    assert c.confidence == "high" and "open outbound TCP 443" in c.next_action and c.source.startswith("FR11: https://")


def test_only_5222_closed_is_a_low_finding_since_the_client_falls_back_to_443():
    (c,) = [c for c in reason([tcp("h", 443, True), tcp("h", 5222, False)]).causes if c.key == "EGRESS_BLOCKED"]
    assert c.confidence == "low" and "falls back to 443" in c.title


def test_all_open_rules_the_cause_out():
    report = reason([tcp("h", 443, True), tcp("h", 5222, True)])
    assert "EGRESS_BLOCKED" not in keys(report.facts)
    assert any(r.key == "EGRESS_BLOCKED" and "answer from h" in r.note for r in report.ruled_out)


def test_direct_refused_but_the_proxy_tunnels_is_not_a_fault():
    proxy = {"proxy": "http://proxy:3128", "status": 200}
    facts = [tcp("h", 443, False), tcp("h", 5222, False), tcp("h", 443, True, via="proxy", **proxy),
             Fact(P_PROXY, "h", "proxy variables (db.env)", "HTTPS_PROXY = http://proxy:3128 (from the db.env)", True)]
    report = reason(facts)
    assert not [c for c in report.causes if c.key.startswith("EGRESS")]
    assert any(r.key == "EGRESS_BLOCKED" and "through the proxy" in r.note for r in report.ruled_out)


def test_a_proxy_refusing_connect_is_the_cause_and_explains_the_blocked_egress():
    bad = tcp("h", 443, False, via="proxy", proxy="http://***@proxy:3129", status=0)
    report = reason([tcp("h", 443, False), tcp("h", 5222, False), bad])
    (c,) = [c for c in report.causes if c.key == "EGRESS_PROXY_REFUSES"]
    assert "EGRESS_BLOCKED" in c.also and "http://***@proxy:3129" in c.title
    assert "EGRESS_BLOCKED" not in [x.key for x in report.causes]


def test_idle_cut_is_named_and_its_absence_ruled_out():
    cut = Fact(P_IDLE, "wa-core-2", "two connections", "after 5 s idle the connection carries nothing", False,
               {"target": "g.whatsapp.net", "port": 5222, "idle_s": 5.0, "survived": False})
    (c,) = [c for c in reason([cut]).causes if c.key == "EGRESS_IDLE_CUT"]
    assert c.hosts == ("wa-core-2",) and "within 5.0 s" in c.title and "idle (session) timeout" in c.next_action
    fine = Fact(P_IDLE, "wa-core-2", "two connections", "still carries data", True, {"idle_s": 5.0})
    assert any(r.key == "EGRESS_IDLE_CUT" for r in reason([fine]).ruled_out)
    unsure = Fact(P_IDLE, "wa-core-2", "two connections", "inconclusive", None, {"why": "no reaction"})
    assert "EGRESS_IDLE_CUT" not in keys([unsure])


@pytest.mark.parametrize("problem, words", [("untrusted", "POST /v1/certificates/webhooks/ca"),
                                            ("refused", "webhook server is up")])
def test_webhook_problems(problem, words):
    f = Fact(P_WEBHOOK, "wa-core-1", "curl ...", "curl: (60) SSL certificate problem: unable to get local issuer "
             "certificate", False, {"url": "https://hooks:8443/w", "problem": problem})
    (c,) = [c for c in reason([f]).causes if c.key == "WEBHOOK_UNTRUSTED"]
    assert words in c.next_action and "https://hooks:8443/w" in c.title


def test_media_link_slow_and_unreachable():
    slow = Fact(P_URL, "wa-core-1", "curl", "curl: (28) Operation timed out after 5001 milliseconds (limit 5 s)", False,
                {"url": "http://m/x.pdf", "problem": "slow", "limit": 5.0})
    gone = Fact(P_URL, "wa-core-2", "curl", "curl: (7) Failed to connect", False,
                {"url": "http://n/y.pdf", "problem": "refused", "limit": 5.0})
    causes = [c for c in reason([slow, gone]).causes if c.key == "MEDIA_LINK_UNFETCHABLE"]
    assert len(causes) == 2
    assert "does not answer within 5 s from wa-core-1" in causes[0].title and "POST /v1/media" in causes[0].next_action
    assert "cannot be fetched from wa-core-2" in causes[1].title


def stats(host: str, service: str, cpu: float, budget: float, mem: float = 5.0) -> Fact:
    return Fact(P_RESOURCES, host, "docker stats", f"{service}: CPU {cpu}%", not saturated(cpu, budget, mem),
                {"service": service, "cpu_pct": cpu, "cpu_budget_pct": budget, "mem_pct": mem})


def test_webapp_saturated_names_the_coreapp_sharing_its_host():
    facts = [stats("wa-web-1", "waweb", 19.5, 20.0), stats("wa-web-1", "wacore", 0.3, 200.0),
             stats("wa-core-1", "wacore", 99.0, 100.0)]
    (c,) = [c for c in reason(facts).causes if c.key == "WEBAPP_SATURATED"]
    assert c.hosts == ("wa-web-1",) and "CPU 20% of a 20% budget" in c.title and "wacore (CPU 0%)" in c.title
    assert "WEBAPP_SATURATED" not in keys([stats("h", "waweb", 50.0, 200.0)])
    assert "memory 95% of its limit" in reason([stats("h", "waweb", 1.0, 200.0, 95.0)]).causes[0].title


def test_parsers():
    assert mask_proxy("http://user:secret@proxy:3128") == "http://***@proxy:3128"
    assert proxy_address("http://proxy.lab.internal:3128") == ("proxy.lab.internal", 3128)
    assert proxy_address("proxy:8080") == ("proxy", 8080) and proxy_address("https://p") == ("p", 443)
    assert proxy_address("http://") is None and proxy_address("http://p:notaport") is None
    assert parse_percent("12.50%") == 12.5 and parse_percent("--") == 0.0
    assert cpu_budget_pct("200000000", "0", "0", 2) == 20.0
    assert cpu_budget_pct("0", "50000", "100000", 2) == 50.0 and cpu_budget_pct("0", "0", "0", 2) == 200.0


def test_container_blocked_while_its_host_gets_out():
    inside = tcp("wa-core-1", 443, False, via="container", container="abc")
    report = reason([tcp("wa-core-1", 443, True), tcp("wa-core-1", 5222, True), inside])
    (c,) = [c for c in report.causes if c.key == "EGRESS_CONTAINER_BLOCKED"]
    assert c.hosts == ("wa-core-1",) and "DOCKER-USER" in c.next_action
    unsure = Fact(P_EGRESS, "wa-core-1", "docker exec abc nc -z", "nc: invalid option -- 'z'", None,
                  {"via": "container", "port": 443, "why": "the image has no nc with -z"})
    assert "EGRESS_CONTAINER_BLOCKED" not in keys([tcp("wa-core-1", 443, True), unsure])


def test_a_crash_looping_coreapp_caught_running_is_no_egress_cause():
    """The lab's crash-looping Coreapp (a crash marker, ``docker restart``) can be running at the moment doctor
    execs into it and die under the probe: that failure says nothing of the path (CONTAINER_DOWN names it)."""
    inside = tcp("wa-core-2", 443, False, via="container", container="abc")
    looping = Fact(P_CONTAINER, "wa-core-2", "docker inspect abc", "restarting (exit code 1, 7 restarts)", False,
                   {"service": "wacore", "container": "abc", "running": True, "missing": False,
                    "states": ["running", "restarting"]})
    steady = Fact(P_CONTAINER, "wa-core-2", "docker inspect abc", "running", True,
                  {"service": "wacore", "container": "abc", "running": True, "missing": False, "states": ["running"]})
    host_path = [tcp("wa-core-2", 443, True), tcp("wa-core-2", 5222, True)]
    assert "EGRESS_CONTAINER_BLOCKED" not in keys(host_path + [inside, looping])
    assert "EGRESS_CONTAINER_BLOCKED" in keys(host_path + [inside, steady])
