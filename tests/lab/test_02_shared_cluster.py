"""The lab tier's shared installed cluster (tests/lab/conftest.py), without a lab: the order the tier runs in, and the
install / uninstall / check state machine on a stand-in ``cli`` and hosts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab import conftest
from tests.lab.conftest import SharedCluster

ROOT = Path(__file__).resolve().parents[2]

PROBE = '''
import json
def pytest_collection_finish(session):
    with open(OUT, "w") as f:
        json.dump([[i.nodeid, "shared_cluster" in i.fixturenames] for i in session.items], f)
'''


def test_the_tests_using_the_shared_cluster_run_after_the_others_each_group_in_file_order(tmp_path):
    (tmp_path / "order_probe.py").write_text(f"OUT = {str(tmp_path / 'order.json')!r}\n" + PROBE)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "order_probe", "tests/lab"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    items = json.loads((tmp_path / "order.json").read_text())
    flags = [shared for _, shared in items]
    first = flags.index(True)
    assert all(flags[first:]), [n for n, s in items[first:] if not s]  # one block at the end: one install
    for group in (items[:first], items[first:]):
        files = [n.split("::")[0] for n, _ in group]
        assert files == sorted(files, key=lambda f: sorted(dict.fromkeys(files)).index(f))  # file order kept
    shared_files = {n.split("::")[0] for n, s in items if s}
    doctor_files = ("40_doctor", "45_field_reports", "46_doctor_db", "47_doctor_net", "48_doctor_cases", "49_doctor_egress")
    assert {f"tests/lab/test_{n}.py" for n in doctor_files} <= shared_files
    assert not any(s for n, s in items if n.startswith(("tests/lab/test_01", "tests/lab/test_10", "tests/lab/test_15")))


class FakeLab:
    """Hosts whose fingerprint command answers ``self.answer``; ``paths`` is never read (reset is stubbed)."""

    def __init__(self):
        self.data = {"hosts": [{"name": "wa-web-1"}, {"name": "wa-core-1"}], "code": "123456"}
        self.paths, self.code = None, "123456"
        self.answer = "abc  ./db.env\nbiz_wacore_1 docker.whatsapp.biz/coreapp:v2.41.2 running\n"

    def sh(self, host, command, timeout=120):
        return subprocess.CompletedProcess([], 0, self.answer, "")


DOCTOR_SAYS: list[str] = []


@pytest.fixture
def calls(monkeypatch):
    made: list[str] = []
    monkeypatch.setattr(conftest, "cli", lambda *a, **_: made.append(a[0]) or subprocess.CompletedProcess(a, 0, "", ""))
    monkeypatch.setattr("wabiz_tui.lab.services.reset_cluster_databases", lambda *_: made.append("reset") or [])
    monkeypatch.setattr(conftest, "_health_level", lambda _p, _e: "ok")
    monkeypatch.setattr(conftest, "_doctor_causes", lambda _p, _e: made.append("doctor") or DOCTOR_SAYS[:])
    monkeypatch.setattr("wabiz_tui.lab.control.status", lambda _p: {"faults": []})
    return made


def test_the_cluster_is_installed_once_and_uninstalled_only_when_asked(calls, tmp_path):
    shared = SharedCluster(FakeLab(), tmp_path / "lab.yaml")
    assert shared.ensure_installed("tests.lab.test_x") == tmp_path / "lab.yaml"
    assert shared.ensure_installed("tests.lab.test_y") == tmp_path / "lab.yaml"
    assert calls == ["uninstall", "reset", "install"] and shared.installs == 1
    assert [module for module, _seconds in shared.install_log] == ["tests.lab.test_x"]
    shared.check_as_installed("tests.lab.test_x")  # unchanged, doctor names nothing: nothing done
    assert calls == ["uninstall", "reset", "install", "doctor"] and shared.state == "installed"
    shared.ensure_uninstalled()
    shared.ensure_uninstalled()
    assert calls == ["uninstall", "reset", "install", "doctor", "uninstall", "reset"] and shared.state == "absent"


def test_log_words_left_for_doctor_give_the_next_module_a_fresh_install_with_a_warning(calls, tmp_path, monkeypatch):
    shared = SharedCluster(FakeLab(), tmp_path / "lab.yaml")
    shared.ensure_installed()
    monkeypatch.setattr(sys.modules[__name__], "DOCTOR_SAYS", ["LOG_WORDS: wacore on wa-core-1 logs: a fatal error"])
    with pytest.warns(UserWarning, match="tests.lab.test_x left causes doctor names .*LOG_WORDS"):
        shared.check_as_installed("tests.lab.test_x")
    shared.ensure_installed()
    assert calls == ["uninstall", "reset", "install", "doctor", "uninstall", "reset", "install"]


def test_a_module_that_leaves_the_cluster_changed_is_named_and_the_next_user_gets_a_fresh_install(calls, tmp_path,
                                                                                                  monkeypatch):
    lab = FakeLab()
    shared = SharedCluster(lab, tmp_path / "lab.yaml")
    shared.ensure_installed()
    lab.answer = lab.answer.replace("running", "exited")
    monkeypatch.setattr(conftest.time, "monotonic", iter([0.0, 1000.0]).__next__)  # the 120 s wait: over at once
    monkeypatch.setattr(conftest.time, "sleep", lambda _s: None)
    with pytest.raises(AssertionError, match="tests.lab.test_x left the shared cluster changed: hosts differ"):
        shared.check_as_installed("tests.lab.test_x")
    assert shared.state == "unknown"
    shared.ensure_installed()
    assert calls == ["uninstall", "reset", "install", "uninstall", "reset", "install"] and shared.installs == 2


def test_the_lab_goes_down_after_the_last_lab_test_even_when_the_command_line_interleaves_directories():
    from types import SimpleNamespace
    lab_dir = Path(conftest.__file__).parent
    session = SimpleNamespace(items=[])
    a, b, c, d = (SimpleNamespace(path=p, session=session) for p in (
        lab_dir / "test_40_doctor.py", ROOT / "tests/sim/test_x.py", lab_dir / "test_49_doctor_egress.py",
        ROOT / "tests/tui/test_y.py"))
    session.items[:] = [a, b, c, d]
    assert [conftest._last_of_tier(i, n) for i, n in ((a, b), (c, d))] == [False, True]  # a lab test follows b
    session.items[:] = [a, c, d]
    assert [conftest._last_of_tier(i, n) for i, n in ((a, c), (c, d))] == [False, True]
