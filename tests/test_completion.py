"""`wabiz-tui completion bash|zsh`: the generated script, loaded in a real bash, completes commands, flags and
saved profile names (bash's own `complete`/`compgen` run it, through a `wabiz-tui` on PATH that is this worktree)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.domain.test_validation import good_profile
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import save_profile

ROOT = Path(__file__).resolve().parents[1]


def _bash() -> str:
    found = shutil.which("bash")
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail("bash is needed for the completion test")
        pytest.skip("bash is not installed")
    return found


def script(shell: str) -> str:
    res = subprocess.run([sys.executable, "-m", "wabiz_tui.cli", "completion", shell], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.fixture
def complete(tmp_path):
    """``complete("install", "--sk")`` → what bash offers for the last word of ``wabiz-tui install --sk``."""
    bash = _bash()
    (tmp_path / "c.sh").write_text(script("bash"))
    shim = tmp_path / "bin" / "wabiz-tui"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m wabiz_tui.cli \"$@\"\n")
    shim.chmod(0o755)

    def run(*words: str) -> list[str]:
        line = " ".join(["wabiz-tui", *words])
        probe = (f"source {tmp_path / 'c.sh'}\n"
                 "complete -p wabiz-tui >/dev/null || exit 9\n"  # the script registered itself
                 f"COMP_WORDS=(wabiz-tui {' '.join(repr(w) for w in words)}); COMP_CWORD={len(words)}; "
                 f"COMP_LINE={line!r}; COMP_POINT={len(line)}\n"
                 "_wabiz_tui\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
        res = subprocess.run([bash, "--norc", "--noprofile", "-c", probe], capture_output=True, text=True, timeout=60,
                             cwd=tmp_path, env=os.environ | {"PATH": f"{shim.parent}:{os.environ['PATH']}"})
        assert res.returncode == 0, res.stderr
        return [w for w in res.stdout.splitlines() if w]
    return run


def test_bash_completes_commands_flags_choices_and_saved_profile_names(complete):
    save_profile(good_profile(name="prod-eu"), app_paths().ensure().profiles / "prod-eu.yaml")
    save_profile(good_profile(name="staging"), app_paths().profiles / "staging.yaml")
    assert complete("ins") == ["install"]
    assert set(complete("up")) == {"upgrade"}
    assert "--trust-new-host-keys" in complete("install", "--tr")
    assert complete("install", "--sk") == ["--skip-preflight"]
    assert complete("plan", "prod-eu", "--procedure", "up") == ["upgrade"]
    assert complete("install", "pro") == ["prod-eu"]
    assert complete("upgrade", "--to", "") == []  # a version is not a file
    assert set(complete("profile", "")) == {"show", "import", "export"}
    assert "staging" in complete("profile", "show", "")
    assert complete("multiconnect", "prod-eu", "--shards", "1") == ["1", "16"]
    # the exporter takes several profiles, and its TLS options are files (the fresh-user trial found both missing)
    assert complete("exporter", "prod-eu", "sta") == ["staging"]
    assert complete("exporter", "--tls-cert", "c.s") == ["c.sh"]


def test_completion_profiles_lists_saved_names_and_zsh_wraps_the_same_function():
    save_profile(good_profile(name="prod-eu"), app_paths().ensure().profiles / "prod-eu.yaml")
    res = subprocess.run([sys.executable, "-m", "wabiz_tui.cli", "completion", "profiles"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert res.stdout.split() == ["prod-eu"]
    zsh = script("zsh")
    assert "bashcompinit" in zsh and "complete -F _wabiz_tui wabiz-tui" in zsh
