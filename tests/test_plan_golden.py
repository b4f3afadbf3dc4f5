"""Golden files of every procedure's ``plan()`` on sample profiles (issue 15, item 7): a change to what a procedure
would run, or in which order, shows as a diff of ``tests/golden/plan/*.txt``.

Regenerate after an intended change, then review the diff like code:

    WABIZ_UPDATE_GOLDEN=1 python -m pytest -q tests/test_plan_golden.py && git diff tests/golden/plan
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wabiz_tui.config.profile import load_profile
from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.logs import LogCollection, LogRequest
from wabiz_tui.workflows.multiconnect import Multiconnect
from wabiz_tui.workflows.uninstall import Uninstall
from wabiz_tui.workflows.upgrade import Upgrade

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("WABIZ_UPDATE_GOLDEN") == "1"


def _new_core(name: str, address: str) -> HostSpec:
    return HostSpec(name, SshTarget(address, 22, "wa"), (Role.COREAPP,))


#: profile → how each procedure is planned on it (the options a reviewer would pass on the command line)
CASES = {
    "ha-mysql": {
        "install": lambda p: HaInstall(p, emit=discard).plan(),
        "upgrade": lambda p: Upgrade(p, emit=discard, target="2.29.3").plan("wa-master-1"),
        "multiconnect": lambda p: Multiconnect(p, emit=discard).plan(2, _new_core("wa-core-3", "10.0.0.17")),
        "uninstall": lambda p: Uninstall(p, emit=discard).plan(),
        "logs": lambda p: LogCollection(p, emit=discard).plan(),
    },
    "ha-postgres": {
        "install": lambda p: HaInstall(p, emit=discard).plan(),
        "upgrade": lambda p: Upgrade(p, emit=discard, target="2.43.1").plan(),
        "multiconnect": lambda p: Multiconnect(p, emit=discard).plan(2),
        "uninstall": lambda p: Uninstall(p, emit=discard).plan(remove_volumes=True),
        "logs": lambda p: LogCollection(p, emit=discard).plan(LogRequest(("pg-node-1",), "wacore", "10m", 500)),
    },
    "mc-4-shards": {
        "install": lambda p: HaInstall(p, emit=discard).plan(),
        "upgrade": lambda p: Upgrade(p, emit=discard, target="2.45.0").plan("mc-master-1", exit_on_success=False),
        "multiconnect": lambda p: Multiconnect(p, emit=discard).plan(4, _new_core("mc-core-6", "10.0.0.20")),
        "uninstall": lambda p: Uninstall(p, emit=discard).plan(),
        "logs": lambda p: LogCollection(p, emit=discard).plan(),
    },
}


@pytest.mark.parametrize("profile_name,procedure", [(p, proc) for p, procs in CASES.items() for proc in procs])
def test_plan_matches_its_golden_file(profile_name, procedure):
    profile = load_profile(GOLDEN / "profiles" / f"{profile_name}.yaml")
    text = CASES[profile_name][procedure](profile).text()
    assert profile.db.password not in text and profile.webapp.admin_password not in text
    golden = GOLDEN / "plan" / f"{profile_name}.{procedure}.txt"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}: run WABIZ_UPDATE_GOLDEN=1 python -m pytest {__file__}"
    assert text == golden.read_text(encoding="utf-8"), (
        f"{procedure} on {profile_name} plans something else than {golden.name}; if intended, regenerate "
        "(WABIZ_UPDATE_GOLDEN=1) and review the diff")


def test_every_golden_file_is_still_produced():
    """A golden file whose case was removed would otherwise stay, unread."""
    expected = {f"{p}.{proc}.txt" for p, procs in CASES.items() for proc in procs}
    assert {f.name for f in (GOLDEN / "plan").glob("*.txt")} == expected


def test_the_plan_command_prints_the_procedures_own_plan(capsys):
    """``wabiz-tui plan`` renders the procedure's data and adds nothing of its own (text and JSON)."""
    import json

    from wabiz_tui.cli.main import main

    path = GOLDEN / "profiles" / "ha-mysql.yaml"
    assert main(["plan", str(path)]) == 0
    assert capsys.readouterr().out == (GOLDEN / "plan" / "ha-mysql.install.txt").read_text(encoding="utf-8")
    assert main(["plan", str(path), "--procedure", "upgrade", "--to", "2.29.3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["number"] for s in data["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    assert data["steps"][3]["hosts"] == ["wa-master-1", "wa-master-2"]
    assert data["steps"][1]["note"] == "not run: no dbupgrade host"


@pytest.mark.parametrize("extra", [["--to", "2.43.1"], ["--shards", "4"], ["--procedure", "logs", "--to", "2.43.1"]])
def test_plan_options_of_another_procedure_are_refused(extra, capsys):
    """`plan P --to V` printed the install plan and exited 0 (fresh-user trial): the option says which procedure."""
    from wabiz_tui.cli.main import main

    assert main(["plan", str(GOLDEN / "profiles" / "ha-mysql.yaml"), *extra]) == 2
    assert "goes with --procedure" in capsys.readouterr().err
