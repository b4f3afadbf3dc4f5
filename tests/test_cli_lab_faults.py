"""``wabiz-tui lab fault …`` given bad or odd arguments, as a new user types them, with no lab up (the s8 trial).

Each case runs the real ``main`` with the lab's own "can it run here" check bypassed and the lab's directory moved
to an empty temporary one, so nothing here can touch a lab another process has up (its directories, namespaces and
processes are never reached: every case ends before the lab's ledger is read, or at "no lab is up")."""

from __future__ import annotations

import functools

import pytest

from wabiz_tui.cli.main import main
from wabiz_tui.domain.exitcodes import Exit
from wabiz_tui.lab.state import Paths


@pytest.fixture
def no_lab(monkeypatch, tmp_path):
    monkeypatch.setattr("wabiz_tui.lab.control.check_can_run", lambda: None)
    monkeypatch.setattr("wabiz_tui.lab.state.Paths", functools.partial(Paths, tmp_path / "lab"))
    return tmp_path / "lab"


def lab_fault(capsys, *argv: str) -> tuple[int, str]:
    code = main(["lab", "fault", *argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.err


@pytest.mark.parametrize("argv, words", [
    # a value the lab can never take is said as such, lab up or not (was: "no lab is up", exit 1)
    (["db", "nope"], "db fault 'nope': use down, password, max-connections, host-restrict"),
    (["media", "nope"], "media fault 'nope': use full, readonly or inodes"),
    (["cut", "wa-core-1", "wa-core-1"], "cut wa-core-1 wa-core-1: give two different hosts"),
    (["dbupgrade", " "], "dbupgrade fault: give the REASON"),
    (["dbenv", "wa-core-1", "", "x"], "dbenv fault: give HOST KEY VALUE"),
    # digits str.isdigit takes but int refuses ("invalid literal for int() with base 10: '²'") or reads as 3
    (["port", "wa-core-1", "²"], "fault port: PORT must be a whole number from 1 to 65535, not '²'"),
    (["registry-intermittent", "٣"], "fault registry-intermittent: N "),
    # the fault named is the one typed (was "fault port: PORT must be a number")
    (["port-block", "wa-core-1", "wa-core-2", "x", "drop"], "fault port-block: PORT must be a whole number"),
    # one sentence for every N the front cannot take (0 and 11 had another wording than abc and -1)
    (["registry-intermittent", "0"], "from 2 to 10, not '0'"),
    (["registry-intermittent", "-1"], "from 2 to 10, not '-1'"),
    (["registry-intermittent", "abc"], "from 2 to 10, not 'abc'"),
    (["registry-intermittent", "99999999999999999999"], "from 2 to 10, not '99999999999999999999'"),
])
def test_a_value_the_lab_cannot_take_is_bad_input_before_the_lab_is_looked_at(no_lab, capsys, argv, words):
    code, err = lab_fault(capsys, *argv)
    assert code == Exit.BAD_INPUT, err
    assert err.startswith("wabiz-tui lab: ") and words in err and err.count("\n") == 1, err
    assert not no_lab.exists()


@pytest.mark.parametrize("argv", [["kill", "wa-core-1", "wacore"], ["registry-intermittent", "3"],
                                  ["registry-intermittent", "off"], ["db", "down"], ["clear"]])
def test_a_fault_with_no_lab_up_could_not_run_it_did_not_fail(no_lab, capsys, argv):
    """Exit 3 (the command could not run, as without root), not 1 (a step failed): nothing was tried."""
    code, err = lab_fault(capsys, *argv)
    assert (code, err) == (Exit.CANNOT_CHECK, "wabiz-tui lab: no lab is up: `wabiz-tui lab up` first\n")
    assert not no_lab.exists()


@pytest.mark.parametrize("argv", [["status"], ["status", "--json"], ["code"]])
def test_status_and_code_with_no_lab_up_exit_3_like_every_lab_command(no_lab, capsys, argv):
    """Was: ``no lab is up`` and exit 1 (a step failed) for these two, exit 3 for ``fault``."""
    code = main(["lab", *argv])
    out = capsys.readouterr()
    assert (code, out.err, out.out) == (Exit.CANNOT_CHECK, "wabiz-tui lab: no lab is up: `wabiz-tui lab up` first\n", "")
