"""The 4 Multiconnect steps of the seed, after an HA install.

1. set shards (``POST /v1/account/shards`` with ``cc``, ``phone_number``, ``shards``, ``pin``, ``cert``;
   201 expected; a 403 "server temporarily unavailable" is retried a bounded number of times with
   back-off — wa-onprem-api.md §3.5, FB-mc);
2. health check: that many Coreapps ``connected``;
3. start one more Coreapp on a new host so one Coreapp failure is tolerated (``shards + X`` Coreapps
   tolerate X failures);
4. health check again: the new Coreapp is a ``disconnected`` standby.

Before calling the API, :meth:`Multiconnect.check_shards` refuses a shard count that is not allowed
or exceeds the running Coreapps, and warns when no standby would remain.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..api.client import ApiError
from ..domain.health import Level
from ..domain.commands import mkdir, remote_files
from ..domain.model import HostSpec, Role
from ..domain.render import COMPOSE_FILE, DB_ENV_FILE, MASK
from ..domain.validation import ALLOWED_SHARDS, FieldError, check_host, validate_profile
from .base import Procedure
from .stepinfo import MC_STEPS
from .events import Finding, Message
from .plan import Action, ProcedurePlan, planned


#: Attempts of POST /v1/account/shards when it answers 403 (temporarily unavailable).
SHARD_ATTEMPTS = 4


@dataclass(frozen=True)
class ShardCheck:
    """What :meth:`Multiconnect.check_shards` found: ``errors`` block the call, ``warnings`` need a confirmation."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    running_coreapps: int


class Multiconnect(Procedure):
    """Runs the Multiconnect steps for ``profile`` (installed and registered)."""

    steps = MC_STEPS
    procedure = "multiconnect"

    def plan(self, shards: int, host: HostSpec | None = None) -> ProcedurePlan:
        """The 4 steps with ``shards`` and the new Coreapp ``host`` (None: step 3 not planned); secrets masked."""
        p = self.profile
        r = p.registration
        body = (f'{{"cc": "{r.cc}", "phone_number": "{r.phone_number}", "shards": {shards}, "cert": "{MASK}"'
                + (f', "pin": "{MASK}"}}' if r.pin else "}"))
        third: list[Action] = []
        if host is not None:
            inv = Multiconnect(p.with_changes(hosts=p.hosts + (host,)), emit=self.emit).invocation(host)
            files = remote_files(host)
            third = [Action(host.external_hostname, t) for t in (
                mkdir(host.remote_dir), f"put {COMPOSE_FILE} -> {files[COMPOSE_FILE]}",
                f"put {DB_ENV_FILE} -> {files[DB_ENV_FILE]} (mode 600)", inv.up(Role.COREAPP))]
        actions = {1: [Action("", f"POST {p.webapp.url}/v1/account/shards {body}")],
                   2: [Action("", f"GET {p.webapp.url}/v1/health")], 3: third, 4: [Action("", f"GET {p.webapp.url}/v1/health")]}
        notes = {2: f"{shards} Coreapp(s) connected",
                 3: "" if host else "give --add-host to plan the new Coreapp host: mkdir, upload, up -d wacore",
                 4: f"{shards} connected, the new Coreapp a standby"}
        return ProcedurePlan(self.procedure, p.name,
                             tuple(planned(s, actions[s.number], notes.get(s.number, "")) for s in self.steps))

    async def run(self, shards: int, host: HostSpec | None = None) -> bool:
        """The whole sequence: steps 1-2 with ``shards``, then 3-4 with the new Coreapp ``host`` when given.
        True when every step run succeeded (see :attr:`last_verdict` for the health)."""
        ok = await self.set_shards(shards, confirmed=True) and await self.health_served()
        if ok and host is not None:
            ok = await self.add_coreapp(host) and await self.health_with_standby()
        return ok

    async def check_shards(self, shards: int) -> ShardCheck:
        """Check ``shards`` against the rules and the Coreapps the health answer shows running."""
        errors: list[str] = []
        warnings: list[str] = []
        if shards not in ALLOWED_SHARDS:
            errors.append(f"shards: {shards} is not allowed; use one of {', '.join(map(str, ALLOWED_SHARDS))}")
        try:
            verdict = await self.poll_health(registered=True)
            running = sum(1 for n in verdict.nodes if n.expected_role == "coreapp" and n.actual_status not in ("missing",))
        except ApiError as exc:
            errors.append(f"cannot read the running Coreapps: {exc}")
            running = 0
        if running and shards > running:
            errors.append(f"shards: {shards} shards need {shards} running Coreapps, only {running} run; start more Coreapps first")
        elif running and shards == running:
            warnings.append(f"no standby Coreapp: with {shards} shards on {running} Coreapps, one Coreapp failure leaves "
                            "a shard unserved (shards + X Coreapps tolerate X failures); Multiconnect step M3 adds one")
        return ShardCheck(tuple(errors), tuple(warnings), running)

    async def set_shards(self, shards: int, *, confirmed: bool) -> bool:
        """Step 1. Refuses without ``confirmed`` (setting shards briefly disrupts the number's connections)."""
        await self._begin(1)
        check = await self.check_shards(shards)
        for w in check.warnings:
            self.emit(Finding("MC_NO_STANDBY", "warning", w, "add a Coreapp on a new host (Multiconnect step M3)"))
        if check.errors:
            return self._finish(1, False, check.errors[0], "fix the shard count or start more Coreapps, then retry")
        if not confirmed:
            return self._finish(1, False, f"setting {shards} shards needs an explicit confirmation", "confirm and run the step again")
        try:
            if await self._client().get_shards() == shards:
                self.profile = self.profile.with_changes(shards=shards)
                self._save()
                return self._finish(1, True, f"the cluster already has {shards} shard(s): nothing to change")
        except ApiError:
            pass  # cannot tell: set it
        r = self.profile.registration
        delay = self.settings.retry_backoff
        for attempt in range(1, SHARD_ATTEMPTS + 1):
            try:
                await self._client().set_shards(cc=r.cc, phone_number=r.phone_number, shards=shards, cert=r.cert, pin=r.pin)
                break
            except ApiError as exc:
                if exc.status == 403 and attempt < SHARD_ATTEMPTS:
                    self.emit(Message(f"POST /v1/account/shards answered 403 (temporarily unavailable); retry {attempt} in {delay:.0f} s"))
                    await asyncio.sleep(delay)
                    delay *= 2
                    continue
                return self._finish(1, False, str(exc), exc.next_action or "check cc, phone number, cert and PIN, then retry")
        self.profile = self.profile.with_changes(shards=shards)
        self._save()
        self.note_start()
        try:  # the cluster judged with the new shard count at once (the M1 screen's "Cluster now" said the old one)
            await self.poll_health(registered=True)
        except ApiError:
            pass  # step 2 polls until the shards are served and reports what goes wrong
        return self._finish(1, True, f"shards set to {shards} (201)")

    def _save(self) -> None:
        hosts = ", ".join(h.external_hostname for h in self.profile.hosts)
        self.save_profile_changes(f"shards: {self.profile.shards} and the hosts {hosts}")

    async def health_served(self) -> bool:
        """Step 2: every shard has a connected Coreapp (a missing standby is a warning, not a failure)."""
        return await self._wait_health(2, True, lambda v: v.shards_served == v.shards_expected and v.level is not Level.FAILURE)

    def new_host_problems(self, host: HostSpec) -> list[FieldError]:
        """Why ``host`` cannot be the new Coreapp host (field-named), checked before anything changes."""
        errors = check_host(host, len(self.profile.hosts))
        if host.roles != (Role.COREAPP,):
            errors.append(FieldError(f"hosts[{len(self.profile.hosts)}].roles", "the new host runs only the coreapp role"))
        if any(h.external_hostname == host.external_hostname for h in self.profile.hosts):
            errors.append(FieldError(f"hosts[{len(self.profile.hosts)}].external_hostname",
                                     f"{host.external_hostname!r} is already a host of the cluster; a standby on another "
                                     "host is what tolerates a host failure"))
        return errors

    async def reach(self, host: HostSpec) -> None:
        """Open the SSH connection to ``host`` (raises RemoteError): done before the shards change."""
        await self._pool.get(host)

    async def add_coreapp(self, host: HostSpec) -> bool:
        """Step 3: add ``host`` (role Coreapp) to the profile, upload the files there and ``up -d wacore``."""
        errors = [str(e) for e in self.new_host_problems(host)]
        if errors:
            for e in errors:
                self.emit(Message(f"invalid: {e}"))
            self._start(3)
            return self._finish(3, False, errors[0], "fix the new host's values")
        previous = self.profile
        self.profile = self.profile.with_changes(hosts=self.profile.hosts + (host,))
        if validate_profile(self.profile):
            self.profile = previous
            return self._valid(3)

        async def setup(h: HostSpec) -> str:
            """On the new Coreapp host: the working directory, the compose file and db.env uploaded, then ``up -d
            wacore``; returns the up's summary, raises RemoteError on a failed command."""
            await self._mkdir(h)
            await self._upload_compose(h)
            await self._upload_db_env(h)
            return await self._up(h, (Role.COREAPP,))

        ok = await self._on_hosts(3, (host,), setup, "starting the new Coreapp")
        if ok:
            self._save()
            self.note_start()
        else:
            self.profile = previous
        return ok

    async def health_with_standby(self) -> bool:
        """Step 4: healthy — every shard served and at least one standby Coreapp."""
        return await self._wait_health(4, True, lambda v: v.level is Level.OK)
