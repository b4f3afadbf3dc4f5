"""Resume and re-run of the HA install (issues 14.1, 14.4, 13.3): what the journal says is done is re-checked
against the hosts (content by ``sha256sum``, containers running) and the profile now (a changed input re-runs
the steps it affects, said with why); a stale journal (containers gone) is dropped; an installed cluster run
again converges only what differs. Kept apart from :mod:`.ha_install`, which runs the steps themselves.
"""

from __future__ import annotations

import asyncio
import hashlib

from ..api.client import ApiError
from ..domain.commands import parse_sha256, remote_files, sha256_file, stat_mode, test_path
from ..domain.health import Level
from ..domain.model import HostSpec, MediaKind
from ..domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env
from ..remote.errors import RemoteError
from .base import Procedure
from .events import Message

#: why the containers are created again when neither file nor the media settings changed
VERSION_OR_ROLES = "WA_API_VERSION or the hosts' roles"


class InstallResume(Procedure):
    """The re-checks behind a resumed or repeated install (mixed into :class:`~.ha_install.HaInstall`)."""

    #: whether the journal was checked against the hosts and the profile in this run
    _journal_checked = False

    async def _check_journal(self, *, announce: bool) -> None:
        """Once per run, before the first step: an earlier run's journal is checked against what the hosts run
        (stale: dropped) and against the profile now (the steps whose inputs changed re-run, said with why)."""
        self._journal_checked = True
        journal = self.settings.journal
        if journal is None:
            return
        if announce:
            last = journal.last_done()
            self.emit(Message(f"resuming from step {last + 1}: an earlier run completed up to step {last}; "
                              "completed work is re-checked on the hosts before it is skipped", notice=True))
            await self._journal_matches_hosts()
        self._invalidate_changed_steps()

    def step_inputs(self) -> dict[int, tuple[str, str]]:
        """What each host step puts on the hosts, as ``{step: (sha256 hex, what it is in words)}``.

        Steps 2 and 3 are the digests of the exact bytes uploaded (so they equal ``sha256sum`` of the
        host's file); step 4 covers the media settings; steps 5 and 6 everything the containers are
        created from (both files, ``WA_API_VERSION``, each host's roles)."""
        p = self.profile
        compose, env = render_compose(p).encode(), render_db_env(p.db).encode()
        media = repr((p.media.kind.value, p.media.host_path)).encode()
        roles = repr(sorted((h.external_hostname, tuple(r.value for r in h.roles)) for h in p.hosts)).encode()

        def digest(*parts: bytes) -> str:
            """SHA-256 hex of ``parts`` joined with NUL bytes (so adjacent parts cannot shift into each other)."""
            return hashlib.sha256(b"\0".join(parts)).hexdigest()

        started = digest(compose, env, media, p.wa_api_version.encode(), roles)
        return {2: (hashlib.sha256(compose).hexdigest(), COMPOSE_FILE), 3: (hashlib.sha256(env).hexdigest(), DB_ENV_FILE),
                4: (digest(media), "the media settings"),
                5: (started, "the configuration the containers are created from"), 6: (started, "the containers' configuration")}

    def _invalidate_changed_steps(self) -> None:
        """Forget the journal's record of every step whose inputs changed since it was recorded (a profile
        edited between two runs), saying which step re-runs and why; then record the current inputs."""
        journal = self.settings.journal
        if journal is None:
            return
        now = self.step_inputs()
        changed = {n: what for n, (d, what) in now.items()
                   if journal.inputs(n) not in (None, d) and (journal.hosts_done(n) or journal.is_done(n))}
        causes = [what for n, what in changed.items() if n in (2, 3, 4)]
        for number in sorted(changed):
            why = (f"{changed[number]} changed since the earlier run" if number in (2, 3, 4) else
                   f"{' and '.join(causes) or VERSION_OR_ROLES} changed since the earlier run: "
                   "the containers are created again from it")
            journal.forget(number)
            self.emit(Message(f"step {number} re-runs: {why}", notice=True))
        journal.record_inputs({n: d for n, (d, _) in now.items()})

    async def _journal_matches_hosts(self) -> bool:
        """Whether the hosts still run what the journal says step 5 started (after an ``uninstall`` or a
        manual removal they run nothing). A stale journal is cleared, so the install starts over with the
        preflight. Hosts that cannot be asked keep their record: their step re-checks them anyway."""
        journal = self.settings.journal
        started = journal.hosts_done(5) if journal else set()
        missing: list[str] = []

        async def check(host: HostSpec) -> None:
            """Append ``host`` to ``missing`` when one of its planned services has no container (``service_state``
            ``missing``); a host SSH does not reach is left out (its step reports it)."""
            try:
                await self.docker_access(host)
                states = [await self.service_state(host, r.service) for r in host.roles]
            except RemoteError:
                return
            if "missing" in states:
                missing.append(host.external_hostname)

        await asyncio.gather(*(check(h) for h in self.profile.hosts if h.external_hostname in started))
        if missing:
            self.emit(Message(f"the journal of an earlier run says containers were started, but {', '.join(sorted(missing))} "
                              "no longer has them (uninstalled or removed since): the journal is stale and the install "
                              "starts over from the preflight", notice=True))
            assert journal is not None  # the hosts checked are the journal's
            journal.clear()
            return False
        return True

    async def _converged(self) -> bool:
        """An installed cluster (run state) run again: True, with "already installed, healthy; nothing to do",
        when every host holds what the profile renders, runs its containers, and health is as planned.
        Otherwise says what differs and records in the journal what is in place, so the run converges only
        what differs (the steps re-check and skip the rest)."""
        journal = self.settings.journal
        differs: list[str] = []

        async def check(host: HostSpec) -> None:
            """Re-check steps 1-6 on ``host``: each still done is recorded in the journal, each not done is appended to
            ``differs`` (``"HOST: step N (title)"``), as is a host SSH or docker does not reach."""
            try:
                await self.docker_access(host)
            except RemoteError as exc:
                differs.append(f"{host.external_hostname}: {exc}")
                return
            for number in range(1, 7):
                if await self._still_done(number, host):
                    if journal:
                        journal.host_done(number, host.external_hostname)
                else:
                    differs.append(f"{host.external_hostname}: step {number} ({self._step(number).title})")

        await asyncio.gather(*(check(h) for h in self.profile.hosts))
        if not differs:
            try:
                verdict = await self.poll_health(True)
            except ApiError as exc:
                differs.append(f"health: {exc}")
            else:
                if verdict.level is Level.OK:
                    if journal:
                        journal.clear()
                    self.emit(Message(f"already installed, healthy; nothing to do ({verdict.headline})", notice=True))
                    return True
                differs.append(f"health: {verdict.headline}")
        shown = "; ".join(differs[:6]) + (f"; and {len(differs) - 6} more" if len(differs) > 6 else "")
        self.emit(Message(f"installed earlier, but not as the profile says: {shown}. Converging only what differs",
                          notice=True))
        return False

    async def _remote_digest(self, host: HostSpec, path: str) -> str:
        lines: list[str] = []
        status = await self._run(host, sha256_file(path), lines.append, echo=False)
        return parse_sha256(lines) if status == 0 else ""

    async def _still_done(self, number: int, host: HostSpec) -> bool:
        """Re-check on the host what the journal says it finished (resume after an interruption): the
        files hold exactly what the profile renders now (``sha256sum``, never mere existence), the
        containers run and were not to be recreated from a file this run changed."""
        files = remote_files(host)
        try:
            if number == 1:
                return await self._run(host, test_path("dir", host.remote_dir), echo=False) == 0
            if number in (2, 3):
                name = COMPOSE_FILE if number == 2 else DB_ENV_FILE
                return await self._remote_digest(host, files[name]) == self.step_inputs()[number][0]
            if number == 4:
                if self.profile.media.kind is MediaKind.NAMED_VOLUME:
                    return True
                return await self._run(host, stat_mode(self.profile.media.host_path), echo=False) == 0
            if number in (5, 6):
                if any((n, host.external_hostname) in self._ran for n in (2, 3, 4, 5)):
                    return False  # a file changed under the containers: up -d must recreate them
                return all([await self.service_state(host, r.service) == "running" for r in host.roles])
        except RemoteError:
            return False
        return False
