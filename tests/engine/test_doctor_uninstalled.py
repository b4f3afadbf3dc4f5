"""doctor on a cluster wabiz-tui uninstalled (fresh-user trial: "5 causes: master on wa-master-1 is missing" while
health said "not installed"): nothing is diagnosed, the state is said, exit 0."""

from __future__ import annotations

import json

from tests.engine.test_ops_cli import cli


async def test_doctor_after_an_uninstall_says_not_installed(installed):
    profile = str(installed.profile_path)
    code, out, err = await cli("uninstall", profile, "--yes", "--confirm-name", "demo")
    assert code == 0, out + err
    code, out, err = await cli("doctor", profile)
    assert code == 0 and "not installed (uninstalled at" in out and f"wabiz-tui install {profile}" in out, out + err
    assert "missing" not in out
    code, out, err = await cli("doctor", profile, "--json")
    report = json.loads(out)
    assert code == 0 and report["installed"] is False and report["causes"] == []
