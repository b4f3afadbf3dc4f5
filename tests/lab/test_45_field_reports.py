"""Public field reports (``docs/field-reports.md``) reproduced on the lab's real parts: each test injects the
report's fault, checks the real program's own words on a cluster host (dockerd 20.10, docker-compose 1.29.2,
the MariaDB client against MariaDB 10.11, the kernel for media), then clears it. Where the product already
looks (preflight), the test asserts what it says today.

The lines asserted here were observed on this machine's lab; ``docs/field-reports.md`` quotes them.
"""

from __future__ import annotations

import pytest

from tests.lab.conftest import cli, recreate_container
from wabiz_tui.lab import faults, field_faults, services

IMAGE = "docker.whatsapp.biz/coreapp:v2.41.2"
DB = f"MYSQL_PWD={services.DB_PASSWORD} mariadb --no-defaults -h 10.213.0.30 -u {services.DB_USER}"


@pytest.fixture
def cleared(lab):
    yield lab
    faults.clear(lab.paths)


def out(proc) -> str:
    return proc.stdout + proc.stderr


def pull_fresh(lab, host: str):
    lab.sh(host, f"docker rmi -f {IMAGE}")
    return lab.sh(host, f"docker pull {IMAGE}")


def test_fr01_registry_answering_403_refuses_the_pull(cleared):
    faults.registry(cleared.paths, "forbid")
    got = pull_fresh(cleared, "wa-core-2")
    assert got.returncode != 0
    assert "error parsing HTTP 403 response body" in out(got)


def test_fr03_version_with_a_leading_v_renders_vv_and_the_registry_has_no_such_manifest(cleared):
    compose = 'version: "2.1"\\nservices:\\n  wacore:\\n    image: "docker.whatsapp.biz/coreapp:v${WA_API_VERSION}"\\n'
    got = cleared.sh("wa-core-2", f"mkdir -p ~/fr03 && cd ~/fr03 && printf '{compose}' > c.yml && "
                                  "WA_API_VERSION=v2.41.2 docker-compose -f c.yml config && "
                                  "WA_API_VERSION=v2.41.2 docker-compose -f c.yml pull; rm -rf ~/fr03")
    assert "image: docker.whatsapp.biz/coreapp:vv2.41.2" in got.stdout
    assert "manifest unknown" in out(got)


def test_fr03_the_product_refuses_the_leading_v_before_any_host_is_touched(cleared, tmp_path):
    text = cleared.profile.read_text()
    assert "wa_api_version: 2.41.2" in text
    bad = tmp_path / "lab.yaml"
    bad.write_text(text.replace("wa_api_version: 2.41.2", "wa_api_version: v2.41.2"))
    got = cli("preflight", str(bad))
    assert got.returncode == 2, got.stdout + got.stderr  # bad input, as the exit-code table says
    assert "wa_api_version" in got.stderr and "(drop the leading 'v')" in got.stderr, got.stdout + got.stderr
    assert "preflight step 2" not in got.stdout + got.stderr  # refused before any host is contacted


def test_fr10_coreapp_name_gone_from_dns_does_not_resolve_from_the_webapp_host(cleared):
    faults.remove_dns_name(cleared.paths, "wa-core-1")
    got = cleared.sh("wa-web-1", "getent hosts wa-core-1")
    assert got.returncode == 2 and got.stdout == ""


def test_fr19_full_media_volume_refuses_writes(cleared):
    faults.media(cleared.paths, "full")
    got = cleared.sh("wa-web-1", "dd if=/dev/zero of=/mnt/wamedia/fr19 bs=64k count=64 2>&1; rm -f /mnt/wamedia/fr19")
    assert "No space left on device" in got.stdout


def test_fr20_media_not_shared_on_one_host(cleared):
    field_faults.media_private(cleared.paths, "wa-core-2")
    cleared.sh("wa-web-1", "echo fr20 > /mnt/wamedia/fr20")
    try:
        assert cleared.sh("wa-core-1", "cat /mnt/wamedia/fr20").stdout.strip() == "fr20"  # shared here
        got = cleared.sh("wa-core-2", "cat /mnt/wamedia/fr20")
        assert got.returncode != 0 and "No such file or directory" in got.stderr
    finally:
        cleared.sh("wa-web-1", "rm -f /mnt/wamedia/fr20")


def test_fr29_registry_ca_missing_on_one_host_fails_its_pull_with_x509(cleared):
    field_faults.registry_ca(cleared.paths, "wa-core-2")
    got = pull_fresh(cleared, "wa-core-2")
    assert got.returncode != 0
    assert "x509: certificate signed by unknown authority" in out(got)
    assert pull_fresh(cleared, "wa-core-1").returncode == 0  # the others still trust it


def test_fr30_published_port_already_taken_on_the_host(cleared):
    cleared.sh("wa-web-1", f"docker pull {IMAGE}")
    field_faults.port(cleared.paths, "wa-web-1", 9090)
    got = cleared.sh("wa-web-1", f"docker run -d --name fr30 -p 9090:443 {IMAGE}; docker rm -f fr30")
    assert "address already in use" in out(got)


def test_fr31_db_user_allowed_only_from_the_admin_address(cleared):
    """MariaDB 10.11 answers 1045 "Access denied" naming the client address (not 1130, since other accounts
    match that host): with the right password, the host part of the account is the cause."""
    faults.db(cleared.paths, "host-restrict")
    got = cleared.sh("wa-core-1", f"{DB} -e 'SELECT 1'")
    assert got.returncode != 0
    ip = cleared.host("wa-core-1")["ip"]
    assert (f"ERROR 1045 (28000): Access denied for user '{services.DB_USER}'@'{ip}' (using password: YES)"
            in got.stderr)
    assert cli_login_from_admin_works(cleared)


def cli_login_from_admin_works(lab) -> bool:
    import os
    import subprocess
    r = subprocess.run(["mariadb", "--no-defaults", "-h", "10.213.0.30", "-u", services.DB_USER, "-N", "-e", "SELECT 1"],
                       capture_output=True, text=True, env={**os.environ, "MYSQL_PWD": services.DB_PASSWORD})
    return r.returncode == 0


@pytest.mark.parametrize("mode, session, words", [
    ("max-connections", "-e 'SELECT 1'",
     "ERROR 1226 (42000): User 'waent' has exceeded the 'max_user_connections' resource (current value: 1)"),  # FR05
    ("idle-timeout", None, "ERROR 2006 (HY000) at line 2: Server has gone away"),  # FR35
    ("read-only", "-e 'CREATE DATABASE fr36'", "ERROR 1290 (HY000) at line 1: The MariaDB server is running with the "
                                               "--read-only option so it cannot execute this statement"),  # FR36
    ("down", "-e 'SELECT 1'", "ERROR 2002 (HY000): Can't connect to server on '10.213.0.30' (115)"),  # FR46
], ids=["FR05", "FR35", "FR36", "FR46"])
def test_db_side_faults_in_the_mariadb_clients_words_on_a_cluster_host(cleared, mode, session, words):
    """The DB server refusing in four ways, as a client on wa-core-1 sees it (MariaDB 10.11 client and server)."""
    faults.db(cleared.paths, mode)
    idle = f"(echo 'SELECT 1;'; sleep {field_faults.IDLE_TIMEOUT_S + 2}; echo 'SELECT 2;') | {DB} -N"
    got = cleared.sh("wa-core-1", f"{DB} {session}" if session else idle)
    assert got.returncode != 0 and words in got.stderr, got.stderr


def _with_biz_file(lab, host: str, name: str, text: str):
    """Make sure ``~/biz/NAME`` exists on HOST (the product writes it at install); returns whether it was made."""
    if lab.sh(host, f"test -e ~/biz/{name}").returncode == 0:
        return False
    lab.sh(host, f"mkdir -p ~/biz && printf '{text}' > ~/biz/{name}")
    return True


def test_fr32_one_hosts_db_env_port_changed_by_hand(cleared):
    made = _with_biz_file(cleared, "wa-core-1", "db.env", "WA_DB_ENGINE=MYSQL\\nWA_DB_HOSTNAME=10.213.0.30\\nWA_DB_PORT=3306\\n")
    try:
        field_faults.edit_file(cleared.paths, "wa-core-1", "db.env", "set", "WA_DB_PORT", "3307")
        compose = 'version: \\"2.1\\"\\nservices:\\n  wacore:\\n    image: busybox\\n    env_file: ../biz/db.env\\n'
        got = cleared.sh("wa-core-1", f"mkdir -p ~/fr32 && cd ~/fr32 && printf \"{compose}\" > c.yml && "
                                      "docker-compose -f c.yml config; rm -rf ~/fr32")
        assert "WA_DB_PORT: '3307'" in got.stdout
        login = cleared.sh("wa-core-1", f"{DB} -P 3307 -e 'SELECT 1'")
        assert "ERROR 2002 (HY000): Can't connect to server on '10.213.0.30' (115)" in login.stderr
    finally:
        faults.clear(cleared.paths)
        if made:
            cleared.sh("wa-core-1", "rm -f ~/biz/db.env")


def test_fr33_media_remounted_read_only(cleared):
    faults.media(cleared.paths, "readonly")
    got = cleared.sh("wa-web-1", "touch /mnt/wamedia/fr33")
    assert "Read-only file system" in got.stderr


def test_fr34_media_inode_table_exhausted_with_free_blocks(cleared):
    faults.media(cleared.paths, "inodes")
    got = cleared.sh("wa-web-1", "touch /mnt/wamedia/fr34; df -P /mnt/wamedia | tail -1; df -Pi /mnt/wamedia | tail -1")
    assert "No space left on device" in got.stderr
    blocks, inodes = got.stdout.splitlines()
    assert int(blocks.split()[3]) > 0 and inodes.split()[3] == "0"


def test_fr37_tab_in_the_compose_file(cleared):
    made = _with_biz_file(cleared, "wa-core-1", "prod-multiconnect-compose.yml",
                          'version: \\"2.1\\"\\nservices:\\n  wacore:\\n    image: busybox\\n')
    try:
        field_faults.edit_file(cleared.paths, "wa-core-1", "prod-multiconnect-compose.yml", "tab")
        got = cleared.sh("wa-core-1", "cd ~/biz && docker-compose -f prod-multiconnect-compose.yml config")
        assert got.returncode != 0
        assert "found character '\\t' that cannot start any token" in got.stderr
    finally:
        faults.clear(cleared.paths)
        if made:
            cleared.sh("wa-core-1", "rm -f ~/biz/prod-multiconnect-compose.yml")


def test_fr38_fr39_env_file_quotes_kept_by_docker_stripped_by_compose_and_crlf_harmless_to_both(cleared):
    lab = cleared
    lab.sh("wa-core-1", f"docker pull {IMAGE}")
    env = "WA_DB_PASSWORD=\\\"quoted\\\"\\r\\nWA_DB_HOSTNAME=wa-db\\r\\n"
    compose = 'version: \\"2.1\\"\\nservices:\\n  wacore:\\n    image: busybox\\n    env_file: e.env\\n'
    prepare = f"mkdir -p ~/fr38 && cd ~/fr38 && printf \"{env}\" > e.env && printf \"{compose}\" > c.yml"
    config = lab.sh("wa-core-1", f"{prepare} && docker-compose -f c.yml config")
    assert "WA_DB_PASSWORD: quoted\n" in config.stdout and "WA_DB_HOSTNAME: wa-db\n" in config.stdout  # compose 1.29.2
    run = lab.sh("wa-core-1", f"cd ~/fr38 && docker create --name fr38 --env-file e.env {IMAGE} >/dev/null && "
                              "docker inspect -f '{{json .Config.Env}}' fr38; docker rm -f fr38 >/dev/null; rm -rf ~/fr38")
    # the docker CLI's --env-file keeps the quotes (FR38 is real outside compose) and drops the CR (FR39 is not)
    assert '"WA_DB_PASSWORD=\\"quoted\\"","WA_DB_HOSTNAME=wa-db",' in run.stdout, run.stdout


def test_preflight_today_on_three_new_faults(cleared):
    """What the product's preflight says today on FR29 (one host without the registry CA) and FR31 (DB user
    allowed from the admin address only)."""
    lab = cleared
    lab.sh("wa-core-2", f"docker rmi -f {IMAGE}")
    field_faults.registry_ca(lab.paths, "wa-core-2")
    faults.db(lab.paths, "host-restrict")
    got = cli("preflight", str(lab.profile))
    print(got.stdout[-6000:])
    assert got.returncode == 1
    lines = got.stdout.splitlines()
    (image,) = [l for l in lines if l.startswith("wa-core-2") and " image " in l]
    assert "failure" in image and 'Get "https://docker.whatsapp.biz/v2/": x509: certificate signed by unknown authority' in image
    # FR31 today: the right password is blamed — the account's host part is the cause
    assert any("[DB_AUTH_FAILED]" in l and "check WA_DB_USERNAME and WA_DB_PASSWORD" in l for l in lines)
    assert any(l.strip().startswith("evidence: DB login refused for WA_DB_USERNAME=") and "Access denied for user" in l
               and "(MySQL error 1045)" in l for l in lines)


def test_fr06_two_webapps_creating_the_same_database_at_once_one_gets_1007(cleared):
    """Two hosts create one database at the same moment (two Webapps starting together): MariaDB lets one win."""
    lab = cleared
    import concurrent.futures
    sql = f"{DB} -e 'CREATE DATABASE fr06'"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda h: lab.sh(h, sql), ["wa-web-1", "wa-master-1"]))
    try:
        assert sorted(g.returncode for g in got) == [0, 1]
        (loser,) = [g for g in got if g.returncode]
        assert "ERROR 1007 (HY000)" in loser.stderr and "database exists" in loser.stderr
    finally:
        lab.sh("wa-web-1", f"{DB} -e 'DROP DATABASE IF EXISTS fr06'")


# --- doctor on an installed lab cluster: it names each report's cause, its evidence and the next action ---------
# (last in the module: the install holds the Webapp's port and the DB connections the tests above need free)
from tests.lab.test_40_doctor import doctor, installed  # noqa: E402,F401 - the module's installed cluster
from wabiz_tui.domain.exitcodes import Exit  # noqa: E402

# FR19 (media full), FR33 (media read-only) and FR46 (DB down) are the same faults as test_40_doctor's DISK_FULL, MEDIA
# and DB_DOWN cases, which assert the same cause, evidence and action and more (the host named, the ranking).
DOCTOR_CASES = [
    # (FR, inject, cause key, host named, evidence fragment, next action fragment)
    ("FR01", lambda p: faults.registry(p, "forbid"), "REGISTRY", "wa-web-1", "403", "allow the host"),
    ("FR05", lambda p: faults.db(p, "max-connections"), "DB_CONNECTION_LIMIT", "", "max_user_connections",
     "max_connections"),
    ("FR10", lambda p: faults.remove_dns_name(p, "wa-core-1"), "NAME_UNRESOLVED", "wa-core-1",
     "getent hosts wa-core-1", "DNS zone"),
    ("FR20", lambda p: field_faults.media_private(p, "wa-core-2"), "MEDIA_NOT_SHARED", "wa-core-2", "mounted",
     "mount the shared media volume"),
    ("FR29", lambda p: field_faults.registry_ca(p, "wa-core-2"), "REGISTRY_TLS_UNTRUSTED", "wa-core-2",
     "SSL certificate problem", "certs.d/docker.whatsapp.biz/ca.crt"),
    ("FR32", lambda p: field_faults.edit_file(p, "wa-core-1", "db.env", "set", "WA_DB_PORT", "3307"), "ENV_DIFFERS",
     "wa-core-1", "WA_DB_PORT", "db.env again"),
    ("FR34", lambda p: faults.media(p, "inodes"), "DISK_FULL", "", "inodes 100% used", "free inodes"),
    ("FR37", lambda p: field_faults.edit_file(p, "wa-core-1", "prod-multiconnect-compose.yml", "tab"),
     "COMPOSE_FILE_INVALID", "wa-core-1", "line", "tabs are not allowed"),
]


@pytest.fixture
def broken(lab, installed):
    yield installed
    faults.clear(lab.paths)


@pytest.mark.parametrize("fr, inject, key, host, evidence, action", DOCTOR_CASES, ids=[c[0] for c in DOCTOR_CASES])
def test_doctor_names_the_field_report(lab, broken, fr, inject, key, host, evidence, action):
    inject(lab.paths)
    code, report = doctor(broken)
    assert code == Exit.CAUSES_FOUND
    causes = report["causes"]
    mine = [c for c in causes if c["key"] == key]
    assert mine, [(c["key"], c["title"]) for c in causes]
    cause = mine[0]
    assert not host or host in cause["hosts"] or host in cause["title"], cause
    assert any(evidence in f["line"] for f in cause["evidence"]), [f["line"] for f in cause["evidence"]]
    assert action in cause["next_action"], cause["next_action"]
    if key in {"DB_CONNECTION_LIMIT", "MEDIA_NOT_SHARED", "REGISTRY_TLS_UNTRUSTED", "COMPOSE_FILE_INVALID"}:
        assert cause["source"].startswith(fr + ": https://"), cause["source"]
    assert services.DB_PASSWORD not in str(report)


def test_doctor_no_longer_blames_the_password_when_the_account_is_host_restricted(lab, broken):
    """FR31: MariaDB answers 1045 for a wrong password and for an account that exists only for other hosts alike; the
    same db.env values accepted from this machine tell them apart (details: tests/lab/test_46_doctor_db.py)."""
    faults.db(lab.paths, "host-restrict")
    _, report = doctor(broken, "--db-from-here")
    cause = next(c for c in report["causes"] if c["key"] == "DB_HOST_RESTRICTED")
    assert any("Access denied for user 'waent'@'10.213.0." in f["line"] for f in cause["evidence"])
    assert "DB_CREDENTIALS" not in [c["key"] for c in report["causes"]]


def test_doctor_names_a_coreapp_that_exits_1_while_db_and_webapp_are_up(lab, broken):
    """FR25: the Coreapp exits 1 at every start (the lab node's crash marker) while the DB and the Webapp run; doctor
    names the container on its host, with the first fatal line of its log."""
    marker = lab.paths.media / "LAB_CRASH-wa-core-1"
    marker.write_text("FR25: the node gives up at start")
    try:
        faults.in_host(lab.paths, "wa-core-1", ["/usr/bin/docker", "restart", "biz_wacore_1"])
        _, report = doctor(broken)
        print("FR25 doctor:", [(c["key"], c["title"], [f["line"] for f in c["evidence"]]) for c in report["causes"]])
        mine = [c for c in report["causes"] if c["key"] in ("CONTAINER_DOWN_WITH_WORDS", "CONTAINER_DOWN")
                and "wa-core-1" in c["title"]]
        assert mine, [(c["key"], c["title"]) for c in report["causes"]]
        lines = [f["line"] for f in mine[0]["evidence"]]
        assert any("FR25: the node gives up at start" in l or "exit 1" in l for l in lines), lines
    finally:
        marker.unlink()
        recreate_container(lab, broken, "wa-core-1")  # a new container: no crash lines left for the next module


def test_doctor_names_a_partial_upgrade_one_coreapp_on_another_version(lab, broken):
    """FR22: one Coreapp brought up on 2.29.3 by hand while the cluster runs 2.41.2 (the lab registry holds both)."""
    from tests.lab.test_10_cluster import compose
    try:
        up = lab.sh("wa-core-2", compose("wa-core-2", "2.29.3", "up -d wacore"))
        assert up.returncode == 0, up.stderr
        _, report = doctor(broken)
        (cause,) = [c for c in report["causes"] if c["key"] == "VERSION_SKEW"]
        assert cause["hosts"] == ["wa-core-2"] and "wa-core-2 runs wacore 2.29.3, the others 2.41.2" in cause["title"]
        assert cause["source"].startswith("FR22: https://")
        assert "WA_API_VERSION" in cause["next_action"]
    finally:
        lab.sh("wa-core-2", compose("wa-core-2", "2.41.2", "up -d wacore"))
