"""Per-node versions: the ``docker ps`` lines parsed once, each node's image tag against the profile's version."""

from __future__ import annotations

import pytest

from wabiz_tui.domain.health import Level, Plan, judge, parse_health
from wabiz_tui.domain.versions import (HostImages, VersionRead, image_listing, image_version, parse_images,
                                       with_versions)

HEALTH = {"health": {"wa-master-1:aa1": {"role": "primary_master", "gateway_status": "disconnected"},
                     "wa-core-1:cc1": {"role": "coreapp", "gateway_status": "connected"},
                     "wa-core-2:cc2": {"role": "coreapp", "gateway_status": "disconnected"}}}
PLAN = Plan(("wa-master-1",), ("wa-core-1", "wa-core-2"), ("wa-web-1",), 1, True)


def _read(**hosts: object) -> VersionRead:
    out = {}
    for host, value in hosts.items():
        name = host.replace("_", "-")
        out[name] = (HostImages(name, error=value) if isinstance(value, str) else
                     HostImages(name, tuple(value)))  # type: ignore[arg-type]
    return VersionRead(1000.0, out)


@pytest.mark.parametrize("image,version", [
    ("docker.whatsapp.biz/coreapp:v2.43.1", "2.43.1"),
    ("docker.whatsapp.biz/web:v2.41.2", "2.41.2"),
    ("registry.lab:5000/web", ""),
    ("docker.whatsapp.biz/web:latest", ""),
    ("docker.whatsapp.biz/web", ""),
    ("docker.whatsapp.biz/web:v", ""),
    ("docker.whatsapp.biz/coreapp:v2.43.1@sha256:" + "ab" * 32, "2.43.1"),  # pinned by digest too
    ("registry.lab:5000/web@sha256:" + "ab" * 32, ""),
])
def test_image_version(image, version):
    assert image_version(image) == version


def test_listing_and_parse():
    command = image_listing("/opt/wa", sudo=True)
    assert command.startswith("sudo -n docker ps -a --filter label=com.docker.compose.project.working_dir=/opt/wa ")
    assert "{{.Image}} {{.Label \"com.docker.compose.service\"}}" in command
    lines = ["docker.whatsapp.biz/web:v2.43.1 waweb", "", "WARNING: something odd here", "x"]
    assert parse_images(lines) == [("waweb", "docker.whatsapp.biz/web:v2.43.1")]


def test_half_upgrade_names_each_node_and_its_version():
    verdict = judge(parse_health(HEALTH), PLAN)
    assert verdict.level is Level.OK
    new, old = "docker.whatsapp.biz/web:v2.43.1", "docker.whatsapp.biz/coreapp:v2.41.2"
    read = _read(wa_web_1=[("waweb", new)], wa_master_1=[("master", "docker.whatsapp.biz/coreapp:v2.43.1")],
                 wa_core_1=[("wacore", old)], wa_core_2=[("wacore", "docker.whatsapp.biz/coreapp:v2.43.1")])
    out = with_versions(verdict, read, "2.43.1", ("wa-web-1",), "wabiz-tui upgrade prod --resume --yes")
    rows = {n.host: n for n in out.nodes}
    assert rows["wa-core-1"].version == "v2.41.2" and rows["wa-core-1"].level is Level.WARNING
    assert rows["wa-core-1"].reason.startswith(
        "runs v2.41.2, profile says v2.43.1: finish the upgrade (`wabiz-tui upgrade prod --resume --yes`)")
    assert rows["wa-core-2"].level is Level.STANDBY and rows["wa-core-2"].version == "v2.43.1"
    assert [w[:2] for w in out.webapp_versions] == [("wa-web-1", "v2.43.1")]
    assert out.level is Level.WARNING and out.versions_differ
    assert "versions differ: wa-core-1 runs v2.41.2, profile says v2.43.1" in out.problems
    assert out.versions_read_at == 1000.0


def test_unread_host_says_why_and_changes_no_level():
    verdict = judge(parse_health(HEALTH), PLAN)
    read = _read(wa_master_1=[("master", "docker.whatsapp.biz/coreapp:v2.43.1")],
                 wa_core_1="host key unknown", wa_core_2=[])
    out = with_versions(verdict, read, "2.43.1", ("wa-web-1",))
    rows = {n.host: n for n in out.nodes}
    assert rows["wa-core-1"].version == "version not read: host key unknown"
    assert rows["wa-core-2"].version == "no wacore container"
    assert out.webapp_versions == (("wa-web-1", "version not read: host not in the last read", "", ""),)
    assert out.level is Level.OK and not out.versions_differ and out.problems == verdict.problems


def test_without_stopped_upgrade_the_action_names_the_node():
    verdict = judge(parse_health(HEALTH), PLAN)
    read = _read(wa_master_1=[("master", "docker.whatsapp.biz/coreapp:v2.41.2")],
                 wa_core_1=[("wacore", "docker.whatsapp.biz/coreapp:v2.43.1")])
    out = with_versions(verdict, read, "2.43.1")
    master = next(n for n in out.nodes if n.host == "wa-master-1")
    assert "`WA_API_VERSION=2.43.1 docker-compose up -d master` on wa-master-1" in master.reason
    assert out.next_action.startswith("run WA_API_VERSION 2.43.1 on every node")


def test_every_node_on_one_other_version_is_said_once_for_the_cluster_no_row_told_to_recreate():
    verdict = judge(parse_health(HEALTH), PLAN)
    new = "docker.whatsapp.biz/coreapp:v2.45.1"
    read = _read(wa_web_1=[("waweb", "docker.whatsapp.biz/web:v2.45.1")], wa_master_1=[("master", new)],
                 wa_core_1=[("wacore", new)], wa_core_2="host key unknown")  # an unread host does not break it
    out = with_versions(verdict, read, "2.43.1", ("wa-web-1",), profile_ref="prod", profile_file="/p/prod.yaml")
    assert out.level is Level.WARNING and out.versions_differ
    assert "every node runs v2.45.1; the profile says v2.43.1" in out.problems
    assert out.next_action == ("if the cluster was upgraded elsewhere set wa_api_version: 2.45.1 in the profile "
                               "(/p/prod.yaml); to move it to v2.43.1, set that too, then run "
                               "`wabiz-tui upgrade prod --to 2.43.1`")
    before = {n.host: n for n in verdict.nodes}
    for n in out.nodes:  # each row shows its version, keeps its level and reason: none says to recreate
        assert (n.level, n.reason) == (before[n.host].level, before[n.host].reason), n
    assert {n.host: n.version for n in out.nodes}["wa-core-1"] == "v2.45.1"
    assert out.webapp_versions == (("wa-web-1", "v2.45.1", "", ""),)
    assert not any(n.version_action for n in out.nodes)  # no row is told to act on its version
    assert "WA_API_VERSION=" not in repr(out)


def test_the_profile_is_quoted_in_the_cluster_words():
    verdict = judge(parse_health(HEALTH), PLAN)
    read = _read(wa_master_1=[("master", "docker.whatsapp.biz/coreapp:v2.45.1")])
    out = with_versions(verdict, read, "2.43.1", profile_ref="/p/my prod.yaml")
    assert "`wabiz-tui upgrade '/p/my prod.yaml' --to 2.43.1`" in out.next_action
    assert with_versions(verdict, read, "2.43.1").next_action.endswith("`wabiz-tui upgrade PROFILE --to 2.43.1`")


@pytest.mark.parametrize("upgrade_action", ["wabiz-tui upgrade prod --resume --yes",
                                            "wabiz-tui upgrade '/p/my (old) prod.yaml' --resume --yes", ""])
def test_a_row_whose_only_problem_is_its_version_carries_the_versions_action(upgrade_action):
    """The version's next action is a field of the row and of the Webapp's entry, whatever the command's quoting
    (the s9 node panel read it back from the reason with a pattern)."""
    from wabiz_tui.domain.versions import version_action

    verdict = judge(parse_health(HEALTH), PLAN)
    old = "docker.whatsapp.biz/coreapp:v2.41.2"
    read = _read(wa_master_1=[("master", "docker.whatsapp.biz/coreapp:v2.43.1")], wa_core_1=[("wacore", old)],
                 wa_web_1=[("waweb", "docker.whatsapp.biz/web:v2.41.2")])
    out = with_versions(verdict, read, "2.43.1", webapps=("wa-web-1",), upgrade_action=upgrade_action)
    rows = {n.host: n for n in out.nodes}
    assert rows["wa-core-1"].version_action == version_action("wa-core-1", "coreapp", "2.43.1", upgrade_action)
    assert rows["wa-core-1"].reason.startswith(f"runs v2.41.2, profile says v2.43.1: {rows['wa-core-1'].version_action}")
    assert rows["wa-master-1"].version_action == ""
    ((host, text, why, action),) = out.webapp_versions
    assert (host, text) == ("wa-web-1", "v2.41.2") and action == version_action("wa-web-1", "webapp", "2.43.1",
                                                                                  upgrade_action)
    assert why.endswith(action)


def test_a_node_with_a_problem_of_its_own_keeps_its_reason_first():
    """Its own problem leads (its next action is its own); a node whose only problem is its version leads with it."""
    health = {"health": dict(HEALTH["health"]) | {"wa-core-2:cc2": {"role": "coreapp", "gateway_status": "odd"}}}
    verdict = judge(parse_health(health), PLAN)
    old = "docker.whatsapp.biz/coreapp:v2.41.2"
    read = _read(wa_master_1=[("master", "docker.whatsapp.biz/coreapp:v2.43.1")],
                 wa_core_1=[("wacore", old)], wa_core_2=[("wacore", old)])
    out = with_versions(verdict, read, "2.43.1", upgrade_action="wabiz-tui upgrade prod --resume --yes")
    rows = {n.host: n for n in out.nodes}
    own = next(n for n in verdict.nodes if n.host == "wa-core-2")
    assert rows["wa-core-2"].level is Level.WARNING and rows["wa-core-2"].reason.startswith(f"{own.reason}; also runs v2.41.2")
    assert rows["wa-core-2"].version_action == ""  # its own problem's next action, not the version's
    assert rows["wa-core-1"].version_action == "finish the upgrade (`wabiz-tui upgrade prod --resume --yes`)"
