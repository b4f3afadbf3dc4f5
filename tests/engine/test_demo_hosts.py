"""``demo --hosts N`` (fresh-user trial: the 50-host simulated cluster of issue 17 could not be reached from the
README): the layout by size, the refusal of a size outside 5..50, and a headless install of a bigger demo."""

from __future__ import annotations

import pytest

from tests.engine.test_ops_cli import cli
from wabiz_tui.demo import demo_layout


def roles(hosts) -> dict[str, int]:
    counted: dict[str, int] = {}
    for h in hosts:
        for r in h.roles:
            counted[r] = counted.get(r, 0) + 1
    return counted


def test_the_layouts_by_size():
    hosts, spare = demo_layout(50)
    assert roles(hosts) == {"webapp": 4, "master": 3, "coreapp": 43} and len(hosts) == 50
    assert spare.external_hostname == "wa-core-44" and spare.external_hostname not in [h.external_hostname for h in hosts]
    five, spare5 = demo_layout(5)
    assert roles(five) == {"webapp": 1, "master": 2, "coreapp": 2} and spare5.external_hostname == "wa-core-3"
    with pytest.raises(ValueError, match="5 to 50"):
        demo_layout(51)


def test_the_size_refusal_is_the_layouts_own(monkeypatch, capsys):
    """``demo --hosts`` is refused by demo_layout's bounds, not a copy of them (nothing starts)."""
    from wabiz_tui.cli.main import main

    monkeypatch.setattr("wabiz_tui.demo.session.MAX_HOSTS", 20)
    monkeypatch.setattr("wabiz_tui.cli.demo._headless", lambda args: pytest.fail("the demo started"))
    code = main(["demo", "--headless", "--hosts", "30"])
    err = capsys.readouterr().err
    assert code == 2 and "--hosts 30: a demo cluster has 5 to 20 hosts, e.g. --hosts 50" in err and "Traceback" not in err


def test_the_big_layout_of_the_tests_is_the_demos():
    from tests.support import big_layout

    assert big_layout() == demo_layout(50)[0] and roles(big_layout(8)) == {"webapp": 1, "master": 3, "coreapp": 4}


async def test_a_bigger_demo_installs_headless_and_a_bad_size_is_refused():
    code, _, err = await cli("demo", "--hosts", "4")
    assert code == 2 and "--hosts 4: a demo cluster has 5 to 50 hosts" in err and "Traceback" not in err
    code, out, err = await cli("demo", "--headless", "--hosts", "12", "--speed", "0.05")
    assert code == 0, out + err
    assert "wa-core-8: ok=" in out and "7 standby coreapps" in out
