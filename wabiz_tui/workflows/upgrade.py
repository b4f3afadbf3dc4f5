"""Upgrade to a new ``WA_API_VERSION`` (seed, "Aggiornamento"), the MySQL database upgrade service
and the one-off v2.29.3 media ownership step.

Upgrade: check the version (``X.Y.Z``; a downgrade needs ``force``) → back up the app settings
(``POST /v1/settings/backup``; the data is kept under the data directory, mode 600) → optionally the
MySQL ``dbupgrade`` service → bring each role up with the new version in the seed's order (Webapps,
Masters, Coreapps), checking health after each role → final health. Downtime is expected. The
profile records the new version only once everything succeeded.

Media ownership (seed, "per gli utenti … che eseguono l'aggiornamento alla versione 2.29.3"): after an
upgrade from 2.29.1 or 2.29.2 to 2.29.3 or later, ``chown -R root <media>/incoming <media>/outgoing
<media>/shared`` in the Webapp container; it may take long, runs in the background.
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..api.client import ApiError
from ..config.backups import load_backup, save_backup
from ..config.profile import ProfileError
from ..domain.commands import ComposeInvocation, docker_wait
from ..domain.health import ClusterVerdict, Level
from ..domain.model import CONTAINER_MEDIA_PATH, ROLE_ORDER, ClusterProfile, DbEngine, HostSpec, Role
from ..domain.render import DBUPGRADE_FILE, render_dbupgrade
from ..domain.validation import parse_version, version_shape_problem
from ..remote.errors import RemoteError
from .base import Procedure
from .journal import Journal
from .stepinfo import StepInfo
from .events import Emit, Message
from .plan import Action, ProcedurePlan, planned
from .settings import RunSettings

UPGRADE_STEPS: tuple[StepInfo, ...] = (
    StepInfo(1, "backup", "Back up settings", "POST /v1/settings/backup; the data is saved with mode 600."),
    StepInfo(2, "dbupgrade", "Database upgrade", "dbupgrade-compose.yml with the new version; docker wait for exit code 0."),
    StepInfo(3, "webapp", "Upgrade Webapps", "up -d waweb with the new WA_API_VERSION on every Webapp host."),
    StepInfo(4, "master", "Upgrade Masters", "up -d master with the new WA_API_VERSION on every Master host."),
    StepInfo(5, "coreapp", "Upgrade Coreapps", "up -d wacore with the new WA_API_VERSION on every Coreapp host."),
    StepInfo(6, "health", "Health on the new version", "GET /v1/health: healthy."),
    StepInfo(7, "media_chown", "Media ownership (2.29.3)", "chown -R root incoming/outgoing/shared in the Webapp container."),
)
ROLE_STEP = {Role.WEBAPP: 3, Role.MASTER: 4, Role.COREAPP: 5}
MIN_BACKUP_PASSWORD = 8
#: Versions whose upgrade to 2.29.3+ needs the media ownership step (seed).
CHOWN_FROM = {(2, 29, 1), (2, 29, 2)}
CHOWN_TO = (2, 29, 3)


def upgrade_journal(directory: Path, profile: ClusterProfile, target: str, command: str = "upgrade") -> Journal:
    """The journal of ``command`` (``upgrade`` or ``dbupgrade``) of this cluster to ``target``: the same file for the
    CLI and the TUI, so either face resumes the other's run."""
    return Journal.for_cluster(directory, profile, f"{command}-{target.strip()}")


@dataclass(frozen=True)
class UpgradeToResume:
    """An upgrade that stopped before its end (aborted, failed or killed), read from its journal: the ``target``
    version, the options it ran with, ``last_done`` (highest finished step), ``aborted`` (the abort record, or
    None when it was not aborted by the operator) and whether the settings backup is already made."""

    journal: Journal
    target: str
    source: str
    last_done: int
    dbupgrade_host: str | None
    exit_on_success: bool
    media_chown: bool
    backed_up: bool
    aborted: dict[str, Any] | None

    @property
    def note(self) -> str:
        """One line for the operator: what stopped where, and what resuming does."""
        done = UPGRADE_STEPS[self.last_done - 1].title if 0 < self.last_done <= len(UPGRADE_STEPS) else ""
        where = (f"aborted during step {self.aborted['step']} ({self.aborted.get('title', '')})"
                 if self.aborted and self.aborted.get("step") else
                 f"stopped after step {self.last_done} ({done})" if self.last_done else "stopped before any step finished")
        backup = "the settings backup is kept; " if self.backed_up else ""
        return (f"An upgrade {self.source} → {self.target} {where}. Resuming continues it: {backup}hosts already on "
                f"{self.target} are re-checked and skipped.")


def interrupted_upgrade(directory: Path, profile: ClusterProfile) -> UpgradeToResume | None:
    """The latest unfinished upgrade of this cluster (its journal in ``directory``), or None. A finished upgrade
    clears its journal, so any journal left names an upgrade to resume."""
    journal = Journal.latest(directory, profile, "upgrade-")
    if journal is None:
        return None
    target = journal.note("target") or journal.procedure.removeprefix("upgrade-")
    if parse_version(target) is None:
        return None
    return UpgradeToResume(journal, target, journal.note("source") or profile.wa_api_version, journal.last_done(),
                           journal.note("dbupgrade_host") or None, journal.note("exit_on_success") != "no",
                           journal.note("media_chown") == "yes", bool(journal.note("backup_path")), journal.aborted())


def version_problems(current: str, target: str, *, force: bool = False) -> list[str]:
    """Why ``target`` cannot be upgraded to from ``current`` (empty when fine)."""
    new, old = parse_version(target), parse_version(current)
    if new is None:
        return [f"--to: {version_shape_problem(target)}"]
    if old is not None and new == old:
        return [f"--to: the cluster already runs {target}"]
    if old is not None and new < old and not force:
        return [f"--to: {target} is older than {current}: a downgrade needs an explicit force (--force)"]
    return []


def needs_media_chown(current: str, target: str) -> bool:
    """True for an upgrade from 2.29.1/2.29.2 to 2.29.3 or later (seed)."""
    old, new = parse_version(current), parse_version(target)
    return old in CHOWN_FROM and new is not None and new >= CHOWN_TO


def media_chown_args(media_path: str = CONTAINER_MEDIA_PATH) -> tuple[str, ...]:
    """``chown -R root <media>/incoming <media>/outgoing <media>/shared``: what runs in the Webapp container (seed)."""
    return ("chown", "-R", "root", *(f"{media_path}/{d}" for d in ("incoming", "outgoing", "shared")))


def media_chown_command(inv: ComposeInvocation, media_path: str = CONTAINER_MEDIA_PATH) -> str:
    """``docker-compose … exec -T waweb chown -R root <media>/incoming <media>/outgoing <media>/shared``."""
    return inv.command("exec", "-T", "waweb", *media_chown_args(media_path))


class Upgrade(Procedure):
    """Upgrades the cluster of ``profile`` to ``target`` (see the module doc for the steps)."""

    steps = UPGRADE_STEPS
    procedure = "upgrade"

    def __init__(self, profile: ClusterProfile, *, emit: Emit, settings: RunSettings | None = None, target: str,
                 force: bool = False, backups_dir: Path | None = None):
        super().__init__(profile, emit=emit, settings=settings)
        self.source = profile.wa_api_version
        self.target = target.strip()
        self.force = force
        self.backups_dir = backups_dir
        self.backup_path: Path | None = None
        self.dbupgrade_exit: int | None = None
        self.dbupgrade_log: list[str] = []
        self.dbupgrade_ok: bool | None = None

    def problems(self) -> list[str]:
        """Version problems (empty when the upgrade may proceed)."""
        return version_problems(self.source, self.target, force=self.force)

    def target_invocation(self, host: HostSpec, compose_file: str | None = None) -> ComposeInvocation:
        """The compose invocation for ``host`` with the NEW version (and ``compose_file`` when given)."""
        kw = {"compose_file": compose_file} if compose_file else {}
        return ComposeInvocation(host, self.target, flavour=self.flavour(host), sudo=self.sudo(host), **kw)

    def plan(self, dbupgrade_host: str | None = None, *, exit_on_success: bool = True) -> ProcedurePlan:
        """Steps 1-7 with the new version: the backup call, the dbupgrade service on ``dbupgrade_host``
        (MySQL; not run without a host), each role's ``up -d`` per host in the seed's order, the final health,
        and the 2.29.3 media ownership step when the versions need it (offered after the run)."""
        p = self.profile
        url = p.webapp.url
        actions: dict[int, list[Action]] = {1: [Action("", f"POST {url}/v1/settings/backup (data saved with mode 600)")],
                                            6: [Action("", f"GET {url}/v1/health")]}
        notes = {2: "" if dbupgrade_host else ("not run: no dbupgrade host" if p.db.engine is DbEngine.MYSQL
                                                else "not for PostgreSQL (MySQL only)"),
                 7: "offered after the run (2.29.1/2.29.2 to 2.29.3+)"}
        if dbupgrade_host:
            host = p.host(dbupgrade_host)
            inv = self.target_invocation(host, DBUPGRADE_FILE)
            name = host.external_hostname
            actions[2] = [Action(name, f"put {DBUPGRADE_FILE} -> {posixpath.join(host.remote_dir, DBUPGRADE_FILE)}"),
                          Action(name, inv.command("up", "-d")), Action(name, inv.command("ps", "-q", "dbupgrade"))]
            if exit_on_success:
                # the id is known only once the container exists: docker_wait() refuses a placeholder
                wait = ("sudo -n " if self.sudo(host) else "") + "docker wait <container id>"
                actions[2] += [Action(name, wait), Action(name, inv.logs("dbupgrade", tail=200))]
            else:
                notes[2] = "EXIT_ON_SUCCESS=FALSE: its log is watched for the end of the upgrade"
                actions[2].append(Action(name, inv.logs("dbupgrade", tail=50)))
        for role, number in ROLE_STEP.items():
            actions[number] = [Action(h.external_hostname, self.target_invocation(h).up(role)) for h in p.hosts_with(role)]
        steps = [planned(s, actions.get(s.number, ()), notes.get(s.number, "")) for s in self.steps if s.number != 7]
        if needs_media_chown(self.source, self.target):
            chown = [Action(h.external_hostname, media_chown_command(self.target_invocation(h))) for h in p.hosts_with(Role.WEBAPP)]
            steps.append(planned(self.steps[6], chown, notes[7]))
        return ProcedurePlan(self.procedure, p.name, tuple(steps))

    @property
    def media_chown_needed(self) -> bool:
        """Whether this upgrade needs the 2.29.3 media ownership step (seed)."""
        return needs_media_chown(self.source, self.target)

    async def run(self, password: str, *, dbupgrade_host: str | None = None, exit_on_success: bool = True,
                  media_chown: bool = False) -> bool:
        """The whole upgrade in the seed's order: settings backup with ``password`` → the MySQL dbupgrade service on
        ``dbupgrade_host`` (when given; ``docker wait`` for 0) → Webapps, Masters, Coreapps with health after each
        → final health → with ``media_chown``, the 2.29.3 media ownership step when :attr:`media_chown_needed`.
        Stops at the first failed step; True when every step run succeeded. :attr:`dbupgrade_ok` says how the
        dbupgrade went (None: not run)."""
        self.dbupgrade_ok = None
        self._remember(dbupgrade_host, exit_on_success, media_chown)
        if not await self.backup(password):
            return False
        if dbupgrade_host:
            self.dbupgrade_ok = await self.dbupgrade(dbupgrade_host, exit_on_success=exit_on_success)
            if not self.dbupgrade_ok:
                return False
        if not await self.run_roles():
            return False
        if media_chown and self.media_chown_needed:
            return await self.media_chown()
        return True

    def _remember(self, dbupgrade_host: str | None, exit_on_success: bool, media_chown: bool) -> None:
        """Record in the journal what this upgrade is (versions, options), so ``upgrade --resume`` and the TUI
        can continue it without being told again (:func:`interrupted_upgrade`)."""
        journal = self.settings.journal
        if journal is None:
            return
        for key, value in (("target", self.target), ("source", self.source), ("dbupgrade_host", dbupgrade_host or ""),
                           ("exit_on_success", "yes" if exit_on_success else "no"),
                           ("media_chown", "yes" if media_chown else "no")):
            journal.note(key, value)

    async def dbupgrade_and_restart(self, host_name: str, *, exit_on_success: bool = True) -> bool:
        """The ``dbupgrade`` command's sequence: the dbupgrade service on ``host_name``, then Coreapps and Webapps
        with the new version (Masters keep the old one until a full upgrade): the seed's dbupgrade section, steps
        3-4 ("Passaggio 4" restarts only the Coreapp and Webapp containers)."""
        return (await self.dbupgrade(host_name, exit_on_success=exit_on_success)
                and await self.upgrade_role(Role.COREAPP) and await self.upgrade_role(Role.WEBAPP))

    # ---- step 1 ----------------------------------------------------------------------------
    async def backup(self, password: str) -> bool:
        """Step 1: back up the settings with ``password`` (the operator's; needed to restore; never stored)."""
        self.extra_secrets.append(password)
        await self._begin(1)
        journal = self.settings.journal
        earlier = journal.note("backup_path") if journal else None
        if earlier and Path(earlier).is_file():
            self.backup_path = Path(earlier)
            return self._finish(1, True, f"settings already backed up in an earlier run: {earlier}")
        if len(password) < MIN_BACKUP_PASSWORD:
            return self._finish(1, False, f"backup password: use at least {MIN_BACKUP_PASSWORD} characters", "choose a longer password")
        if self.backups_dir is None:
            return self._finish(1, False, "no directory for backups was given", "run through the CLI or the TUI")
        try:
            data = await self._client().backup_settings(password)
        except ApiError as exc:
            return self._finish(1, False, str(exc), exc.next_action or "the backup only works on a registered, running cluster")
        self.backup_path = save_backup(self.backups_dir, self.profile.name, self.source, data)
        if journal:
            journal.note("backup_path", str(self.backup_path))
            journal.step_done(1)
        return self._finish(1, True, f"settings backed up to {self.backup_path} (mode 600); keep the password to restore it")

    async def restore(self, path: Path, password: str) -> bool:
        """Restore a backup written by :meth:`backup` (``POST /v1/settings/restore``); emits step 1 events."""
        self.extra_secrets.append(password)
        await self._begin(1)
        try:
            doc = load_backup(path)
            await self._client().restore_settings(password, doc["data"])
        except (ApiError, ProfileError) as exc:
            return self._finish(1, False, f"restore failed: {exc}", getattr(exc, "next_action", "") or "check the file and the password")
        return self._finish(1, True, f"settings restored from {path}; restart the containers if the API asks for it")

    # ---- step 2 ----------------------------------------------------------------------------
    async def dbupgrade(self, host_name: str, *, exit_on_success: bool = True) -> bool:
        """Step 2: run the database upgrade service on ``host_name`` with the new version; wait for it.

        With ``exit_on_success`` (the default) the container exits with 0 on success and ``docker
        wait`` returns the code. A non-zero code stops the procedure with the service's log.
        """
        if self.settings.journal and self.settings.journal.is_done(2):
            self._start(2)
            return self._finish(2, True, "the database was upgraded in an earlier run (docker wait gave 0)")
        if self.profile.db.engine is not DbEngine.MYSQL:
            self._start(2)
            return self._finish(2, False, "the dbupgrade service is for MySQL databases (seed)", "skip this step for PostgreSQL")
        try:
            host = self.profile.host(host_name)
        except KeyError:
            self._start(2)
            return self._finish(2, False, f"--dbupgrade-host: {host_name!r} is not a host of the profile", "name one of the profile's hosts")
        return await self._on_hosts(2, (host,), lambda h: self._run_dbupgrade(h, exit_on_success), "the database upgrade")

    async def _run_dbupgrade(self, host: HostSpec, exit_on_success: bool) -> str:
        await self._upload(host, DBUPGRADE_FILE, render_dbupgrade(self.profile, exit_on_success=exit_on_success), 0o644)
        inv = self.target_invocation(host, DBUPGRADE_FILE)
        await self._checked(host, inv.command("up", "-d"), "dbupgrade up -d", "read the output above")
        ids: list[str] = []
        await self._run(host, inv.command("ps", "-q", "dbupgrade"), ids.append)
        cid = next((i.strip() for i in ids if i.strip()), "")
        if not exit_on_success:
            return await self._watch_dbupgrade_log(host, inv)
        codes: list[str] = []
        await self._run(host, docker_wait(cid, sudo=self.sudo(host)), codes.append, pty=True)
        code = next((c.strip() for c in codes if c.strip().lstrip("-").isdigit()), "")
        self.dbupgrade_exit = int(code) if code else None
        self.dbupgrade_log.clear()
        await self._run(host, inv.logs("dbupgrade", tail=200), self.dbupgrade_log.append, pty=True)
        if self.dbupgrade_exit != 0:
            raise RemoteError(host.external_hostname, f"the dbupgrade container exited with code {self.dbupgrade_exit}",
                              "read its log above; fix the database problem it names, then run the upgrade again "
                              "(the application containers were not touched)")
        self.emit(Message(f"dbupgrade on {host.external_hostname} exited with code 0"))
        return "exit 0"

    async def _watch_dbupgrade_log(self, host: HostSpec, inv: ComposeInvocation) -> str:
        """EXIT_ON_SUCCESS=FALSE: the container stays up; watch its log for the end of the schema upgrade, up to
        ``settings.health_timeout`` seconds not counting the time a quit question held the run
        (``Hold.stopwatch``: each poll's command waits at the hold while the question is open)."""
        elapsed = self.session.hold.stopwatch()
        while elapsed() < self.settings.health_timeout:
            lines: list[str] = []
            await self._run(host, inv.logs("dbupgrade", tail=50), lines.append, echo=False, pty=True)
            text = "\n".join(lines).lower()
            if "upgrade finished successfully" in text or "upgrade completed" in text:
                self.emit(Message(f"dbupgrade on {host.external_hostname} reports success (the container keeps running)"))
                return "succeeded"
            if "upgrade failed" in text:
                raise RemoteError(host.external_hostname, "the dbupgrade service reports a failure", "read its log")
            await asyncio.sleep(self.settings.poll_interval)
        raise RemoteError(host.external_hostname, "no end of the database upgrade in its log in time", "read its log")

    async def _still_done(self, number: int, host: HostSpec) -> bool:
        """Resume: a role recorded as upgraded on ``host`` still runs there (found by its compose labels)."""
        role = next((r for r, n in ROLE_STEP.items() if n == number), None)
        if role is None:
            return False
        try:
            return await self.service_state(host, role.service, self.target_invocation(host)) == "running"
        except RemoteError:
            return False

    # ---- steps 3-6 ---------------------------------------------------------------------------
    async def upgrade_role(self, role: Role) -> bool:
        """Step 3/4/5: ``up -d`` the role's service with the new version on its hosts, then check health."""
        number = ROLE_STEP[role]
        hosts = self.profile.hosts_with(role)
        if not hosts:
            self._start(number)
            return self._finish(number, True, f"no {role.label} host")

        async def up(host: HostSpec) -> str:
            """``up -d SERVICE`` of ``role`` with the target version on ``host``; returns ``"recreated"``, raises
            RemoteError when compose fails (an image that does not exist, a refusing registry)."""
            await self._checked(host, self.target_invocation(host).up(role), f"up -d {role.service}",
                                f"read the output above; the image {self.target} may not exist or the registry refused it")
            return "recreated"

        if not await self._on_hosts(number, hosts, up, f"upgrading the {role.label}s to {self.target}"):
            return False
        self.note_start()
        return await self._wait_health(number, True, _role_back(role), announce=False)

    async def final_health(self) -> bool:
        """Step 6: healthy on the new version; then the profile records it."""
        ok = await self._wait_health(6, True, lambda v: v.level is Level.OK)
        if ok:
            self.profile = self.profile.with_changes(wa_api_version=self.target)
            self.record_run_state(installed_version=self.target)
            saved = self.save_profile_changes(f"wa_api_version: {self.target}")
            if self.settings.journal:
                self.settings.journal.clear()
            if saved:
                self.emit(Message(f"the profile now records WA_API_VERSION {self.target}"))
        return ok

    async def run_roles(self) -> bool:
        """Steps 3-6 in the seed's order."""
        for role in ROLE_ORDER:
            if not await self.upgrade_role(role):
                return False
        return await self.final_health()

    # ---- step 7 ----------------------------------------------------------------------------
    def start_media_chown(self) -> "asyncio.Task[bool]":
        """Step 7 in the background: returns the task; its output streams as HostOutput meanwhile."""
        return asyncio.create_task(self.media_chown(), name="media-chown")

    async def media_chown(self) -> bool:
        """Step 7: the chown in the Webapp container of every Webapp host (seed; 2.29.1/2.29.2 → 2.29.3+)."""
        hosts = self.profile.hosts_with(Role.WEBAPP)

        async def chown(host: HostSpec) -> str:
            """The seed's ``chown -R root`` of the media's incoming/outgoing/shared directories in ``host``'s Webapp
            container (upgrades from 2.29.1/2.29.2); returns ``"ownership fixed"``, raises RemoteError on failure."""
            await self._checked(host, media_chown_command(self.target_invocation(host)), "chown in the Webapp container",
                                "run it again; it only changes ownership and is safe to repeat")
            return "ownership fixed"

        return await self._on_hosts(7, hosts, chown, "fixing media ownership")


def _role_back(role: Role) -> Callable[[ClusterVerdict], bool]:
    """The health condition that says ``role`` is back after its upgrade."""
    if role is Role.WEBAPP:
        return lambda v: True  # the API answered at all: a Webapp serves it
    if role is Role.MASTER:
        return lambda v: bool(v.primary_master)
    return lambda v: v.shards_served >= v.shards_expected
