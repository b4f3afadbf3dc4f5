"""doctor's reasoning (domain.doctor + doctor_rules): facts shaped as the collectors make them -> ranked causes."""

from __future__ import annotations

import json

from wabiz_tui.domain.doctor import (HIGH, P_CONTAINER, P_DB_LOGIN, P_DNS, P_DOCKER, P_LOGS, P_REGISTRY, P_TCP, Clear, Fact,
                                     Found, Rule, reason)

HOSTS = ("wa-web-1", "wa-master-1", "wa-core-1", "wa-core-2")


def tcp(src, target, port, ok, what="coreapp", line=""):
    return Fact(P_TCP, src, f"tcp {target}:{port}", line or ("connected" if ok else f"connect to {target} port {port}: Connection timed out"),
                ok, {"target": target, "port": port, "what": what, "timeout": not ok})


def test_a_port_cut_between_two_hosts_names_the_path_with_a_witness():
    facts = [tcp(h, t, p, True, w) for h in HOSTS for t, p, w in (("wa-core-1", 6250, "coreapp"), ("wa-master-1", 6254, "master"))
             if h != t]
    facts = [f for f in facts if not (f.host == "wa-web-1" and f.get("target") == "wa-core-1")]
    facts.append(tcp("wa-web-1", "wa-core-1", 6250, False))
    report = reason(facts)
    top = report.causes[0]
    assert top.key == "HOST_PATH_BLOCKED" and top.confidence == HIGH
    assert "between wa-web-1 and wa-core-1" in top.title and "answer from wa-master-1" in top.title
    assert top.evidence[0].line.endswith("Connection timed out") and top.evidence[1].ok is True
    assert "firewall" in top.next_action
    assert not [c for c in report.causes if c.key == "NOTHING_LISTENS"]


def test_nothing_listening_anywhere_is_not_a_network_path():
    facts = [tcp(h, "wa-core-1", 6250, False, line="connect to wa-core-1 port 6250: Connection refused") for h in HOSTS if h != "wa-core-1"]
    keys = [c.key for c in reason(facts).causes]
    assert keys == ["NOTHING_LISTENS"]


def test_db_refusing_the_credentials_from_every_host_is_the_db_credentials():
    facts = [Fact(P_DB_LOGIN, h, "mysql login", "(1045, \"Access denied for user 'waent'@'10.213.0.11' (using password: YES)\")",
                  False, {"user": "waent", "refused": True}) for h in HOSTS]
    facts += [tcp(h, "wa-db", 3306, True, "db") for h in HOSTS]
    facts.append(Fact(P_CONTAINER, "wa-core-1", "docker inspect", "restarting (exit 1, 5 restarts)", False,
                      {"service": "wacore", "restarts": 5}))
    facts.append(Fact(P_LOGS, "wa-core-1", "docker-compose logs", "E ... Access denied for user 'waent'", False,
                      {"service": "wacore", "key": "DB_AUTH_FAILED", "severity": "error", "title": "the database refused the credentials",
                       "next_action": "check db.env"}))
    report = reason(facts)
    assert report.causes[0].key == "DB_CREDENTIALS"
    assert "WA_DB_USERNAME=waent" in report.causes[0].title
    # the Coreapp restarting with those words is the same cause: folded in, not ranked on its own
    assert "CONTAINER_DOWN_WITH_WORDS" in report.causes[0].also
    assert [c.key for c in report.causes] == ["DB_CREDENTIALS"]
    assert any(r.key == "DB_DOWN" for r in report.ruled_out)


def test_db_reached_from_some_hosts_only_is_the_path_not_the_db():
    facts = [tcp("wa-core-1", "wa-db", 3306, False, "db")] + [tcp(h, "wa-db", 3306, True, "db") for h in HOSTS[:2]]
    causes = reason(facts).causes
    assert [c.key for c in causes] == ["DB_PATH_BLOCKED"]
    assert "from wa-core-1 to the database" in causes[0].title and "answers from wa-web-1" in causes[0].title


def test_db_down_from_every_host():
    facts = [tcp(h, "wa-db", 3306, False, "db", "connect to wa-db port 3306: Connection refused") for h in HOSTS]
    causes = reason(facts).causes
    assert causes[0].key == "DB_DOWN" and causes[0].confidence == HIGH and len(causes[0].evidence) == 4


def test_dns_name_missing_everywhere_and_on_one_host():
    everywhere = [Fact(P_DNS, h, "getent hosts wa-master-2", "getent hosts wa-master-2: not found (status 2)", False,
                       {"name": "wa-master-2"}) for h in HOSTS]
    one = [Fact(P_DNS, "wa-web-1", "getent hosts wa-db", "not found", False, {"name": "wa-db"}),
           Fact(P_DNS, "wa-core-1", "getent hosts wa-db", "10.0.0.3 wa-db", True, {"name": "wa-db"})]
    titles = [c.title for c in reason(everywhere + one).causes]
    assert "wa-master-2 does not resolve on any host (4 asked)" in titles
    assert "wa-web-1 cannot resolve wa-db" in titles


def test_dockerd_down_explains_its_containers():
    facts = [Fact(P_DOCKER, "wa-core-2", "docker info", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                  "Is the docker daemon running?", False, {"daemon": "down"}),
             Fact(P_CONTAINER, "wa-core-2", "docker inspect", "missing", False, {"service": "wacore", "missing": True})]
    causes = reason(facts).causes
    assert [c.key for c in causes] == ["DOCKERD_DOWN"] and causes[0].hosts == ("wa-core-2",)


def test_registry_refusal_is_named_by_its_http_code():
    facts = [Fact(P_REGISTRY, h, "curl -sI https://docker.whatsapp.biz/v2/...", "HTTP/1.1 401 Unauthorized", False,
                  {"code": 401, "image": "docker.whatsapp.biz/web:v2.41.2"}) for h in HOSTS[:2]]
    (cause,) = reason(facts).causes
    assert "demands credentials (HTTP 401)" in cause.title and "docker login" in cause.next_action


def test_a_new_rule_is_one_row():
    def always(facts):
        yield Found("x", (), "do y")
        yield Clear("nope", ())

    report = reason([], (Rule("X", "x", "test", always),))
    assert report.causes[0].key == "X" and report.causes[0].source == "test"


def test_unknown_facts_are_kept_apart_and_the_report_is_json():
    facts = [Fact(P_DB_LOGIN, "wa-web-1", "mysql login", "", None, {"why": "no tunnel"})]
    report = reason(facts)
    data = json.loads(json.dumps(report.to_json()))
    assert data["unknown"][0]["state"] == "unknown" and data["causes"] == [] and len(data["facts"]) == 1


def test_a_name_only_its_own_host_resolves_is_missing_from_the_dns():
    facts = [Fact(P_DNS, h, "getent hosts wa-master-2", "not found", h == "wa-master-2", {"name": "wa-master-2"})
             for h in HOSTS + ("wa-master-2",)]
    (cause,) = reason(facts).causes
    assert cause.title == "wa-master-2 does not resolve on any host but itself (4 asked)"


def test_a_db_env_finding_keeps_its_own_source():
    from wabiz_tui.domain.doctor import P_ENV
    f = Fact(P_ENV, "wa-web-1", "cat /home/wa/biz/db.env", "error WA_DB_PORT_UNIT db.env line 3 (WA_DB_PORT): ...", False,
             {"key": "WA_DB_PORT_UNIT", "severity": "error", "source": "Meta docs X", "fix": "write the number only"})
    (cause,) = reason([f]).causes
    assert cause.key == "ENV_VALUE" and cause.source == "Meta docs X" and cause.next_action == "write the number only"


def test_container_dns_clock_oom_and_readonly_media():
    from wabiz_tui.domain.doctor import P_CLOCK, P_DNS_CONTAINER, P_MEDIA
    facts = [
        Fact(P_DNS, "wa-core-1", "getent hosts wa-db", "10.0.0.3 wa-db", True, {"name": "wa-db"}),
        Fact(P_DNS_CONTAINER, "wa-core-1", "docker exec abc getent hosts wa-db", "not found (exit status 2)", False,
             {"name": "wa-db", "service": "wacore", "container": "abc"}),
        Fact(P_CLOCK, "wa-master-1", "date +%s.%N", "+95.00 s against this machine", False, {"skew_s": 95.0}),
        Fact(P_CONTAINER, "wa-core-2", "docker inspect", "exited (exit code 137)", False,
             {"service": "wacore", "oom": True}),
        Fact(P_MEDIA, "wa-web-1", "stat; findmnt", "/mnt/wamedia: owner wa, mode 755, mounted ro,relatime", False,
             {"path": "/mnt/wamedia", "readonly": True, "exists": True, "mode": "755"}),
    ]
    by_key = {c.key: c for c in reason(facts).causes}
    assert "although the host can" in by_key["CONTAINER_NAME_UNRESOLVED"].title
    assert by_key["CLOCK_SKEW"].confidence == HIGH and "+95.0 s off" in by_key["CLOCK_SKEW"].title
    assert "OOMKilled" in by_key["CONTAINER_OOM"].title and "CONTAINER_DOWN" not in by_key
    assert by_key["MEDIA"].title == "the media path /mnt/wamedia is mounted read-only on wa-web-1"


def test_a_missing_key_file_is_one_cause_here_with_the_profile_fix_not_five_dead_hosts():
    """Fresh-user trial: a profile whose key file was deleted gave five 'cannot be reached over SSH: check that
    wa-X is up and its sshd answers' causes; the connection's own error says the cause is the profile."""
    from wabiz_tui.domain.doctor import P_SSH

    line = "the key file /tmp/demo/id_ed25519 does not exist"
    facts = [Fact(P_SSH, h, f"ssh {h}", line, False,
                  {"error": "AuthenticationFailed", "next_action": "fix ssh.key_file in the profile"}) for h in HOSTS]
    facts.append(Fact(P_SSH, "wa-core-9", "ssh wa-core-9", "connection refused by 10.0.0.9:22", False,
                      {"error": "HostUnreachable", "next_action": ""}))
    causes = [c for c in reason(facts).causes if c.key == "HOST_UNREACHABLE"]
    assert len(causes) == 2, [c.title for c in causes]
    here, there = causes
    assert here.title.startswith("SSH to wa-web-1, wa-master-1, wa-core-1, wa-core-2 refused here")
    assert here.next_action == "fix ssh.key_file in the profile" and "sshd" not in here.next_action
    assert there.title == "wa-core-9 cannot be reached over SSH" and "sshd answers" in there.next_action


def test_the_same_db_env_difference_on_every_host_is_one_cause():
    """Fresh-user trial: a wrong DB password in the profile gave five "db.env on wa-X differs" causes."""
    from wabiz_tui.domain.doctor import P_ENV

    def env(host, differs):
        return Fact(P_ENV, host, "cat db.env", "differs" if differs else "same", not differs,
                    {"differs": tuple(differs)})

    causes = [c for c in reason([env(h, ["WA_DB_PASSWORD"]) for h in HOSTS]).causes if "differs" in c.title]
    assert len(causes) == 1 and causes[0].title.startswith("db.env on wa-web-1, wa-master-1, wa-core-1, wa-core-2")
    assert "every host" in causes[0].title
    mixed = [env("wa-web-1", ["WA_DB_PORT"])] + [env(h, []) for h in HOSTS[1:]]
    one = [c for c in reason(mixed).causes if "differs" in c.title]
    assert [c.title for c in one] == ["db.env on wa-web-1 differs from the profile in WA_DB_PORT"]
