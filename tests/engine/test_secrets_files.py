"""Secrets and files (issue 14.7): the redaction list comes from the profile's secret fields, the
bundle's side files are private, and the tarball holds complete copies of the files it packs."""

from __future__ import annotations

import dataclasses
import stat
import tarfile

from tests.domain.test_validation import good_profile
from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.domain.model import SECRET_FIELDS, ClusterProfile, secret_values
from wabiz_tui.workflows.base import Procedure
from wabiz_tui.workflows.events import HostOutput, Message
from wabiz_tui.workflows.logs import LogCollection, LogRequest


def planted() -> ClusterProfile:
    p = good_profile()
    values = {("db", "password"): "Planted-Db-9137", ("webapp", "admin_password"): "Planted-Adm1n#",
              ("webapp", "initial_password"): "Planted-Init-42", ("registration", "pin"): "913742",
              ("registration", "cert"): "UGxhbnRlZENlcnQ="}
    for (section, key), value in values.items():
        p = dataclasses.replace(p, **{section: dataclasses.replace(getattr(p, section), **{key: value})})
    return p


def test_every_secret_looking_field_is_in_the_list():
    """A new field named like a secret must join SECRET_FIELDS (the redaction of every face derives from it)."""
    words = ("password", "pin", "cert", "token", "secret")
    for section in ("db", "webapp", "registration", "monitoring"):
        cls = type(getattr(good_profile(), section))
        for name in cls.__dataclass_fields__:
            if any(w in name for w in words):
                assert (section, name) in SECRET_FIELDS, (section, name)


def test_every_secret_field_is_redacted_by_engines_and_the_tui():
    from wabiz_tui.tui.masking import SecretMasker

    profile = planted()
    seen: list = []
    proc = Procedure(profile, emit=seen.append)
    proc.extra_secrets.append("Planted-Backup-77")
    masker = SecretMasker()
    masker.update(profile)
    masker.add("Planted-Backup-77")
    for value in (*secret_values(profile), "Planted-Backup-77"):
        proc.emit(HostOutput("h", f"value={value}!"))
        proc.emit(Message(f"error: {value}"))
        assert value not in masker(f"shown {value}")
    text = " ".join(getattr(e, "line", "") or getattr(e, "text", "") for e in seen)
    assert "Planted" not in text and "913742" not in text and "UGxhbnRlZENlcnQ=" not in text, text


def test_home_root_is_created_private(tmp_path, monkeypatch):
    from wabiz_tui.config.paths import app_paths

    monkeypatch.setenv("WABIZ_TUI_HOME", str(tmp_path / "new-home" / "wabiz"))
    paths = app_paths().ensure()
    for d in (tmp_path / "new-home", tmp_path / "new-home" / "wabiz", paths.state, paths.config, paths.data):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d


async def test_bundle_is_private_and_complete(installed, tmp_path):
    """The run's own log files (in their own folder since issue 13.10, even with ``--out`` = the logs directory)
    are packed as ``run-log/``: each member of the tarball is the whole file, and every file and folder of the
    bundle is 600/700."""
    out = tmp_path / "logs"
    events = Recorder()
    wf = LogCollection(installed.profile, emit=events, settings=settings_for(installed, tmp_path, log_dir=out))
    try:
        assert await wf.collect(LogRequest(), out), events.text()
        assert await wf.bundle(), events.text()
    finally:
        await wf.close()
    run_log = {p.name: p for p in out.glob("*-logs/*.log")}
    assert run_log, "the run wrote no run log: the test does not test its packing"
    assert stat.S_IMODE(wf.directory.stat().st_mode) == 0o700
    for path in wf.directory.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert stat.S_IMODE(wf.bundle_path.stat().st_mode) == 0o600
    with tarfile.open(wf.bundle_path) as tar:
        for member in tar.getmembers():
            if member.isfile():
                inside = member.name.split("/", 1)[1]
                on_disk = (run_log.pop(inside[len("run-log/"):]) if inside.startswith("run-log/")
                           else wf.directory / inside).read_bytes()
                assert tar.extractfile(member).read() == on_disk, member.name
    assert not run_log, f"run log files missing from the bundle: {sorted(run_log)}"
