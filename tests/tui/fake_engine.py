"""A stand-in for ``workflows.ha_install.HaInstall`` with the same contract, for fast widget tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from wabiz_tui.domain.health import ClusterVerdict, Level, NodeVerdict
from wabiz_tui.domain.model import (
    ClusterProfile,
    DbEnv,
    HostSpec,
    Registration,
    Role,
    SshTarget,
    WebappApi,
)
from wabiz_tui.workflows.errors import WorkflowError
from wabiz_tui.workflows.events import (
    HealthUpdated,
    HostCommand,
    HostFinished,
    HostOutput,
    StepFinished,
    StepStarted,
)


def sample_profile() -> ClusterProfile:
    """A valid 3-host HA profile (with secrets the TUI must never show)."""
    ssh = lambda n: SshTarget(host=f"127.0.0.{n}", port=2200 + n, user="wa")
    hosts = (HostSpec("wa-host-1", ssh(1), (Role.WEBAPP, Role.MASTER, Role.COREAPP)),
             HostSpec("wa-host-2", ssh(2), (Role.MASTER, Role.COREAPP)),
             HostSpec("wa-host-3", ssh(3), (Role.WEBAPP,)))
    return ClusterProfile(
        name="demo", wa_api_version="2.53.1", hosts=hosts,
        db=DbEnv(hostname="db.example.net", username="wauser", password="S3cretDbPass"),
        webapp=WebappApi(url="https://127.0.0.1:9090", self_signed_ok=True, admin_password="Adm1n-Passw0rd"),
        registration=Registration(cc="39", phone_number="3331234567", cert="Q2VydGlmaWNhdGVCYXNlNjQ="))


@dataclass(frozen=True)
class FakeCodeRequest:
    already_registered: bool
    vname: str


def verdict(registered: bool) -> ClusterVerdict:
    """A verdict like the engine's: before registration waiting, after it HA healthy."""
    nodes = (
        NodeVerdict("wa-host-1", "aa11", "primary master", "primary_master", "unregistered" if not registered
                    else "disconnected", "unregistered" if not registered else "disconnected",
                    Level.WAITING if not registered else Level.OK, "ok"),
        NodeVerdict("wa-host-1", "bb22", "coreapp", "coreapp", "connected", "connected" if registered else "unregistered",
                    Level.OK if registered else Level.WAITING, ""),
        NodeVerdict("wa-host-2", "cc33", "coreapp", "coreapp", "disconnected", "disconnected", Level.STANDBY,
                    "standby"),
    )
    if registered:
        return ClusterVerdict(Level.OK, "HA healthy: 1/1 shard connected, 1 standby coreapp", "nothing to do",
                              nodes, shards_served=1, standby=1, primary_master="wa-host-1:aa11", registered=True)
    return ClusterVerdict(Level.WAITING, "Not registered yet", "register the number (step 8)", nodes,
                          primary_master="wa-host-1:aa11")


class FakeHaInstall:
    """Emits the same events as the real engine; ``fail_step`` makes one step fail once per listed host."""

    def __init__(self, profile: ClusterProfile, *, emit, settings=None) -> None:
        self.profile = profile
        self.emit = emit
        self.fail_step: dict[int, str] = {}
        self.registered = False
        self.closed = False
        self.ran: list[int] = []

    def review(self) -> list[tuple[str, str]]:
        return [("prod-multiconnect-compose.yml", "services:\n  waweb: {}\n"),
                ("db.env", f"WA_DB_ENGINE={self.profile.db.engine.value}\nWA_DB_PASSWORD=********\n")]

    async def run_step(self, number: int) -> bool:
        self.ran.append(number)
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.emit(StepStarted(number, f"step {number}", hosts))
        if number in (7, 9):
            self.emit(HealthUpdated(verdict(self.registered)))
            self.emit(StepFinished(number, True, "health checked"))
            return True
        ok_all = True
        for host in hosts:
            self.emit(HostCommand(host, f"mkdir -p /home/wa/biz  # step {number}"))
            for i in range(3):
                self.emit(HostOutput(host, f"{host} line {i} password={self.profile.db.password}"))
                await asyncio.sleep(0)
            failing = self.fail_step.get(number) == host
            ok_all &= not failing
            self.emit(HostFinished(host, not failing, 2 if failing else 0, "exit status 2" if failing else ""))
        if self.fail_step.get(number):
            self.fail_step.pop(number)
        self.emit(StepFinished(number, ok_all, "all hosts ok" if ok_all else "a host failed",
                               "" if ok_all else "fix the host and retry"))
        return ok_all

    async def request_code(self) -> FakeCodeRequest:
        if self.profile.registration.phone_number == "3330000000":
            raise WorkflowError("registration refused: 1005 biz_link_on_prem_reg_blocked", "migrate to Cloud API")
        return FakeCodeRequest(False, "Demo Shop")

    async def verify_code(self, code: str) -> bool:
        self.registered = code == "123456"
        return self.registered

    async def close(self) -> None:
        self.closed = True
