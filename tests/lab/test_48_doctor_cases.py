"""The shared/cases that touch Docker, the DB, names, SSH or the Webapp's credentials, through ``doctor`` on real parts
(issue 16 "Done means"): the lab's cluster installed, one real fault at a time (a name removed from dnsmasq, the
Docker socket's group changed, a compose file edited by hand, the profile's admin password or known_hosts wrong),
``wabiz-tui doctor --json`` run as an operator would, and the cause named with the line the real program printed.
The same cases in the simulator, and those the lab cannot make: tests/sim/test_doctor_cases.py."""

from __future__ import annotations

import json

import yaml

from tests.lab.test_10_cluster import profile_copy
from tests.lab.test_40_doctor import cleared, doctor, installed  # noqa: F401 - the installed lab cluster fixtures
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.lab import faults, services

COMPOSE = "/home/wa/biz/prod-multiconnect-compose.yml"


def _profile(cleared, tmp_path, **changes):
    data = yaml.safe_load(cleared.read_text())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        data[section][field] = value
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    return path, data


def _top(report: dict, key: str) -> dict:
    causes = report["causes"]
    assert causes and causes[0]["key"] == key, [(c["key"], c["title"]) for c in causes]
    return causes[0]


def test_r02_db_name_unknown_to_the_dns_is_named_as_dns_not_the_db(lab, cleared):
    """R02's kind: WA_DB_HOSTNAME does not resolve (removed from the lab's dnsmasq). Before this case doctor ranked
    "the database does not answer" first (the TCP probes failed on the name)."""
    db = yaml.safe_load(cleared.read_text())["db"]["hostname"]
    faults.remove_dns_name(lab.paths, db)
    code, report = doctor(cleared)
    assert code == Exit.CAUSES_FOUND
    top = _top(report, "NAME_UNRESOLVED")
    assert db in top["title"] and "WA_DB_HOSTNAME" in top["next_action"]
    assert any(f"getent hosts {db}: not found" in f["line"] for f in top["evidence"])
    assert "DB_DOWN" not in [c["key"] for c in report["causes"]]


def test_r14_docker_socket_denied_to_the_ssh_user(lab, cleared):
    """The SSH user may not use wa-core-2's Docker socket (its group changed to root): denied, not "daemon down"."""
    faults.in_host(lab.paths, "wa-core-2", ["chgrp", "root", "/run/docker.sock"])
    try:
        code, report = doctor(cleared, "--host", "wa-core-2")
    finally:
        faults.in_host(lab.paths, "wa-core-2", ["chgrp", "docker", "/run/docker.sock"])
    assert code == Exit.CAUSES_FOUND
    top = _top(report, "DOCKER_DENIED")
    assert top["hosts"] == ["wa-core-2"] and "permission denied" in top["evidence"][0]["line"]
    assert "docker group" in top["next_action"]


def test_r14_a_compose_file_requiring_a_variable_nobody_passes(lab, cleared):
    """A hand edit makes the compose file require ${WA_RESTART:?...}: docker-compose 1.29.2 refuses it with its own
    words, which doctor quotes."""
    edit = f"cp {COMPOSE} {COMPOSE}.orig && sed -i '0,/restart: unless-stopped/s//restart: ${{WA_RESTART:?set WA_RESTART}}/' {COMPOSE}"
    assert lab.sh("wa-core-1", edit).returncode == 0
    try:
        code, report = doctor(cleared, "--host", "wa-core-1")
    finally:
        lab.sh("wa-core-1", f"mv {COMPOSE}.orig {COMPOSE}")
    assert code == Exit.CAUSES_FOUND
    top = _top(report, "COMPOSE_REFUSED")
    assert "WA_RESTART" in top["evidence"][0]["line"] and "set WA_RESTART" in top["evidence"][0]["line"]


def test_r16_r28_wrong_admin_password_is_credentials_not_an_outage(lab, cleared, tmp_path):
    path, _ = _profile(cleared, tmp_path, webapp__admin_password="Wr0ng-pass#1")
    code, report = doctor(path, "--host", "wa-web-1")
    assert code == Exit.CAUSES_FOUND
    top = _top(report, "API_CREDENTIALS")
    assert "not an outage" in top["title"] and "HTTP 401" in top["evidence"][0]["line"]
    assert "Wr0ng-pass#1" not in json.dumps(report) and services.DB_PASSWORD not in json.dumps(report)


def test_r16_health_without_a_token_is_said_not_ranked(lab, cleared):
    code, report = doctor(cleared, "--host", "wa-web-1", "--verbose")
    assert code == Exit.OK, [(c["key"], c["title"]) for c in report["causes"]]
    notes = {r["key"]: r["note"] for r in report["ruled_out"]}
    assert "401" in notes["API_WITHOUT_TOKEN"] and "not an outage" in notes["API_WITHOUT_TOKEN"]


def test_r29_unknown_host_keys_of_real_sshd_are_named_with_how_to_trust_them(lab, cleared, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    path = profile_copy(lab, tmp_path, known_hosts=str(empty))
    code, report = doctor(path, "--host", "wa-core-1")
    assert code == Exit.CAUSES_FOUND
    top = _top(report, "HOST_UNREACHABLE")
    assert top["hosts"] == ["wa-core-1"] and "unknown host key" in top["title"]
    assert "--trust-new-host-keys" in top["next_action"] and "SHA256:" in top["next_action"]
    # the flag it names does what it says: the key is recorded, and doctor then reaches the host
    code, report = doctor(path, "--host", "wa-core-1", "--trust-new-host-keys")
    assert "HOST_UNREACHABLE" not in [c["key"] for c in report["causes"]], [(c["key"], c["title"]) for c in report["causes"]]
