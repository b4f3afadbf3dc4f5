"""``doctor`` on the network, compose, container and DNS layers, on real parts (issue 16): one TCP port blocked
between two hosts by iptables (dropped, or rejected), a host port taken by another process (FR30), a compose file
edited by hand (FR24: 443 not published; FR15: network_mode), a crash-looping container whose names "do not
resolve", a read-only mount stacked on the media path. Each test injects the fault, runs ``doctor --json`` as a user
would, and checks the cause, its host, the evidence line the real program printed and the next action; the text
report is printed (``-s``) for the record.
"""

from __future__ import annotations

import json

import pytest

from tests.lab.conftest import cli, recreate_container
from tests.lab.test_40_doctor import doctor, installed  # noqa: F401 - the module's installed cluster
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.lab import faults, field_faults, field_faults_net, services
from wabiz_tui.lab.host import DEBIAN_DOCKER

COMPOSE = "/home/wa/biz/prod-multiconnect-compose.yml"


@pytest.fixture
def broken(lab, installed):
    yield installed
    faults.clear(lab.paths)


def cause_of(report: dict, key: str) -> dict:
    mine = [c for c in report["causes"] if c["key"] == key]
    assert mine, [(c["key"], c["title"]) for c in report["causes"]]
    return mine[0]


def show(profile, *args: str) -> None:
    out = cli("doctor", str(profile), *args, timeout=300)
    print(out.stdout[-4000:])


def lines(cause: dict) -> list[str]:
    return [f["line"] for f in cause["evidence"]]


@pytest.mark.parametrize("argv, words", [
    (["fault", "port-block", "wa-web-1", "wa-core-2", "x", "drop"], "fault port-block: PORT must be a whole number from 1 to 65535, not 'x'"),
    (["fault", "port-block", "wa-web-1", "wa-core-2", "6251", "sometimes"],
     "port-block mode 'sometimes': use drop (the connection times out) or reject (refused)"),
    (["fault", "port-block", "wa-web-1", "wa-web-1", "6251", "drop"], "port-block: give two different hosts"),
    (["fault", "port-block", "wa-web-1", "wa-core-2"], "fault port-block takes 4 argument(s)"),
])
def test_bad_port_block_arguments_are_one_sentence_and_exit_2(monkeypatch, capsys, argv, words):
    """Refused before any lab is needed (runs anywhere)."""
    from wabiz_tui.cli.main import main
    monkeypatch.setattr("wabiz_tui.lab.control.check_can_run", lambda: None)
    assert main(["lab", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wabiz-tui lab: ") and words in err and err.count("\n") == 1


def test_one_port_dropped_from_the_webapp_to_one_coreapp(lab, broken):
    """A new user's trial (issue 16 "Done means"): wa-core-2's firewall drops what wa-web-1 sends to 6251, nothing
    else. doctor names that port, that direction, "timed out", the ports that still answer, and a host it answers."""
    field_faults_net.block_port(lab.paths, "wa-web-1", "wa-core-2", 6251, "drop")
    code, report = doctor(broken)
    show(broken)
    assert code == Exit.CAUSES_FOUND
    cause = cause_of(report, "PORT_BLOCKED")
    assert cause is report["causes"][0] or all(c["confidence"] != "high" for c in report["causes"][:report["causes"].index(cause)])
    assert cause["title"].startswith("wa-web-1 cannot reach wa-core-2:6251 (timed out); the other ports answer (")
    assert "a firewall rule between them drops the packets" in cause["title"]
    assert any(l == "wa-core-2:6251: no answer within 3 s" for l in lines(cause)), lines(cause)
    assert "open TCP 6251 from wa-web-1 to wa-core-2" in cause["next_action"]
    assert sorted(cause["hosts"]) == ["wa-core-2", "wa-web-1"]
    assert not [c for c in report["causes"] if c["key"] in ("HOST_PATH_BLOCKED", "NOTHING_LISTENS")]


def test_one_port_rejected_between_a_master_and_a_coreapp(lab, broken):
    """wa-master-1's egress filter rejects 6252 to wa-core-1 (tcp-reset): "refused" at once, not "timed out"."""
    field_faults_net.block_port(lab.paths, "wa-master-1", "wa-core-1", 6252, "reject")
    code, report = doctor(broken)
    show(broken)
    cause = cause_of(report, "PORT_BLOCKED")
    assert cause["title"].startswith("wa-master-1 cannot reach wa-core-1:6252 (refused); the other ports answer")
    assert "rejects the connection" in cause["title"]
    assert any("6252" in l and "refused" in l.lower() for l in lines(cause)), lines(cause)


def test_fr30_webapp_port_taken_by_another_process(lab, broken):
    """FR30: waweb stopped, a process takes host port 9090, waweb started again: dockerd refuses to start it
    (State.Error), doctor names the port, the holder's ss line and the way out."""
    docker = lambda *a: faults.in_host(lab.paths, "wa-web-1", [DEBIAN_DOCKER, *a], check=False)  # noqa: E731
    assert docker("stop", "biz_waweb_1").returncode == 0
    try:
        field_faults.port(lab.paths, "wa-web-1", 9090)
        started = docker("start", "biz_waweb_1")
        print("docker start:", started.stdout, started.stderr)
        assert "address already in use" in started.stderr
        code, report = doctor(broken, "--host", "wa-web-1")
        show(broken, "--host", "wa-web-1")
        cause = cause_of(report, "PORT_TAKEN")
        assert cause["title"].startswith("waweb on wa-web-1 cannot start: host port 9090 is already taken")
        assert any("listen tcp4 0.0.0.0:9090: bind: address already in use" in l for l in lines(cause)), lines(cause)
        assert any(l.startswith("LISTEN") and ":9090" in l for l in lines(cause)), lines(cause)
        assert "ss -ltnp" in cause["next_action"]
        assert not [c for c in report["causes"] if c["key"] == "CONTAINER_DOWN" and "wa-web-1" in c["title"]]
    finally:
        faults.clear(lab.paths)
        docker("start", "biz_waweb_1")


def _edit_compose(lab, host: str, sed: str):
    assert lab.sh(host, f"cp {COMPOSE} {COMPOSE}.orig && sed -i {sed} {COMPOSE}").returncode == 0


def _restore_compose(lab, host: str):
    lab.sh(host, f"mv {COMPOSE}.orig {COMPOSE}")


def test_fr24_webapp_port_443_not_published(lab, broken):
    """FR24: the Webapp's port line edited to 9090:9090 on wa-web-1 (as docker-compose config then reads it)."""
    _edit_compose(lab, "wa-web-1", "'s/- ${EXTERNAL_WEBAPP_PORT:-9090}:443/- 9090:9090/'")
    try:
        code, report = doctor(broken, "--host", "wa-web-1")
        show(broken, "--host", "wa-web-1")
    finally:
        _restore_compose(lab, "wa-web-1")
    cause = cause_of(report, "WEBAPP_443_UNPUBLISHED")
    assert cause["hosts"] == ["wa-web-1"] and "waweb on wa-web-1 does not publish its container port 443" in cause["title"]
    assert "waweb: ports 9090:9090" in lines(cause)
    assert ":443" in cause["next_action"] and cause["source"].startswith("FR24: https://")
    assert "COMPOSE_EDITED" in cause["also"]  # the same edit, folded


def test_fr15_network_mode_added_by_hand(lab, broken):
    """FR15: ``network_mode: bridge`` typed into the Coreapp's service on wa-core-1."""
    _edit_compose(lab, "wa-core-1", "'/^  wacore:$/a\\    network_mode: bridge'")
    try:
        code, report = doctor(broken, "--host", "wa-core-1")
        show(broken, "--host", "wa-core-1")
    finally:
        _restore_compose(lab, "wa-core-1")
    cause = cause_of(report, "COMPOSE_EDITED")
    assert cause["hosts"] == ["wa-core-1"]
    assert "wacore network_mode bridge instead of (default)" in cause["title"]
    assert any("network_mode bridge" in l for l in lines(cause))


def test_a_crash_looping_container_is_not_a_dns_fault(lab, broken):
    """The Coreapp on wa-core-2 exits 1 at each start (crash file): a lookup inside it fails because it restarts,
    which doctor must not call a DNS fault; the crash loop is the cause."""
    marker = lab.paths.media / "LAB_CRASH-wa-core-2"
    marker.write_text("Out of file descriptors")
    try:
        assert lab.sh("wa-core-2", "docker restart biz_wacore_1").returncode == 0
        code, report = doctor(broken, "--host", "wa-core-2")
        show(broken, "--host", "wa-core-2")
    finally:
        marker.unlink()
        recreate_container(lab, broken, "wa-core-2")  # a new container: no crash lines left for the next module
    assert not [c for c in report["causes"] if c["key"] == "CONTAINER_NAME_UNRESOLVED"], report["causes"]
    assert report["causes"][0]["key"] == "CONTAINER_DOWN_WITH_WORDS"
    inside = [f for f in report["facts"] if f["probe"] == "dns.container" and f["host"] == "wa-core-2"]
    assert all(f["state"] != "bad" or "is restarting" not in f["line"] for f in inside), inside


def test_a_read_only_mount_stacked_on_the_media_path_is_the_one_read(lab, broken):
    """A read-only tmpfs mounted over wa-core-1's media path: findmnt --target lists the shared (rw) mount first and
    the stacked one last; doctor reads the last, the one in use."""
    faults.in_host(lab.paths, "wa-core-1", ["mount", "-t", "tmpfs", "-o", "ro,size=1m,mode=755", "stacked",
                                            "/mnt/wamedia"])
    try:
        got = faults.in_host(lab.paths, "wa-core-1", ["findmnt", "-no", "SOURCE,OPTIONS", "--target", "/mnt/wamedia"])
        print(got.stdout)
        assert got.stdout.strip().splitlines()[-1].startswith("stacked")
        code, report = doctor(broken, "--host", "wa-core-1")
    finally:
        faults.in_host(lab.paths, "wa-core-1", ["umount", "/mnt/wamedia"], check=False)
    cause = cause_of(report, "MEDIA")
    assert "read-only" in cause["title"] and cause["hosts"] == ["wa-core-1"]
    assert services.DB_PASSWORD not in json.dumps(report)


def test_fr43_host_resolver_on_loopback_leaves_a_bridge_container_without_dns(lab, broken):
    """FR43: wa-core-1 resolves through a stub on 127.0.0.53 (as systemd-resolved); its Coreapp, on the default bridge
    (network_mode: bridge, as FR15's file has it), is recreated and gets Docker's public fallback, which the offline
    lab cannot reach. The host resolves, the container does not: doctor reads both resolv.conf files."""
    from tests.lab.test_10_cluster import compose
    field_faults_net.resolver_loopback(lab.paths, "wa-core-1")
    _edit_compose(lab, "wa-core-1", "'/^  wacore:$/a\\    network_mode: bridge'")
    try:
        assert lab.sh("wa-core-1", "getent hosts wa-web-1").returncode == 0  # the host resolves through the stub
        up = lab.sh("wa-core-1", compose("wa-core-1", "2.41.2", "up -d wacore"))
        assert up.returncode == 0, up.stderr
        conf = lab.sh("wa-core-1", "docker exec biz_wacore_1 cat /etc/resolv.conf")
        print("container resolv.conf:", conf.stdout)
        assert "nameserver 8.8.8.8" in conf.stdout
        code, report = doctor(broken, "--host", "wa-core-1")
        show(broken, "--host", "wa-core-1")
    finally:
        _restore_compose(lab, "wa-core-1")
        faults.clear(lab.paths)
        lab.sh("wa-core-1", compose("wa-core-1", "2.41.2", "up -d wacore"))
    cause = cause_of(report, "CONTAINER_RESOLVER")
    assert "the host's resolver is on loopback (127.0.0.53)" in cause["title"]
    assert "they were given 8.8.8.8, 8.8.4.4" in cause["title"]
    assert "daemon.json" in cause["next_action"]
    assert any(l == "nameserver 127.0.0.53" for l in lines(cause)), lines(cause)


def test_fr04_image_index_without_the_hosts_platform(lab, broken, tmp_path):
    """FR04, mirrored: the lab registry holds coreapp:v2.99.0 as an index whose only entry is linux/arm64; the amd64
    hosts' pull fails with dockerd's words, and doctor (on a profile asking for 2.99.0) names the platform gap."""
    import yaml
    field_faults_net.platform_only_index(lab.paths, "wa-core-1", "coreapp", "v2.41.2", "v2.99.0")
    pulled = lab.sh("wa-core-1", "docker pull docker.whatsapp.biz/coreapp:v2.99.0")
    print("docker pull:", pulled.stdout, pulled.stderr)
    assert "no matching manifest for linux/amd64 in the manifest list entries" in pulled.stdout + pulled.stderr
    data = yaml.safe_load(broken.read_text())
    data["wa_api_version"] = "2.99.0"
    profile = tmp_path / "lab.yaml"
    profile.write_text(yaml.safe_dump(data, sort_keys=False))
    profile.chmod(0o600)
    code, report = doctor(profile, "--host", "wa-core-1")
    show(profile, "--host", "wa-core-1")
    cause = cause_of(report, "IMAGE_PLATFORM_MISSING")
    assert cause["title"].startswith("docker.whatsapp.biz/coreapp:v2.99.0 has no linux/amd64 image for wa-core-1 "
                                     "(it offers linux/arm64)")
    assert any(l.endswith("offers linux/arm64; this host is linux/amd64") for l in lines(cause)), lines(cause)


def test_fr30_webapp_port_taken_by_another_container(lab, broken):
    """FR30, the other wording: a container already publishes 9090, so dockerd answers "Bind for 0.0.0.0:9090
    failed: port is already allocated"; doctor names the holder by its container name."""
    docker = lambda *a: faults.in_host(lab.paths, "wa-web-1", [DEBIAN_DOCKER, *a], check=False)  # noqa: E731
    assert docker("stop", "biz_waweb_1").returncode == 0
    try:
        held = docker("run", "-d", "--name", "fr30holder", "-p", "9090:6250", "--entrypoint", "sleep",
                      "docker.whatsapp.biz/web:v2.41.2", "600")
        assert held.returncode == 0, held.stderr
        started = docker("start", "biz_waweb_1")
        print("docker start:", started.stderr)
        assert "Bind for 0.0.0.0:9090 failed: port is already allocated" in started.stderr
        code, report = doctor(broken, "--host", "wa-web-1")
        show(broken, "--host", "wa-web-1")
        cause = cause_of(report, "PORT_TAKEN")
        assert cause["title"] == "waweb on wa-web-1 cannot start: host port 9090 is already taken by container fr30holder"
    finally:
        docker("rm", "-f", "fr30holder")
        docker("start", "biz_waweb_1")


def test_fr06_the_webapps_web_db_race_words_in_its_log(lab, broken):
    """FR06: the words Meta's Webapp logs when another Webapp created the web DB first (Setup-Scripts#15) written to
    the running waweb's stdout (the stand-in does not run Meta's CreateWebDB.php; the race itself is reproduced on
    MariaDB in test_45's test_fr06_...): doctor reads them from `docker logs` and names the race, not the DB."""
    line = "SQLSTATE[HY000]: General error: 1007 Can't create database 'lab_waweb'; database exists"
    try:
        wrote = faults.in_host(lab.paths, "wa-web-1", [DEBIAN_DOCKER, "exec", "biz_waweb_1", "sh", "-c",
                                                       f"echo \"{line}\" > /proc/1/fd/1"], check=False)
        assert wrote.returncode == 0, wrote.stderr
        code, report = doctor(broken, "--host", "wa-web-1")
        show(broken, "--host", "wa-web-1")
    finally:
        recreate_container(lab, broken, "wa-web-1", "waweb")  # a new container: the race words go with the old one
    cause = cause_of(report, "WEBDB_CREATE_RACE")
    assert cause["hosts"] == ["wa-web-1"] and line in lines(cause)
    assert "restart waweb on wa-web-1 once" in cause["next_action"]
