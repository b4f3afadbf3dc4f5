"""Build the stand-in images inside lab host 1's dockerd and push them to the lab registry (real pushes), once
per content: ``keep/images.json`` records the digest each tag was built from, and the registry's storage
survives ``lab down``. Host 1 removes what it built after the push, so every host's ``up -d`` pulls for real.
"""

from __future__ import annotations

import json
import time

from . import host as hostmod
from .errors import LabError
from .images import (BASE_IMAGE, DEBIAN_DOCKER_CLIENT, KINDS, build_context, ensure_base_tar, image_ref, in_registry,
                     node_tree, tree_digest)
from .proc import run
from .state import Ledger, Paths


def _docker(anchor_pid: int, *args: str, input: bytes | None = None, timeout: float = 300) -> str:
    proc = run(hostmod.enter(anchor_pid) + [DEBIAN_DOCKER_CLIENT, *args], input=input, timeout=timeout,
               env=hostmod.CLEAN_ENV)
    out = proc.stdout
    return out.decode(errors="replace") if isinstance(out, bytes) else out


def ensure_images(paths: Paths, ledger: Ledger, versions: tuple[str, ...], log=print) -> list[str]:
    """Make ``docker.whatsapp.biz/{web,coreapp}:v<version>`` present in the lab registry for each version, building
    only those whose content changed or that are missing. Returns the refs built. Raises :class:`LabError`."""
    record_path = paths.keep / "images.json"
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        record = {}
    todo = []
    for version in versions:
        for kind in KINDS:
            tree, env = node_tree(kind, version)
            digest = tree_digest(tree, env)
            if record.get(image_ref(kind, version)) != digest or not in_registry(paths.registry_data, kind, version):
                todo.append((kind, version, tree, env, digest))
    if not todo:
        return []
    anchor = ledger.data["hosts"][0]["anchor"][0]
    t0 = time.monotonic()
    tar = ensure_base_tar(log=log)
    with open(tar, "rb") as f:
        _docker(anchor, "import", "-c", 'CMD ["/usr/bin/python3"]', "-", BASE_IMAGE, input=f.read())
    built = []
    try:
        for kind, version, tree, env, digest in todo:
            ref = image_ref(kind, version)
            _docker(anchor, "build", "-q", "-t", ref, "-", input=build_context(tree, env, digest))
            _docker(anchor, "push", ref)
            built.append(ref)
            record[ref] = digest
            record_path.write_text(json.dumps(record, indent=1))
    finally:
        for ref in built + [BASE_IMAGE]:
            run(hostmod.enter(anchor) + [DEBIAN_DOCKER_CLIENT, "rmi", "-f", ref], check=False, env=hostmod.CLEAN_ENV)
        run(hostmod.enter(anchor) + [DEBIAN_DOCKER_CLIENT, "image", "prune", "-f"], check=False, env=hostmod.CLEAN_ENV)
    log(f"lab: built and pushed {len(built)} stand-in images in {time.monotonic() - t0:.1f} s")
    if len(built) != len(todo):
        raise LabError("not every stand-in image was built")
    return built
