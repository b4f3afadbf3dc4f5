"""Stand-in images for the lab: a Debian base made by mmdebstrap (cached as a tar outside the repo),
imported into a lab dockerd, then ``docker.whatsapp.biz/web:vX`` and ``docker.whatsapp.biz/coreapp:vX`` built on it
and pushed to the lab registry.

The files inside the images come from :mod:`wabiz_tui.lab.node` (``image_tree(kind, version)`` →
``{absolute path: (content bytes, mode)}`` and ``IMAGE_ENV``).
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

from .errors import LabError

#: Packages of the base image: Python with both DB drivers the node processes use, openssl for the Webapp
#: certificate, busybox for ``nc``/``sh`` tools the official scripts call.
BASE_PACKAGES = ("python3", "python3-pymysql", "python3-psycopg2", "openssl", "busybox", "ca-certificates")
SUITE = "bookworm"
CACHE_DIR = Path(os.environ.get("WABIZ_LAB_CACHE", "/var/cache/wabiz-tui-lab"))
BASE_IMAGE = "wabiz-lab/bookworm-python:latest"
REGISTRY_NAME = "docker.whatsapp.biz"
KINDS = ("web", "coreapp")
#: Debian's 20.10 client (``/usr/local/bin/docker`` on this machine is a Docker 28 client).
DEBIAN_DOCKER_CLIENT = "/usr/bin/docker"


class ImageError(LabError):
    """An image step failed; the message names the step and carries the tool's last output lines."""


def base_key(packages: tuple[str, ...] = BASE_PACKAGES, suite: str = SUITE) -> str:
    """The cache key of the base tar: a digest of the suite and the sorted package list (12 hex chars)."""
    return hashlib.sha256(("|".join([suite, *sorted(packages)])).encode()).hexdigest()[:12]


def base_tar_path(cache_dir: Path = CACHE_DIR) -> Path:
    """Where the base tar for the current package list is cached."""
    return Path(cache_dir) / f"base-{SUITE}-{base_key()}.tar"


def apt_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The first ``deb`` mirror URI of the machine's apt sources (deb822 ``URIs:`` or one-line ``deb``),
    skipping security mirrors; falls back to http://deb.debian.org/debian."""
    files = [sources_dir / "sources.list", *sorted((sources_dir / "sources.list.d").glob("*"))]
    for f in files:
        try:
            text = f.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            parts = line.split()
            uri = ""
            if parts[:1] == ["URIs:"] and len(parts) > 1:
                uri = parts[1]
            elif parts[:1] == ["deb"]:
                uri = next((p for p in parts[1:] if "://" in p), "")
            if uri and "security" not in uri:
                return uri
    return "http://deb.debian.org/debian"


def ensure_base_tar(cache_dir: Path = CACHE_DIR, log=print) -> Path:
    """Build the base tar with mmdebstrap unless cached; returns its path. ~55 s on first build here.

    Raises :class:`ImageError` when mmdebstrap fails (no mirror reachable, not root)."""
    out = base_tar_path(cache_dir)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.tar")
    cmd = ["mmdebstrap", "--quiet", "--variant=apt", "--include=" + ",".join(BASE_PACKAGES),
           "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
           "--dpkgopt=path-exclude=/usr/share/locale/*", SUITE, str(tmp), apt_mirror()]
    log(f"lab: building the base image tar with mmdebstrap (first time only, about a minute): {out}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ImageError("mmdebstrap failed: " + "\n".join(proc.stderr.strip().splitlines()[-5:]))
    tmp.rename(out)
    return out


def node_tree(kind: str, version: str) -> tuple[dict[str, tuple[bytes, int]], dict[str, str]]:
    """The stand-in's files and environment from :mod:`wabiz_tui.lab.node` (``image_tree``/``IMAGE_ENV``).

    Raises :class:`ImageError` when that package does not provide them yet."""
    try:
        from . import node
        return node.image_tree(kind, version), dict(node.IMAGE_ENV)
    except (ImportError, AttributeError) as exc:
        raise ImageError(f"the stand-in node files are not available (wabiz_tui.lab.node: {exc})") from None


def build_context(tree: dict[str, tuple[bytes, int]], env: dict[str, str], digest: str) -> bytes:
    """A ``docker build`` context (tar bytes): a Dockerfile copying ``rootfs/`` onto the base image, the image's
    environment, and a label carrying ``digest`` (what the image was built from)."""
    lines = [f"FROM {BASE_IMAGE}", "COPY rootfs/ /"]
    lines += [f"ENV {k}={_env_value(v)}" for k, v in sorted(env.items())]
    lines.append(f"LABEL org.wabiz.lab.digest={digest}")
    files = {"Dockerfile": ("\n".join(lines) + "\n").encode()}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dirs = sorted({str(Path(p).parent) for p in tree} - {"/"})
        for d in _with_parents(dirs):
            info = tarfile.TarInfo("rootfs" + d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for name, (data, mode) in sorted({**{k: (v, 0o644) for k, v in files.items()},
                                          **{"rootfs" + p: c for p, c in tree.items()}}.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _with_parents(dirs: list[str]) -> list[str]:
    out: set[str] = set()
    for d in dirs:
        p = Path(d)
        while str(p) != "/":
            out.add(str(p))
            p = p.parent
    return sorted(out)


def _env_value(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tree_digest(tree: dict[str, tuple[bytes, int]], env: dict[str, str]) -> str:
    """Digest of what an image is built from: base key, files (path, mode, content) and environment."""
    h = hashlib.sha256(base_key().encode())
    for path in sorted(tree):
        data, mode = tree[path]
        h.update(f"{path}\0{mode:o}\0{len(data)}\0".encode())
        h.update(data)
    for k in sorted(env):
        h.update(f"{k}={env[k]}\0".encode())
    return h.hexdigest()[:16]


def image_ref(kind: str, version: str) -> str:
    """The official name of a stand-in: ``docker.whatsapp.biz/web:v2.41.2``."""
    return f"{REGISTRY_NAME}/{kind}:v{version}"


def in_registry(registry_data: Path, kind: str, version: str) -> bool:
    """Whether the lab registry's storage holds tag ``v<version>`` of repository ``kind`` (registry 2.x layout)."""
    return (registry_data / "docker" / "registry" / "v2" / "repositories" / kind / "_manifests" / "tags"
            / f"v{version}").is_dir()
