"""Topology advice from the seed's guidelines, and the probe parsers."""

from __future__ import annotations

import dataclasses

from tests.domain.test_validation import good_profile
from wabiz_tui.domain.model import DbEnv, HostSpec, Role, SshTarget
from wabiz_tui.domain.preflight import (FAILURE, OK, WARNING, judge_clock, judge_disk,
                                        parse_df_available, parse_listening_ports, planned_ports, topology_advice)


def advice(profile) -> dict[str, tuple[str, str]]:
    return {c.name: (c.level, c.reason) for c in topology_advice(profile)}


def test_seed_layout_advice():
    a = advice(good_profile())
    assert a["webapps"][0] == WARNING and "at least 2" in a["webapps"][1]
    assert a["masters"][0] == OK and "3 on different hosts" in a["masters"][1]
    assert a["coreapps"][0] == OK and "tolerates 1" in a["coreapps"][1]


def test_two_webapps_need_a_load_balancer_url():
    p = good_profile()
    extra = HostSpec("wa-web-2", SshTarget("127.0.0.20", 22, "wa"), (Role.WEBAPP,))
    two = dataclasses.replace(p, hosts=p.hosts + (extra,))
    assert advice(two)["webapps"][0] == WARNING and "load balancer" in advice(two)["webapps"][1]
    behind_lb = dataclasses.replace(two, webapp=dataclasses.replace(two.webapp, url="https://wa-lb:443"))
    assert advice(behind_lb)["webapps"][0] == OK


def test_masters_and_coreapps_rules():
    p = good_profile()
    masters = tuple(HostSpec(f"wa-m{i}", SshTarget(f"127.0.0.{30 + i}", 22, "wa"), (Role.MASTER,)) for i in range(4))
    four = dataclasses.replace(p, hosts=tuple(h for h in p.hosts if not h.has(Role.MASTER)) + masters)
    assert advice(four)["masters"][0] == WARNING and "more than 3" in advice(four)["masters"][1]
    assert advice(dataclasses.replace(p, shards=2))["coreapps"][0] == WARNING


def test_db_on_a_compute_host_and_password_caution():
    p = good_profile(db=DbEnv(hostname="wa-core-1", username="waent", password="has space here"))
    a = advice(p)
    assert a["database host"][0] == FAILURE
    assert a["database password"][0] == WARNING and "space" in a["database password"][1]


def test_parsers_and_judges():
    df = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 50 2048 50% /var/lib/docker\n"
    assert parse_df_available(df) == {"/var/lib/docker": 2048}
    ss = "LISTEN 0 4096 0.0.0.0:22 0.0.0.0:*\nLISTEN 0 4096 [::]:9090 [::]:*\n"
    assert parse_listening_ports(ss) == {22, 9090}
    assert planned_ports((Role.MASTER, Role.COREAPP)) == {p: r for r, ps in ((Role.MASTER, range(6254, 6258)), (Role.COREAPP, range(6250, 6254))) for p in ps}
    assert judge_clock(0.5)[0] == OK and judge_clock(-3)[0] == WARNING and judge_clock(45)[0] == FAILURE
    assert judge_disk("/x", 50 * 1024 * 1024)[0] == OK and judge_disk("/x", 1024)[0] == FAILURE
