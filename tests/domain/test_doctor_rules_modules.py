"""Each module of doctor's rule table imports on its own, in a fresh interpreter (doctor_rules_field and
doctor_rules_db once imported doctor_rules, which imports them: alone they failed on the circular import)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import wabiz_tui.domain

MODULES = sorted(p.stem for p in Path(wabiz_tui.domain.__file__).parent.glob("doctor_rules*.py"))


def test_the_rule_modules_are_all_listed():
    assert {"doctor_rules", "doctor_rules_base", "doctor_rules_db", "doctor_rules_field"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_each_rule_module_imports_alone(module):
    done = subprocess.run([sys.executable, "-c", f"import wabiz_tui.domain.{module}"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
