"""Docstrings a review found missing or too wide (public functions give their shapes; lines at most 120 characters,
as the code's): checked by parsing the modules, nested functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "wabiz_tui"

NAMED = [("tui/widgets/key_footer.py", "bindings_changed"), ("tui/widgets/host_table.py", "role"),
         ("sim/curl_config.py", "written"), ("sim/sshd.py", "channel_input"), ("sim/sshd.py", "out"),
         ("sim/sshd.py", "err"), ("lab/registry_relay.py", "log_message"), ("lab/registry_relay.py", "RelayServer"),
         ("lab/registry_relay.py", "main"), ("remote/dblogin.py", "start"), ("remote/dblogin.py", "close"),
         ("remote/dblogin.py", "select_one")]
WIDE = ["remote/dblogin.py", "workflows/node_actions.py", "lab/registry_relay.py"]


def defs(path: str, name: str) -> list[ast.AST]:
    tree = ast.parse((ROOT / path).read_text())
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.name == name]


@pytest.mark.parametrize("path, name", NAMED)
def test_named_public_functions_have_docstrings(path, name):
    found = defs(path, name)
    assert found and all(ast.get_docstring(n) for n in found), f"{path}: {name} has no docstring"


@pytest.mark.parametrize("path", WIDE)
def test_docstring_lines_fit_120_characters(path):
    text = (ROOT / path).read_text()
    lines = text.splitlines()
    wide = []
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            wide += [i for i in range(body[0].lineno, body[0].end_lineno + 1) if len(lines[i - 1]) > 120]
    assert not wide, f"{path}: docstring lines over 120 characters: {wide}"
