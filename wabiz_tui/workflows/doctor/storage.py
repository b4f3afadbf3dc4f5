"""``doctor``'s probes of what the containers stand on: db.env as each host has it and the DB login with its values,
the registry's answer for the image, disk space and inodes, the media path."""

from __future__ import annotations

import asyncio
import dataclasses
import posixpath
import shlex

from ...domain.doctor import P_DB_LOGIN, P_DISK, P_ENV, P_MEDIA, P_REGISTRY
from ...domain.envrules import ERROR, WARNING, check_db_env_text, effective, read_env_text
from ...domain.model import DbEngine, DbEnv, HostSpec, MediaKind, Role
from ...domain.render import DB_ENV_FILE
from ...remote.dblogin import DbLoginError, read_db_facts
from ...remote.errors import RemoteError
from .probes import CURL_NO_ANSWER, FULL_KB, REGISTRY, TCP_TIMEOUT, DoctorProbes


class StorageProbes(DoctorProbes):
    """db.env and the DB, the registry, disk, media."""

    # ---- the database -----------------------------------------------------------------------------------
    async def _db(self, host: HostSpec) -> None:
        """db.env as the host has it (judged, compared with the profile), then the login with its values."""
        db = self.profile.db
        try:
            db = await asyncio.wait_for(self._db_env(host), self.probe_timeout)
        except (TimeoutError, RemoteError):
            pass  # said by the facts that follow: the login is tried with the profile's values
        await self._db_login(host, db)

    async def _db_env(self, host: HostSpec) -> DbEnv:
        """Read ``remote_dir/db.env`` (never shown: only the names of findings and differences become facts, and its
        password is masked like the profile's); returns the DB values the containers on this host get (the profile's
        where the file lacks one)."""
        name, path = host.external_hostname, posixpath.join(host.remote_dir, DB_ENV_FILE)
        command = f"cat {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        if status != 0:
            self._fact(P_ENV, name, command, f"{path} cannot be read (status {status})", None, why="no db.env on the host")
            return self.profile.db
        text = "\n".join(lines) + "\n"
        values = {k: v for k, (v, _) in effective(read_env_text(text)[0]).items()}
        if values.get("WA_DB_PASSWORD"):
            self.extra_secrets.append(values["WA_DB_PASSWORD"])
        for finding in check_db_env_text(text):
            if finding.severity in (ERROR, WARNING):
                self._fact(P_ENV, name, command, str(finding), finding.severity != ERROR, key=finding.key,
                           severity=finding.severity, field=finding.field, source=finding.source, fix=finding.fix)
        db = self.profile.db
        mine = {"WA_DB_ENGINE": db.engine.value, "WA_DB_HOSTNAME": db.hostname, "WA_DB_PORT": str(db.port),
                "WA_DB_USERNAME": db.username, "WA_DB_PASSWORD": db.password}
        differs = [k for k, v in mine.items() if k in values and values[k] != v]
        self._fact(P_ENV, name, command, f"{path} differs from the profile in {', '.join(differs)}" if differs
                   else f"{path} has the profile's DB values", not differs, differs=differs)
        try:
            return dataclasses.replace(db, engine=DbEngine(values.get("WA_DB_ENGINE", db.engine.value).upper()),
                                       hostname=values.get("WA_DB_HOSTNAME", db.hostname),
                                       port=int(values.get("WA_DB_PORT", db.port)),
                                       username=values.get("WA_DB_USERNAME", db.username),
                                       password=values.get("WA_DB_PASSWORD", db.password))
        except ValueError:
            return db  # a value the client cannot read either: its finding says so

    async def _db_login(self, host: HostSpec, db: DbEnv) -> None:
        name = host.external_hostname
        engine = "mysql" if db.engine is DbEngine.MYSQL else "postgresql"
        command = f"{engine} login {db.username}@{db.hostname}:{db.port} from {name} (db.env values, ssh tunnel)"
        try:
            facts = await read_db_facts(await self._pool.get(host), db, timeout=self.probe_timeout)
        except DbLoginError as exc:
            self._fact(P_DB_LOGIN, name, command, str(exc), False, user=db.username, refused=exc.refused)
            return
        except (RemoteError, OSError) as exc:
            self._fact(P_DB_LOGIN, name, command, f"no tunnel: {exc.__class__.__name__}", None, user=db.username,
                       why="no SSH tunnel")
            return
        self._fact(P_DB_LOGIN, name, command, f"logged in; server {facts.version}", True, user=db.username,
                   refused=False, version=facts.version)

    # ---- registry, disk, media --------------------------------------------------------------------------
    async def _registry(self, host: HostSpec) -> None:
        repo = "web" if Role.WEBAPP in host.roles else "coreapp"
        image = f"{REGISTRY}/{repo}:v{self.profile.wa_api_version}"
        url = f"https://{REGISTRY}/v2/{repo}/manifests/v{self.profile.wa_api_version}"
        ca = f"/etc/docker/certs.d/{REGISTRY}/ca.crt"  # the CA dockerd trusts for it, when the site has one
        name = host.external_hostname
        command = f"curl -sSI --max-time {TCP_TIMEOUT:g} -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' {url}"

        async def go() -> None:
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
