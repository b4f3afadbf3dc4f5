"""Item 10 of issue 13 on real parts: an install and its preflight, started in the same second against a real
host, write their commands to folders of their own (each command once)."""

from __future__ import annotations

import dataclasses
from collections import Counter

from tests.engine.test_ha_install import Recorder
from wabiz_tui.workflows.ha_install import HaInstall


async def test_install_and_its_preflight_do_not_share_a_log_folder(docker_host, tmp_path):
    settings = dataclasses.replace(docker_host.settings, log_dir=tmp_path / "logs")
    wf = HaInstall(docker_host.profile, emit=Recorder(), settings=settings)
    try:
        await wf.preflight()
        assert await wf.run_step(1)
    finally:
        await wf.close()
    folders = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert len(folders) == 2 and folders[0].endswith("-install") and folders[1].endswith("-preflight"), folders
    for folder in (tmp_path / "logs").iterdir():
        commands = Counter(line for line in (folder / "wa-real-1.log").read_text().splitlines() if line.startswith("$ "))
        assert commands and set(commands.values()) == {1}, commands
