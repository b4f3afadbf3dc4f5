"""Demo-only fault injection: kill what serves the cluster so a person can watch the monitor react."""

from __future__ import annotations

import shlex
from typing import Any


class DemoFaults:
    """Injects faults into the demo's simulated cluster (``session.cluster``).

    Kills go through the simulator's fault API (``kill_container``, exit 137, as ``docker kill``);
    restarts run ``docker start <name>`` over real SSH on the simulated host, as an operator would.
    Every method returns ``(message, ok)`` for the user and never raises.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.killed: list[tuple[str, str]] = []  # (host, service) in kill order

    @property
    def cluster(self) -> Any:
        """The simulated cluster."""
        return self.session.cluster

    def _kill(self, host: str, service: str, what: str) -> tuple[str, bool]:
        try:
            self.cluster.kill_container(host, service)
        except KeyError:
            return f"no running {service} container on {host}", False
        self.killed.append((host, service))
        return f"killed {what} on {host} (docker kill, exit 137); F7 starts it again", True

    def kill_connected_coreapp(self, verdict: Any) -> tuple[str, bool]:
        """Kill a Coreapp that the last verdict shows ``connected`` (it serves a shard)."""
        if verdict is None:
            return "no health answer yet: wait for the first poll", False
        owners = verdict.connected_coreapps
        if not owners:
            return "no connected Coreapp in the last health answer", False
        return self._kill(owners[0], "wacore", "the connected Coreapp")

    def kill_primary_master(self, verdict: Any) -> tuple[str, bool]:
        """Kill the primary master named by the last verdict."""
        host = getattr(verdict, "primary_master", "") if verdict is not None else ""
        if not host:
            return "no primary master in the last health answer", False
        return self._kill(host, "master", "the primary master")

    async def restart_killed(self) -> tuple[str, bool]:
        """``docker start`` every container killed with these keys, over SSH on its host."""
        if not self.killed:
            return "nothing was killed with the fault keys", False
        done: list[str] = []
        failed: list[str] = []
        for host, service in list(self.killed):
            names = [c.name for c in self.cluster.containers(host) if c.service == service and c.state != "running"]
            if not names:
                self.killed.remove((host, service))
                continue
            try:
                status = await self._ssh(host, f"docker start {shlex.quote(names[0])}")
            except Exception as exc:  # noqa: BLE001 - reported to the user
                failed.append(f"{host}: {type(exc).__name__}")
                continue
            if status == 0:
                self.killed.remove((host, service))
                done.append(f"{service} on {host}")
            else:
                failed.append(f"{host}: docker start exit {status}")
        if failed:
            return "restart failed: " + "; ".join(failed), False
        return ("started again: " + ", ".join(done)) if done else "the killed containers already run again", True

    async def _ssh(self, host: str, command: str) -> int | None:
        import asyncssh

        c = self.cluster
        async with asyncssh.connect("127.0.0.1", c.ssh_port(host), username=c.ssh_user,
                                    client_keys=[str(c.client_key_path)], known_hosts=str(c.known_hosts_path),
                                    config=None, agent_path=None) as conn:
            result = await conn.run(command, check=False)
            return result.exit_status
