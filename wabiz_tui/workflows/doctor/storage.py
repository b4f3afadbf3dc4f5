"""``doctor``'s probes of what the containers stand on: the registry's answer for the image, disk space and inodes,
the media path (db.env and the DB: :mod:`.database`)."""

from __future__ import annotations

import asyncio
import shlex

from ...domain.doctor import P_DISK, P_MEDIA, P_REGISTRY
from ...domain.model import HostSpec, MediaKind, Role
from ...remote.errors import RemoteError
from .probes import CURL_NO_ANSWER, FULL_KB, REGISTRY, TCP_TIMEOUT, DoctorProbes


class StorageProbes(DoctorProbes):
    """The registry, disk, media."""

    # ---- registry, disk, media --------------------------------------------------------------------------
    async def _registry(self, host: HostSpec) -> None:
        repo = "web" if Role.WEBAPP in host.roles else "coreapp"
        image = f"{REGISTRY}/{repo}:v{self.profile.wa_api_version}"
        url = f"https://{REGISTRY}/v2/{repo}/manifests/v{self.profile.wa_api_version}"
        ca = f"/etc/docker/certs.d/{REGISTRY}/ca.crt"  # the CA dockerd trusts for it, when the site has one
        name = host.external_hostname
        command = f"curl -sSI --max-time {TCP_TIMEOUT:g} -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' {url}"

        async def go() -> None:
            """HEAD of the image's manifest on the registry from the host (curl, with dockerd's CA for it when present):
            one P_REGISTRY fact with the HTTP ``code`` (0: no HTTP answer, curl's error line quoted); a Bearer 401
            (token auth, Docker Hub style) is not judged (ok None); exit status 127 (no curl) is unknown."""
            nonlocal command
            if (await self._sh(host, f"test -r {ca}"))[0] == 0:
                command = command.replace(" -H ", f" --cacert {ca} -H ", 1)
            status, lines = await self._sh(host, command)
            if status == 127:
                self._fact(P_REGISTRY, name, command, "curl is not installed", None, image=image, why="curl missing")
                return
            head = next((l.strip() for l in lines if l.startswith("HTTP/")), "")
            code = int(head.split()[1]) if len(head.split()) > 1 and head.split()[1].isdigit() else 0
            auth = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("www-authenticate:")), "")
            if code == 0:
                # curl 7.88 follows its "curl: (60) SSL certificate problem" line with advice (observed on the lab)
                text = next((l.strip() for l in lines if l.startswith("curl: (")), "") or next(
                    (l.strip() for l in reversed(lines) if l.strip()), "")
                self._fact(P_REGISTRY, name, command, text or CURL_NO_ANSWER.get(status or 0, f"curl status {status}"),
                           False, image=image, code=0)
            elif code == 401 and auth.lower().startswith("bearer"):
                # token auth (Docker Hub style): anonymous pulls fetch a token first; a 401 here proves nothing
                self._fact(P_REGISTRY, name, command, f"{head} ({auth.split(',')[0]})", None, image=image, code=code,
                           why="token authentication: anonymous access not judged")
            else:
                self._fact(P_REGISTRY, name, command, head + (f" ({auth})" if auth else ""), code < 400, image=image, code=code)

        await self._timed(P_REGISTRY, name, command, go())

    async def _disk(self, host: HostSpec, docker_up: bool) -> None:
        paths = ["/var/lib/docker"]
        if docker_up:
            info = "docker info --format '{{.DockerRootDir}}'"
            try:  # like every probe, bounded; a failure here falls back to Docker's default root
                _, lines = await asyncio.wait_for(self._sh(host, self._docker(host, info)), self.probe_timeout)
            except (RemoteError, TimeoutError) as exc:
                self._fact(P_DISK, host.external_hostname, info, str(exc) or f"no answer within {self.probe_timeout:g} s",
                           None, timeout=isinstance(exc, TimeoutError), why="Docker's root directory not known")
                lines = []
            root = lines[-1].strip() if lines else ""
            paths = [root] if root.startswith("/") else paths
        if self.profile.media.kind is MediaKind.HOST_PATH:
            paths.append(self.profile.media.host_path)
        await asyncio.gather(*(self._timed(P_DISK, host.external_hostname, f"df -Pk {p}", self._df(host, p)) for p in paths))

    async def _df(self, host: HostSpec, path: str) -> None:
        command = f"df -Pk {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        row = _df_row(lines)
        if status != 0 or row is None:
            self._fact(P_DISK, host.external_hostname, command, lines[-1] if lines else f"status {status}", None,
                       path=path, why="df could not read it")
            return
        avail, use = row[2], row[3]
        _, ilines = await self._sh(host, f"df -Pi {shlex.quote(path)}")
        irow = _df_row(ilines)
        iuse = irow[3] if irow else 0
        line = f"{path}: {avail} KiB free, {use}% used, inodes {iuse}% used"
        self._fact(P_DISK, host.external_hostname, command, line, use < 100 and avail >= FULL_KB and iuse < 100,
                   path=path, avail_kb=avail, use_pct=use, iuse_pct=iuse)

    async def _media(self, host: HostSpec) -> None:
        path = self.profile.media.host_path
        command = f"stat -c '%U %a' {shlex.quote(path)}; findmnt -no OPTIONS --target {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        text = [l.strip() for l in lines if l.strip()]
        first = text[0].split() if text else []
        if len(first) != 2 or not first[1].isdigit():
            self._fact(P_MEDIA, host.external_hostname, command, text[0] if text else f"status {status}", False, path=path,
                       exists=False)
            return
        owner, mode = first
        # stacked mounts: findmnt --target lists every mount at the path, the lowest first; the last is the one in use
        # (util-linux 2.38 here: tmpfs "lower" rw then tmpfs "upper" ro on one path printed in that order, and a write
        # there failed "Read-only file system")
        options = text[-1] if len(text) > 1 else ""
        readonly = "ro" in options.split(",")
        self._fact(P_MEDIA, host.external_hostname, command,
                   f"{path}: owner {owner}, mode {mode}" + (f", mounted {options}" if options else ""),
                   not readonly and mode == "755", path=path, owner=owner, mode=mode, readonly=readonly, exists=True)


def _df_row(lines: list[str]) -> tuple[int, int, int, int] | None:
    """(total, used, available, use %) of the last ``df -P`` data row (KiB, or inodes with ``-i``)."""
    for line in reversed(lines):
        parts = line.split()
        if len(parts) >= 6 and parts[1].isdigit() and parts[2].isdigit() and parts[3].isdigit() and parts[4].endswith("%"):
            pct = parts[4].rstrip("%")
            return int(parts[1]), int(parts[2]), int(parts[3]), int(pct) if pct.isdigit() else 0
    return None
