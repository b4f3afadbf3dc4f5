"""Shared fixtures: the app's directories live in a temporary folder, never in the real home (helpers: tests/support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WABIZ_TUI_HOME", str(tmp_path / "wabiz-home"))
