"""Every public function, method and class of wabiz_tui has a docstring (helper-rules: "Public functions have
docstrings giving shapes, units, errors raised, and the source of any external fact"), checked by parsing the modules.

Public means the def's own name does not start with ``_``; functions nested in functions count too (the next reader
meets them like any other). Not counted, because a framework documents them and Python's ``help()`` shows that text:

- in a module that imports Textual, methods named ``on_*``, ``watch_*``, ``action_*``, ``compute_*``, ``validate_*``:
  Textual calls them by name (message handlers, reactive watchers/computes/validators, actions; Textual guide,
  "Events and Messages", "Reactivity", "Actions"), whatever class they sit in (our mixins carry handlers too);
- a method whose class inherits, directly or through our own classes, from a class outside wabiz_tui (Textual's
  ``Widget``/``Screen``/``App``, asyncssh's ``SSHClient``/``SSHServer``, ``http.server``'s request handler...) that
  defines that name WITH a docstring: ``compose``, ``render``, ``check_action``, ``validate_host_public_key``,
  ``connection_made``, ``log_message``... An override of a base that does not document it (PyYAML's
  ``construct_yaml_str``) still needs its own.

Finished packages (``DONE``) must have none missing. The others are listed in ``docstrings_missing.txt`` (one
``path:Qualified.name`` a line): an entry documented since must be removed from the list (it only shrinks), and a new
undocumented function anywhere fails.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "wabiz_tui"
KNOWN_FILE = Path(__file__).with_name("docstrings_missing.txt")
DONE = ["domain", "remote", "api", "config", "workflows", "demo", "exporter", "lab", "cli", "sim", "tui"]
TEXTUAL_PREFIXES = ("on_", "watch_", "action_", "compute_", "validate_")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class Module:
    """One parsed module: its imported names (local name -> dotted target) and its top-level classes."""

    def __init__(self, path: Path, root: Path):
        self.path = path
        self.relpath = path.relative_to(root).as_posix()
        self.name = module_name(path, root)
        self.tree = ast.parse(path.read_text(), str(path))
        self.package = self.name if path.name == "__init__.py" else self.name.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.imports[a.asname or a.name.partition(".")[0]] = a.name if a.asname else a.name.partition(".")[0]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:
                    self.imports[a.asname or a.name] = f"{base}.{a.name}"
        self.classes = {n.name: n for n in self.tree.body if isinstance(n, ast.ClassDef)}
        self.uses_textual = any(t == "textual" or t.startswith("textual.") for t in self.imports.values())


def dotted(expr: ast.expr) -> str | None:
    """``a.b.C`` / ``C`` / ``C[x]`` of a base-class expression as a dotted string, None for anything else."""
    if isinstance(expr, ast.Subscript):
        return dotted(expr.value)
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        head = dotted(expr.value)
        return f"{head}.{expr.attr}" if head else None
    return None


class Project:
    """All modules of wabiz_tui, and the external (framework) classes each of our classes inherits from."""

    def __init__(self, root: Path = ROOT) -> None:
        self.top = root.name
        self.modules = {m.name: m for m in (Module(p, root) for p in sorted(root.rglob("*.py")))}

    def external_bases(self, module: Module, cls: ast.ClassDef, seen: frozenset[str] = frozenset()) -> list[type]:
        found: list[type] = []
        for base in cls.bases:
            name = dotted(base)
            if not name:
                continue
            head, _, rest = name.partition(".")
            if head in module.classes and not rest:
                key = f"{module.name}.{head}"
                if key not in seen:
                    found += self.external_bases(module, module.classes[head], seen | {key})
                continue
            target = module.imports.get(head)
            if target is None:
                continue  # a builtin base (Exception, str...): nothing there documents a public method of ours
            full = f"{target}.{rest}" if rest else target
            if full.startswith(f"{self.top}."):
                mod_name, _, cls_name = full.rpartition(".")
                ours = self.modules.get(mod_name)
                if ours and cls_name in ours.classes and full not in seen:
                    found += self.external_bases(ours, ours.classes[cls_name], seen | {full})
                continue
            obj = resolve(full)
            if isinstance(obj, type):
                found.append(obj)
        return found


def resolve(full: str) -> object | None:
    parts = full.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def documented_by_framework(bases: list[type], name: str) -> bool:
    return any(getattr(b, name, None) is not None and inspect.getdoc(getattr(b, name)) for b in bases)


def missing(project: Project) -> set[str]:
    """Every public def/class without a docstring, as ``package-relative path:Qualified.name``. A class defined inside
    a function or another class is checked without the framework exemption (its bases are not resolved)."""
    out: set[str] = set()

    def walk(module: Module, node: ast.AST, qual: str, cls: ast.ClassDef | None, bases: list[type]) -> None:
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                walk(module, child, qual, cls, bases)
                continue
            name = f"{qual}{child.name}"
            is_method = cls is not None and not isinstance(child, ast.ClassDef)
            excused = is_method and (
                (module.uses_textual and child.name.startswith(TEXTUAL_PREFIXES))
                or documented_by_framework(bases, child.name))
            if not child.name.startswith("_") and not excused and not ast.get_docstring(child):
                out.add(f"{module.relpath}:{name}")
            if isinstance(child, ast.ClassDef):
                walk(module, child, f"{name}.", child, project.external_bases(module, child)
                     if child in module.tree.body else [])
            else:
                walk(module, child, f"{name}.", None, [])

    for module in project.modules.values():
        walk(module, module.tree, "", None, [])
    return out


def known() -> set[str]:
    lines = KNOWN_FILE.read_text().splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


@pytest.fixture(scope="module")
def found() -> set[str]:
    return missing(Project())


def package(entry: str) -> str:
    return entry.split("/", 1)[0]


@pytest.mark.parametrize("pkg", DONE)
def test_finished_packages_have_every_docstring(found, pkg):
    gaps = sorted(e for e in found if package(e) == pkg)
    assert not gaps, f"{pkg}: {len(gaps)} public definition(s) without a docstring:\n" + "\n".join(gaps)


def test_no_new_undocumented_definition_elsewhere(found):
    new = sorted(e for e in found - known() if package(e) not in DONE)
    assert not new, ("public definition(s) without a docstring (write one; the list in docstrings_missing.txt only "
                     "shrinks):\n" + "\n".join(new))


def test_the_known_remaining_list_only_shrinks(found):
    stale = sorted(known() - found)
    assert not stale, "documented (or gone) since: remove from tests/docstrings_missing.txt:\n" + "\n".join(stale)
    assert not [e for e in known() if package(e) in DONE], "a finished package cannot have known gaps"


SAMPLE = '''
import asyncssh
import yaml
from textual.widget import Widget


def plain(): pass
def _private(): pass
def outer():
    """Documented."""
    def inner(): pass
    def _hidden(): pass
class Client(asyncssh.SSHClient):
    def validate_host_public_key(self, host, addr, port, key): return True
    def ours(self): pass
class Loader(yaml.SafeLoader):
    def construct_yaml_str(self, node): return ""
class Pane(Widget):
    """Documented."""
    def compose(self): yield from ()
    def on_mount(self): pass
    def watch_value(self, value): pass
    def refresh_rows(self): pass
class Mixin:
    """A Textual mixin: its handlers are Textual's, its other methods ours."""
    def on_key(self, event): pass
    def helper(self): pass
'''


def test_the_checker_counts_what_it_must(tmp_path):
    """Nested and method defs count; private ones, Textual handlers and overrides a framework documents do not; an
    override of a base that has no docstring for it (PyYAML) counts; classes themselves count."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text(SAMPLE)
    assert missing(Project(pkg)) == {f"sub/mod.py:{n}" for n in (
        "plain", "outer.inner", "Client", "Client.ours", "Loader", "Loader.construct_yaml_str", "Pane.refresh_rows",
        "Mixin.helper")}
