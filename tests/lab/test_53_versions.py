"""Each node's version on the lab of real parts (trial M4/S1): one standby Coreapp's container recreated by hand on
another stand-in version, as an upgrade stopped between hosts leaves it. ``health`` reads the real ``docker ps`` of
every host (dockerd 20.10, containers created by docker-compose 1.29) and names that node and its version; the
Coreapp is recreated on the profile's version afterwards, so the shared cluster is left as installed."""

from __future__ import annotations

import json
import time

import yaml

from tests.lab.conftest import LAB_VERSIONS, SharedCluster, cli
from tests.lab.test_40_doctor import installed  # noqa: F401 - the session's shared installed cluster
from wabiz_tui.domain.versions import image_listing, parse_images
from wabiz_tui.lab.profile import REMOTE_DIR

COMPOSE = "prod-multiconnect-compose.yml"


def shared_env() -> dict:
    """The shared cluster's own state directory (its run state says it is installed), as its other users run."""
    return SharedCluster.current.env if SharedCluster.current is not None else {}


def health(profile, *args: str) -> tuple[int, dict]:
    out = cli("health", str(profile), "--json", *args, timeout=120, env=shared_env())
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1])


def recreate(lab, host: str, version: str) -> None:
    """``up -d --no-deps --force-recreate wacore`` on ``host`` with ``WA_API_VERSION=version``: what an operator's
    hand-run upgrade of one host does."""
    out = lab.sh(host, f"cd biz && WA_API_VERSION={version} EXTERNAL_HOSTNAME={host} docker-compose -f {COMPOSE} "
                       "up -d --no-deps --force-recreate wacore 2>&1", timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]


def test_a_coreapp_on_another_version_is_named_from_the_real_docker_ps(lab, installed):  # noqa: F811
    expected = yaml.safe_load(installed.read_text())["wa_api_version"]
    other = next(v for v in LAB_VERSIONS if v != expected)
    code, before = health(installed, "--versions")
    assert code == 0, before
    nodes = before["verdict"]["nodes"]
    assert {n["version"] for n in nodes} == {f"v{expected}"}, nodes
    assert {w["version"] for w in before["verdict"]["versions"]["webapps"]} == {f"v{expected}"}
    standby = next(n["host"] for n in nodes if n["expected_role"] == "coreapp" and n["actual_status"] == "disconnected")
    # the real output, as docker prints it: our listing's lines and docker's own JSON of the same containers agree
    raw = lab.sh(standby, "docker ps -a --format '{{json .}}'").stdout
    print(raw)
    real = {json.loads(line)["Image"] for line in raw.splitlines() if line.strip()}
    listed = parse_images(lab.sh(standby, image_listing(REMOTE_DIR)).stdout.splitlines())
    assert listed and {image for _, image in listed} <= real, (listed, real)
    assert dict(listed)["wacore"].endswith(f":v{expected}")
    recreate(lab, standby, other)
    try:
        deadline = time.monotonic() + 90
        while True:
            code, after = health(installed, "--versions")
            mine = [n for n in after["verdict"]["nodes"] if n["host"] == standby and n["expected_role"] == "coreapp"]
            if (mine and mine[0]["version"] == f"v{other}") or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert mine and mine[0]["version"] == f"v{other}", after
        assert mine[0]["reason"].startswith(f"runs v{other}, profile says v{expected}: "), mine[0]
        assert code == 1 and after["verdict"]["versions"]["differ"], after
        assert f"versions differ: {standby} runs v{other}, profile says v{expected}" in after["verdict"]["problems"]
        others = [n for n in after["verdict"]["nodes"] if n is not mine[0]]
        assert {n["version"] for n in others} == {f"v{expected}"}, others
        text = cli("health", str(installed), "--versions", timeout=120, env=shared_env()).stdout
        print(text)
        assert f"runs v{other}, profile says v{expected}" in text and f"v{other} on {standby}" in text
    finally:
        recreate(lab, standby, expected)
    deadline = time.monotonic() + 120
    while (last := health(installed))[0] != 0 and time.monotonic() < deadline:
        time.sleep(3)
    assert last[0] == 0, f"the shared cluster is left degraded after {standby} was put back on v{expected}: {last[1]}"
