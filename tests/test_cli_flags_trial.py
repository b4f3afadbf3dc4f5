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


def test_ctrl_d_at_an_init_prompt_cancels_like_ctrl_c(monkeypatch, capsys):
    """Ctrl-D at "Cluster name" ended in "unexpected error; details written to …/crash-….txt" (EOFError, seen in tmux)."""
    import questionary

    from wabiz_tui.config.paths import app_paths
    from wabiz_tui.tui.init_prompts import run_init

    class EndOfInput:
        def __init__(self, *args, **kw):
            pass

        def unsafe_ask(self):
            raise EOFError

    monkeypatch.setattr(questionary, "text", EndOfInput)
    assert run_init() == Exit.INTERRUPTED
    assert "Cancelled (Ctrl-D): nothing was written." in capsys.readouterr().out
    profiles = app_paths().profiles
    assert not (profiles.exists() and any(profiles.iterdir()))


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


# ---- doctor: what the user asked for by name is answered, never folded into "N probe(s) could not run" ------------
from tests.engine.conftest import demo, installed  # noqa: E402,F401 - the started demo session fixtures
from tests.sim.test_doctor_cases import run_doctor  # noqa: E402


@pytest.mark.parametrize("env_file, words", [("/nowhere/.env", "cat: /nowhere/.env: No such file or directory"),
                                             ("/home/wa", "cat: /home/wa: Is a directory")])
async def test_a_monitoring_env_file_that_cannot_be_read_is_said_with_the_field_and_the_fix(installed, tmp_path,
                                                                                         env_file, words):
    """Before, doctor said "nothing wrong found … 1 probe(s) could not run (--verbose shows them)" and exit 0: the
    profile's env_file named nothing there, and only --verbose said so."""
    from wabiz_tui.cli.doctor import asked_but_not_checked
    from wabiz_tui.domain.model import Monitoring

    profile = installed.profile.with_changes(monitoring=Monitoring(from_host="wa-master-1", env_file=env_file))
    report = await run_doctor(installed, tmp_path, profile, hosts=("wa-master-1",), api=False)
    (line,) = [l for l in asked_but_not_checked(report) if l]
    assert line.startswith(f"monitoring.env_file: not checked: wa-master-1: cat -- {env_file}: {words}; fix: set "
                           "monitoring.env_file (and monitoring.from_host) in the profile")


async def test_db_from_here_says_what_it_did_when_this_machine_does_not_reach_the_db(installed, tmp_path):
    """The hosts' db.env holds a password the DB refuses; from this machine the DB's address does not answer. Before,
    the answer to --db-from-here was one of "4 probe(s) could not run (--verbose shows them)"."""
    from wabiz_tui.cli.doctor import asked_but_not_checked

    for host in installed.profile.hosts:
        env = installed.cluster.host_root(host.external_hostname) / host.remote_dir.lstrip("/") / "db.env"
        env.write_text("\n".join("WA_DB_PASSWORD=Wrong-pass-17" if l.startswith("WA_DB_PASSWORD=") else l
                                 for l in env.read_text().splitlines()) + "\n")
    report = await run_doctor(installed, tmp_path, installed.profile, db_from_here=True, api=False)
    said = "\n".join(asked_but_not_checked(report, db_from_here=True))
    assert "--db-from-here: not checked: not reached from this machine: Can't connect to MySQL server" in said, said
    assert "fix: run doctor from a machine that reaches the DB" in said
    assert "Wrong-pass-17" not in said and installed.profile.db.password not in said


async def test_db_from_here_says_so_when_no_login_from_here_was_needed(installed, tmp_path):
    from wabiz_tui.cli.doctor import asked_but_not_checked

    report = await run_doctor(installed, tmp_path, installed.profile, db_from_here=True, api=False)
    assert asked_but_not_checked(report, db_from_here=True) == [
        "", "--db-from-here: no login from this machine was made: it is tried only when the DB refuses db.env's login "
            "from the hosts, and it did not"]
    assert asked_but_not_checked(report, db_from_here=False) == []


async def test_doctor_prints_the_env_file_it_could_not_read_without_verbose(installed, tmp_path, capsys):
    """The command's own output (``diagnose``, as ``wabiz-tui doctor PROFILE`` runs it), not only the helper."""
    import argparse

    from wabiz_tui.cli.doctor import diagnose
    from wabiz_tui.config.profile import save_profile
    from wabiz_tui.domain.model import Monitoring

    profile = installed.profile.with_changes(monitoring=Monitoring(from_host="wa-master-1", env_file="/nowhere/.env"))
    path = save_profile(profile, tmp_path / "mon.yaml")
    args = argparse.Namespace(json=False, host=["wa-master-1"], url=[], verbose=False, db_from_here=False,
                              trust_new_host_keys=False)
    await diagnose(args, profile, path)
    out = capsys.readouterr().out
    assert "\nmonitoring.env_file: not checked: wa-master-1: cat -- /nowhere/.env: cat: /nowhere/.env: No such file" in out


@pytest.mark.parametrize("typed, words", [
    ("", "--host '': not a host of the profile (hosts: "),  # was "--host : not a host…"
    ("WA-CORE-1", "--host 'WA-CORE-1': not a host of the profile; did you mean 'wa-core-1'?"),
    ("wa-core1", "--host 'wa-core1': not a host of the profile; did you mean 'wa-core-1'?"),
    ("zzz", "--host 'zzz': not a host of the profile (hosts: "),
])
def test_doctor_host_not_in_the_profile_is_quoted_with_the_nearest_name(tmp_path, typed, words):
    from tests.domain.test_validation import good_profile
    from wabiz_tui.config.profile import save_profile

    res = run("doctor", str(save_profile(good_profile(), tmp_path / "p.yaml")), "--host", typed)
    assert res.returncode == Exit.BAD_INPUT and words in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert "give its EXTERNAL_HOSTNAME as the profile writes it" in res.stderr and res.stderr.count("\n") == 1


def test_an_env_file_without_from_host_says_why_from_host_is_needed():
    """Only env_file set: the refusal spoke of "the host the scrape ports are probed from", which the user never asked."""
    from tests.domain.test_validation import good_profile
    from wabiz_tui.domain.model import Monitoring
    from wabiz_tui.domain.validation import validate_profile

    alone = good_profile().with_changes(monitoring=Monitoring(env_file="/opt/whatsapp-monitoring/.env"))
    (err,) = [e for e in validate_profile(alone) if e.field == "monitoring.from_host"]
    assert "name the host that holds the .env of monitoring.env_file" in str(err) and "scrape" not in str(err)
    probes = good_profile().with_changes(monitoring=Monitoring(from_host="wa-mon-1", targets=("wa-core-1:9100",)))
    (err,) = [e for e in validate_profile(probes) if e.field == "monitoring.from_host"]
    assert "the host the scrape ports are probed from" in str(err)
