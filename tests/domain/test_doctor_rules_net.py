"""doctor's network, compose, container and DNS rules (domain.doctor_rules_net) on facts shaped as the collectors
make them, with the lines observed on the lab (tests/lab/test_47_doctor_net.py) or from the real programs here."""

from __future__ import annotations

import yaml

from wabiz_tui.domain.doctor import (HIGH, P_COMPOSE, P_COMPOSE_SHAPE, P_CONTAINER, P_DNS, P_DNS_CONTAINER, P_DOCKER,
                                     P_LOGS, P_PLATFORM, P_PORT_HOLDER, P_REGISTRY_TRIES, P_RESOLV, P_TCP, Fact,
                                     reason)
from wabiz_tui.domain.doctor_rules_net import compose_shapes, nameservers, shape_differences, taken_port
from wabiz_tui.domain.render import compose_document

HOSTS = {"wa-web-1": ("webapp", (9090,)), "wa-master-1": ("master", (6254, 6255, 6256, 6257)),
         "wa-core-1": ("coreapp", (6250, 6251, 6252, 6253)), "wa-core-2": ("coreapp", (6250, 6251, 6252, 6253))}


def tcp(src: str, target: str, port: int, state: str = "ok") -> Fact:
    """A TCP probe as network.py makes it: ``ok``, ``timeout`` (dropped) or ``refused``."""
    line = {"ok": "connected in 1 ms", "timeout": f"{target}:{port}: no answer within 3 s",
            "refused": f"{target}:{port}: Connection refused"}[state]
    return Fact(P_TCP, src, f"tcp connect {target}:{port} from {src} (ssh direct-tcpip)", line, state == "ok",
                {"target": target, "port": port, "what": HOSTS[target][0], "timeout": state == "timeout"})


def matrix(broken: dict[tuple[str, str, int], str]) -> list[Fact]:
    """Every host to every other host's ports; ``broken`` maps (src, target, port) to "timeout"/"refused"."""
    return [tcp(s, t, p, broken.get((s, t, p), "ok")) for s in HOSTS for t, (_, ports) in HOSTS.items() if s != t
            for p in ports]


def keyed(report, key):
    return [c for c in report.causes if c.key == key]


def test_one_port_dropped_between_two_hosts_is_named_with_its_direction():
    report = reason(matrix({("wa-web-1", "wa-core-2", 6251): "timeout"}))
    (cause,) = keyed(report, "PORT_BLOCKED")
    assert cause is report.causes[0] and cause.confidence == HIGH
    assert cause.title == ("wa-web-1 cannot reach wa-core-2:6251 (timed out); the other ports answer (6250, 6252, 6253) "
                           "and it answers from wa-master-1 — a firewall rule between them drops the packets")
    assert cause.evidence[0].line == "wa-core-2:6251: no answer within 3 s"
    assert {f.host for f in cause.evidence} == {"wa-web-1", "wa-master-1"}
    assert cause.evidence[-1].get("port") == 6251 and cause.evidence[-1].ok  # the same port, from another host
    assert "open TCP 6251 from wa-web-1 to wa-core-2" in cause.next_action
    assert not keyed(report, "HOST_PATH_BLOCKED") and not keyed(report, "NOTHING_LISTENS")


def test_a_rejected_port_is_refused_not_timed_out():
    (cause,) = keyed(reason(matrix({("wa-master-1", "wa-core-1", 6252): "refused"})), "PORT_BLOCKED")
    assert cause.title.startswith("wa-master-1 cannot reach wa-core-1:6252 (refused);")
    assert "rejects the connection" in cause.title


def test_a_port_dropped_from_every_host_is_the_targets_firewall():
    broken = {(s, "wa-core-1", 6253): "timeout" for s in HOSTS if s != "wa-core-1"}
    report = reason(matrix(broken))
    (cause,) = keyed(report, "PORT_BLOCKED")
    assert cause.title.startswith("wa-core-1:6253 times out from every host")
    assert "a firewall on wa-core-1 drops port 6253" in cause.title and cause.hosts == ("wa-core-1",)


def test_a_port_refused_from_every_host_is_left_to_nothing_listens():
    broken = {(s, "wa-core-1", 6253): "refused" for s in HOSTS if s != "wa-core-1"}
    report = reason(matrix(broken))
    assert not keyed(report, "PORT_BLOCKED")
    assert keyed(report, "NOTHING_LISTENS")


def test_a_whole_cut_stays_host_path_blocked_and_a_dead_coreapp_nothing_listens():
    cut = {(a, b, p): "timeout" for a, b in (("wa-web-1", "wa-core-1"), ("wa-core-1", "wa-web-1"))
           for p in HOSTS[b][1]}
    report = reason(matrix(cut))
    assert keyed(report, "HOST_PATH_BLOCKED") and not keyed(report, "PORT_BLOCKED")
    dead = {(s, "wa-core-2", p): "refused" for s in HOSTS if s != "wa-core-2" for p in HOSTS["wa-core-2"][1]}
    report = reason(matrix(dead))
    assert keyed(report, "NOTHING_LISTENS") and not keyed(report, "PORT_BLOCKED")


def test_one_direction_cut_while_the_way_back_works():
    broken = {("wa-web-1", "wa-core-2", p): "timeout" for p in HOSTS["wa-core-2"][1]}
    (cause,) = keyed(reason(matrix(broken)), "PORT_BLOCKED")
    assert cause.title.startswith("wa-web-1 cannot reach any port of wa-core-2 (timed out) although wa-core-2 reaches "
                                  "wa-web-1")


def test_a_healthy_matrix_rules_it_out():
    report = reason(matrix({}))
    assert not report.causes and "PORT_BLOCKED" in {r.key for r in report.ruled_out}


# --- FR30 --------------------------------------------------------------------------------------------------
PROXY = ("driver failed programming external connectivity on endpoint biz_waweb_1 (3f2a): Error starting userland "
         "proxy: listen tcp4 0.0.0.0:9090: bind: address already in use")


def test_taken_port_reads_both_dockerd_wordings():
    assert taken_port(PROXY) == 9090
    assert taken_port("Bind for 0.0.0.0:6250 failed: port is already allocated") == 6250
    assert taken_port("exited (exit code 1)") is None and taken_port("") is None


def test_fr30_port_taken_names_the_port_and_the_holder():
    down = Fact(P_CONTAINER, "wa-web-1", "docker inspect 3f2a", f"created (exit code 128): {PROXY}", False,
                {"service": "waweb", "container": "3f2a", "state_error": PROXY, "missing": False, "oom": False})
    holder = Fact(P_PORT_HOLDER, "wa-web-1", "ss -ltnp 'sport = :9090'", "LISTEN 0 8 0.0.0.0:9090 0.0.0.0:*", False,
                  {"port": 9090, "holder": "a process that is not a container (its name needs root: sudo ss -ltnp)"})
    report = reason([down, holder])
    (cause,) = keyed(report, "PORT_TAKEN")
    assert cause.title.startswith("waweb on wa-web-1 cannot start: host port 9090 is already taken by a process")
    assert cause.evidence == (down, holder) and "ss -ltnp" in cause.next_action
    assert not keyed(report, "CONTAINER_DOWN")  # folded into the cause
    assert "CONTAINER_DOWN" in cause.also


# --- compose shape (FR24, FR15) ------------------------------------------------------------------------------
#: docker-compose 1.29.2 `config` of a hand-edited file (observed here: ports print as published/target mappings)
CONFIG = """services:
  waweb:
    image: docker.whatsapp.biz/web:v2.41.2
    network_mode: bridge
    ports:
    - published: 9090
      target: 9090
version: '2.1'
"""


def test_compose_shapes_of_compose_output_and_of_the_rendered_file():
    assert compose_shapes(yaml.safe_load(CONFIG)) == {"waweb": {"ports": ["9090:9090"], "network_mode": "bridge"}}
    expected = compose_shapes(compose_document())
    assert expected["waweb"]["ports"] == ["9090:443"]
    assert expected["master"]["ports"] == ["6254:6250", "6255:6251", "6256:6252", "6257:6253"]
    assert compose_shapes({"services": {"x": {"ports": [{"target": 443, "published": "9090", "protocol": "tcp"}]}}}) \
        == {"x": {"ports": ["9090:443"], "network_mode": ""}}  # compose v2's form
    assert compose_shapes("not yaml mapping") == {}


def shape(host: str, service: str, ports: list[str], mode: str = "") -> Fact:
    want = compose_shapes(compose_document())[service]
    return Fact(P_COMPOSE_SHAPE, host, "docker-compose -f prod-multiconnect-compose.yml config",
                f"{service}: ports {', '.join(ports)}" + (f", network_mode {mode}" if mode else ""), True,
                {"service": service, "ports": ports, "network_mode": mode, "expected_ports": want["ports"],
                 "expected_network_mode": want["network_mode"]})


def test_fr24_webapp_without_443_published():
    f = shape("wa-web-1", "waweb", ["9090:9090"])
    report = reason([f])
    (cause,) = keyed(report, "WEBAPP_443_UNPUBLISHED")
    assert cause.title == "waweb on wa-web-1 does not publish its container port 443 (ports 9090:9090)"
    assert "EXTERNAL_WEBAPP_PORT:-9090}:443" in cause.next_action and cause.source.startswith("FR24: https://")
    assert cause.also == ("COMPOSE_EDITED",)
    assert not keyed(reason([shape("wa-web-1", "waweb", ["9090:443"])]), "WEBAPP_443_UNPUBLISHED")


def test_fr15_network_mode_and_ports_edited_by_hand():
    f = shape("wa-core-1", "wacore", ["6250:6250", "6251:6251", "6252:6252", "6253:6253"], "bridge")
    (cause,) = keyed(reason([f]), "COMPOSE_EDITED")
    assert cause.title == ("the compose file on wa-core-1 is not what the profile renders: wacore network_mode bridge "
                           "instead of (default)")
    assert shape_differences(shape("wa-master-1", "master", ["6254:6250"]).data) == [
        "publishes 6254:6250 instead of 6254:6250, 6255:6251, 6256:6252, 6257:6253"]
    same = reason([shape("wa-web-1", "waweb", ["9090:443"])])
    assert not same.causes and "COMPOSE_EDITED" in {r.key for r in same.ruled_out}


# --- FR40, FR06 ----------------------------------------------------------------------------------------------
def test_fr40_compose_v1_on_engine_25_or_later():
    engine = Fact(P_DOCKER, "wa-core-1", "docker version", "Docker 25.0.3 answers", True, {"daemon": "up", "version": "25.0.3"})
    compose = Fact(P_COMPOSE, "wa-core-1", "docker-compose config --services", "docker-compose: services wacore", True,
                   {"flavour": "docker-compose", "services": ["wacore"]})
    (cause,) = keyed(reason([engine, compose]), "COMPOSE_V1_NEW_ENGINE")
    assert "Docker Engine 25.0.3 with docker-compose v1" in cause.title and "KeyError: 'ContainerConfig'" in cause.title
    assert "docker compose v2" in cause.next_action
    old = Fact(P_DOCKER, "wa-core-1", "docker version", "Docker 20.10.24 answers", True, {"daemon": "up", "version": "20.10.24"})
    assert not keyed(reason([old, compose]), "COMPOSE_V1_NEW_ENGINE")
    v2 = Fact(P_COMPOSE, "wa-core-1", "docker compose config --services", "", True, {"flavour": "docker compose"})
    assert not keyed(reason([engine, v2]), "COMPOSE_V1_NEW_ENGINE")


def test_fr06_web_db_race_is_named_not_blamed_on_the_db():
    line = ("SQLSTATE[HY000]: General error: 1007 Can't create database 'wa_waweb'; database exists")
    words = Fact(P_LOGS, "wa-web-2", "docker logs --tail 200 abc", line, False,
                 {"service": "waweb", "key": "WEBDB_CREATE_RACE", "severity": "error", "lines_back": 3,
                  "title": "the web database was created by another Webapp at the same moment"})
    down = Fact(P_CONTAINER, "wa-web-2", "docker inspect abc", "restarting (exit code 1, 2 restarts)", False,
                {"service": "waweb", "container": "abc", "missing": False, "oom": False})
    report = reason([words, down])
    (cause,) = keyed(report, "WEBDB_CREATE_RACE")
    assert cause is report.causes[0] and "lost the race to create the web database" in cause.title
    assert "restart waweb on wa-web-2 once" in cause.next_action
    assert {"CONTAINER_DOWN_WITH_WORDS"} <= set(cause.also)


# --- container DNS (FR43, FR44, the crash-loop false positive) ---------------------------------------------------
def _dns(host="wa-core-1", name="wa-db.lab.internal", inside_ok=False, container="abc"):
    return [Fact(P_DNS, host, f"getent hosts {name}", f"10.213.0.30 {name}", True, {"name": name}),
            Fact(P_DNS_CONTAINER, host, f"docker exec {container} getent hosts {name}",
                 "not found (exit status 2)" if not inside_ok else f"10.213.0.30 {name}", inside_ok,
                 {"name": name, "container": container, "service": "wacore"})]


def test_fr43_host_resolver_on_loopback_is_named():
    facts = _dns() + [
        Fact(P_RESOLV, "wa-core-1", "cat /etc/resolv.conf", "nameserver 127.0.0.53", True,
             {"where": "host", "nameservers": ["127.0.0.53"]}),
        Fact(P_RESOLV, "wa-core-1", "docker exec abc cat /etc/resolv.conf", "nameserver 8.8.8.8, 8.8.4.4", True,
             {"where": "container", "nameservers": ["8.8.8.8", "8.8.4.4"]})]
    report = reason(facts)
    (cause,) = keyed(report, "CONTAINER_RESOLVER")
    assert "the host's resolver is on loopback (127.0.0.53)" in cause.title and "given 8.8.8.8, 8.8.4.4" in cause.title
    assert "daemon.json" in cause.next_action
    assert "CONTAINER_NAME_UNRESOLVED" in cause.also


def test_fr44_no_resolver_given_at_all():
    facts = _dns() + [Fact(P_RESOLV, "wa-core-1", "cat /etc/resolv.conf", "nameserver 127.0.0.53", True,
                           {"where": "host", "nameservers": ["127.0.0.53"]}),
                      Fact(P_RESOLV, "wa-core-1", "docker exec abc cat /etc/resolv.conf", "no nameserver line", False,
                           {"where": "container", "nameservers": []})]
    (cause,) = keyed(reason(facts), "CONTAINER_RESOLVER")
    assert cause.title.endswith("they were given no nameserver")


def test_fr44_no_host_resolv_conf_on_docker_28():
    missing = Fact(P_RESOLV, "wa-core-1", "cat /etc/resolv.conf", "cat: /etc/resolv.conf: No such file or directory",
                   False, {"where": "host", "nameservers": []})
    engine = Fact(P_DOCKER, "wa-core-1", "docker version", "Docker 28.0.1 answers", True, {"daemon": "up", "version": "28.0.1"})
    (cause,) = keyed(reason(_dns() + [missing, engine]), "CONTAINER_RESOLVER")
    assert "no /etc/resolv.conf and Docker 28.0.1 no longer falls back to public DNS" in cause.title
    older = Fact(P_DOCKER, "wa-core-1", "docker version", "Docker 27.5.1 answers", True, {"daemon": "up", "version": "27.5.1"})
    (cause,) = keyed(reason(_dns() + [missing, older]), "CONTAINER_RESOLVER")  # the public fallback (moby#41859)
    assert "no /etc/resolv.conf and Docker 27.5.1 falls back to public DNS (8.8.8.8, 8.8.4.4)" in cause.title
    assert not keyed(reason(_dns() + [missing]), "CONTAINER_RESOLVER")  # no engine version: nothing to say


def test_container_lookup_failing_with_a_real_resolver_stays_container_name_unresolved():
    facts = _dns() + [Fact(P_RESOLV, "wa-core-1", "cat /etc/resolv.conf", "nameserver 10.213.0.2", True,
                           {"where": "host", "nameservers": ["10.213.0.2"]})]
    report = reason(facts)
    assert keyed(report, "CONTAINER_NAME_UNRESOLVED") and not keyed(report, "CONTAINER_RESOLVER")


def test_a_lookup_in_a_crash_looping_container_is_not_a_dns_fault():
    loop = Fact(P_CONTAINER, "wa-core-1", "docker inspect abc", "restarting (exit code 1, 4 restarts)", False,
                {"service": "wacore", "container": "abc", "missing": False, "oom": False})
    report = reason(_dns() + [loop])
    assert not keyed(report, "CONTAINER_NAME_UNRESOLVED")
    assert keyed(report, "CONTAINER_DOWN")


def test_nameservers_reads_resolv_conf():
    assert nameservers(["# generated", "nameserver 127.0.0.11", "options ndots:0", "nameserver ::1"]) == ["127.0.0.11", "::1"]


def test_fr43_container_lookups_that_time_out_count_and_make_one_cause_per_host():
    slow = [Fact(P_DNS_CONTAINER, "wa-core-1", f"docker exec abc getent hosts {n}", "no answer within 9 s", None,
                 {"name": n, "container": "abc", "timeout": True, "why": "timed out"}) for n in ("wa-web-1", "wa-core-2")]
    host = [Fact(P_DNS, "wa-core-1", f"getent hosts {n}", f"10.213.0.101 {n}", True, {"name": n}) for n in ("wa-web-1", "wa-core-2")]
    conf = Fact(P_RESOLV, "wa-core-1", "cat /etc/resolv.conf", "nameserver 127.0.0.53", True,
                {"where": "host", "nameservers": ["127.0.0.53"]})
    report = reason(slow + host + [conf])
    (cause,) = keyed(report, "CONTAINER_RESOLVER")
    assert cause.title.startswith("containers on wa-core-1 cannot resolve wa-web-1, wa-core-2: the host's resolver is on "
                                  "loopback (127.0.0.53)")
    assert not keyed(report, "PROBE_TIMEOUT")  # folded: the timeouts are this cause's


# --- FR04 ----------------------------------------------------------------------------------------------------
#: the index pushed to the lab registry by field_faults_net.platform_only_index (its one entry: linux/arm64)
ARM_ONLY = ('{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"mediaType": '
            '"application/vnd.docker.distribution.manifest.v2+json", "digest": "sha256:ab", "size": 1, '
            '"platform": {"architecture": "arm64", "os": "linux"}}, {"mediaType": "x", "digest": "sha256:cd", "size": 1, '
            '"platform": {"architecture": "unknown", "os": "unknown"}}]}')


def test_index_platforms_and_the_host_machine():
    from wabiz_tui.domain.doctor_rules_net import index_platforms, machine_platform
    assert index_platforms(ARM_ONLY) == ["linux/arm64"]
    assert index_platforms('{"schemaVersion": 2, "config": {}, "layers": []}') is None  # a single manifest
    assert index_platforms("<html>403</html>") is None
    assert machine_platform("x86_64") == "linux/amd64" and machine_platform("aarch64") == "linux/arm64"
    assert machine_platform("sh: uname: not found") == ""


def test_fr04_no_image_for_the_hosts_platform():
    f = Fact(P_PLATFORM, "wa-core-1", "uname -m; curl ...", "docker.whatsapp.biz/coreapp:v2.99.0 offers linux/arm64; "
             "this host is linux/amd64", False, {"image": "docker.whatsapp.biz/coreapp:v2.99.0", "arch": "linux/amd64",
                                                  "platforms": ["linux/arm64"]})
    (cause,) = keyed(reason([f]), "IMAGE_PLATFORM_MISSING")
    assert cause.title == ("docker.whatsapp.biz/coreapp:v2.99.0 has no linux/amd64 image for wa-core-1 (it offers "
                           "linux/arm64): a pull fails with 'no matching manifest for linux/amd64'")
    assert "platform: linux/arm64" in cause.next_action


# --- FR02 ----------------------------------------------------------------------------------------------------
def tries(host: str, codes: list[int]) -> Fact:
    refused = [c for c in codes if c == 0 or c >= 400]
    return Fact(P_REGISTRY_TRIES, host, "for i in 1 2 3; do curl -s -o /dev/null -I -w '%{http_code}\\n' ...; done",
                f"docker.whatsapp.biz/coreapp:v2.41.2: refused {len(refused)} of {len(codes)} attempts", not refused,
                {"image": "docker.whatsapp.biz/coreapp:v2.41.2", "codes": codes})


def test_fr02_a_refusal_that_comes_and_goes_is_counted():
    (cause,) = keyed(reason([tries("wa-core-2", [403, 200, 403]), tries("wa-core-1", [200, 200, 200])]),
                     "REGISTRY_INTERMITTENT")
    assert cause.title == "the registry refuses wa-core-2 only sometimes (2 of 3 attempts, HTTP 403)"
    assert "retry the pull" in cause.next_action and cause.hosts == ("wa-core-2",)


def test_fr02_refused_every_time_is_not_intermittent():
    assert not keyed(reason([tries("wa-core-2", [403, 403, 403])]), "REGISTRY_INTERMITTENT")
