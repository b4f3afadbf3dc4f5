"""FR45 in the simulator, as in the lab (tests/lab/test_50_doctor_registry_monitoring.py): a simulated host plays the
monitoring machine with Meta's monitoring ``.env``; doctor reads it there and logs in from there (the simulated
``curl -K -`` makes the request for real, so the simulated Webapp's own users answer)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.engine.conftest import demo, installed  # noqa: F401 - the started demo session fixtures
from tests.sim.test_doctor_cases import run_doctor
from wabiz_tui.domain.model import Monitoring
from wabiz_tui.sim.curl_config import parse_config

ENV_FILE = "/opt/whatsapp-monitoring/.env"


def _monitored(installed, endpoint: str, password: str):
    root = installed.cluster.host_root("wa-master-1")
    path = root / ENV_FILE.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"WA_WEB_ENDPOINT={endpoint}\nWA_WEB_USERNAME=admin\nWA_WEB_PASSWORD='{password}'\n")
    return installed.profile.with_changes(monitoring=Monitoring(from_host="wa-master-1", env_file=ENV_FILE))


def _endpoint(installed) -> str:
    return urlsplit(installed.profile.webapp.url).netloc


def test_curl_config_lines():
    assert parse_config('url = "https://h:1/x"\nuser = "a:b\\"c"\ninsecure\n--max-time 5\n') == {
        "url": "https://h:1/x", "user": 'a:b"c', "insecure": "", "max-time": "5"}


@pytest.mark.parametrize("right", [False, True], ids=["wrong-password", "right-password"])
async def test_fr45_monitoring_credentials_in_the_sim(installed, tmp_path, right):
    password = installed.profile.webapp.admin_password if right else "Wrong-Monitoring-Pass-9"
    profile = _monitored(installed, _endpoint(installed), password)
    report = await run_doctor(installed, tmp_path, profile, hosts=("wa-master-1",), api=False)
    mine = [c for c in report.causes if c.key == "MONITORING_CREDENTIALS"]
    if right:
        assert not mine and "MONITORING_CREDENTIALS" in {r.key for r in report.ruled_out}
    else:
        (cause,) = mine
        assert cause.title.startswith(f"the Webapp refuses the monitoring credentials of {ENV_FILE} on wa-master-1 "
                                      "(WA_WEB_USERNAME=admin, HTTP 401)")
        assert cause.next_action.startswith(f"fix WA_WEB_PASSWORD in {ENV_FILE} on wa-master-1")
    assert password not in json.dumps(report.to_json())


async def test_fr45_an_endpoint_nothing_answers_on(installed, tmp_path):
    host = urlsplit(installed.profile.webapp.url).hostname
    profile = _monitored(installed, f"{host}:1", installed.profile.webapp.admin_password)
    report = await run_doctor(installed, tmp_path, profile, hosts=("wa-master-1",), api=False)
    (cause,) = [c for c in report.causes if c.key == "MONITORING_ENDPOINT"]
    assert f"cannot reach WA_WEB_ENDPOINT={host}:1" in cause.title and "curl: (7) Failed to connect" in cause.title


async def test_fr45_a_missing_file_is_said_not_guessed(installed, tmp_path):
    profile = installed.profile.with_changes(monitoring=Monitoring(from_host="wa-master-1", env_file="/nowhere/.env"))
    report = await run_doctor(installed, tmp_path, profile, hosts=("wa-master-1",), api=False)
    (fact,) = [f for f in report.unknown if f.probe == "monitoring.env"]
    assert fact.line == "cat: /nowhere/.env: No such file or directory"
    assert not [c for c in report.causes if c.key.startswith("MONITORING_")]
