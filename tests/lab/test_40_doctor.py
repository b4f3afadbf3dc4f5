"""``doctor`` on real parts (issue 16 item 1): a cluster installed on the lab, one real fault injected at a time
(iptables cut between two hosts, the DB user's password changed, MariaDB stopped, the registry demanding a login,
a name removed from dnsmasq, the shared media tmpfs full or read-only, a host's dockerd stopped), and doctor names
the cause, the host, the evidence line the real program printed, and the next action. A healthy lab: no cause."""

from __future__ import annotations

import json

import pytest

from tests.lab.conftest import cli, recreate_container, recreate_every_container
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.lab import faults, services


@pytest.fixture
def installed(shared_cluster):
    """The lab's profile installed (registered, healthy): the session's shared cluster (tests/lab/conftest.py)."""
    return shared_cluster


@pytest.fixture
def cleared(lab, installed):
    yield installed
    faults.clear(lab.paths)


def doctor(profile, *args: str) -> tuple[int, dict]:
    out = cli("doctor", str(profile), "--json", *args, timeout=300)
    assert out.stdout.strip().startswith("{"), out.stdout[-2000:] + out.stderr[-2000:]
    return out.returncode, json.loads(out.stdout)


def test_a_healthy_lab_cluster_has_no_cause(lab, cleared):
    code, report = doctor(cleared)
    assert report["causes"] == [], [(c["key"], c["title"], c["evidence"][0]["line"]) for c in report["causes"]]
    assert code == Exit.OK
    ruled = {r["key"] for r in report["ruled_out"]}
    assert {"DB_DOWN", "DB_CREDENTIALS", "HOST_PATH_BLOCKED", "REGISTRY", "CONTAINER_DOWN", "DOCKERD_DOWN"} <= ruled


FAULTS = [
    # (inject, cause key, host named, evidence fragment, next action fragment)
    (lambda p: faults.cut(p, "wa-web-1", "wa-core-1"), "HOST_PATH_BLOCKED", "wa-core-1", "no answer within 3 s", "firewalls"),
    (lambda p: faults.db(p, "password"), "DB_CREDENTIALS", "", "Access denied for user 'waent'", "WA_DB_PASSWORD"),
    (lambda p: faults.db(p, "down"), "DB_DOWN", "", "Connection refused", "start the DB server"),
    (lambda p: faults.registry(p, "deny"), "REGISTRY", "wa-web-1", " 401 (Basic realm=", "docker login"),
    (lambda p: faults.remove_dns_name(p, "wa-master-2"), "NAME_UNRESOLVED", "wa-master-2",
     "getent hosts wa-master-2: not found (exit status 2)", "DNS zone"),
    (lambda p: faults.media(p, "full"), "DISK_FULL", "wa-core-1", "/mnt/wamedia: ", "free space"),
    (lambda p: faults.media(p, "readonly"), "MEDIA", "wa-web-1", "ro", "read-write"),
    (lambda p: faults.stop_dockerd(p, "wa-core-2"), "DOCKERD_DOWN", "wa-core-2", "Cannot connect to the Docker daemon",
     "start it"),
]


#: Faults every node meets: each node's log keeps the DB's words until its container is recreated.
EVERY_NODE = ("DB_CREDENTIALS", "DB_DOWN")


@pytest.mark.parametrize("inject, key, host, evidence, action", FAULTS, ids=[f[1] for f in FAULTS])
def test_doctor_names_each_real_fault(lab, cleared, inject, key, host, evidence, action):
    inject(lab.paths)
    try:
        code, report = doctor(cleared)
    finally:
        if key in EVERY_NODE:
            faults.clear(lab.paths)
            recreate_every_container(lab, cleared)
    assert code == Exit.CAUSES_FOUND
    causes = report["causes"]
    mine = [c for c in causes if c["key"] == key]
    assert mine, [(c["key"], c["title"]) for c in causes]
    cause = mine[0]
    assert causes.index(cause) == 0 or all(c["confidence"] != "high" for c in causes[:causes.index(cause)]), \
        [(c["key"], c["title"]) for c in causes]
    assert not host or host in cause["hosts"] or host in cause["title"] or host in json.dumps(cause["evidence"]), cause
    assert any(evidence in f["line"] for f in cause["evidence"]), [f["line"] for f in cause["evidence"]]
    assert action in cause["next_action"]
    assert services.DB_PASSWORD not in json.dumps(report)


def test_a_crash_looping_coreapp_is_named_by_its_fatal_line(lab, cleared):
    """The stand-in Coreapp on wa-core-2 logs a C line and exits 1 at each start while its crash file is in the media
    volume: Docker restarts it (restart: unless-stopped), and doctor names it with the real log line."""
    marker = lab.paths.media / "LAB_CRASH-wa-core-2"
    marker.write_text("Out of file descriptors")
    try:
        assert lab.sh("wa-core-2", "docker restart biz_wacore_1").returncode == 0
        code, report = doctor(cleared, "--host", "wa-core-2")
    finally:
        marker.unlink()
        recreate_container(lab, cleared, "wa-core-2")  # a new container: no crash lines left for the next module
    assert code == Exit.CAUSES_FOUND
    top = report["causes"][0]
    assert top["key"] == "CONTAINER_DOWN_WITH_WORDS", [(c["key"], c["title"]) for c in report["causes"]]
    assert top["title"].startswith("wacore on wa-core-2 is ") and "fatal error" in top["title"]
    assert any("Fatal: Out of file descriptors" in f["line"] for f in top["evidence"])


def test_one_db_env_value_changed_by_hand_is_named(lab, cleared):
    """A new user's trial: WA_DB_PORT changed in wa-core-1's db.env only. doctor reads the file there, tries the DB with
    its values (refused: nothing listens on 3307) and names the file, the host and the variable."""
    path = "/home/wa/biz/db.env"
    assert lab.sh("wa-core-1", f"cp {path} {path}.orig && sed -i 's/^WA_DB_PORT=.*/WA_DB_PORT=3307/' {path}").returncode == 0
    try:
        code, report = doctor(cleared)
    finally:
        lab.sh("wa-core-1", f"mv {path}.orig {path}")
    assert code == Exit.CAUSES_FOUND
    top = report["causes"][0]
    assert top["key"] == "ENV_DIFFERS" and top["hosts"] == ["wa-core-1"], [(c["key"], c["title"]) for c in report["causes"]]
    assert top["title"] == "db.env on wa-core-1 differs from the profile in WA_DB_PORT"
    (login,) = [f for f in report["facts"] if f["probe"] == "db.login" and f["host"] == "wa-core-1"]
    assert ":3307 from wa-core-1" in login["command"] and login["state"] == "bad"
