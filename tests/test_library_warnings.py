"""The command line hides the cryptography deprecation warnings asyncssh raises at import (cryptography 51 deprecates
DSA; asyncssh 2.24 names the DSA types when imported): they printed several lines on stderr before every command's
own words (seen on a fresh machine with cryptography 51.0.1 and asyncssh 2.24.1)."""

from __future__ import annotations

import subprocess
import sys
import warnings

from cryptography.utils import CryptographyDeprecationWarning

from wabiz_tui.cli.main import quiet_ssh_library_warnings


def _shown(category, module: str) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        quiet_ssh_library_warnings()
        warnings.warn_explicit("DSA is deprecated", category, "misc.py", 32, module=module)
        return [str(w.message) for w in seen]


def test_only_asyncssh_s_cryptography_deprecations_are_hidden():
    assert _shown(CryptographyDeprecationWarning, "asyncssh.crypto.misc") == []
    assert _shown(CryptographyDeprecationWarning, "wabiz_tui.remote.ssh") == ["DSA is deprecated"]
    assert _shown(CryptographyDeprecationWarning, "asyncsshx") == ["DSA is deprecated"]
    assert _shown(UserWarning, "asyncssh.crypto.misc") == ["DSA is deprecated"]


def test_importing_asyncssh_after_the_filter_prints_nothing():
    run = subprocess.run([sys.executable, "-c", "from wabiz_tui.cli.main import quiet_ssh_library_warnings as q; "
                          "q(); import asyncssh; print(asyncssh.__version__)"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stderr == "", run.stderr
