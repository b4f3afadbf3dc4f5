"""The exporter stopped (SIGTERM, Ctrl-C) before its poll loop took the signals over said "interrupted (run the
same command again: procedures with a journal resume …)" and exited 130 (issue 17 trial): an exporter has nothing
to resume, and a stop is its documented 0 (systemd's `stop` must not read as a failure)."""

from __future__ import annotations

import signal

from wabiz_tui.cli import exporter as exporter_cli
from wabiz_tui.cli.main import main
from wabiz_tui.config.profile import save_profile
from wabiz_tui.domain.exitcodes import Exit

from .helpers import installed_profile


def test_sigterm_while_the_profiles_are_read(tmp_path, monkeypatch, capsys):
    path = save_profile(installed_profile("prod"), tmp_path / "prod.yaml")

    def terminated(names):  # the SIGTERM handler of main raises where the process is: here, reading the profiles
        signal.raise_signal(signal.SIGTERM)
        raise AssertionError("SIGTERM did not interrupt")

    monkeypatch.setattr(exporter_cli, "_load_all", terminated)
    code = main(["exporter", str(path), "--listen", "127.0.0.1:0"])
    out, err = capsys.readouterr()
    assert code == Exit.OK, out + err
    assert "exporter stopped (Ctrl-C or SIGTERM) before it served metrics" in out
    assert "journal" not in out + err and "run the same command again" not in out + err
