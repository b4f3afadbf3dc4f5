"""One exit-code table for every command (issue 14.9), and one process per cluster (issue 14.2).

Each command is run as a subprocess (``python -m wabiz_tui``) so the real argument parsing, the
dispatch and the process exit are what is checked. Nothing here contacts a host: the profile points
at a closed loopback port and every case is refused before any connection."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.domain.test_validation import good_profile
from wabiz_tui.config.lock import ClusterBusy, ClusterLock
from wabiz_tui.config.profile import save_profile
from wabiz_tui.domain.exitcodes import TABLE, Exit, HealthExit

CMD = [sys.executable, "-m", "wabiz_tui"]
README = Path(__file__).resolve().parents[1] / "README.md"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(CMD + list(args), capture_output=True, text=True, timeout=120, env=os.environ.copy())


@pytest.fixture
def profile(tmp_path) -> Path:
    return save_profile(good_profile(), tmp_path / "p.yaml")


def test_readme_documents_the_table():
    text = README.read_text()
    for code, name, _ in TABLE:
        assert re.search(rf"^\| *{int(code)} *\| *{re.escape(name)} *\|", text, re.M), (code, name)
    for code in HealthExit:
        assert re.search(rf"^\| *{int(code)} *\| *{code.name} *\|", text, re.M), code


BAD_INPUT = [("render", "nope.yaml", "--out", "x"), ("install", "nope.yaml", "--yes"), ("preflight", "nope.yaml"),
             ("logs", "nope.yaml"), ("upgrade", "nope.yaml", "--to", "2.43.1"), ("dbupgrade", "nope.yaml", "--to", "2.43.1",
             "--host", "h"), ("uninstall", "nope.yaml"), ("plan", "nope.yaml"), ("multiconnect", "nope.yaml", "--shards", "2"),
             ("profile", "show", "nope.yaml"), ("install",), ("plan", "x", "--procedure", "nope"), ("bogus-command",),
             ("monitor", "nope.yaml"), ("wizard", "nope.yaml"), ("init",), ("profile", "import", "nope.yaml"),
             ("demo", "--speed", "0")]


@pytest.mark.parametrize("args", BAD_INPUT, ids=lambda a: " ".join(a))
def test_bad_input_is_2_for_every_command_but_health(args):
    res = run(*args)
    assert res.returncode == Exit.BAD_INPUT, res.stderr
    assert "Traceback" not in res.stderr and res.stderr.strip()


@pytest.mark.parametrize("args", [("health", "nope.yaml"), ("health",), ("health", "x", "--bogus"),
                                  ("health", "x", "--interval", "0"), ("health", "x", "--interval", "abc")],
                         ids=lambda a: " ".join(a))
def test_health_bad_input_is_unknown_never_critical(args):
    res = run(*args)
    assert res.returncode == HealthExit.UNKNOWN, res.stderr
    assert "Traceback" not in res.stderr


def test_health_on_an_invalid_profile_is_unknown_with_the_field_named(tmp_path):
    """A hostname holding a tab loads as YAML text but is no valid name: `health` refuses it as `plan` does
    (exit 3, the field named), instead of judging it and printing the raw tab inside a CRITICAL line."""
    good = good_profile()
    bad = good.with_changes(hosts=(replace(good.hosts[0], external_hostname="wa-core\t2"),) + good.hosts[1:])
    res = run("health", str(save_profile(bad, tmp_path / "tab.yaml")))
    assert res.returncode == HealthExit.UNKNOWN, res.stdout + res.stderr
    assert "hosts[0]" in res.stderr and "\t2" not in res.stdout and "FAILING" not in res.stdout


def test_health_that_cannot_check_says_unknown_not_failing(tmp_path):
    """A CA file that does not exist: exit 3 (UNKNOWN), and the line's word agrees with the code."""
    good = good_profile()
    broken = good.with_changes(webapp=replace(good.webapp, ca_file=str(tmp_path / "none.pem"), self_signed_ok=False))
    res = run("health", str(save_profile(broken, tmp_path / "ca.yaml")))
    assert res.returncode == HealthExit.UNKNOWN, res.stdout + res.stderr
    assert "UNKNOWN:" in res.stdout and "FAILING" not in res.stdout


@pytest.mark.parametrize("args", [("install", "{p}"), ("upgrade", "{p}", "--to", "2.43.1"), ("uninstall", "{p}"),
                                  ("uninstall", "{p}", "--yes", "--confirm-name", "wrong"),
                                  ("multiconnect", "{p}", "--shards", "2")], ids=lambda a: " ".join(a))
def test_a_missing_confirmation_is_refused_by_a_guard(profile, args):
    res = run(*[a.format(p=profile) for a in args])
    assert res.returncode == Exit.REFUSED, res.stdout + res.stderr


def test_plan_is_0(profile):
    assert run("plan", str(profile)).returncode == Exit.OK


def test_a_local_problem_is_cannot_check(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = run("demo", "--headless", "--workdir", str(blocker / "sub"))
    assert res.returncode == Exit.CANNOT_CHECK and str(blocker / "sub") in res.stderr and "Traceback" not in res.stderr


def test_sigint_is_130(tmp_path):
    proc = subprocess.Popen(CMD + ["demo", "--serve", "--speed", "0.05"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not proc.stdout.readline().startswith("profile: "):
            pass
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (Exit.INTERRUPTED, Exit.OK)


# ---- one process per cluster -----------------------------------------------------------------------
HOLDER = textwrap.dedent("""
    import sys, time
    from wabiz_tui.config.lock import ClusterLock
    from wabiz_tui.config.paths import app_paths
    from wabiz_tui.config.profile import load_profile
    ClusterLock.for_profile(app_paths().locks, load_profile(sys.argv[1])).acquire("install")
    print("held", flush=True)
    time.sleep(120)
""")


def hold(profile: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(profile)], stdout=subprocess.PIPE, text=True,
                            env=os.environ.copy())
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize("args", [("install", "{p}", "--yes"), ("upgrade", "{p}", "--to", "2.43.1", "--yes"),
                                  ("uninstall", "{p}", "--yes", "--confirm-name", "prod"),
                                  ("multiconnect", "{p}", "--shards", "2", "--yes")], ids=lambda a: a[0])
def test_a_second_process_is_refused_naming_the_holder(profile, args, monkeypatch):
    monkeypatch.setenv("WABIZ_BACKUP_PASSWORD", "Backup-pass-123")
    holder = hold(profile)
    try:
        res = run(*[a.format(p=profile) for a in args])
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode == Exit.REFUSED, res.stdout + res.stderr
    assert f"install (pid {holder.pid}, since " in res.stderr and "one process at a time" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_read_only_commands_do_not_need_the_lock(profile):
    holder = hold(profile)
    try:
        assert run("plan", str(profile)).returncode == Exit.OK
        res = run("health", str(profile))  # the Webapp of good_profile is not there: CRITICAL, not refused
        assert res.returncode in (HealthExit.CRITICAL, HealthExit.UNKNOWN) and "one process at a time" not in res.stderr
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_freed_by_kill_9(profile, tmp_path):
    from wabiz_tui.config.paths import app_paths

    holder = hold(profile)
    lock = ClusterLock.for_profile(app_paths().locks, good_profile())
    with pytest.raises(ClusterBusy):
        lock.acquire("install")
    assert lock.holder()["pid"] == holder.pid
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    lock.acquire("install")
    assert lock.held and lock.holder() == {} or lock.holder()["pid"] == os.getpid()
    lock.release()


def test_two_locks_in_one_process_exclude_each_other(tmp_path):
    a = ClusterLock.for_profile(tmp_path, good_profile())
    b = ClusterLock.for_profile(tmp_path, good_profile())
    a.acquire("wizard (step)")
    with pytest.raises(ClusterBusy, match=r"wizard \(step\) \(pid \d+, since"):
        b.acquire("install")
    a.release()
    b.acquire("install")
    b.release()


@pytest.mark.parametrize("error", [RuntimeError("boom"), PermissionError(13, "Permission denied", "/x")],
                         ids=["unexpected", "os-error"])
def test_health_that_cannot_run_answers_unknown_never_warning(profile, monkeypatch, error):
    """Review of the merge: Exit.FAILED (1) of the crash path reads as WARNING to a Nagios-style agent."""
    import wabiz_tui.cli.health as health_cli
    from wabiz_tui.cli.main import main

    async def broken(*_a, **_k):
        raise error

    monkeypatch.setattr(health_cli, "run_health", broken)
    assert main(["health", str(profile)]) == HealthExit.UNKNOWN


def test_install_reads_its_journal_again_once_it_holds_the_cluster(profile, monkeypatch):
    """Review of the merge: the journal was read before the lock was taken (a passphrase prompt can sit between
    them), so a run that ended meanwhile (its journal cleared) was resumed from its stale record."""
    import wabiz_tui.cli.common as common
    from wabiz_tui.cli.main import main
    from wabiz_tui.config.paths import app_paths
    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.workflows.ha_install import HaInstall
    from wabiz_tui.workflows.journal import Journal

    loaded = load_profile(profile)
    stale = Journal.for_cluster(app_paths().ensure().journals, loaded, "install")
    stale.host_done(1, loaded.hosts[0].external_hostname)
    take = common.lock

    def other_run_ends_first(p, command):  # the other process finishes (clears its journal), then we lock
        Journal(stale.path).clear()
        return take(p, command)

    seen: list[bool] = []

    async def run_all(self, get_code):
        seen.append(self.settings.journal.exists)
        return False

    monkeypatch.setattr(common, "lock", other_run_ends_first)
    monkeypatch.setattr(HaInstall, "run_all", run_all)
    assert main(["install", str(profile), "--yes", "--skip-preflight"]) == Exit.FAILED
    assert seen == [False], "the install resumed a journal that was cleared before it took the lock"


def test_main_gives_back_the_sigterm_handler_it_found(profile):
    """In-process callers (tests, benchmarks) keep their own SIGTERM handler: before, main() left its own, and a
    SIGTERM later in the same process raised KeyboardInterrupt in unrelated code."""
    import signal

    from wabiz_tui.cli.main import main

    def mine(signum, frame):
        return None

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        main(["plan", str(profile)])
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_preflight_of_a_profile_with_an_invalid_value_is_bad_input_naming_the_field(tmp_path):
    """Field-report helper's note: ``preflight`` answered 3 ("cannot check") for a profile with an invalid value
    (a version written ``v2.41.2``) where the table says 2, and did not say which field."""
    broken = good_profile().with_changes(wa_api_version="v2.41.2")
    res = run("preflight", str(save_profile(broken, tmp_path / "v.yaml")))
    assert res.returncode == Exit.BAD_INPUT, res.stdout + res.stderr
    assert "wa_api_version" in res.stdout + res.stderr or "version" in (res.stdout + res.stderr).lower()


@pytest.mark.parametrize("case", ["missing", "yaml", "directory", "invalid"])
def test_health_json_refusal_is_one_json_object_on_stdout(tmp_path, case):
    """Trial s9: `health <bad path> --json` printed nothing on stdout (a script reading the JSON got no input). Every
    refusal prints one object with UNKNOWN (3) and the message; stderr keeps its line."""
    if case == "yaml":
        (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    if case == "invalid":
        good = good_profile()
        save_profile(good.with_changes(hosts=(replace(good.hosts[0], external_hostname="wa-core\t2"),)
                                       + good.hosts[1:]), tmp_path / "tab.yaml")
    arg = {"missing": tmp_path / "none.yaml", "yaml": tmp_path / "bad.yaml", "directory": tmp_path,
           "invalid": tmp_path / "tab.yaml"}[case]
    res = run("health", str(arg), "--json")
    assert res.returncode == HealthExit.UNKNOWN, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 1, res.stdout
    data = json.loads(lines[0])
    assert data["exit_code"] == HealthExit.UNKNOWN and data["error"]["kind"] == "profile"
    assert data["error"]["message"] and data["error"]["message"] in res.stderr
    assert "Traceback" not in res.stderr
    if case == "directory":
        assert "is a directory, not a profile file" in res.stderr and "no such profile file" not in res.stderr


def test_health_usage_refusal_with_json_is_json_too():
    res = run("health", "--json")
    assert res.returncode == HealthExit.UNKNOWN
    assert json.loads(res.stdout)["error"] == {
        "kind": "usage", "message": "give a PROFILE, several, or --all (every saved profile)", "status": None,
        "code": None, "next_action": ""}
