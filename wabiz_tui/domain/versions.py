"""Which client version each node's container runs: its image tag, read with one ``docker ps`` per host.

``GET /v1/health`` names no version (reference/wa-onprem-api.md §3.3), so a half-finished upgrade (Webapps on the
new version, Coreapps on the old one) answers as healthy. The image a container was created from says it:
``docker.whatsapp.biz/web:v2.43.1``, ``docker.whatsapp.biz/coreapp:v2.43.1`` (the official image names,
wa-onprem-api.md §1; ``{{.Image}}`` of ``docker ps --format``, docs.docker.com/reference/cli/docker/container/ls).
The command and its parsing live here once: doctor's image facts and the health monitor read the same lines.
Each node's version is compared with the profile's ``WA_API_VERSION``; a host that could not be read says why,
never a guess.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, replace
from typing import Mapping

from .commands import cluster_listing
from .docker_access import with_sudo
from .health import ClusterVerdict, Level, NodeVerdict, worst
from .validation import check_abs_path

#: ``docker ps`` template: the image, then the compose service of the container (compose's own label).
IMAGE_FORMAT = '{{.Image}} {{.Label "com.docker.compose.service"}}'
#: The compose service of each kind of node (seed, HA step 5).
KIND_SERVICE = {"webapp": "waweb", "master": "master", "coreapp": "wacore"}


def image_listing(remote_dir: str, *, sudo: bool = False) -> str:
    """``domain.commands.cluster_listing`` with :data:`IMAGE_FORMAT`: one ``IMAGE SERVICE`` line per container compose
    created from ``remote_dir`` (stopped ones too). Raises ``domain.commands.UnsafeValue`` for a bad directory."""
    return cluster_listing(remote_dir, IMAGE_FORMAT, sudo=sudo)


def parse_images(lines: list[str]) -> list[tuple[str, str]]:
    """``(service, image)`` of each line of :func:`image_listing`'s output, in order; lines without both words (a
    warning, an empty line) are skipped."""
    out = []
    for line in lines:
        image, _, service = line.strip().partition(" ")
        if image and service and " " not in service:
            out.append((service, image))
    return out


def image_version(image: str) -> str:
    """The client version an image tag names: ``docker.whatsapp.biz/coreapp:v2.43.1`` → ``2.43.1``; "" when the tag
    is not ``vX...`` (``latest``, a digest, no tag). A registry with a port (``host:5000/web``) is no tag."""
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[-1] if ":" in last else ""
    return tag[1:] if tag.startswith("v") and len(tag) > 1 else ""


@dataclass(frozen=True)
class HostImages:
    """What one host's ``docker ps`` said: ``images`` (service → image; the first container of each service), or
    ``error`` (one line: why it could not be read; ``images`` empty then)."""

    host: str
    images: tuple[tuple[str, str], ...] = ()
    error: str = ""

    def image(self, service: str) -> str:
        """The image of ``service``'s container on this host ("" when none was listed)."""
        return next((i for s, i in self.images if s == service), "")


@dataclass(frozen=True)
class VersionRead:
    """One read of every host's images: ``at`` epoch seconds, ``hosts`` by EXTERNAL_HOSTNAME."""

    at: float
    hosts: Mapping[str, HostImages]

    def age(self, now: float | None = None) -> float:
        """Seconds since the read (``now``: epoch seconds, default the current time)."""
        return max(0.0, (time.time() if now is None else now) - self.at)

    def node(self, host: str, kind: str) -> str:
        """The version text of ``kind``'s node on ``host``: ``v2.43.1``; ``version not read: <why>`` (host not
        read), ``no wacore container`` (none listed) or ``image <name> names no version``."""
        read = self.hosts.get(host)
        service = KIND_SERVICE.get(kind, kind)
        if read is None:
            return "version not read: host not in the last read"
        if read.error:
            return f"version not read: {read.error}"
        image = read.image(service)
        if not image:
            return f"no {service} container"
        version = image_version(image)
        return f"v{version}" if version else f"image {image} names no version"


def version_of(text: str) -> str:
    """``2.43.1`` from a :meth:`VersionRead.node` text ``v2.43.1``; "" for any text that is not a version read."""
    return text[1:] if text.startswith("v") and text[1:2].isdigit() else ""


def differ_words(version: str, expected: str, next_action: str) -> str:
    """The reason of a node whose container runs ``version`` while the profile says ``expected``, e.g. ``runs
    v2.41.2, profile says v2.43.1: finish the upgrade (`wabiz-tui upgrade PROFILE --resume`)``."""
    return f"runs v{version}, profile says v{expected}: {next_action}"


def version_action(host: str, kind: str, expected: str, upgrade_action: str) -> str:
    """What to do about a node whose version differs: ``upgrade_action`` (the command that continues a stopped
    upgrade) when there is one, else start that node with the profile's version."""
    if upgrade_action:
        return f"finish the upgrade (`{upgrade_action}`)"
    service = KIND_SERVICE.get(kind, kind)
    return (f"run one WA_API_VERSION everywhere: `WA_API_VERSION={expected} docker-compose up -d {service}` on {host}, "
            "or run doctor (VERSION_SKEW)")


def with_versions(verdict: ClusterVerdict, read: VersionRead, expected: str, webapps: tuple[str, ...] = (),
                  upgrade_action: str = "") -> ClusterVerdict:
    """``verdict`` with each node's version from ``read`` (``NodeVerdict.version``) and the Webapps' (``webapps``:
    their EXTERNAL_HOSTNAMEs) in ``webapp_versions``. A node whose container runs another version than ``expected``
    (the profile's ``WA_API_VERSION``) is at least a warning with :func:`differ_words` as its reason (its own reason
    kept after it), the cluster at least degraded with one problem naming the nodes per version; a node not read
    keeps its level (no guess). ``upgrade_action``: the command that continues a stopped upgrade ("" when none)."""
    rows = []
    odd: dict[str, list[str]] = {}
    for n in verdict.nodes:
        kind = "coreapp" if n.expected_role == "coreapp" else "master" if "master" in n.expected_role else ""
        if not kind or n.actual_status == "missing":
            rows.append(n)
            continue
        text = read.node(n.host, kind)
        version = version_of(text)
        if version and version != expected:
            odd.setdefault(version, []).append(n.host)
            why = differ_words(version, expected, version_action(n.host, kind, expected, upgrade_action))
            level = n.level if n.level.rank >= Level.WARNING.rank else Level.WARNING
            rows.append(replace(n, version=text, level=level, reason=f"{why} ({n.reason})" if n.reason else why))
        else:
            rows.append(replace(n, version=text))
    web = []
    for host in webapps:
        text = read.node(host, "webapp")
        version = version_of(text)
        if version and version != expected:
            odd.setdefault(version, []).append(host)
            web.append((host, text, differ_words(version, expected, version_action(host, "webapp", expected,
                                                                                    upgrade_action))))
        else:
            web.append((host, text, ""))
    if not odd:
        return replace(verdict, nodes=tuple(rows), webapp_versions=tuple(web), versions_read_at=read.at)
    named = "; ".join(f"{', '.join(hosts)} run{'s' if len(hosts) == 1 else ''} v{v}" for v, hosts in sorted(odd.items()))
    problem = f"versions differ: {named}, profile says v{expected}"
    level = worst([verdict.level, Level.WARNING])
    action = verdict.next_action if verdict.level.rank > Level.WARNING.rank else (
        f"finish the upgrade: {upgrade_action}" if upgrade_action else
        f"run WA_API_VERSION {expected} on every node (the rows in yellow say which)")
    headline = verdict.headline if verdict.level.rank >= Level.WARNING.rank else f"{problem} — {verdict.headline}"
    return replace(verdict, nodes=tuple(rows), level=level, headline=headline, next_action=action,
                   problems=(*verdict.problems, problem), webapp_versions=tuple(web), versions_read_at=read.at,
                   versions_differ=True)


def read_words(read: VersionRead | None, now: float | None = None) -> str:
    """``versions read 40 s ago`` (``now``: epoch seconds, default the current time), ``versions not read yet``."""
    if read is None:
        return "versions not read yet"
    return f"versions read {read.age(now):.0f} s ago"
