"""The simulator's shape (issue 15 item 5): no import cycle among its modules, counting imports made
inside functions; the shell imports no program; no module over 400 lines without a written reason."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "wabiz_tui" / "sim"
LIMIT = 400
#: what a longer module's docstring must say, followed by its reason
REASON = "over 400 lines because"


def module_name(path: Path, root: Path) -> str:
    """``root/shell/lexer.py`` → ``<root name>.shell.lexer``; a package's ``__init__.py`` → the package."""
    parts = (root.name, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runnable_nodes(tree: ast.AST):
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the modules under ``root`` it imports, from every import statement that can run (top
    level, inside functions and classes; not under ``if TYPE_CHECKING:``, which never runs and so
    cannot make an import cycle); ``from pkg import mod`` counts as importing ``mod``."""
    prefix = root.name
    paths = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}

    def short(dotted: str) -> str | None:
        """``wabiz_tui.sim.x`` or ``sim.x`` → ``sim.x`` when it is one of ours."""
        head, _, tail = dotted.partition(f"{prefix}")
        if head not in ("", "wabiz_tui.") or (tail and not tail.startswith(".")):
            return None
        name = prefix + tail
        return name if name in graph else None

    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in runnable_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [short(a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    module = f"{base}.{node.module}" if node.module else base
                else:
                    module = node.module or ""
                targets = [short(f"{module}.{a.name}") or short(module) for a in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path):
    pkg = tmp_path / "sim"
    (pkg / "shell").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "shell" / "__init__.py").write_text("from .run import Shell\n")
    (pkg / "shell" / "run.py").write_text("def go():\n    from ..docker import main\n")
    (pkg / "docker.py").write_text("from .shell import Shell\nfrom . import fs\n")
    (pkg / "fs.py").write_text("import os\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .docker import X\n")
    graph = import_graph(pkg)
    assert graph["sim.docker"] == {"sim.shell", "sim.fs"}
    assert graph["sim.fs"] == set()
    assert cycles(graph) == [["sim.docker", "sim.shell", "sim.shell.run"]]


def test_no_import_cycle_among_the_simulators_modules():
    graph = import_graph(SIM)
    assert "sim.shell" in graph and "sim.programs" in graph
    assert cycles(graph) == []


def test_the_shell_imports_no_program():
    graph = import_graph(SIM)
    shell = {name for name in graph if name == "sim.shell" or name.startswith("sim.shell.")}
    programs = {"sim.docker", "sim.compose", "sim.probes"}
    programs |= {name for name in graph if name.startswith(("sim.docker.", "sim.compose."))}
    assert not {(s, t) for s in shell for t in graph[s] if t in programs}



def test_a_name_has_one_program():
    from wabiz_tui.sim import programs

    async def other_docker(proc):  # pragma: no cover - never run
        return 0

    assert programs.lookup("docker").path == "/usr/bin/docker"
    try:
        programs.program("docker")(other_docker)
    except ValueError as exc:
        assert "'docker' is registered twice" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a second 'docker' was accepted")
    assert programs.lookup("docker").run is not other_docker


def test_no_module_over_400_lines_without_a_reason_at_its_top():
    long = {}
    for path in sorted(SIM.rglob("*.py")):
        lines = path.read_text().count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > LIMIT and REASON not in " ".join(doc.split()):
            long[str(path.relative_to(SIM))] = lines
    assert long == {}, f"modules over {LIMIT} lines without '{REASON} ...' in their docstring: {long}"
