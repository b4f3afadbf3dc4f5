"""What the TUI needs of a demo session, and the demo's fault keys (F5, F6, F7).

The TUI never imports the demo: the CLI starts the demo session and hands it to the app, which only
uses what :class:`DemoHooks` names. The fault logic (what to kill, how to start it again) is the demo's
(``demo.faults``); here are the keys, their notices and the monitor's timeline entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class DemoFaultKeys(Protocol):
    """The demo's fault injection; every call returns ``(message, ok)`` and never raises."""

    def kill_connected_coreapp(self, verdict: Any) -> tuple[str, bool]:
        """Kill a Coreapp that ``verdict`` (the last health verdict, or None) shows connected."""

    def kill_primary_master(self, verdict: Any) -> tuple[str, bool]:
        """Kill the primary master that ``verdict`` (the last health verdict, or None) names."""

    async def restart_killed(self) -> tuple[str, bool]:
        """Start again every container these keys killed."""


class DemoHooks(Protocol):
    """A running demo as the TUI sees it: its saved profile, its speed factor (scales polling), its spare
    hosts (the Multiconnect step adds one), its "SMS" codes and its fault keys."""

    profile: Any
    profile_path: Path
    spare_hosts: tuple[Any, ...]

    @property
    def speed(self) -> float:
        """The factor of every simulated delay (0.05 in tests, 1.0 for people)."""

    @property
    def faults(self) -> DemoFaultKeys:
        """The demo's fault injection (one per session: it remembers what it killed)."""

    def on_sms(self, callback: Callable[[str, str], None]) -> None:
        """Call ``callback(phone, code)`` for each registration code the demo "sends"."""


class FaultKeys:
    """The app's demo fault keys, mixed into ``WabizApp``; active only with a demo session.

    The host app provides ``faults`` (the demo's :class:`DemoFaultKeys` or None), ``last_verdict``, ``mask``
    and a screen named ``monitor``.
    """

    #: Actions that only exist in the demo (fault injection on the simulator).
    DEMO_ACTIONS = frozenset({"demo_kill_coreapp", "demo_kill_master", "demo_restart"})

    faults: DemoFaultKeys | None

    def _fault_verdict(self) -> Any:
        monitor = self.get_screen("monitor")  # type: ignore[attr-defined]
        return getattr(monitor, "last_verdict", None) or getattr(self, "last_verdict", None)

    def _fault_done(self, message: str, ok: bool) -> None:
        monitor = self.get_screen("monitor")  # type: ignore[attr-defined]
        noted = ok and hasattr(monitor, "note_fault")
        if noted:
            monitor.note_fault(message)
        if noted and self.screen is monitor:  # type: ignore[attr-defined]
            return  # the monitor's timeline says it: a toast covered the timeline (issue 17, defect 7)
        self.notify(self.mask(message), title="Demo fault" if ok else "Demo fault not injected",  # type: ignore[attr-defined]
                    severity="warning" if ok else "error")

    def action_demo_kill_coreapp(self) -> None:
        """Demo: kill the container of a connected Coreapp (its shard must fail over to a standby)."""
        if self.faults is not None:
            self._fault_done(*self.faults.kill_connected_coreapp(self._fault_verdict()))

    def action_demo_kill_master(self) -> None:
        """Demo: kill the primary master's container (a secondary master must take over)."""
        if self.faults is not None:
            self._fault_done(*self.faults.kill_primary_master(self._fault_verdict()))

    def action_demo_restart(self) -> None:
        """Demo: start again every container killed with the fault keys."""
        if self.faults is not None:
            self.run_worker(self._restart_killed(), exclusive=True, exit_on_error=False,  # type: ignore[attr-defined]
                            group="demo-fault", name="demo-restart")

    async def _restart_killed(self) -> None:
        if self.faults is not None:
            self._fault_done(*await self.faults.restart_killed())
