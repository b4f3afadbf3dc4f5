"""Shared test set-up: the app's directories live in a temporary folder, never in the real home."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OFFICIAL = SHARED / "reference" / "official-setup-scripts"
HEALTH_CASES = SHARED / "cases" / "health"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_tool(name: str) -> str:
    """The path of an external tool; skips the test locally without it, fails in CI (design.md §7)."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{name} is required in CI (.ci/run installs it)")
    pytest.skip(f"{name} is not installed here (.ci/run installs it in CI)")


def need_shared(path: Path) -> Path:
    """A file from ../shared; skips locally when the checkout has no shared/ beside it, fails in CI."""
    if path.exists():
        return path
    if IN_CI:
        pytest.fail(f"{path} is missing: CI must run with shared/ beside the checkout")
    pytest.skip(f"{path} is not available in this checkout")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WABIZ_TUI_HOME", str(tmp_path / "wabiz-home"))
