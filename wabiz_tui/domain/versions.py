"""Which client version each node's container runs: its image tag, read with one ``docker ps`` per host.

The API gives no version per node: ``GET /v1/health`` (reference/wa-onprem-api.md §3.3) names each node's role and
gateway status, and its ``meta.version`` is only the answering Webapp's version, so a half-finished upgrade (Webapps
on the new version, Coreapps on the old one) answers as healthy. The image a container was created from says it:
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
    is not ``vX...`` (``latest``, a digest alone, no tag). A registry with a port (``host:5000/web``) is no tag; a
    digest after the tag (``coreapp:v2.43.1@sha256:...``, docs.docker.com/reference/cli/docker/image/pull) is dropped
    first."""
    last = image.partition("@")[0].rsplit("/", 1)[-1]
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


def agreed_words(version: str, expected: str, profile_ref: str = "", profile_file: str = "") -> str:
    """The cluster's next action when every node read runs ``version`` and only the profile says ``expected``: the
    profile may be behind (the cluster upgraded from another machine), so no node is told to recreate its
    container; ``profile_ref``: how a command names the profile (shell-quoted; default ``PROFILE``), ``profile_file``:
    its file."""
    where = f" ({profile_file})" if profile_file else ""
    return (f"if the cluster was upgraded elsewhere set wa_api_version: {version} in the profile{where}; to move it "
            f"to v{expected}, set that too, then run `wabiz-tui upgrade {shlex.quote(profile_ref) if profile_ref else 'PROFILE'} "
            f"--to {expected}`")


def with_versions(verdict: ClusterVerdict, read: VersionRead, expected: str, webapps: tuple[str, ...] = (),
                  upgrade_action: str = "", profile_ref: str = "", profile_file: str = "") -> ClusterVerdict:
    """``verdict`` with each node's version from ``read`` (``NodeVerdict.version``) and the Webapps' (``webapps``:
    their EXTERNAL_HOSTNAMEs) in ``webapp_versions``. Against ``expected`` (the profile's ``WA_API_VERSION``):

    - every node read runs one other version (no stopped upgrade): the cluster at least degraded, one problem
      ``every node runs vX; the profile says vY`` and :func:`agreed_words` as its next action (``profile_ref`` and
      ``profile_file`` name the profile there); the rows keep their level and reason: none is told to recreate;
    - a real mix: a node whose container runs another version is at least a warning with :func:`differ_words` as
      its reason (its own reason kept after it; a node with a warning or failure of its own keeps that reason
      first, the version's after "; also "; a row whose only problem is its version carries the version's next action
      in ``NodeVerdict.version_action``), the cluster at least degraded with one problem naming the nodes per version.

    A node not read keeps its level (no guess). ``upgrade_action``: the command that continues a stopped upgrade
    ("" when none)."""
    kinds = [(n, "coreapp" if n.expected_role == "coreapp" else "master" if "master" in n.expected_role else "")
             for n in verdict.nodes]
    texts = {(n.host, kind): read.node(n.host, kind) for n, kind in kinds if kind and n.actual_status != "missing"}
    texts |= {(host, "webapp"): read.node(host, "webapp") for host in webapps}
    seen = {version_of(t) for t in texts.values()} - {""}
    agreed = len(seen) == 1 and expected not in seen and not upgrade_action
    rows = []
    odd: dict[str, list[str]] = {}
    for n, kind in kinds:
        text = texts.get((n.host, kind))
        if text is None:
            rows.append(n)
            continue
        version = version_of(text)
        if version and version != expected:
            odd.setdefault(version, []).append(n.host)
        if version and version != expected and not agreed:
            action = version_action(n.host, kind, expected, upgrade_action)
            why = differ_words(version, expected, action)
            if n.level.rank >= Level.WARNING.rank:  # a problem of its own leads: the row's next action is its own
                rows.append(replace(n, version=text, reason=f"{n.reason}; also {why}" if n.reason else why))
                continue
            rows.append(replace(n, version=text, level=Level.WARNING, reason=f"{why} ({n.reason})" if n.reason else why,
                                version_action=action))
        else:
            rows.append(replace(n, version=text))
    web = []
    for host in webapps:
        text = texts[(host, "webapp")]
        version = version_of(text)
        if version and version != expected:
            odd.setdefault(version, []).append(host)
        action = version_action(host, "webapp", expected, upgrade_action) if version and version != expected \
            and not agreed else ""
        web.append((host, text, differ_words(version, expected, action) if action else "", action))
    if not odd:
        return replace(verdict, nodes=tuple(rows), webapp_versions=tuple(web), versions_read_at=read.at)
    if agreed:
        (version,) = seen
        problem = f"every node runs v{version}; the profile says v{expected}"
        advice = agreed_words(version, expected, profile_ref, profile_file)
    else:
        named = "; ".join(f"{', '.join(hosts)} run{'s' if len(hosts) == 1 else ''} v{v}"
                          for v, hosts in sorted(odd.items()))
        problem = f"versions differ: {named}, profile says v{expected}"
        advice = (f"finish the upgrade: {upgrade_action}" if upgrade_action else
                  f"run WA_API_VERSION {expected} on every node (the rows in yellow say which)")
    level = worst([verdict.level, Level.WARNING])
    action = verdict.next_action if verdict.level.rank > Level.WARNING.rank else advice
    headline = verdict.headline if verdict.level.rank >= Level.WARNING.rank else f"{problem} — {verdict.headline}"
    return replace(verdict, nodes=tuple(rows), level=level, headline=headline, next_action=action,
                   problems=(*verdict.problems, problem), webapp_versions=tuple(web), versions_read_at=read.at,
                   versions_differ=True)


def read_words(read: VersionRead | None, now: float | None = None) -> str:
    """``versions read 40 s ago`` (``now``: epoch seconds, default the current time), ``versions not read yet``."""
    if read is None:
        return "versions not read yet"
    return f"versions read {read.age(now):.0f} s ago"
