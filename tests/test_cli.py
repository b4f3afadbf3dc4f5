"""The command line as a user runs it: real processes, real simulator, real exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.domain.test_validation import good_profile
from wabiz_tui.config.profile import save_profile

CMD = [sys.executable, "-m", "wabiz_tui"]


def run(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(CMD + list(args), capture_output=True, text=True, timeout=timeout,
                          env=os.environ | (env or {}))


def test_headless_demo_runs_the_nine_steps_and_ends_healthy(tmp_path):
    res = run("demo", "--headless", "--speed", "0.05", "--workdir", str(tmp_path / "w"))
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    for n in range(1, 10):
        assert f"step {n}:" in out
    assert "step 5 wa-core-2: ok" in out
    assert out.strip().splitlines()[-1].startswith("verdict: HA healthy: 1/1 shard connected, 1 standby coreapp")
    assert "Traceback" not in res.stderr


def test_demo_serve_prints_a_profile_that_render_can_use(tmp_path):
    proc = subprocess.Popen(CMD + ["demo", "--serve", "--speed", "0.05", "--workdir", str(tmp_path / "w")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        profile = None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("profile: "):
                profile = line.split(": ", 1)[1].strip()
                break
        assert profile, "no 'profile:' line"
        res = run("render", profile, "--out", str(tmp_path / "out"))
        assert res.returncode == 0, res.stderr
        assert yaml.safe_load((tmp_path / "out/prod-multiconnect-compose.yml").read_text())["services"]["wacore"]
        assert oct((tmp_path / "out/db.env").stat().st_mode & 0o777) == "0o600"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 130 or proc.returncode == 0
    assert "Traceback" not in err


def test_render_refuses_a_bad_profile_naming_the_field(tmp_path):
    path = save_profile(good_profile(), tmp_path / "p.yaml")
    text = path.read_text().replace("Str0ng-pass", "Str0ng!pass")
    path.write_text(text)
    res = run("render", str(path), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "db.password" in res.stderr and "'!'" in res.stderr and "Str0ng!pass" not in res.stderr
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in res.stderr


def test_missing_profile_and_bad_flags_are_clear(tmp_path):
    res = run("render", str(tmp_path / "nope.yaml"), "--out", str(tmp_path))
    assert res.returncode == 2 and "no such profile" in res.stderr and "Traceback" not in res.stderr
    res = run("demo", "--headless", "--speed", "0")
    assert res.returncode == 2 and "--speed" in res.stderr


def test_help_does_not_import_textual_or_asyncssh():
    code = ("import sys; from wabiz_tui.cli.main import main as cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('textual', 'asyncssh', 'httpx') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.strip().splitlines()[-1] == "[]"


def test_sigterm_stops_serve_and_removes_its_temporary_files(tmp_path):
    proc = subprocess.Popen(CMD + ["demo", "--serve", "--speed", "0.05"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ.copy())
    try:
        profile = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and profile is None:
            line = proc.stdout.readline()
            if line.startswith("profile: "):
                profile = Path(line.split(": ", 1)[1].strip())
        assert profile and profile.exists()
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in err
    # the normal way to stop a served simulator: not "interrupted, run the same command again" (fresh-user trial)
    assert proc.returncode == 130 and "simulated cluster stopped" in out and "interrupted" not in err, (out, err)
    assert not profile.parent.exists()  # the demo's keys and profile (with secrets) are gone


def test_bad_ca_file_makes_health_exit_3_without_traceback(tmp_path):
    path = save_profile(good_profile(webapp=good_profile().webapp.__class__(
        "https://127.0.0.1:9", ca_file=str(tmp_path / "missing.pem"), admin_password="Adm1n-pass#")), tmp_path / "p.yaml")
    res = run("health", str(path))
    assert res.returncode == 3 and "webapp.ca_file" in res.stdout + res.stderr and "Traceback" not in res.stderr


def test_unwritable_workdir_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = run("demo", "--headless", "--workdir", str(blocker / "sub"))
    assert res.returncode == 3 and str(blocker / "sub") in res.stderr and "Traceback" not in res.stderr


def test_an_unknown_flag_shows_the_commands_usage(capsys):
    """argparse leaves unknown words to the top-level parser, whose usage says nothing of the command's flags
    (fresh-user trial: `plan demo --bogus` printed `usage: wabiz-tui [-h] [--version] COMMAND ...`)."""
    from wabiz_tui.cli.main import main

    assert main(["plan", "x.yaml", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: wabiz-tui plan") and "plan: unrecognized arguments: --bogus" in err
    assert main(["health", "x.yaml", "--bogus"]) == 3  # health answers bad input as UNKNOWN
    assert capsys.readouterr().err.startswith("usage: wabiz-tui health")
