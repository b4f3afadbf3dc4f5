"""Planted secrets × commands × places searched → 0 hits (issue 14.7, "Done means").

Every secret field of the profile gets a recognisable value (the DB password read from the environment
through ``env:VAR``, as operators do), the settings backup password comes from the environment, and the
commands a user runs go against the simulated cluster over real SSH. Then stdout, stderr, every file
the app wrote (state directory: run logs, journals, locks, run state, crash reports; the log folder and
the members of its tarball) are searched for every planted value. The figures are printed."""

from __future__ import annotations

import dataclasses
import os
import tarfile
from pathlib import Path

from wabiz_tui.config.profile import save_profile
from wabiz_tui.domain.exitcodes import Exit

from .figures import report
from .helpers import cli

PLANTED = {"db.password": "Planted-Db-9137", "webapp.admin_password": "Planted-Adm1n#9",
           "registration.pin": "913742", "backup password": "Planted-Backup-77"}


def places(home: Path, extra: list[Path], skip: set[Path]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for root in [home, *extra]:
        for path in root.rglob("*"):
            if not path.is_file() or path in skip:
                continue
            found[str(path)] = path.read_bytes()
            if path.name.endswith(".tar.gz"):
                with tarfile.open(path) as tar:
                    for m in tar.getmembers():
                        if m.isfile():
                            found[f"{path}!{m.name}"] = tar.extractfile(m).read()
    return found


async def test_planted_secrets_appear_nowhere(demo, tmp_path, monkeypatch):
    p = demo.profile
    p = p.with_changes(db=dataclasses.replace(p.db, password=PLANTED["db.password"]),
                       webapp=dataclasses.replace(p.webapp, admin_password=PLANTED["webapp.admin_password"]),
                       registration=dataclasses.replace(p.registration, pin=PLANTED["registration.pin"]))
    demo.cluster.set_database(p.db.hostname, p.db.port, password=PLANTED["db.password"])
    save_profile(p, demo.profile_path)
    text = demo.profile_path.read_text().replace(f"password: {PLANTED['db.password']}", "password: env:WA_PLANTED_DB")
    assert "env:WA_PLANTED_DB" in text
    demo.profile_path.write_text(text)
    secrets = {**PLANTED, "registration.cert": p.registration.cert}
    env = {**os.environ, "WA_PLANTED_DB": PLANTED["db.password"], "WABIZ_BACKUP_PASSWORD": PLANTED["backup password"]}
    profile, out_dir = str(demo.profile_path), tmp_path / "bundle-out"
    commands = [("plan",), ("profile", "show"), ("preflight",), ("install", "--yes"), ("install", "--yes", "--code", "{sms}"),
                ("health", "--json"), ("logs", "--bundle", "--out", str(out_dir)), ("upgrade", "--to", "2.43.1", "--yes"),
                ("uninstall", "--yes", "--confirm-name", p.name)]
    outputs: dict[str, str] = {}
    codes: dict[str, int] = {}
    for command in commands:
        args = [a.format(sms=demo.cluster.sms_outbox[-1][1] if demo.cluster.sms_outbox else "") for a in command]
        first = args[:2] if args[0] == "profile" else args[:1]
        code, out, err = await cli(*first, profile, *args[len(first):], env=env)
        outputs[" ".join(command)] = out + err
        codes[command[0] + (" " + command[2] if command[:2] == ("install", "--yes") and len(command) > 2 else "")] = code
        assert code in (Exit.OK, Exit.FAILED, Exit.NEEDS_INPUT), (command, out + err)
    home = Path(os.environ["WABIZ_TUI_HOME"])
    files = places(home, [out_dir], skip={demo.profile_path})
    hits = [(name, where) for name, value in secrets.items()
            for where, data in [*((f"output of {c}", o.encode()) for c, o in outputs.items()), *files.items()]
            if value.encode() in data]
    report(f"planted secrets: {len(secrets)} secrets x {len(commands)} commands x {len(outputs) * 1 + len(files)} places "
          f"searched ({len(outputs)} outputs, {len(files)} files and tarball members) -> {len(hits)} hits")
    report(f"planted secrets: exit codes {codes}")
    assert not hits, hits[:10]
    assert codes["install --code"] == Exit.OK and codes["upgrade"] == Exit.OK and codes["uninstall"] == Exit.OK, codes
    assert len(files) > 10  # the search saw run logs, journals, the bundle...
