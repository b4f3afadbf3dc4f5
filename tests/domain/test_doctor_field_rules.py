"""doctor's field-report rules (domain.doctor_rules_field), on facts shaped as the collectors make them with the
lines observed on the lab (tests/lab/test_45_field_reports.py)."""

from __future__ import annotations

from wabiz_tui.domain.doctor import (HIGH, P_COMPOSE, P_CONTAINER, P_DB_LOGIN, P_MEDIA, P_REGISTRY, Fact, reason)

HOSTS = ("wa-web-1", "wa-master-1", "wa-core-1", "wa-core-2")


def login(host: str, line: str, ok: bool = False, refused: bool = True) -> Fact:
    return Fact(P_DB_LOGIN, host, f"mysql login waent@wa-db:3306 from {host}", line, ok, {"user": "waent", "refused": refused})


def keyed(report, key):
    return [c for c in report.causes if c.key == key]


def test_fr05_a_connection_limit_is_not_a_credentials_problem():
    line = ("DB login refused for WA_DB_USERNAME=waent: User 'waent' has exceeded the 'max_user_connections' resource "
            "(current value: 1) (MySQL error 1226)")
    report = reason([login(h, line, refused=False) for h in HOSTS])
    (cause,) = keyed(report, "DB_CONNECTION_LIMIT")
    assert cause is report.causes[0] and cause.confidence == HIGH and "connection limit" in cause.title
    assert "max_connections" in cause.next_action and cause.evidence[0].line == line
    assert cause.source.startswith("FR05: https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/issues/29")
    assert not keyed(report, "DB_CREDENTIALS")


def test_fr29_a_host_that_does_not_trust_the_registry_certificate():
    bad = Fact(P_REGISTRY, "wa-core-2", "curl -sSI https://docker.whatsapp.biz/v2/coreapp/manifests/v2.41.2",
               "curl: (60) SSL certificate problem: unable to get local issuer certificate", False,
               {"image": "docker.whatsapp.biz/coreapp:v2.41.2", "code": 0})
    good = [Fact(P_REGISTRY, h, "curl", "HTTP/1.1 200 OK", True, {"image": "x", "code": 200}) for h in HOSTS[:3]]
    report = reason(good + [bad])
    (cause,) = keyed(report, "REGISTRY_TLS_UNTRUSTED")
    assert cause.hosts == ("wa-core-2",) and "certs.d/docker.whatsapp.biz/ca.crt" in cause.next_action
    assert not keyed(report, "REGISTRY")  # folded: "cannot be reached" would send the operator to the network


def media(host: str, options: str, mode: str = "755") -> Fact:
    return Fact(P_MEDIA, host, "stat; findmnt", f"/mnt/wamedia: owner wa, mode {mode}, mounted {options}", mode == "755",
                {"path": "/mnt/wamedia", "owner": "wa", "mode": mode, "readonly": False, "exists": True})


def test_fr20_one_host_mounting_something_else_at_the_media_path():
    shared = "rw,relatime,size=25165824k,mode=755"
    facts = [media(h, shared) for h in HOSTS[:3]] + [media("wa-core-2", "rw,relatime,size=16384k,mode=777", "777")]
    (cause,) = keyed(reason(facts), "MEDIA_NOT_SHARED")
    assert cause.hosts == ("wa-core-2",) and cause.evidence[1].host != "wa-core-2"
    assert "mount the shared media volume" in cause.next_action
    assert not keyed(reason([media(h, shared) for h in HOSTS]), "MEDIA_NOT_SHARED")


def test_fr37_compose_file_with_a_tab():
    f = Fact(P_COMPOSE, "wa-core-1", "docker-compose -f prod-multiconnect-compose.yml config --services",
             'in "./prod-multiconnect-compose.yml", line 5, column 1', False, {"flavour": "docker-compose", "services": []})
    (cause,) = keyed(reason([f]), "COMPOSE_FILE_INVALID")
    assert cause.title == "the compose file on wa-core-1 is not valid YAML at line 5, column 1"
    assert "tabs are not allowed" in cause.next_action
    assert "COMPOSE_REFUSED" in cause.also  # doctor's general compose refusal, folded into the precise one


def container(host: str, service: str, version: str) -> Fact:
    repo = {"waweb": "web", "master": "coreapp", "wacore": "coreapp"}[service]
    return Fact(P_CONTAINER, host, "docker inspect c0ffee", "running", True,
                {"service": service, "image": f"docker.whatsapp.biz/{repo}:v{version}", "running": True, "missing": False})


def test_fr22_a_partial_upgrade_leaves_two_versions():
    facts = [container("wa-web-1", "waweb", "2.41.2"), container("wa-master-1", "master", "2.41.2"),
             container("wa-core-1", "wacore", "2.41.2"), container("wa-core-2", "wacore", "2.29.3")]
    (cause,) = keyed(reason(facts), "VERSION_SKEW")
    assert cause.hosts == ("wa-core-2",) and "wa-core-2 runs wacore 2.29.3, the others 2.41.2" in cause.title
    assert [f.host for f in cause.evidence] == ["wa-core-2", "wa-web-1"] and "WA_API_VERSION" in cause.next_action
    assert not keyed(reason(facts[:3]), "VERSION_SKEW")


def test_fr22_a_stopped_upgrade_says_to_finish_it_on_the_hosts_behind():
    """Fresh-user trial: after an aborted upgrade (Webapp and Masters on 2.43.1, Coreapps on 2.41.2) the next
    action said to bring the Coreapps "back to 2.43.1", a version they never ran."""
    facts = [container("wa-web-1", "waweb", "2.43.1"), container("wa-master-1", "master", "2.43.1"),
             container("wa-master-2", "master", "2.43.1"), container("wa-core-1", "wacore", "2.41.2"),
             container("wa-core-2", "wacore", "2.41.2")]
    (cause,) = keyed(reason(facts), "VERSION_SKEW")
    assert "finish the upgrade to 2.43.1 on wa-core-1, wa-core-2" in cause.next_action, cause.next_action
    assert "--resume --yes" in cause.next_action and "back to 2.43.1" not in cause.next_action


def test_fr22_one_node_checked_never_speaks_for_every_container():
    """s8 trial 2 N1: doctor on one node read one container and said "every container runs 2.41.2 (1)"."""
    report = reason([container("wa-core-1", "wacore", "2.41.2")])
    note = next(r.note for r in report.ruled_out if r.key == "VERSION_SKEW")
    assert "every container" not in note and note.startswith("the one container read (wa-core-1) runs 2.41.2"), note


def test_fr22_the_other_hosts_images_are_compared_with_the_node_checked():
    from wabiz_tui.domain.doctor_rules_field import P_IMAGE

    peers = [Fact(P_IMAGE, h, "docker ps", f"{s}: docker.whatsapp.biz/{r}:v2.43.1", True,
                  {"service": s, "image": f"docker.whatsapp.biz/{r}:v2.43.1"})
             for h, s, r in (("wa-web-1", "waweb", "web"), ("wa-master-1", "master", "coreapp"),
                             ("wa-core-2", "wacore", "coreapp"))]
    (cause,) = keyed(reason([container("wa-core-1", "wacore", "2.41.2")] + peers), "VERSION_SKEW")
    assert cause.hosts == ("wa-core-1",) and "finish the upgrade to 2.43.1 on wa-core-1" in cause.next_action
