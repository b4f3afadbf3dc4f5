"""One read of a host's output goes through the engine at once (``Procedure.emit_lines``, issue 17: the per-line
masking was half the cost of a line on the TUI's loop): the same events, in the same order, masked as ``emit``
masks them, and the same run log."""

from __future__ import annotations

import dataclasses

from tests.engine.test_secrets_files import planted
from wabiz_tui.workflows.base import Procedure
from wabiz_tui.workflows.events import HostOutput
from wabiz_tui.workflows.settings import RunSettings


def lines_with(secret: str) -> list[str]:
    return ["plain 1", f"DB_PASSWORD={secret}", "", "plain 3", f"{secret}{secret}", "last"]


def run_both(tmp_path, profile, lines: list[str], host: str = "wa-core-1"):
    """(events, run log text) of ``emit_lines`` and of one ``emit`` per line."""
    out = []
    for way in ("batch", "single"):
        got: list = []
        wf = Procedure(profile, emit=got.append, settings=RunSettings(log_dir=tmp_path / way))
        if way == "batch":
            wf.emit_lines(host, lines)
        else:
            for line in lines:
                wf.emit(HostOutput(host, line))
        wf._sink.close()
        out.append((got, "".join(p.read_text() for p in (tmp_path / way).rglob("*.log"))))
    return out


def test_a_read_gives_the_events_and_run_log_of_one_emit_per_line(tmp_path):
    profile = planted()
    secret = profile.db.password
    (batch, batch_log), (single, single_log) = run_both(tmp_path, profile, lines_with(secret))
    assert batch == single and batch_log == single_log
    assert [e.line for e in batch] == ["plain 1", "DB_PASSWORD=********", "", "plain 3", "****************", "last"]
    assert secret not in batch_log and "DB_PASSWORD=********\n" in batch_log


def test_a_read_without_secret_is_passed_line_for_line(tmp_path):
    (batch, log), (single, _) = run_both(tmp_path, planted(), [f"seq={i}" for i in range(300)])
    assert batch == single and [e.line for e in batch] == [f"seq={i}" for i in range(300)]
    assert log.splitlines() == [f"seq={i}" for i in range(300)]


def test_a_replaced_profile_masks_its_own_secrets(tmp_path):
    """The secrets are read once per profile: a profile replaced between steps (a new DB password typed in the
    wizard) is masked with its values from the next line on."""
    got: list = []
    profile = planted()
    wf = Procedure(profile, emit=got.append, settings=RunSettings(log_dir=None))
    wf.emit_lines("h", [f"old {profile.db.password}"])
    wf.profile = dataclasses.replace(profile, db=dataclasses.replace(profile.db, password="Brand-New-Pass-55"))
    wf.emit_lines("h", ["new Brand-New-Pass-55"])
    wf.emit(HostOutput("h", "again Brand-New-Pass-55"))
    wf.extra_secrets.append("Backup-Only-Pass-77")
    wf.emit_lines("h", ["backup Backup-Only-Pass-77"])
    assert [e.line for e in got] == ["old ********", "new ********", "again ********", "backup ********"]
