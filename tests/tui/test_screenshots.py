"""Writes the SVG screenshots of the main screens when ``WABIZ_SCREENSHOTS`` is set (to 1 or a directory)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .make_screenshots import ROOT, make_screenshots

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not os.environ.get("WABIZ_SCREENSHOTS"), reason="set WABIZ_SCREENSHOTS=1 to write screenshots/")
async def test_write_screenshots():
    target = os.environ["WABIZ_SCREENSHOTS"]
    out = ROOT / "screenshots" if target == "1" else Path(target)
    saved = await make_screenshots(out, speed=0.1)
    assert len(saved) == 20 and all(p.stat().st_size > 1000 for p in saved)
    for path in saved:
        assert "Demo-db-pass-2026" not in path.read_text()
