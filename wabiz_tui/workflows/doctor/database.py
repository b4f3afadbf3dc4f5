"""``doctor``'s database probes: db.env as each host has it, and the DB login with its values."""

from __future__ import annotations

import asyncio
import dataclasses
import posixpath
import shlex

from ...domain.doctor import P_DB_LOGIN, P_ENV
from ...domain.envrules import ERROR, WARNING, check_db_env_text, effective, read_env_text
from ...domain.model import DbEngine, DbEnv, HostSpec
from ...domain.render import DB_ENV_FILE
from ...remote.dblogin import DbLoginError, read_db_facts
from ...remote.errors import RemoteError
from .probes import DoctorProbes


class DatabaseProbes(DoctorProbes):
    """db.env and the DB."""

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
