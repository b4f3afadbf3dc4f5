"""The settings backup the tool saves holds no password (issue 17, trial): the simulated Webapp put
``{"pw": <password>}`` into the backup data, which the tool writes to disk. Like the real Webapp's, the backup is
now the settings encrypted with the password; restore still needs that password. Against the simulated cluster
over real HTTPS."""

from __future__ import annotations

import base64
import json

from tests.engine.test_ha_install import Recorder
from tests.support import settings_for
from wabiz_tui.sim import backup as sim_backup
from wabiz_tui.workflows.upgrade import Upgrade

PASSWORD = "Backup-pass-2026"


def b64_forms(secret: str) -> list[str]:
    """The base64 text of ``secret`` at each of the three alignments it can have inside a longer base64 string."""
    forms = []
    for pad in range(3):
        enc = base64.b64encode(b"\0" * pad + secret.encode()).decode().rstrip("=")
        # drop the characters the padding bytes touch and the last, partial one
        forms.append(enc[(pad * 4 + 2) // 3:-1])
    return forms


async def test_the_saved_backup_holds_neither_the_password_nor_its_base64(installed, tmp_path):
    wf = Upgrade(installed.profile, emit=Recorder(), settings=settings_for(installed, tmp_path), target="2.43.1",
                 backups_dir=tmp_path / "backups")
    try:
        assert await wf.backup(PASSWORD)
        text = wf.backup_path.read_text()
        data = json.loads(text)["data"]
        inner = base64.b64decode(data)
        assert PASSWORD not in text and PASSWORD.encode() not in inner
        assert not [f for f in b64_forms(PASSWORD) if f in text or f.encode() in inner]
        assert not await wf.restore(wf.backup_path, "Wrong-pass-2026")  # refused as before
        assert await wf.restore(wf.backup_path, PASSWORD)
    finally:
        await wf.close()


def test_sealed_backup_round_trip_and_refusals():
    data = sim_backup.seal(PASSWORD, {"settings": {"webhooks": {"url": "https://x"}}, "shards": 2})
    assert sim_backup.unseal(PASSWORD, data) == {"settings": {"webhooks": {"url": "https://x"}}, "shards": 2}
    for password, data_, field in ((PASSWORD + "x", data, "password"), (PASSWORD, "bm90IGEgYmFja3Vw", "data"),
                                   (PASSWORD, "%%%", "data")):
        try:
            sim_backup.unseal(password, data_)
        except sim_backup.BackupError as exc:
            assert exc.field == field and PASSWORD not in str(exc)
        else:
            raise AssertionError(f"{field} accepted")
