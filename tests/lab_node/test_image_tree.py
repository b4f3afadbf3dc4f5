"""The contract the lab's image build codes against: ``image_tree(kind, version)`` and ``IMAGE_ENV``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from wabiz_tui.lab.node import IMAGE_ENV, image_tree, materialise
from wabiz_tui.sim import rules

#: What the node may import inside the image: Debian bookworm's python3 stdlib and two Debian packages.
IMAGE_PACKAGES = {"pymysql", "psycopg2"}


@pytest.mark.parametrize("kind", ["web", "coreapp"])
def test_tree_holds_the_official_command_and_the_node(kind):
    tree = image_tree(kind, "2.41.2")
    for script in ("wait_on_mysql.sh", "launch_within_docker.sh", "wait_on_postgres.sh"):
        content, mode = tree[f"/opt/whatsapp/bin/{script}"]
        assert mode == 0o755 and content.startswith(b"#!/bin/sh\n")
    assert tree["/opt/whatsapp/lib/wanode/VERSION"] == (b"2.41.2\n", 0o644)
    assert tree["/opt/whatsapp/lib/wanode/KIND"] == (f"{kind}\n".encode(), 0o644)
    assert tree["/opt/whatsapp/lib/wanode/__main__.py"][1] == 0o644
    assert IMAGE_ENV["PYTHONPATH"] == "/opt/whatsapp/lib"


def test_rules_are_the_simulators_own_file():
    """One set of rules, two storages: the image carries ``wabiz_tui/sim/rules.py`` byte for byte."""
    assert image_tree("coreapp", "2.43.1")["/opt/whatsapp/lib/wanode/rules.py"][0] == Path(rules.__file__).read_bytes()


def test_versions_differ_only_in_the_version_file():
    a, b = image_tree("coreapp", "2.41.2"), image_tree("coreapp", "2.43.1")
    assert set(a) == set(b)
    assert [p for p in a if a[p] != b[p]] == ["/opt/whatsapp/lib/wanode/VERSION"]


@pytest.mark.parametrize("kind,version,field", [("webapp", "2.41.2", "kind"), ("web", "v2.41.2", "version"),
                                                 ("coreapp", "", "version")])
def test_bad_arguments_name_the_field(kind, version, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        image_tree(kind, version)


def test_node_imports_only_what_the_image_has():
    """stdlib of Python 3.11 + python3-pymysql + python3-psycopg2; never the wabiz-tui client."""
    bad = []
    for path, (content, _) in image_tree("coreapp", "2.41.2").items():
        if not path.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(content)):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in IMAGE_PACKAGES and top != "__future__":
                    bad.append(f"{path}: {name}")
    assert not bad, bad


def test_scripts_are_valid_sh(tmp_path):
    root = materialise(image_tree("web", "2.41.2"), tmp_path)
    for script in (root / "opt/whatsapp/bin").iterdir():
        assert subprocess.run(["sh", "-n", str(script)]).returncode == 0, script


def test_wait_on_mysql_execs_its_argument_once_the_server_speaks(tmp_path):
    """The MySQL probe is 'the server sends its greeting first' (busybox nc has no -z, lab-facts §9)."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    port = srv.getsockname()[1]

    def greet():
        for _ in range(5):
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.sendall(b"J\x00\x00\x00\x0a8.0.36-lab\x00")
            conn.close()

    threading.Thread(target=greet, daemon=True).start()
    root = materialise(image_tree("coreapp", "2.41.2"), tmp_path)
    env = {"PATH": "/usr/bin:/bin", "WA_DB_ENGINE": "MYSQL", "WA_DB_HOSTNAME": "127.0.0.1", "WA_DB_PORT": str(port)}
    out = subprocess.run(["sh", str(root / "opt/whatsapp/bin/wait_on_mysql.sh"), "echo", "launched"], env=env,
                         capture_output=True, text=True, timeout=20)
    srv.close()
    assert out.returncode == 0 and out.stdout.splitlines() == [f"Waiting for database 127.0.0.1:{port} ...", "launched"]
