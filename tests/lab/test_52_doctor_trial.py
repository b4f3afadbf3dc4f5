"""``doctor`` tried as a new user would (issue 16 "Done means"), on the lab of real parts: faults no earlier test names,
each of which once sent doctor to the wrong fix. A block only the containers see (iptables DOCKER-USER: the Webapp
container to a Coreapp port, a Coreapp container to the DB), ``doctor --host`` seeing a block towards the named host,
a crash-looping Coreapp's egress probe, a password differing in one db.env, a stale /etc/hosts line, a mistyped
WA_DB_HOSTNAME, an ICMP reject. Each test injects the fault with the real tool, runs ``doctor --json`` as a user
would, and checks the cause, its host, the evidence line the real program printed and the next action.
"""

from __future__ import annotations

import time


from tests.lab.conftest import cli, recreate_container
from tests.lab.test_40_doctor import doctor, installed  # noqa: F401 - the module's installed cluster
from wabiz_tui.domain.doctor_rules_path import NOT_RUNNING
from wabiz_tui.domain.render import DB_ENV_FILE
from wabiz_tui.lab import faults, field_faults, field_faults_net
from wabiz_tui.lab.topology import DB_IP, DB_NAME

CORE = "biz_wacore_1"


def cause_of(report: dict, key: str) -> dict:
    mine = [c for c in report["causes"] if c["key"] == key]
    assert mine, [(c["key"], c["title"]) for c in report["causes"]]
    return mine[0]


def evidence(cause: dict) -> list[tuple[str, str]]:
    return [(f["host"], f["line"]) for f in cause["evidence"]]


def ruled(report: dict) -> dict[str, str]:
    return {r["key"]: r["note"] for r in report["ruled_out"]}


def show(profile, *args: str) -> None:
    print(cli("doctor", str(profile), *args, timeout=300).stdout[-4000:])


def iptables(lab, host: str, *args: str) -> None:
    faults.in_host(lab.paths, host, ["iptables", "-w", *args])


def settle(lab, profile, baseline: int, limit: float = 150) -> None:
    """Wait until ``health`` answers as it did before the fault (the next test needs the cluster back)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cli("health", str(profile), timeout=60).returncode == baseline:
            return
        time.sleep(3)
    raise AssertionError(f"the cluster did not come back to health exit {baseline} within {limit:g} s")


def wait_log(lab, host: str, words: str, limit: float = 40) -> str:
    end = time.monotonic() + limit
    last = ""
    while time.monotonic() < end:
        last = lab.sh(host, f"docker logs --tail 1 {CORE} 2>&1").stdout.strip()
        if words in last:
            return last
        time.sleep(1)
    raise AssertionError(f"{host}'s Coreapp never logged {words!r} (last line: {last!r})")


def test_a_block_only_the_webapp_container_sees_is_named_on_the_container_path(lab, installed):
    """The trial's first miss: a DOCKER-USER rule on the Webapp host rejects its containers' TCP to wa-core-1:6250
    while the host itself gets through. The Webapp says 1014 "connection to wa-core-1:6250 failed"; doctor keeps those
    words, connects from inside the Webapp container, and names the container path, not a missing Coreapp."""
    rule = ["DOCKER-USER", "-d", lab.host("wa-core-1")["ip"], "-p", "tcp", "--dport", "6250", "-j", "REJECT",
            "--reject-with", "tcp-reset"]
    iptables(lab, "wa-web-1", "-I", *rule)
    try:
        time.sleep(2)
        code, report = doctor(installed)
        show(installed)
    finally:
        iptables(lab, "wa-web-1", "-D", *rule)
    cause = cause_of(report, "CONTAINER_PATH_BLOCKED")
    assert cause is report["causes"][0], [(c["key"], c["title"]) for c in report["causes"]]
    assert cause["title"].startswith("the waweb container on wa-web-1 cannot reach wa-core-1:6250 (refused) while "
                                     "wa-web-1 itself can: the host path is open, the container path is blocked "
                                     "(DOCKER-USER/FORWARD on wa-web-1")
    lines = [l for _, l in evidence(cause)]
    assert any("bash: connect: Connection refused" in l for l in lines), lines
    assert any("error 1014" in l and "connection to wa-core-1:6250 failed: Connection refused" in l for l in lines), lines
    assert "iptables -S DOCKER-USER" in cause["next_action"]
    assert "PORT_BLOCKED" not in ruled(report) and "HOST_PATH_BLOCKED" in ruled(report)
    assert "host path only" in ruled(report)["HOST_PATH_BLOCKED"]
    assert [f for f in report["facts"] if f["data"].get("kind") == "node_error"], "the API's per-node words are kept"


def test_a_db_block_only_the_coreapp_container_sees_is_tied_to_its_waiting_line(lab, installed):
    """DOCKER-USER on wa-core-2 drops its containers' packets to the DB; the restarted Coreapp waits for the DB while
    the host logs in fine. Not four "nothing answers" causes nor "ruled out DB_DOWN": the container path."""
    baseline = cli("health", str(installed), timeout=60).returncode
    rule = ["DOCKER-USER", "-d", DB_IP, "-p", "tcp", "--dport", "3306", "-j", "DROP"]
    iptables(lab, "wa-core-2", "-I", *rule)
    try:
        assert lab.sh("wa-core-2", f"docker restart {CORE}").returncode == 0
        waiting = wait_log(lab, "wa-core-2", "aiting for database")
        code, report = doctor(installed)
        show(installed)
    finally:
        iptables(lab, "wa-core-2", "-D", *rule)
    settle(lab, installed, baseline)
    cause = report["causes"][0]
    assert cause["key"] == "CONTAINER_PATH_BLOCKED", [(c["key"], c["title"]) for c in report["causes"]]
    assert cause["title"].startswith(f"the wacore container on wa-core-2 cannot reach the database {DB_NAME}:3306 "
                                     "(timed out) while wa-core-2 itself can")
    assert ("wa-core-2", waiting) in evidence(cause)
    assert not [c for c in report["causes"] if c["key"] == "NOTHING_LISTENS"]
    assert "DB_DOWN" not in ruled(report)


def test_doctor_host_sees_a_block_towards_the_named_host(lab, installed):
    """The monitor's ``d`` key runs ``doctor --host wa-core-1``: a port dropped from wa-web-1 to wa-core-1 is on the
    way IN to the named host, and must be seen, not ruled out."""
    field_faults_net.block_port(lab.paths, "wa-web-1", "wa-core-1", 6251, "drop")
    try:
        code, report = doctor(installed, "--host", "wa-core-1")
    finally:
        faults.clear(lab.paths)
    cause = cause_of(report, "PORT_BLOCKED")
    assert cause["title"].startswith("wa-web-1 cannot reach wa-core-1:6251 (timed out)")
    assert "PORT_BLOCKED" not in ruled(report)


def test_a_crash_looping_coreapps_egress_is_not_checked_not_blocked(lab, installed):
    """docker exec into a restarting container answers "is restarting": no probe ran, so no egress cause."""
    baseline = cli("health", str(installed), timeout=60).returncode
    marker = lab.paths.media / "LAB_CRASH-wa-core-2"
    marker.write_text("Out of file descriptors")
    try:
        assert lab.sh("wa-core-2", f"docker restart {CORE}").returncode == 0
        code, report = doctor(installed, "--host", "wa-core-2")
    finally:
        marker.unlink()
        recreate_container(lab, installed, "wa-core-2")  # a new container: no crash lines left for the next module
    settle(lab, installed, baseline)
    assert not [c for c in report["causes"] if c["key"] == "EGRESS_CONTAINER_BLOCKED"], report["causes"]
    inside = [f for f in report["facts"] if f["probe"] == "egress" and f["data"].get("via") == "container"]
    assert all(f["state"] != "bad" for f in inside), inside
    assert all("not checked" in f["data"].get("why", "") for f in inside if any(w in f["line"] for w in NOT_RUNNING)), inside


def test_a_password_changed_in_one_db_env_is_that_hosts_db_env(lab, installed):
    """A different WA_DB_PASSWORD in wa-core-2's db.env: one cause (db.env differs), the refusal of wa-core-2's own
    login folded in; no blank host, no "allow the user from the host" (the account is fine)."""
    field_faults.edit_file(lab.paths, "wa-core-2", DB_ENV_FILE, "set", "WA_DB_PASSWORD", "not-the-password-1")
    try:
        code, report = doctor(installed)
        show(installed)
    finally:
        faults.clear(lab.paths)
    top = report["causes"][0]
    assert top["key"] == "ENV_DIFFERS" and top["hosts"] == ["wa-core-2"], [(c["key"], c["title"]) for c in report["causes"]]
    assert "DB_CREDENTIALS" in top["also"]
    assert any(h == "wa-core-2" and "Access denied for user 'waent'@'" in l for h, l in evidence(top)), evidence(top)
    assert not [c for c in report["causes"] if " from  " in c["title"] or "grants" in c["next_action"]]


def test_a_stale_hosts_line_is_named_as_a_name_mismatch(lab, installed):
    """``10.213.0.199 wa-core-1`` appended to wa-web-1's /etc/hosts: wa-web-1 resolves wa-core-1 to it while the other
    hosts and its own container say 10.213.0.104. The name, not a firewall."""
    path = lab.paths.host_run(lab.host("wa-web-1")["index"]) / "etc" / "hosts"
    before = path.read_text()
    path.write_text(before + "10.213.0.199 wa-core-1\n")
    try:
        code, report = doctor(installed)
        show(installed)
    finally:
        path.write_text(before)
    top = report["causes"][0]
    assert top["key"] == "NAME_MISMATCH", [(c["key"], c["title"]) for c in report["causes"]]
    assert top["title"].startswith("wa-web-1 resolves wa-core-1 to 10.213.0.199, not 10.213.0.104 as ")
    assert "(its /etc/hosts says 10.213.0.199)" in top["title"]
    assert "PORT_BLOCKED" in top["also"]
    assert "wa-web-1's /etc/hosts (10.213.0.199 -> 10.213.0.104)" in top["next_action"]


def test_a_mistyped_db_hostname_is_named_with_its_value(lab, installed):
    """WA_DB_HOSTNAME mistyped in wa-core-2's db.env, the Coreapp recreated: it waits for a DB whose name does not
    resolve. doctor names the value, where it is set, the profile's value, and the waiting line."""
    baseline = cli("health", str(installed), timeout=60).returncode
    typo = "wa-db.lab.intenral"
    field_faults.edit_file(lab.paths, "wa-core-2", DB_ENV_FILE, "set", "WA_DB_HOSTNAME", typo)
    try:
        recreate_container(lab, installed, "wa-core-2")
        wait_log(lab, "wa-core-2", "Still waiting for database")
        code, report = doctor(installed)
        show(installed)
    finally:
        faults.clear(lab.paths)
        recreate_container(lab, installed, "wa-core-2")
    settle(lab, installed, baseline)
    top = report["causes"][0]
    assert top["key"] == "DB_NAME_UNRESOLVED", [(c["key"], c["title"]) for c in report["causes"]]
    assert top["title"] == (f"the DB host name {typo} does not resolve from wa-core-2 (wa-core-2's db.env sets "
                            f"WA_DB_HOSTNAME={typo}, the profile says {DB_NAME})")
    lines = [l for _, l in evidence(top)]
    assert any("name resolution" in l or "Name or service not known" in l for l in lines), lines
    assert any(l.startswith(f"Still waiting for database {typo}:3306") for l in lines), lines
    assert "ENV_DIFFERS" in top["also"] and "NAME_UNRESOLVED" not in ruled(report)


def test_an_icmp_reject_is_said_as_no_route_to_host(lab, installed):
    rule = ["OUTPUT", "-d", lab.host("wa-core-1")["ip"], "-p", "tcp", "--dport", "6251", "-j", "REJECT",
            "--reject-with", "icmp-host-prohibited"]
    iptables(lab, "wa-web-1", "-I", *rule)
    try:
        code, report = doctor(installed, "--host", "wa-web-1")
    finally:
        iptables(lab, "wa-web-1", "-D", *rule)
    cause = cause_of(report, "PORT_BLOCKED")
    assert cause["title"].startswith("wa-web-1 cannot reach wa-core-1:6251 (rejected (no route to host))")
    assert any("No route to host" in l for _, l in evidence(cause))
