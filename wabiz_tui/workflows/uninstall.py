"""Uninstall (seed, "Disinstallazione"): on each host, stop and remove the containers of each role,
then ``down --remove-orphans`` the project: the ``dbupgrade`` container shares the project (same
directory), so compose counts it as an orphan of the main file and a plain ``down`` leaves it
(``Found orphan containers (biz_dbupgrade_1) for this project…``, observed with compose 1.29.2 here).
Then every container compose created from the host's directory is listed: what remains is reported,
and the host is not called clean. Volumes (the media volume, data) are kept unless a second, separate
confirmation asks for them. The profile is kept and marked as not installed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..domain.commands import project_containers
from ..domain.model import ROLE_ORDER, ClusterProfile, HostSpec, MediaKind
from ..domain.render import NAMED_MEDIA_VOLUME
from ..remote.errors import RemoteError
from .base import Procedure
from .stepinfo import StepInfo
from .events import Message
from .journal import Journal
from .plan import Action, ProcedurePlan, planned

UNINSTALL_STEPS: tuple[StepInfo, ...] = (
    StepInfo(1, "down", "Remove the containers", "rm -s -f each role's service, then down --remove-orphans, on every host; "
                                                   "what remains is reported."),
)


@dataclass(frozen=True)
class RemovalPlan:
    """What uninstall removes on one host: the services, the network, and (only if asked) volumes."""

    host: str
    services: tuple[str, ...]
    commands: tuple[str, ...]
    volumes: tuple[str, ...]


class ConfirmationRequired(ValueError):
    """The typed cluster name (or the second confirmation for volumes) is missing or wrong."""


class Uninstall(Procedure):
    """Removes the cluster's containers; :attr:`outcomes` maps each host to its one-line outcome."""

    steps = UNINSTALL_STEPS
    procedure = "uninstall"

    def __init__(self, profile: ClusterProfile, **kw: Any):
        super().__init__(profile, **kw)
        #: host → one-line outcome, filled by :meth:`run`
        self.outcomes: dict[str, str] = {}

    def plan(self, remove_volumes: bool = False) -> ProcedurePlan:
        """The removal as a :class:`ProcedurePlan` (one step, every command per host; the volumes in its note)."""
        removals = self.removals(remove_volumes)
        volumes = [v for r in removals for v in r.volumes]
        note = f"volumes removed: {', '.join(volumes)}" if volumes else ("volumes removed" if remove_volumes else "volumes kept")
        actions = [Action(r.host, c) for r in removals for c in r.commands]
        return ProcedurePlan(self.procedure, self.profile.name, (planned(self.steps[0], actions, note),))

    def removals(self, remove_volumes: bool = False) -> list[RemovalPlan]:
        """Exactly what will be removed on which host (shown before asking for confirmation)."""
        out = []
        for host in self.profile.hosts:
            inv = self.invocation(host)
            services = tuple(r.service for r in ROLE_ORDER if host.has(r))
            down = ("down", "-v", "--remove-orphans") if remove_volumes else ("down", "--remove-orphans")
            commands = tuple(inv.command("rm", "-s", "-f", s) for s in services) + (inv.command(*down),)
            volumes: tuple[str, ...] = ()
            if remove_volumes and self.profile.media.kind is MediaKind.NAMED_VOLUME:
                volumes = (f"{host.remote_dir.rstrip('/').rsplit('/', 1)[-1].lower()}_{NAMED_MEDIA_VOLUME} (named media volume)",)
            out.append(RemovalPlan(host.external_hostname, services, commands, volumes))
        return out

    async def _still_done(self, number: int, host: HostSpec) -> bool:
        """Resume: the host recorded as done runs none of its services any more."""
        try:
            return all([await self.service_state(host, r.service) == "missing" for r in host.roles])
        except RemoteError:
            return False

    def check_confirmation(self, typed_name: str, remove_volumes: bool, volumes_confirmed: bool) -> None:
        """Raise :class:`ConfirmationRequired` unless ``typed_name`` is the cluster name (and, when
        volumes are to go, ``volumes_confirmed`` is True)."""
        if typed_name != self.profile.name:
            raise ConfirmationRequired(f"type the cluster name {self.profile.name!r} exactly to confirm the uninstall")
        if remove_volumes and not volumes_confirmed:
            raise ConfirmationRequired("removing volumes needs its own confirmation: media and data would be lost")

    def host_outcomes(self) -> dict[str, str]:
        """Every host's one-line outcome (external hostname → words), also mid-run or after an abort: what
        :meth:`run` recorded ("removed, volumes kept", "FAILED: still there: …"), else what the step heard of the
        host (the run record): re-checked and skipped ("already removed in an earlier run"), ``FAILED: <its error
        line>``, or "not reached" (the run stopped before the host finished)."""
        heard = next((s.hosts for s in reversed(self.record.steps) if s.procedure == self.procedure and s.number == 1), {})
        out = {}
        for host in self.profile.hosts:
            name = host.external_hostname
            result = heard.get(name, "")
            out[name] = (self.outcomes.get(name) or
                         ("already removed in an earlier run (re-checked on the host)" if result == "ok" else
                          f"FAILED: {result}" if result else "not reached (the run stopped first)"))
        return out

    async def run(self, typed_name: str, *, remove_volumes: bool = False, volumes_confirmed: bool = False) -> bool:
        """Remove the containers on every host in parallel; the profile is then marked not installed.

        Raises :class:`ConfirmationRequired` before touching anything when a confirmation is missing.
        """
        self.check_confirmation(typed_name, remove_volumes, volumes_confirmed)
        self.outcomes = {}

        async def remove(host: HostSpec) -> str:
            # planned here, after the host's compose flavour is known
            """Run the host's removal commands, then check no container of its project is left; returns ``"removed"``
            (with or without volumes) and records the outcome; raises RemoteError when a command fails or containers
            remain."""
            plan = next(p for p in self.removals(remove_volumes) if p.host == host.external_hostname)
            for command in plan.commands:
                await self._checked(host, command, "removal", f"check docker on {host.external_hostname}, then run the uninstall again")
            left: list[str] = []
            await self._run(host, project_containers(host.remote_dir, sudo=self.sudo(host)), left.append, echo=False)
            left = [line.strip() for line in left if line.strip()]
            if left:
                self.outcomes[host.external_hostname] = f"FAILED: still there: {'; '.join(left)}"
                raise RemoteError(host.external_hostname, f"containers of {host.remote_dir} remain after the removal: {'; '.join(left)}",
                                  f"remove them (docker rm -f NAME) on {host.external_hostname}, then run the uninstall again")
            self.outcomes[host.external_hostname] = "removed" + (" (with volumes)" if remove_volumes else ", volumes kept")
            return self.outcomes[host.external_hostname]

        ok = await self._on_hosts(1, self.profile.hosts, remove, "uninstalling")
        self.outcomes = self.host_outcomes()
        for host in self.profile.hosts:
            self.emit(Message(f"{host.external_hostname}: {self.outcomes[host.external_hostname]}"))
        if ok:
            if self.settings.journal:
                self.settings.journal.clear()
                # the install's journal too: what it recorded is gone from the hosts (issue 13, item 3)
                Journal.for_cluster(self.settings.journal.path.parent, self.profile, "install").clear()
            self.profile = self.profile.with_changes(installed=False)
            # read by the monitors (workflows.monitor): they stop alerting on a cluster uninstalled on purpose
            self.record_run_state(installed=False, installed_version="", uninstalled_at=time.time())
        return ok
