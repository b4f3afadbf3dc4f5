"""FR45, the credentials part: the monitoring .env's values as compose reads them, and the rules over the login tried
from the monitoring host (facts as ``workflows/doctor/monitoring.py`` makes them)."""

from __future__ import annotations

from wabiz_tui.domain.doctor import P_API, Fact, reason
from wabiz_tui.domain.doctor_rules_monitoring import P_MON_ENV, P_MON_LOGIN, login_url, read_env_values

PATH = "/opt/whatsapp-monitoring/.env"


def login(status: int, kind: str = "answer", line: str = "", endpoint: str = "wa-web-1:443") -> Fact:
    return Fact(P_MON_LOGIN, "wa-mon-1", "curl -K - ...", line or f"HTTP {status}", status == 200,
                {"path": PATH, "endpoint": endpoint, "username": "admin", "status": status, "kind": kind})


def keyed(report, key):
    return [c for c in report.causes if c.key == key]


def test_env_values_as_compose_reads_them():
    text = "# monitoring\nWA_WEB_ENDPOINT=wa-web-1:443\r\nexport WA_WEB_USERNAME='admin'\nWA_WEB_PASSWORD=\"a=b c\"\nnoise\n"
    assert read_env_values(text) == {"WA_WEB_ENDPOINT": "wa-web-1:443", "WA_WEB_USERNAME": "admin",
                                     "WA_WEB_PASSWORD": "a=b c"}
    assert login_url("wa-web-1:443/") == "https://wa-web-1:443/v1/users/login"


def test_an_inline_comment_is_cut_as_compose_cuts_it():
    """docker-compose 1.29.2 reads ``WA_WEB_PASSWORD=secret1 # prod`` as ``secret1`` (python-dotenv); doctor logged in
    with ``secret1 # prod`` and reported the right password as refused (and masked the wrong string)."""
    text = ("WA_WEB_PASSWORD=secret1 # prod\nWA_WEB_USERNAME='ad # min' # quoted keeps its '#'\n"
            'WA_WEB_ENDPOINT="wa-web-1:443"\n')
    assert read_env_values(text) == {"WA_WEB_PASSWORD": "secret1", "WA_WEB_USERNAME": "ad # min",
                                     "WA_WEB_ENDPOINT": "wa-web-1:443"}


def test_a_401_from_the_monitoring_host_names_the_file_the_host_and_the_fix():
    (cause,) = keyed(reason([login(401)]), "MONITORING_CREDENTIALS")
    assert cause.title.startswith(f"the Webapp refuses the monitoring credentials of {PATH} on wa-mon-1 "
                                  "(WA_WEB_USERNAME=admin, HTTP 401)")
    assert cause.next_action.startswith(f"fix WA_WEB_PASSWORD in {PATH} on wa-mon-1")
    assert "restart the exporters" in cause.next_action and cause.hosts == ("wa-mon-1",)
    assert cause.confidence == "high" and cause.source.startswith("FR45: https://")
    assert not keyed(reason([login(401)]), "MONITORING_ENDPOINT")


def test_a_good_login_rules_it_out():
    report = reason([login(200)])
    assert not report.causes
    assert {r.key for r in report.ruled_out} >= {"MONITORING_CREDENTIALS"}


def test_an_unreachable_endpoint_is_its_own_finding_and_lower_when_the_webapp_is_down_anyway():
    down = login(0, "unreachable", "curl: (7) Failed to connect to wa-web-1 port 443 after 0 ms: Couldn't connect to server")
    (cause,) = keyed(reason([down]), "MONITORING_ENDPOINT")
    assert "cannot reach WA_WEB_ENDPOINT=wa-web-1:443" in cause.title and "curl: (7)" in cause.title
    assert cause.confidence == "medium" and not keyed(reason([down]), "MONITORING_CREDENTIALS")
    api = Fact(P_API, "", "GET /v1/health", "connection refused", False, {"kind": "unreachable"})
    (cause,) = keyed(reason([down, api]), "MONITORING_ENDPOINT")
    assert cause.confidence == "low"


def test_a_scheme_in_the_endpoint_and_a_missing_key():
    (cause,) = keyed(reason([login(0, "scheme", endpoint="https://wa-web-1:443")]), "MONITORING_ENDPOINT")
    assert "has a scheme" in cause.title and "without https://" in cause.next_action
    env = Fact(P_MON_ENV, "wa-mon-1", f"cat -- {PATH}", f"{PATH}: no WA_WEB_PASSWORD", False,
               {"path": PATH, "missing": ["WA_WEB_PASSWORD"]})
    (cause,) = keyed(reason([env]), "MONITORING_CREDENTIALS")
    assert cause.title.startswith(f"the monitoring .env {PATH} on wa-mon-1 has no WA_WEB_PASSWORD")
