"""The s8 trial of the flags added in s7, with bad or odd input as a new user gives it (README and --help only): each
case ends with one clear sentence naming the flag or field and the fix, the exit code of the table, no traceback, no
secret, nothing half-written. The ``lab fault`` cases are in ``test_cli_lab_faults.py``."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from wabiz_tui.domain.exitcodes import Exit

CMD = [sys.executable, "-m", "wabiz_tui"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(CMD + list(args), capture_output=True, text=True, timeout=timeout, env=os.environ.copy())


# ---- init -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["²", "٣", "99999999999999999999", "22x", ""])
def test_an_init_port_answer_in_odd_digits_is_re_asked_not_a_traceback(answer):
    """``str.isdigit`` took "²" and ``int`` then raised inside prompt_toolkit's validator: the whole traceback on the
    terminal, twice, and the prompt stuck on "Press ENTER to continue" (seen in tmux)."""
    from wabiz_tui.tui.init_prompts import _port, _validator

    said = _validator(_port("hosts[0].ssh.port"))(answer)
    assert isinstance(said, str) and said.startswith("hosts[0].ssh.port: ") and "1 to 65535" in said


# ---- demo ---------------------------------------------------------------------------------------------------------
def test_demo_serve_with_multiconnect_is_refused_not_ignored():
    """--multiconnect is a --headless option; with --serve it was silently dropped and the simulator served on."""
    res = run("demo", "--serve", "--multiconnect", "--speed", "0.05", timeout=60)
    assert res.returncode == Exit.BAD_INPUT, res.stdout + res.stderr
    assert "--multiconnect goes with --headless" in res.stderr and "profile:" not in res.stdout
    assert "Traceback" not in res.stderr


def test_a_second_demo_in_the_workdir_of_a_running_one_is_refused_and_changes_nothing(tmp_path):
    """A second demo given a running demo's --workdir rewrote its profile (5 hosts became 51) and put its hosts'
    files among the running one's (s8 trial): now refused with exit 4, the holder's pid and the fix."""
    workdir = tmp_path / "demo"
    served = subprocess.Popen(CMD + ["demo", "--serve", "--speed", "0.05", "--workdir", str(workdir)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line.startswith("profile: "):
            line = served.stdout.readline()
        assert line.startswith("profile: "), served.stderr.read() if served.poll() is not None else line
        profile = workdir / "demo.yaml"
        before = hashlib.sha256(profile.read_bytes()).hexdigest()
        hosts_before = sorted(p.name for p in (workdir / "cluster" / "hosts").iterdir())
        res = run("demo", "--headless", "--hosts", "6", "--speed", "0.05", "--workdir", str(workdir), timeout=90)
        assert res.returncode == Exit.REFUSED, res.stdout[-2000:] + res.stderr
        assert f"--workdir {workdir}: another demo (pid {served.pid}) runs there" in res.stderr
        assert "Traceback" not in res.stderr
        assert hashlib.sha256(profile.read_bytes()).hexdigest() == before
        assert sorted(p.name for p in (workdir / "cluster" / "hosts").iterdir()) == hosts_before
    finally:
        served.send_signal(signal.SIGINT)
        try:
            served.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            served.kill()
            served.communicate()
