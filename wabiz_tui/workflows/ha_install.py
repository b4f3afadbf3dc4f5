"""The 9 High Availability install steps of the seed, as a workflow that emits events.

Steps (design.md §2): 1 working directory, 2 configuration files, 3 ``db.env``, 4 media volume,
5 start (``up -d waweb|master|wacore`` with ``EXTERNAL_HOSTNAME`` and ``WA_API_VERSION``), 6 containers
running (``ps``), 7 health check before registration, 8 register (code request + verify), 9 second
health check (exactly one Coreapp ``connected``). Remote work runs on all hosts in parallel; each
host's output is emitted as :class:`HostOutput` lines and written in full to the run's log files.
No method raises for a remote failure: it emits :class:`StepFinished` with ``ok=False`` instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from ..api.client import ApiError
from ..domain.commands import mkdir, remote_files, stat_mode
from ..domain.crashloop import StateVerdict, judge_samples
from ..domain.diagnosis import Diagnosis, diagnose_api_error, diagnose_lines
from ..domain.health import Level
from ..domain.model import ROLE_ORDER, HostSpec, MediaKind, Role
from ..domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env
from ..domain.validation import validate_profile
from ..remote.errors import RemoteError
from .stepinfo import HA_STEPS, StepInfo
from .errors import DuplicateNumber, WorkflowError
from .events import Finding, HostOutput, Message
from .install_resume import InstallResume
from .plan import Action, ProcedurePlan, planned

__all__ = ["HA_STEPS", "CodeRequest", "HaInstall", "StepInfo"]




@dataclass(frozen=True)
class CodeRequest:
    """Result of asking for the registration code: already registered (201) or code sent to ``vname`` (202)."""

    already_registered: bool
    vname: str = ""


class HaInstall(InstallResume):
    """Runs the HA install for ``profile``, reporting through ``emit``.

    ``profile`` may be replaced between steps (the wizard's forms do it). Call :meth:`close` at the end.
    """

    steps = HA_STEPS
    procedure = "install"
    #: set when :meth:`request_code` refused to register a number another saved profile has (R23)
    duplicate_refused: Diagnosis | None = None

    # ---- plan ----------------------------------------------------------------------------
    def plan(self) -> ProcedurePlan:
        """The 9 steps with every command per host and the API calls (db.env password masked); contacts nothing."""
        p = self.profile
        hosts = p.hosts
        invs = {h.external_hostname: self.invocation(h) for h in hosts}
        put = {h.external_hostname: remote_files(h) for h in hosts}
        media = ([Action(h.external_hostname, stat_mode(p.media.host_path)) for h in hosts]
                 if p.media.kind is MediaKind.HOST_PATH else [])
        actions: dict[int, list[Action]] = {
            1: [Action(h.external_hostname, mkdir(h.remote_dir)) for h in hosts],
            2: [Action(h.external_hostname, f"put {COMPOSE_FILE} -> {put[h.external_hostname][COMPOSE_FILE]}") for h in hosts],
            3: [Action(h.external_hostname, f"put {DB_ENV_FILE} -> {put[h.external_hostname][DB_ENV_FILE]} (mode 600)")
                for h in hosts],
            4: media,
            5: [Action(h.external_hostname, invs[h.external_hostname].up(r)) for h in hosts for r in ROLE_ORDER if h.has(r)],
            6: [Action(h.external_hostname, invs[h.external_hostname].ps()) for h in hosts],
            7: [Action("", f"GET {p.webapp.url}/v1/health")],
            8: [Action("", f"POST {p.webapp.url}/v1/account"), Action("", f"POST {p.webapp.url}/v1/account/verify")],
            9: [Action("", f"GET {p.webapp.url}/v1/health")],
        }
        notes = {4: "" if media else "named volume: nothing to check"}
        return ProcedurePlan(self.procedure, p.name,
                             tuple(planned(s, actions[s.number], notes.get(s.number, "")) for s in self.steps),
                             files=((COMPOSE_FILE, render_compose(p)), (DB_ENV_FILE, render_db_env(p.db, mask_password=True))))

    def review(self) -> list[tuple[str, str]]:
        """``(title, text)`` blocks of :meth:`plan`: the rendered files, then every command per host."""
        plan = self.plan()
        blocks = list(plan.files)
        for host in self.profile.hosts:
            lines = []
            for step in plan.steps:
                mine = [a.text for a in step.actions if a.host == host.external_hostname]
                if mine:
                    lines += [f"# step {step.number}", *mine]
            roles = ", ".join(r.label for r in host.roles)
            blocks.append((f"{host.external_hostname} ({roles})", "\n".join(lines)))
        return blocks

    # ---- steps ----------------------------------------------------------------------------
    async def run_step(self, number: int) -> bool:
        """Run step ``number`` (1-7 or 9; step 8 is :meth:`request_code` + :meth:`verify_code`): True when it
        succeeded. Raises ValueError for any other number (a caller's bug, not the user's input)."""
        runners = {1: self.step_directory, 2: self.step_files, 3: self.step_db_env, 4: self.step_media,
                   5: self.step_start, 6: self.step_containers, 7: self.step_health, 9: self.step_health_registered}
        if number not in runners:
            raise ValueError(f"step {number} is not run with run_step (use request_code/verify_code for step 8)")
        if not self._journal_checked:  # a face running the steps one by one (the wizard)
            await self._check_journal(announce=bool(self.settings.journal and self.settings.journal.exists))
        return await runners[number]()

    async def step_directory(self) -> bool:
        """Step 1: ``mkdir -p <remote_dir>`` on every host."""
        if not self._valid(1):
            return False
        return await self._on_hosts(1, self.profile.hosts, self._mkdir, "creating the working directory",
                                    needs_compose=False)

    async def step_files(self) -> bool:
        """Step 2: render ``prod-multiconnect-compose.yml`` and upload it to every host."""
        if not self._valid(2):
            return False
        return await self._on_hosts(2, self.profile.hosts, self._upload_compose, f"uploading {COMPOSE_FILE}",
                                    needs_compose=False)

    async def step_db_env(self) -> bool:
        """Step 3: write ``db.env`` with mode 600 on every host (the password never reaches a command line)."""
        if not self._valid(3):
            return False
        return await self._on_hosts(3, self.profile.hosts, self._upload_db_env, f"uploading {DB_ENV_FILE}",
                                    needs_compose=False)

    async def step_media(self) -> bool:
        """Step 4: a host path must exist on every host with mode 755 (seed); a named volume needs nothing."""
        if not self._valid(4):
            return False
        media = self.profile.media
        if media.kind is MediaKind.NAMED_VOLUME:
            await self._begin(4)
            if self.settings.journal:
                self.settings.journal.step_done(4)
            if len(self.profile.hosts_with(Role.WEBAPP) + self.profile.hosts_with(Role.COREAPP)) > 1:
                self.emit(Finding("MEDIA_NOT_SHARED", "warning", "the named volume whatsappMedia is local to each host",
                                  "media sent through one Webapp is not seen by Coreapps on other hosts; "
                                  "use a shared host path (NFS) for production"))
            return self._finish(4, True, "named volume whatsappMedia: docker-compose creates it on each host")
        return await self._on_hosts(4, self.profile.hosts, self._check_media_path, f"checking {media.host_path}",
                                    needs_compose=False)

    async def _check_media_path(self, host: HostSpec) -> str:
        path = self.profile.media.host_path
        lines: list[str] = []
        status = await self._run(host, stat_mode(path), lines.append)
        if status != 0:
            raise RemoteError(host.external_hostname, f"media path {path} does not exist or cannot be read",
                              f"mount the shared media volume at {path} on {host.external_hostname} (mkdir, mount -t nfs …)")
        mode = lines[-1].strip() if lines else ""
        if mode != "755":
            self.emit(Finding("MEDIA_MODE", "warning", f"{path} has mode {mode or '?'} on {host.external_hostname}, the seed asks for 755",
                              f"run: chmod -R 755 {path}", host.external_hostname))
        return mode

    async def step_start(self) -> bool:
        """Step 5: on each host, ``up -d`` the service of each of its roles (Webapp, Master, Coreapp order)."""
        if not self._valid(5):
            return False
        self.note_start()
        return await self._on_hosts(5, self.profile.hosts, self._up, "starting the containers")

    async def step_containers(self) -> bool:
        """Step 6: ``docker-compose ps`` on every host; each planned service must be Up."""
        if not self._valid(6):
            return False
        return await self._on_hosts(6, self.profile.hosts, self._ps, "checking the containers")

    async def _ps(self, host: HostSpec) -> str:
        lines: list[str] = []
        status = await self._run(host, self.invocation(host).ps(), lines.append)
        if status != 0:
            raise RemoteError(host.external_hostname, f"docker-compose ps exited with status {status}",
                              "check that docker runs and the compose file is in place")
        window = self.settings.state_window
        verdicts = dict(zip(host.roles, await asyncio.gather(
            *(self._judged(host, role.service, window) for role in host.roles))))
        for v in verdicts.values():
            if v.note:
                self.emit(HostOutput(host.external_hostname, f"note: {v.note}"))
        failed = [role for role, v in verdicts.items() if not v.ok]
        if failed:
            await self._diagnose_logs(host, failed)
            services = " ".join(r.service for r in failed)
            loop = any(verdicts[r].crash_loop for r in failed)
            if loop and self.settings.journal:  # a retry must run step 5 here even if a re-check catches it running
                self.settings.journal.forget_host(5, host.external_hostname)
            raise RemoteError(host.external_hostname, "; ".join(verdicts[r].problem for r in failed),
                              f"read its logs (docker-compose logs --tail 50 {services}) and fix the cause, then run step 5 again"
                              + (": it restarts a container held in Docker's restart back-off (docker-compose restart "
                                 f"{services}), which a plain up -d leaves as it is" if loop else ""))
        return "all up"

    async def _judged(self, host: HostSpec, service: str, window: float) -> StateVerdict:
        return judge_samples(service, await self.service_samples(host, service, window), window)

    async def _diagnose_logs(self, host: HostSpec, roles: list[Role]) -> None:
        """Read the last log lines of the failed services and report what the catalogue recognises."""
        for role in roles:
            lines: list[str] = []
            try:
                await self._run(host, self.invocation(host).logs(role.service, tail=200), lines.append, echo=False)
            except RemoteError:
                continue
            for line in lines[-20:]:
                self.emit(HostOutput(host.external_hostname, f"log: {line}"))
            self.report(diagnose_lines(lines, host.external_hostname))

    async def preflight(self) -> bool:
        """The preflight checks (``workflows.preflight``) before containers start; failures stop the install."""
        from .preflight import Preflight

        # its own steps (1-3) are not the install's: they stay out of the install journal
        check = Preflight(self.profile, emit=self.emit, settings=dataclasses.replace(self.settings, journal=None))
        try:
            ok = await check.run()
        finally:
            await check.close()
        if not ok:
            failed = [c for c in check.results if c.level == "failure"]
            self.emit(Message(f"preflight found {len(failed)} failure(s); first: {failed[0].host or 'cluster'} "
                              f"{failed[0].name}: {failed[0].reason}" if failed else "preflight failed", notice=True))
        return ok

    async def _preflight_needed(self) -> bool:
        """Whether the preflight runs before step 1, so its DB login through the SSH tunnel passes before
        anything is uploaded and step 3 can overwrite ``db.env``: containers not started yet (a first install,
        a stale or changed journal), or a host's ``db.env`` is not what the profile renders now (a changed
        password), or a host cannot be asked."""
        journal = self.settings.journal
        if not (journal and journal.hosts_done(5)):
            return True
        want = self.step_inputs()[3][0]
        digests = await asyncio.gather(*(self._remote_digest(h, remote_files(h)[DB_ENV_FILE]) for h in self.profile.hosts),
                                       return_exceptions=True)
        return any(d != want for d in digests)

    async def _registered_now(self) -> bool:
        """Whether the cluster answers health with no ``unregistered`` node (re-check of step 8)."""
        try:
            body = await self._client().health()
        except ApiError:
            return False
        statuses = [e.get("gateway_status") for e in (body.get("health") or {}).values() if isinstance(e, dict)]
        return bool(statuses) and "unregistered" not in statuses and any(statuses)

    # ---- API steps ------------------------------------------------------------------------
    async def step_health(self) -> bool:
        """Step 7: wait until health is as expected for what the cluster says: before registration (primary
        master ``unregistered``), or, when the number is already registered (a DB kept from an earlier install,
        whatever the run state says), healthy as registered; then :attr:`last_verdict` ``.registered`` tells. Seed
        step 7; the states: reference/wa-onprem-api.md §3.3 and §4."""
        return await self._wait_health(7, None, lambda v: v.level is Level.OK, done=lambda v: (
            f"the number is already registered (the cluster says so): {v.headline}" if v.registered else v.headline))

    async def step_health_registered(self) -> bool:
        """Step 9: wait until exactly the shards' Coreapps are ``connected`` with a standby; marks the profile
        installed and clears the install journal (nothing is left to resume), whichever face ran the step. Seed
        step 9 (one Coreapp ``connected`` in HA; one per shard after Multiconnect: wa-onprem-api.md §4)."""
        ok = await self._wait_health(9, True, lambda v: v.level is Level.OK)
        if ok:
            self.profile = self.profile.with_changes(installed=True)
            self.record_run_state(installed=True, installed_version=self.profile.wa_api_version)
            self.save_profile_changes("the values entered in the wizard")  # nothing to write for a headless run
            if self.settings.journal:
                try:
                    self.settings.journal.clear()
                except OSError as exc:
                    self.emit(Message(f"could not remove the install journal {self.settings.journal.path}: {exc.strerror}"))
        return ok

    async def request_code(self, *, allow_duplicate: bool = False) -> CodeRequest:
        """Step 8, part 1: ``POST /v1/account``. Raises :class:`WorkflowError` with a next action.

        Before anything is sent, a number another saved cluster profile also registers raises
        :class:`DuplicateNumber` (one instance per number: the other cluster would be disconnected, field
        case R23) unless ``allow_duplicate`` or ``settings.allow_duplicate_number`` says the operator confirmed.
        """
        errors = validate_profile(self.profile, registration=True)
        if errors:
            raise WorkflowError(f"invalid registration values: {errors[0]}", "fix the field and try again")
        await self._begin(8)
        duplicate = self.duplicate_number()
        if duplicate is not None:
            self.report([duplicate])
            if not (allow_duplicate or self.settings.allow_duplicate_number):
                message = f"{duplicate.title}: {duplicate.evidence}"
                action = (f"{duplicate.next_action}; to register anyway confirm it (wizard) or add "
                          "--allow-duplicate-number (headless)")
                self._finish(8, False, message, action)
                self.duplicate_refused = duplicate
                raise DuplicateNumber(self._redact(message), action, duplicate)
            self.emit(Message(f"registering although {duplicate.evidence} (confirmed by the operator)", notice=True))
        r = self.profile.registration
        try:
            result = await self._client().request_code(cc=r.cc, phone_number=r.phone_number, method=r.method.value,
                                                       cert=r.cert, pin=r.pin)
        except ApiError as exc:
            self.report([diagnose_api_error(exc.status, exc.code, exc.details, exc.title)])
            if exc.code:  # the answer, for doctor (a read-only command cannot ask again: it would send a code)
                self.record_run_state(last_registration={"status": exc.status, "code": exc.code, "title": exc.title,
                                                         "details": self._redact(exc.details), "at": time.time()})
            self._finish(8, False, str(exc), exc.next_action)
            raise WorkflowError(self._redact(str(exc)), exc.next_action) from None
        self.record_run_state(last_registration=None)
        journal = self.settings.journal
        if result.already_registered:
            if journal:
                journal.step_done(8)
            self._finish(8, True, "the number is already registered on this cluster (201): nothing else to do")
        else:
            if journal:
                journal.note("code_requested", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            self.emit(Message(f"code sent by {r.method.value} to +{r.cc} {r.phone_number} for {result.vname or 'the business'}", notice=True))
        return CodeRequest(result.already_registered, result.vname)

    async def verify_code(self, code: str) -> bool:
        """Step 8, part 2: ``POST /v1/account/verify``. Emits StepFinished; False on a refused code."""
        code = code.strip()
        if not (code.isdigit() and len(code) == 6):
            self.emit(Message("the code has 6 digits"))
            return self._finish(8, False, "registration code: enter the 6 digits you received", "type the code again")
        try:
            await self._client().verify(code)
        except ApiError as exc:
            return self._finish(8, False, str(exc), exc.next_action)
        if self.settings.journal:
            self.settings.journal.step_done(8)
        return self._finish(8, True, "number registered (201)")

    async def run_all(self, get_code: Callable[[CodeRequest], Awaitable[str]]) -> bool:
        """Run the 9 steps in order, stopping at the first failure. ``get_code`` supplies the code for step 8
        (it may raise :class:`WorkflowError` when no answer can be had, e.g. a closed stdin).

        With a journal (``settings.journal``), work an earlier run completed is re-checked on the real
        hosts and skipped when still in place; a finished install clears the journal.
        """
        journal = self.settings.journal
        resuming = bool(journal and journal.exists)
        if not resuming and self.profile.installed and await self._converged():
            return True
        await self._check_journal(announce=resuming)
        if not (journal and journal.is_done(8)) and not self.settings.allow_duplicate_number:
            duplicate = self.duplicate_number()
            if duplicate is not None:  # refused before anything starts, not after 7 steps (R23)
                self.report([duplicate])
                self.duplicate_refused = duplicate
                self.emit(Message(self._redact(f"not started: {duplicate.title}: {duplicate.evidence}"), notice=True))
                return False
        for number in range(1, 7):
            if number == 1 and self.settings.preflight and await self._preflight_needed():
                if not await self.preflight():
                    return False
            if not await self.run_step(number):
                return False
        registered = bool((journal and journal.is_done(8)) or self.profile.installed) and await self._registered_now()
        if registered:
            await self._begin(8)
            self._finish(8, True, "already registered in an earlier run (re-checked: no node is unregistered)")
        else:
            if not await self.run_step(7):
                return False
            if self.last_verdict is not None and self.last_verdict.registered:
                await self._begin(8)
                self._finish(8, True, "already registered: the cluster's nodes say so (a DB kept from an earlier "
                                      "install): step 8 skipped, no code requested")
                return await self.run_step(9)
            try:
                if journal and journal.note("code_requested"):
                    await self._begin(8)
                    self.emit(Message("a code was requested in an earlier run: verifying it", notice=True))
                    req = CodeRequest(False, "")
                else:
                    req = await self.request_code()
                if not req.already_registered and not await self.verify_code(await get_code(req)):
                    return False
            except WorkflowError as exc:
                self._finish_open(8, False, str(exc), exc.next_action)
                return False
        return await self.run_step(9)
