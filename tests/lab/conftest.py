"""The lab tier: tests on real parts (namespaces, OpenSSH sshd, dockerd 20.10, docker-compose 1.29, registry,
MariaDB). One lab for the session, brought up on first use and taken down at the end. Without root or Linux the
tier skips with the reason; in CI (``CI=true``) that is a failure.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import IN_CI

from wabiz_tui.lab.state import Paths

ROOT = Path(__file__).resolve().parents[2]
#: Stand-in versions the lab tier needs: the install's, and the 2.29.2 → 2.29.3 upgrade.
LAB_VERSIONS = ("2.41.2", "2.29.2", "2.29.3")


def need_lab() -> None:
    """Skip (locally) or fail (CI) unless the lab can run here: Linux, root, the Debian tools."""
    from wabiz_tui.lab import LabRefused
    from wabiz_tui.lab.control import check_can_run
    try:
        check_can_run()
    except LabRefused as exc:
        if IN_CI:
            pytest.fail(f"the lab tier must run in CI: {exc}")
        pytest.skip(f"lab tier skipped: {exc}")
    if platform.system() != "Linux":  # check_can_run covers it; kept explicit for readers
        pytest.skip("Linux only")


def cli(*args: str, timeout: float = 600, check: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m wabiz_tui.cli ARGS`` from the worktree as a user would; output captured as text."""
    proc = subprocess.run([sys.executable, "-m", "wabiz_tui.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"wabiz-tui {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


class Lab:
    """The session's lab: ``paths``, ``profile`` (path of the saved profile), ``code``, ``ledger`` data."""

    def __init__(self, paths: Paths, profile: Path, data: dict):
        self.paths, self.profile, self.data = paths, profile, data

    @property
    def code(self) -> str:
        return self.data["code"]

    def host(self, name: str) -> dict:
        return next(h for h in self.data["hosts"] if h["name"] == name)

    def sh(self, host: str, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``command`` on lab host ``host`` as ``wa`` over OpenSSH (strict host-key checking against the lab's
        known_hosts): what an operator's own shell would see."""
        h = self.host(host)
        return subprocess.run(["ssh", "-i", str(self.paths.client_key), "-o", "BatchMode=yes",
                               "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={self.paths.known_hosts}",
                               f"wa@{h['ip']}", command], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    """One lab (6 hosts, MariaDB announcing MySQL 8.0.36 so the product's MySQL checks pass, stand-ins for
    :data:`LAB_VERSIONS`, fast node speed) for the whole session; taken down at the end."""
    need_lab()
    from wabiz_tui.lab import control
    from wabiz_tui.cli.lab import save_lab_profile
    paths = Paths()
    if control.is_up(paths):
        if os.environ.get("WABIZ_LAB_REUSE") == "1":  # developer loop: a lab from `lab up --db-version-spoof`
            from wabiz_tui.lab.state import Ledger
            ledger = Ledger.load(paths)
            yield Lab(paths, save_lab_profile(paths, ledger, tmp_path_factory.mktemp("lab") / "lab.yaml"), ledger.data)
            return
        pytest.fail("a lab is already up on this machine: `wabiz-tui lab down` before running the lab tier "
                    "(or WABIZ_LAB_REUSE=1 to run on it)")
    ledger = control.up(paths, hosts=6, db="mysql", versions=LAB_VERSIONS, db_version_spoof=True, speed=0.1,
                        log=lambda *_: None)
    try:
        profile = save_lab_profile(paths, ledger, tmp_path_factory.mktemp("lab") / "lab.yaml")
        yield Lab(paths, profile, ledger.data)
    finally:
        control.down(paths, log=lambda *_: None)
