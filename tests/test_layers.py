"""The dependency rule of design.md §3, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "wabiz_tui"
#: Every package of wabiz_tui and the packages it may import (design.md §3). A package not listed here fails
#: ``test_every_package_has_a_rule``: a new package must say where it sits.
ALLOWED = {
    "domain": set(),
    "config": {"domain"},
    "remote": {"domain"},
    "api": {"domain"},
    "workflows": {"domain", "config", "remote", "api"},
    "sim": {"domain"},
    "lab": {"sim"},
    # the faces: the TUI and the demo sit on the engine; the CLI puts them together (it opens the TUI on a demo)
    "tui": {"domain", "config", "workflows"},
    "demo": {"domain", "config", "workflows", "sim"},
    # the exporter is a face too: health through workflows' monitor, the run state and lock through config
    "exporter": {"domain", "config", "workflows"},
    "cli": {"domain", "config", "remote", "api", "workflows", "tui", "demo", "lab", "exporter"},
}
#: Imports across the rule that exist today and are being removed (issue 15); each entry must still exist, so the
#: list can only shrink. Empty means the rule holds everywhere.
KNOWN_BREAKS: set[str] = set()
UI_LIBS = {"textual", "questionary"}


def imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.level if hasattr(node, "level") else 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is None:
            found += [(a.name, node.level) for a in node.names]  # ``from .. import workflows`` names the package
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module, node.level))
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


def test_every_package_has_a_rule():
    """No package, and no module loose at the package root, escapes the rule."""
    packages = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(ALLOWED), f"packages without a rule: {packages - set(ALLOWED)}; rules without a package: {set(ALLOWED) - packages}"
    loose = sorted(p.name for p in PKG.glob("*.py") if p.name not in {"__init__.py", "__main__.py"})
    assert not loose, f"modules loose at the package root (put them in the package of their job): {loose}"


def layer_breaks() -> set[str]:
    """Every import of a package that its rule in ALLOWED does not allow, as 'path imports layer' lines."""
    bad = set()
    for layer, allowed in ALLOWED.items():
        for path in (PKG / layer).rglob("*.py"):
            for module, level in imports(path):
                internal, external = layer_of(module, level, path)
                if internal in ALLOWED and internal not in allowed | {layer}:
                    bad.add(f"{path.relative_to(PKG)} imports {internal}")
                if external in UI_LIBS and layer != "tui":
                    bad.add(f"{path.relative_to(PKG)} imports {external}")
    return bad


def test_layers_import_only_what_design_allows():
    breaks = layer_breaks()
    assert breaks <= KNOWN_BREAKS, f"imports across the layer rule: {sorted(breaks - KNOWN_BREAKS)}"


def test_known_breaks_are_still_there():
    """A break that was fixed leaves KNOWN_BREAKS, so the list only shrinks."""
    gone = KNOWN_BREAKS - layer_breaks()
    assert not gone, f"fixed, remove from KNOWN_BREAKS: {sorted(gone)}"


def test_ui_libraries_only_in_the_faces():
    """Textual and questionary only in tui/ (the pre-TUI `init` prompts too: tui/init_prompts.py)."""
    allowed = {"textual": ("tui",), "questionary": ("tui",)}
    bad = [f"{p.relative_to(PKG)} imports {lib}" for p in PKG.rglob("*.py") for m, lv in imports(p)
           if (lib := layer_of(m, lv, p)[1]) in allowed
           and not any(p.relative_to(PKG).as_posix().startswith(a) for a in allowed[lib])]
    assert not bad, bad
