"""Two field reports on real parts (``docs/field-reports.md``), each named by ``doctor`` from what the lab really
answered:

- FR02, a registry that refuses only some requests: ``lab fault registry-intermittent N`` puts a TLS front before
  the real registry (``wabiz_tui/lab/registry_relay.py``) that passes requests on and refuses every N-th manifest/blob
  request of each host with HTTP 403 "Forbidden!". doctor's counts are compared with the front's own log of what it
  answered each host; the pulls of dockerd 20.10 / docker-compose 1.29.2 under it are recorded.
- FR45, wrong Webapp credentials in Meta's monitoring ``.env``: a lab host plays the monitoring machine
  (``monitoring.from_host`` + ``monitoring.env_file``); doctor reads the file there and logs in from there.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.lab.conftest import cli
from tests.lab.test_40_doctor import doctor, installed  # noqa: F401 - the module's installed cluster
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.lab import faults, registry_faults, services
from wabiz_tui.lab.profile import LAB_ADMIN_PASSWORD

IMAGE = "docker.whatsapp.biz/coreapp:v2.41.2"


@pytest.fixture
def broken(lab, installed):
    yield installed
    faults.clear(lab.paths)


def causes(report: dict, key: str) -> list[dict]:
    return [c for c in report["causes"] if c["key"] == key]


def show(profile, *args: str) -> None:
    print(cli("doctor", str(profile), *args, timeout=300).stdout[-4000:])


# --- FR02 ----------------------------------------------------------------------------------------------------------
def _tries_against_the_front(lab, report: dict) -> dict[str, tuple[list[int], list[int]]]:
    """Per host: (the codes doctor's three tries recorded, the last three HEAD answers the front logged for that
    host's address). doctor's tries are its last registry requests from a host (workflows/doctor ``_registry_in_order``)."""
    out = {}
    for f in report["facts"]:
        if f["probe"] != "registry.tries":
            continue
        heads = [a.status for a in registry_faults.answers(lab.paths, lab.host(f["host"])["ip"]) if a.method == "HEAD"]
        out[f["host"]] = (f["data"]["codes"], heads[-3:])
    return out


def test_fr02_doctor_names_the_intermittent_refusals_with_the_counts_the_front_gave_each_host(lab, broken):
    got = cli("lab", "fault", "registry-intermittent", "2")
    assert got.returncode == 0, got.stderr
    for run in (1, 2):  # the front's counters go on between runs: the counts follow them, not a script
        code, report = doctor(broken)
        assert code == Exit.CAUSES_FOUND
        seen = _tries_against_the_front(lab, report)
        assert len(seen) == len(lab.data["hosts"]) - 1, seen  # every profile host (the spare is not in it)
        mine = causes(report, "REGISTRY_INTERMITTENT")
        assert {c["hosts"][0] for c in mine} == set(seen)
        for cause in mine:
            host = cause["hosts"][0]
            codes, front = seen[host]
            assert codes == front, (host, codes, front)
            refused = sum(1 for c in front if c == 403)
            assert 0 < refused < 3
            assert cause["title"] == f"the registry refuses {host} only sometimes ({refused} of 3 attempts, HTTP 403)"
            assert "retry the pull" in cause["next_action"]
        # a probe refused alone is not read as FR01's permanent 403: folded into the intermittent cause
        assert not causes(report, "REGISTRY"), [c["title"] for c in causes(report, "REGISTRY")]
        print(f"run {run}:", {h: c for h, (c, _) in seen.items()})
    show(broken)


def test_fr02_with_the_front_removed_nothing_is_named(lab, broken):
    assert cli("lab", "fault", "registry-intermittent", "3").returncode == 0
    off = cli("lab", "fault", "registry-intermittent", "off")
    assert off.returncode == 0 and "off" in off.stdout
    code, report = doctor(broken)
    assert not causes(report, "REGISTRY_INTERMITTENT") and not causes(report, "REGISTRY")
    ruled = {r["key"] for r in report["ruled_out"]}
    assert "REGISTRY" in ruled


def test_fr02_bad_arguments_are_one_sentence(lab):
    got = cli("lab", "fault", "registry-intermittent", "11")
    assert got.returncode == 2 and "from 2 to 10" in got.stderr and got.stderr.count("\n") == 1


def _fresh_coreapp_host(lab, host: str) -> None:
    lab.sh(host, f"docker rm -f $(docker ps -aq --filter label=com.docker.compose.service=wacore); docker rmi -f {IMAGE}")


def test_fr02_a_pull_under_the_front_on_dockerd_20_10(lab, broken):
    """What dockerd 20.10 does with a refusal that comes and goes: its words, and whether a second pull passes."""
    assert cli("lab", "fault", "registry-intermittent", "2").returncode == 0
    # the container too: with the image's layers still in use a pull needs only the manifest, and a refused HEAD is
    # followed by a GET of the manifest by tag (observed), which then passes
    _fresh_coreapp_host(lab, "wa-core-2")
    tries = [lab.sh("wa-core-2", f"docker pull {IMAGE}") for _ in range(3)]
    for i, t in enumerate(tries, 1):
        print(f"pull {i}: exit {t.returncode}: {(t.stdout + t.stderr).strip()[-600:]}")
    print("front:", [(a.method, a.path.rsplit('/', 1)[-1][:19], a.status, a.n)
                     for a in registry_faults.answers(lab.paths, lab.host("wa-core-2")["ip"])][-20:])
    assert any(t.returncode != 0 and "error parsing HTTP 403 response body" in t.stdout + t.stderr for t in tries)


def _start_coreapp(profile_path, host: str) -> tuple[list[str], str]:
    """The install's start action (``HostSession.up``, step 5) for the Coreapp of ``host``: the host's output lines
    and the error it raised ("" when it started)."""
    import asyncio

    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.domain.model import Role
    from wabiz_tui.remote.errors import RemoteError
    from wabiz_tui.workflows.events import HostOutput
    from wabiz_tui.workflows.session import HostSession
    from wabiz_tui.workflows.settings import default_settings

    profile = load_profile(profile_path)
    events: list = []

    async def go() -> str:
        session = HostSession(lambda: profile, default_settings(profile, read_user_config=False), events.append)
        try:
            await session.up(profile.host(host), (Role.COREAPP,))
            return ""
        except RemoteError as exc:
            return str(exc)
        finally:
            await session.close()

    error = asyncio.run(go())
    return [e.line for e in events if isinstance(e, HostOutput)], error


def _step_refusals(lab, host: str, since: int) -> list[registry_faults.Answer]:
    return [a for a in registry_faults.answers(lab.paths, lab.host(host)["ip"])[since:] if a.status == 403]


@pytest.mark.parametrize("every", [2, 7])
def test_fr02_the_start_step_pulls_again_when_the_registry_refused_it(lab, broken, every):
    """Step 5's start under the front, the Coreapp's container and image gone from wa-core-2 (``up -d`` pulls).
    Every 2nd request refused: dockerd asks the same requests each attempt and stops at the first refusal, so each
    attempt is refused at the same request (observed) and the step says so after 3. Every 7th, with the host's 5
    requests of a doctor run counted before: the first attempt's GET of the manifest (its 7th) is refused, the second
    attempt's 5 requests (8th to 12th) get through. (A refused HEAD alone would not do: dockerd then asks the manifest
    by tag with a GET, observed, and goes on.)"""
    _fresh_coreapp_host(lab, "wa-core-2")
    assert cli("lab", "fault", "registry-intermittent", str(every)).returncode == 0
    if every == 7:
        doctor(broken, "--host", "wa-core-2")
    since = len(registry_faults.answers(lab.paths, lab.host("wa-core-2")["ip"]))
    lines, error = _start_coreapp(broken, "wa-core-2")
    print("\n".join(lines[-30:]), "\nerror:", error)
    front = registry_faults.answers(lab.paths, lab.host("wa-core-2")["ip"])[since:]
    print("front:", [(a.method, a.path.rsplit("/", 1)[-1][:19], a.status, a.n) for a in front])
    refused = [l for l in lines if l.startswith("the registry refused the image pull (attempt ")]
    assert refused[0].startswith("the registry refused the image pull (attempt 1 of 3, HTTP 403); trying again in 5 s")
    n_refused = len(_step_refusals(lab, "wa-core-2", since))
    if every == 2:
        assert n_refused == 3 and len(refused) == 2, (n_refused, refused)
        assert "the registry refused the image pull on each of 3 attempts: ERROR: error parsing HTTP 403" in error
    else:
        assert not error and n_refused == 1 and len(refused) == 1
        assert "wacore: pulled on attempt 2 of 3, after 1 refused: the registry refuses wa-core-2 only sometimes" in lines
    faults.clear(lab.paths)
    lines, error = _start_coreapp(broken, "wa-core-2")  # the registry whole again: the Coreapp comes back
    assert not error, error


# --- FR45 ----------------------------------------------------------------------------------------------------------
MON_HOST, ENV_FILE = "wa-master-1", "/home/wa/monitoring/.env"


@pytest.fixture
def monitored(lab, installed, tmp_path):
    """The installed profile with a monitoring section: wa-master-1 plays the monitoring machine."""
    data = yaml.safe_load(installed.read_text())
    data["monitoring"] = {"from_host": MON_HOST, "env_file": ENV_FILE}
    path = tmp_path / "monitored.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    yield path
    lab.sh(MON_HOST, "rm -rf /home/wa/monitoring")


def _write_env(lab, endpoint: str, password: str) -> None:
    text = f"WA_API_VERSION=2.41.2\nWA_WEB_ENDPOINT={endpoint}\nWA_WEB_USERNAME=admin\nWA_WEB_PASSWORD={password}\n"
    got = lab.sh(MON_HOST, f"mkdir -p /home/wa/monitoring && umask 077 && cat > {ENV_FILE} <<'EOF'\n{text}EOF")
    assert got.returncode == 0, got.stderr


def test_fr45_a_wrong_password_in_the_monitoring_env_is_named_from_the_monitoring_host(lab, monitored):
    wrong = "Not-The-Admin-Pass-1"
    _write_env(lab, "wa-web-1:9090", wrong)
    code, report = doctor(monitored)
    assert code == Exit.CAUSES_FOUND
    (cause,) = causes(report, "MONITORING_CREDENTIALS")
    assert cause["title"].startswith(f"the Webapp refuses the monitoring credentials of {ENV_FILE} on {MON_HOST} "
                                     "(WA_WEB_USERNAME=admin, HTTP 401)")
    assert cause["next_action"].startswith(f"fix WA_WEB_PASSWORD in {ENV_FILE} on {MON_HOST}")
    assert any(f["line"] == "HTTP 401" and "wa-web-1:9090/v1/users/login" in f["command"] for f in cause["evidence"])
    text = json.dumps(report)
    assert wrong not in text and LAB_ADMIN_PASSWORD not in text and services.DB_PASSWORD not in text
    show(monitored)


def test_fr45_the_right_password_is_not_named(lab, monitored):
    _write_env(lab, "wa-web-1:9090", LAB_ADMIN_PASSWORD)
    code, report = doctor(monitored)
    assert not causes(report, "MONITORING_CREDENTIALS") and not causes(report, "MONITORING_ENDPOINT")
    assert "MONITORING_CREDENTIALS" in {r["key"] for r in report["ruled_out"]}
    assert code == Exit.OK, [(c["key"], c["title"]) for c in report["causes"]]
    assert LAB_ADMIN_PASSWORD not in json.dumps(report)


def test_fr45_an_endpoint_the_monitoring_host_cannot_reach_is_its_own_finding(lab, monitored):
    _write_env(lab, "wa-web-1:9443", LAB_ADMIN_PASSWORD)
    _, report = doctor(monitored)
    (cause,) = causes(report, "MONITORING_ENDPOINT")
    assert cause["title"].startswith(f"the monitoring host {MON_HOST} cannot reach WA_WEB_ENDPOINT=wa-web-1:9443")
    assert "curl: (7)" in cause["title"], cause["title"]
    assert not causes(report, "MONITORING_CREDENTIALS")
