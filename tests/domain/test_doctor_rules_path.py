"""doctor's rules for what a new user's lab trial broke (issue 16; domain.doctor_rules_path and the rules it corrected):
a block only the containers see, ``--host``'s scope, a restarting container's probe, a password differing in one
db.env, a stale /etc/hosts line, a mistyped WA_DB_HOSTNAME, and the words of a rejection. Facts are shaped as the
collectors make them, with the lines the lab printed (tests/lab/test_52_doctor_trial.py)."""

from __future__ import annotations

import pytest
from tests.domain.test_doctor_rules_net import HOSTS, keyed, matrix
from wabiz_tui.domain.diagnosis import diagnose_lines
from wabiz_tui.domain.doctor import (P_API, P_CONTAINER, P_DB_LOGIN, P_DNS, P_DNS_CONTAINER, P_ENV, P_LOGS, P_MEDIA,
                                     P_TCP, Fact, reason)
from wabiz_tui.domain.doctor_rules_egress import P_EGRESS
from wabiz_tui.domain.doctor_rules_path import (P_CONTAINER_TCP, connection_failure, container_leads, db_waiting,
                                                getent_addresses,
                                                hosts_file_addresses, how_failed, inside_connect, read_inside)
from wabiz_tui.domain.doctor import Facts

NODE_ERROR = ("wa-core-1: error 1014 Internal error: connection to wa-core-1:6250 failed: Connection refused. Please "
              "check if wacore is running")
DB = "wa-db.lab.internal"


def ruled(report) -> dict[str, str]:
    return {r.key: r.note for r in report.ruled_out}


def running(host: str, service: str, cid: str = "abc123") -> Fact:
    return Fact(P_CONTAINER, host, f"docker inspect {cid}", "running", True,
                {"service": service, "container": cid, "running": True, "missing": False, "image": "x:v2.41.2"})


def node_error() -> Fact:
    return Fact(P_API, "", "GET https://wa-web-1:9090/v1/health (after POST /v1/users/login)", NODE_ERROR, False,
                {"kind": "node_error", "node_host": "wa-core-1", "target": "wa-core-1", "port": 6250, "how": "refused"})


def health_finding() -> Fact:
    return Fact(P_API, "", "GET /v1/health", "1 of 2 shard(s) unserved: no connected coreapp for them", False,
                {"kind": "verdict", "key": "SHARDS_UNDER_CONNECTED", "severity": "error", "node_host": "",
                 "title": "a shard has no connected Coreapp", "next_action": "start the missing Coreapps"})


def inside(host: str, target: str, port: int, line: str, ok: bool | None, what: str, lead: str, **data) -> Fact:
    return Fact(P_CONTAINER_TCP, host, f"docker exec abc123 timeout 3 bash -c '</dev/tcp/{target}/{port}'", line, ok,
                {"service": "waweb" if what != "db" else "wacore", "container": "abc123", "target": target,
                 "port": port, "what": what, "timeout": False, "tool": "bash", "lead": lead, **data})


# --- 1. a block only the containers see ---------------------------------------------------------------------------
def test_the_webapps_node_error_names_the_connection():
    assert connection_failure(NODE_ERROR) == ("wa-core-1", 6250, "refused")
    assert connection_failure("connection to wa-core-2:6251 timed out. Please check")[2] == "timed out"
    assert connection_failure("Connection timed out. Please check if wacore is running") is None  # real 1014: no target


def test_the_inside_probe_is_judged_from_what_docker_exec_printed():
    assert read_inside(0, []).ok is True
    refused = read_inside(1, ["bash: connect: Connection refused", "bash: line 1: /dev/tcp/wa-core-1/6250: Connection refused"])
    assert refused.ok is False and refused.line == "bash: connect: Connection refused"
    assert read_inside(124, []).timeout and read_inside(124, []).ok is False
    restarting = read_inside(1, ["Error response from daemon: Container 4f1 is restarting, wait until the container is running"])
    assert restarting.ok is None and "not checked" in restarting.why
    # the container stopped between the exec's create and its start: docker's hijack got 409 (observed in CI, stop 23)
    raced = read_inside(1, ["unable to upgrade to tcp, received 409"])
    assert raced.ok is None and "not checked" in raced.why
    assert read_inside(1, ["unable to upgrade to tcp, received 400"]).ok is not None  # only the Conflict means "not running"
    missing = read_inside(126, ['OCI runtime exec failed: exec failed: exec: "timeout": executable file not found in $PATH: unknown'])
    assert missing.why == "tool missing"
    assert read_inside(1, ["nc: invalid option -- 'z'", "BusyBox v1.35.0 multi-call binary.", "Usage: nc"]).why == "tool missing"
    assert read_inside(1, ["Traceback (most recent call last):", "ConnectionRefusedError: [Errno 111] Connection refused"]).line \
        == "ConnectionRefusedError: [Errno 111] Connection refused"
    unresolved = read_inside(1, ["bash: line 1: wa-db.lab.intenral: Name or service not known",
                                 "bash: line 1: /dev/tcp/wa-db.lab.intenral/3306: Invalid argument"])
    assert unresolved.ok is False and unresolved.line.endswith("Name or service not known")
    tools = [t for t, _ in inside_connect("wa-core-1", 6250, 3)]
    assert tools == ["bash", "python3", "nc"]


def test_leads_point_at_the_webapp_container_and_the_waiting_coreapp():
    waiting = Fact(P_LOGS, "wa-core-2", "docker logs", f"Waiting for database {DB}:3306 ...", False,
                   {"service": "wacore", "key": "DB_WAITING", "severity": "error"})
    leads = container_leads(Facts([node_error(), running("wa-web-1", "waweb", "w1"), running("wa-core-2", "wacore", "c2"),
                                   waiting]))
    assert {(l.host, l.service, l.container, l.target, l.port) for l in leads} == {
        ("wa-web-1", "waweb", "w1", "wa-core-1", 6250), ("wa-core-2", "wacore", "c2", DB, 3306)}


def test_a_block_only_the_webapp_container_sees_is_named_and_port_blocked_not_ruled_out():
    facts = matrix({}) + [node_error(), health_finding(), running("wa-web-1", "waweb"), running("wa-core-1", "wacore"),
                          inside("wa-web-1", "wa-core-1", 6250, "wa-core-1:6250: bash: connect: Connection refused", False,
                                 "coreapp", NODE_ERROR)]
    report = reason(facts)
    top = report.causes[0]
    assert top.key == "CONTAINER_PATH_BLOCKED" and top.confidence == "high", [(c.key, c.title) for c in report.causes]
    assert top.title == ("the waweb container on wa-web-1 cannot reach wa-core-1:6250 (refused) while wa-web-1 itself "
                         "can: the host path is open, the container path is blocked (DOCKER-USER/FORWARD on wa-web-1, "
                         "direction wa-web-1 -> wa-core-1:6250)")
    assert NODE_ERROR in [f.line for f in top.evidence]  # the API's own words kept as evidence
    assert "iptables -S DOCKER-USER" in top.next_action
    assert "API_HEALTH" in top.also and not keyed(report, "API_HEALTH")
    assert "PORT_BLOCKED" not in ruled(report)


def test_without_an_inside_probe_the_host_path_note_does_not_rule_the_block_out():
    report = reason(matrix({}) + [node_error(), running("wa-web-1", "waweb")])
    (cause,) = keyed(report, "CONTAINER_PATH_BLOCKED")
    assert cause.confidence == "medium" and "was not probed from inside" in cause.title
    assert "PORT_BLOCKED" not in ruled(report)


def test_the_ruled_out_note_says_it_covered_the_host_path_only():
    note = ruled(reason(matrix({})))["PORT_BLOCKED"]
    assert "from the hosts' own network" in note and "the host path" in note and "was not probed" in note
    assert "12 host-to-host directions" in note


def db_logins(hosts=("wa-web-1", "wa-master-1", "wa-core-1", "wa-core-2")) -> list[Fact]:
    out = []
    for h in hosts:
        out.append(Fact(P_TCP, h, f"tcp connect {DB}:3306 from {h} (the DB login's own connection, ssh direct-tcpip)",
                        "connected: the server answered the login", True, {"target": DB, "port": 3306, "what": "db"}))
        out.append(Fact(P_DB_LOGIN, h, f"mysql login waent@{DB}:3306 from {h} (ssh direct-tcpip), db.env values, plain TCP",
                        "logged in as waent@%; server 8.0.36", True, {"user": "waent", "credentials": 0}))
    return out


def test_a_db_block_only_the_coreapp_container_sees_is_tied_to_its_waiting_line():
    wait = f"Waiting for database {DB}:3306 ..."
    facts = matrix({(s, "wa-core-2", p): "refused" for s in HOSTS if s != "wa-core-2" for p in HOSTS["wa-core-2"][1]})
    facts += db_logins() + [
        Fact(P_LOGS, "wa-master-1", "docker logs --tail 200 m1", wait, True,  # a normal start's line elsewhere
             {"service": "master", "key": "DB_WAITING", "severity": "warning"}),
        Fact(P_LOGS, "wa-core-2", "docker logs --tail 200 c2", wait, False,
             {"service": "wacore", "key": "DB_WAITING", "severity": "error", "title": "wacore is still waiting"}),
        running("wa-core-2", "wacore"),
        inside("wa-core-2", DB, 3306, f"{DB}:3306: no answer (timed out)", False, "db", wait, timeout=True)]
    report = reason(facts)
    top = report.causes[0]
    assert top.key == "CONTAINER_PATH_BLOCKED", [(c.key, c.title) for c in report.causes]
    assert top.title.startswith(f"the wacore container on wa-core-2 cannot reach the database {DB}:3306 (timed out) "
                                "while wa-core-2 itself can: the host path is open, the container path is blocked")
    assert ("wa-core-2", wait) in [(f.host, f.line) for f in top.evidence]
    assert ("wa-master-1", wait) not in [(f.host, f.line) for f in top.evidence]
    assert not keyed(report, "NOTHING_LISTENS") and "NOTHING_LISTENS" in top.also
    assert "DB_DOWN" not in ruled(report)


def test_the_db_ruled_out_note_names_the_host_path():
    assert "the host path" in ruled(reason(db_logins()))["DB_DOWN"]


# --- 3. a restarting container is not checked, never a failure -----------------------------------------------------
@pytest.mark.parametrize("line", ["Error response from daemon: Container 4f1e is restarting, wait until the container is running",
                                  "unable to upgrade to tcp, received 409"])
def test_a_probe_into_a_restarting_coreapp_is_no_egress_cause(line):
    facts = [Fact(P_EGRESS, "wa-core-2", "tcp connect g.whatsapp.net:443 from wa-core-2 (ssh direct-tcpip)",
                  "connected in 3 ms", True, {"target": "g.whatsapp.net", "port": 443, "via": "host"}),
             Fact(P_EGRESS, "wa-core-2", "docker exec 4f1e nc -z -w 3 g.whatsapp.net 443 2>&1", line, False,
                  {"target": "g.whatsapp.net", "port": 443, "via": "container"})]
    assert not keyed(reason(facts), "EGRESS_CONTAINER_BLOCKED")


# --- 4. a password that differs in one db.env -----------------------------------------------------------------------
def test_a_refused_password_in_one_db_env_is_folded_under_env_differs_with_the_hosts_own_login():
    refused = Fact(P_DB_LOGIN, "wa-core-2", f"mysql login waent@{DB}:3306 from wa-core-2 (ssh direct-tcpip)",
                   "(1045, \"Access denied for user 'waent'@'10.213.0.105' (using password: YES)\")", False,
                   {"user": "waent", "refused": True, "code": 1045, "reached": True, "credentials": 1})
    here = Fact(P_DB_LOGIN, "", f"mysql login waent@{DB}:3306 from this machine",
                "(1045, \"Access denied for user 'waent'@'10.213.0.1' (using password: YES)\")", False,
                {"user": "waent", "refused": True, "code": 1045, "reached": True, "credentials": 1, "position": "here"})
    env = Fact(P_ENV, "wa-core-2", "cat /home/wa/biz/db.env", "/home/wa/biz/db.env differs from the profile in "
               "WA_DB_PASSWORD", False, {"differs": ["WA_DB_PASSWORD"]})
    report = reason(db_logins(("wa-web-1", "wa-master-1", "wa-core-1")) + [refused, here, env])
    assert all(c.title.count(" from  ") == 0 and "'s address" not in c.next_action for c in report.causes)
    (cause,) = keyed(report, "ENV_DIFFERS")
    assert cause is report.causes[0] and "DB_CREDENTIALS" in cause.also, [(c.key, c.title) for c in report.causes]
    assert refused in cause.evidence and here not in cause.evidence
    assert not keyed(report, "DB_CREDENTIALS") and not keyed(report, "DB_HOST_RESTRICTED")


def test_the_db_credentials_cause_alone_names_the_host_and_the_password():
    from wabiz_tui.domain.doctor_rules import db_credentials
    refused = Fact(P_DB_LOGIN, "wa-core-2", "mysql login ...", "Access denied", False,
                   {"user": "waent", "refused": True, "credentials": 1})
    env = Fact(P_ENV, "wa-core-2", "cat db.env", "differs", False, {"differs": ["WA_DB_PASSWORD"]})
    (found,) = db_credentials(Facts(db_logins(("wa-web-1",)) + [refused, env]))
    assert found.hosts == ("wa-core-2",)
    assert found.title == ("the database refuses the DB login with wa-core-2's db.env: it holds a different "
                           "WA_DB_PASSWORD than the profile (the profile's are accepted from wa-web-1)")
    assert "Not a host restriction" in found.next_action and "grants" not in found.next_action


# --- 5. a stale /etc/hosts line -----------------------------------------------------------------------------------
def dns(host: str, name: str, address: str, hosts_file: str = "") -> Fact:
    return Fact(P_DNS, host, f"getent hosts {name}", f"{address}    {name}.lab.internal {name}", True,
                {"name": name, "hosts_file": hosts_file})


def test_a_stale_hosts_line_is_named_above_the_port_cause_it_explains():
    facts = matrix({("wa-web-1", "wa-core-1", p): "refused" for p in HOSTS["wa-core-1"][1]})
    facts += [dns(h, "wa-core-1", "10.213.0.104") for h in ("wa-master-1", "wa-core-2", "wa-master-2", "wa-core-3")]
    facts += [dns("wa-web-1", "wa-core-1", "10.213.0.199", hosts_file="10.213.0.199"),
              Fact(P_DNS_CONTAINER, "wa-web-1", "docker exec w1 getent hosts wa-core-1", "10.213.0.104    wa-core-1",
                   True, {"name": "wa-core-1", "container": "w1", "service": "waweb"})]
    report = reason(facts)
    top = report.causes[0]
    assert top.key == "NAME_MISMATCH", [(c.key, c.title) for c in report.causes]
    assert top.title.startswith("wa-web-1 resolves wa-core-1 to 10.213.0.199, not 10.213.0.104 as 4 other host(s) and "
                                "wa-web-1's own container do (its /etc/hosts says 10.213.0.199)")
    assert "PORT_BLOCKED" in top.also and not keyed(report, "PORT_BLOCKED")
    assert "wa-web-1's /etc/hosts (10.213.0.199 -> 10.213.0.104)" in top.next_action


def test_hosts_file_is_read_as_glibc_does():
    assert hosts_file_addresses(["# c", "127.0.0.1 localhost", "10.213.0.104 wa-core-1.lab.internal wa-core-1",
                                 "10.213.0.199 wa-core-1"]) == {"localhost": "127.0.0.1",
                                                                "wa-core-1.lab.internal": "10.213.0.104",
                                                                "wa-core-1": "10.213.0.104"}


# --- 6. a mistyped WA_DB_HOSTNAME ---------------------------------------------------------------------------------
def test_a_mistyped_db_hostname_is_named_with_its_value_and_where_it_is_set():
    typo = "wa-db.lab.intenral"
    login = Fact(P_DB_LOGIN, "wa-core-2", f"mysql login waent@{typo}:3306 from wa-core-2 (ssh direct-tcpip), db.env "
                 "values, plain TCP", f"cannot reach {typo}:3306: Temporary failure in name resolution", False,
                 {"user": "waent", "refused": False, "reached": False, "credentials": 1, "target": typo, "port": 3306})
    env = Fact(P_ENV, "wa-core-2", "cat /home/wa/biz/db.env", "differs in WA_DB_HOSTNAME", False,
               {"differs": ["WA_DB_HOSTNAME"], "profile_hostname": DB})
    wait = Fact(P_LOGS, "wa-core-2", "docker logs", f"Still waiting for database {typo}:3306 (10 attempts)", False,
                {"service": "wacore", "key": "DB_WAITING", "severity": "error", "title": "still waiting",
                 "next_action": "check"})
    report = reason(db_logins(("wa-web-1", "wa-core-1")) + [login, env, wait, running("wa-core-2", "wacore")]
                    + [dns("wa-core-1", "wa-core-2", "10.213.0.105")])
    top = report.causes[0]
    assert top.key == "DB_NAME_UNRESOLVED", [(c.key, c.title) for c in report.causes]
    assert top.title == (f"the DB host name {typo} does not resolve from wa-core-2 (wa-core-2's db.env sets "
                         f"WA_DB_HOSTNAME={typo}, the profile says {DB})")
    assert login in top.evidence and wait in top.evidence
    assert "ENV_DIFFERS" in top.also and "LOG_WORDS" in top.also
    assert "NAME_UNRESOLVED" not in ruled(report)


def test_waiting_for_the_database_is_catalogued():
    (d,) = diagnose_lines([f"Still waiting for database {DB}:3306 (10 attempts)"])
    assert d.key == "DB_WAITING"
    assert db_waiting(f"Waiting for database {DB}:3306 ...") == (DB, 3306)


# --- 7. words ------------------------------------------------------------------------------------------------------
def test_an_icmp_reject_is_said_as_no_route_to_host():
    assert how_failed("wa-core-1:6251: open failed: connect failed: No route to host") == "rejected (no route to host)"
    facts = [f if (f.host, f.get("target"), f.get("port")) != ("wa-web-1", "wa-core-1", 6251) else
             Fact(P_TCP, f.host, f.command, "wa-core-1:6251: No route to host", False, {**f.data, "timeout": False})
             for f in matrix({})]
    (cause,) = keyed(reason(facts), "PORT_BLOCKED")
    assert "(rejected (no route to host))" in cause.title and "(refused)" not in cause.title


def test_the_media_mode_fix_is_not_recursive():
    f = Fact(P_MEDIA, "wa-web-1", "stat", "/mnt/wamedia mode 700", False,
             {"path": "/mnt/wamedia", "mode": "700", "exists": True, "readonly": False})
    (cause,) = keyed(reason([f]), "MEDIA")
    assert cause.next_action.startswith("chmod 755 /mnt/wamedia") and "-R" not in cause.next_action.split("(")[0]


def test_version_skew_ruled_out_shows_the_versions_compared():
    (r,) = [r for r in reason([running("wa-core-1", "wacore")]).ruled_out if r.key == "VERSION_SKEW"]
    assert "image x:v2.41.2" in r.evidence[0].line


# --- review fixes ---------------------------------------------------------------------------------------------------
def crash_looping(host: str, service: str = "wacore") -> Fact:
    """A container restarting through the window, as containers.py words it."""
    return Fact(P_CONTAINER, host, "docker inspect c1", "restarting (exit code 1, 7 restarts)", False,
                {"service": service, "container": "c1", "running": True, "missing": False, "restarts": 7,
                 "states": ["running", "restarting", "running"], "exit_code": 1, "image": "x:v2.41.2"})


def test_a_crash_looping_coreapp_is_not_folded_under_a_container_path_block():
    """The host's probe and the container's run moments apart: a Coreapp restarting in between is its own cause."""
    refused = inside("wa-web-1", "wa-core-1", 6250, "wa-core-1:6250: bash: connect: Connection refused", False,
                     "coreapp", NODE_ERROR)
    for probe in ([refused], []):  # proven from inside, and the medium fallback without an inside probe
        report = reason(matrix({}) + [node_error(), running("wa-web-1", "waweb"), crash_looping("wa-core-1"), *probe])
        assert not keyed(report, "CONTAINER_PATH_BLOCKED"), [(c.key, c.confidence, c.also) for c in report.causes]
        assert keyed(report, "CONTAINER_DOWN") or keyed(report, "CONTAINER_DOWN_WITH_WORDS"), report.causes


def test_a_container_path_block_to_an_unchecked_target_is_medium():
    facts = matrix({}) + [node_error(), running("wa-web-1", "waweb"),
                          inside("wa-web-1", "wa-core-1", 6250, "bash: connect: Connection refused", False, "coreapp",
                                 NODE_ERROR)]
    (cause,) = keyed(reason(facts), "CONTAINER_PATH_BLOCKED")
    assert cause.confidence == "medium" and "wa-core-1's containers were not checked" in cause.title


def dns_all(host: str, name: str, addresses: list[str], hosts_file: str = "", kind: str = "cluster") -> Fact:
    """A getent fact as network.py makes it: its first line, every address printed."""
    return Fact(P_DNS, host, f"getent hosts {name}", f"{addresses[0]}    {name}", True,
                {"name": name, "hosts_file": hosts_file, "addresses": addresses, "kind": kind})


def test_a_round_robin_name_is_no_name_mismatch():
    """Two hosts get 13.32.1.10 first, one 13.32.1.77 first, all three get both: the same answer reordered."""
    name = "wa-db.example.com"
    facts = [dns_all(h, name, ["13.32.1.10", "13.32.1.77"]) for h in ("wa-web-1", "wa-core-1")]
    facts += [dns_all("wa-core-2", name, ["13.32.1.77", "13.32.1.10"])]
    assert not keyed(reason(facts), "NAME_MISMATCH")
    assert getent_addresses(["13.32.1.77      wa-db.example.com", "13.32.1.10      wa-db.example.com"]) == [
        "13.32.1.77", "13.32.1.10"]


def test_a_resolver_only_name_mismatch_is_medium_and_the_registry_is_left_out():
    name = "wa-db.example.com"
    facts = [dns_all(h, name, ["13.32.1.10"]) for h in ("wa-web-1", "wa-core-1")]
    facts += [dns_all("wa-core-2", name, ["13.32.1.77"]), health_finding()]
    facts += [dns_all(h, "docker.whatsapp.biz", ["13.32.1.10"], kind="registry") for h in ("wa-web-1", "wa-core-1")]
    facts += [dns_all("wa-core-2", "docker.whatsapp.biz", ["13.32.1.77"], kind="registry")]
    report = reason(facts)
    (cause,) = keyed(report, "NAME_MISMATCH")
    assert cause.confidence == "medium" and "wrong address" not in cause.title and name in cause.title
    assert "API_HEALTH" not in cause.also and keyed(report, "API_HEALTH")  # a hostless cause is not its consequence


def test_the_profiles_db_host_name_comes_from_the_db_env_fact():
    typo = "wa-db.lab.intenral"
    elsewhere = Fact(P_TCP, "wa-core-1", "tcp 10.213.0.50:3306", "connected", True,  # another host's db.env target
                     {"target": "10.213.0.50", "port": 3306, "what": "db"})
    login = Fact(P_DB_LOGIN, "wa-core-2", "the login", f"cannot reach {typo}:3306: Name or service not known", False,
                 {"user": "waent", "reached": False, "target": typo, "port": 3306})
    env = Fact(P_ENV, "wa-core-2", "cat db.env", "differs in WA_DB_HOSTNAME", False,
               {"differs": ["WA_DB_HOSTNAME"], "profile_hostname": DB})
    (cause,) = keyed(reason([elsewhere, login, env]), "DB_NAME_UNRESOLVED")
    assert cause.title.endswith(f"WA_DB_HOSTNAME={typo}, the profile says {DB})")
    assert f"to {DB}" in cause.next_action


def test_the_catalogued_db_words_lead_to_the_container_path_while_the_host_logs_in():
    words = "ERROR: Can't connect to MySQL server on 'wa-db.lab.internal' (110)"
    (d,) = [d for d in diagnose_lines([words])]
    assert d.key == "DB_UNREACHABLE"
    log = Fact(P_LOGS, "wa-core-2", "docker logs c2", words, False, {"service": "wacore", "key": d.key,
                                                                       "severity": "error"})
    logins = [Fact(f.probe, f.host, f.command, f.line, f.ok, {**f.data, "target": DB, "port": 3306})
              if f.probe == P_DB_LOGIN else f for f in db_logins()]
    leads = container_leads(Facts(logins + [log, running("wa-core-2", "wacore", "c2")]))
    assert [(l.host, l.service, l.container, l.target, l.port, l.what) for l in leads] == [
        ("wa-core-2", "wacore", "c2", DB, 3306, "db")]
    report = reason(logins + [log, running("wa-core-2", "wacore", "c2"),
                              inside("wa-core-2", DB, 3306, f"{DB}:3306: no answer (timed out)", False, "db", words,
                                     timeout=True)])
    top = report.causes[0]
    assert top.key == "CONTAINER_PATH_BLOCKED" and log in top.evidence, [(c.key, c.title) for c in report.causes]


def test_not_running_words_have_one_definition():
    from wabiz_tui.domain import doctor_rules_path
    from wabiz_tui.workflows.doctor import containers
    assert containers.NOT_RUNNING is doctor_rules_path.NOT_RUNNING and not hasattr(containers, "_NOT_RUNNING")
