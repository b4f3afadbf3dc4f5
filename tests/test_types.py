"""The type check (issue 15 item 6): mypy, with the configuration in pyproject.toml, on the engine's layers.

Skips locally when mypy is not installed (``pip install -e '.[test]'`` brings it); fails in CI (``CI=true``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support import IN_CI

ROOT = Path(__file__).resolve().parents[1]
#: the packages that must stay strict (issue 15 item 6); pyproject's [tool.mypy] may add more, never drop these
STRICT = ("wabiz_tui.domain", "wabiz_tui.config", "wabiz_tui.api", "wabiz_tui.remote", "wabiz_tui.workflows")


def _config() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        section: dict[str, object] = tomllib.load(fh)["tool"]["mypy"]
    return section


def test_the_engine_layers_are_configured_strict():
    config = _config()
    assert config.get("strict") is True
    assert set(STRICT) <= set(config.get("packages", ())), "pyproject [tool.mypy] packages lost a strict layer"
    for override in config.get("overrides", ()):
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        whole = [m for m in modules if m.removesuffix(".*") in ("wabiz_tui", *STRICT)]
        assert not whole, f"a whole strict package is exempted by an override: {whole}"


def test_mypy_passes():
    if importlib.util.find_spec("mypy") is None:
        if IN_CI:
            pytest.fail("mypy is required in CI (pip install -e '.[test]' installs it)")
        pytest.skip("mypy is not installed here (pip install -e '.[test]' installs it)")
    # the packages come from pyproject.toml; the cache stays out of the checkout's tracked files (.gitignore)
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"
