"""The dependency rule of design.md §3, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "wabiz_tui"
ALLOWED = {
    "domain": set(),
    "config": {"domain"},
    "remote": {"domain"},
    "api": {"domain"},
    "workflows": {"domain", "config", "remote", "api"},
    "sim": {"domain"},
    "lab": {"sim"},
}
UI_LIBS = {"textual", "questionary"}


def imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.level if hasattr(node, "level") else 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def layer_of(module: str, level: int, path: Path) -> tuple[str | None, str]:
    """(internal layer or None, top-level external name)."""
    if level:
        parts = path.relative_to(PKG).parts[:-1]
        base = list(parts[: len(parts) - (level - 1)]) if level > 1 else list(parts)
        full = base + (module.split(".") if module else [])
        return (full[0] if full else "", "")
    if module.startswith("wabiz_tui."):
        return module.split(".")[1], ""
    return None, module.split(".")[0]


def test_layers_import_only_what_design_allows():
    bad = []
    for layer, allowed in ALLOWED.items():
        for path in (PKG / layer).rglob("*.py"):
            for module, level in imports(path):
                internal, external = layer_of(module, level, path)
                if internal is not None and internal not in allowed | {layer}:
                    bad.append(f"{path.relative_to(PKG)} imports {internal}")
                if external in UI_LIBS:
                    bad.append(f"{path.relative_to(PKG)} imports {external}")
    assert not bad, bad


def test_ui_libraries_only_in_the_faces():
    """Textual only in tui/; questionary only in tui/ and the pre-TUI `init` prompts (init_wizard.py)."""
    allowed = {"textual": ("tui",), "questionary": ("tui", "init_wizard.py")}
    bad = [f"{p.relative_to(PKG)} imports {lib}" for p in PKG.rglob("*.py") for m, lv in imports(p)
           if (lib := layer_of(m, lv, p)[1]) in allowed and p.relative_to(PKG).parts[0] not in allowed[lib]]
    assert not bad, bad
