"""One asyncssh server per simulated host.

Public-key auth for the configured user only, each host with its own ed25519 host key; exec
requests and interactive shells go to :class:`~.shell.Shell` with output streamed as produced;
SFTP (and SCP, which asyncssh serves through the same SFTP server) is chrooted to the host's
sandbox so ``/home/wa/biz/db.env`` lands in ``<root>/home/wa/biz/db.env``.
"""

from __future__ import annotations

import asyncio
import logging

import asyncssh

from .host import HostContext
from .probes import REGISTRY_NAME, WHATSAPP_SERVERS, port_state
from .shell import ExitShell, Shell

log = logging.getLogger(__name__)


class _ServerHooks(asyncssh.SSHServer):
    def __init__(self, node: "SshHost") -> None:
        self.node = node
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.node.connections.add(conn)
        self.node.accepted += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.node.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        if username == self.node.host.user and self.conn is not None:
            self.conn.set_authorized_keys(self.node.authorized_keys)
        return True

    def password_auth_supported(self) -> bool:
        return False

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int):
        """``direct-tcpip`` (``ssh -L``, asyncssh ``forward_local_port``): to the simulated DB, by the name and port
        it resolves, and only while the DB is reachable, the channel is piped to the real server speaking that
        engine's protocol on loopback. To another simulated host's port (or the registry's 443) the connection
        opens when :func:`~.probes.port_state` says ``open`` (then it carries nothing and ends when closed), is
        refused when ``closed``, and times out (no answer for 30 s, a firewall dropping it) when ``filtered``."""
        host = self.node.host
        db = host.brain.db
        if dest_host in WHATSAPP_SERVERS:  # the outside world answers (doctor's egress probes; lab: lab/egress.py)
            return _Echo()
        if dest_host in host.unresolvable or dest_host not in host.brain.dns or (
                dest_host == REGISTRY_NAME and host.brain.registry_unreachable):
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, f"{dest_host}: Name or service not known")
        if dest_host != db.hostname:
            state = "open" if dest_host == REGISTRY_NAME and dest_port == 443 else \
                port_state(host.brain, host.name, dest_host, dest_port)
            if state == "open":
                return asyncssh.SSHTCPSession()
            if state == "filtered":
                return self._dropped(dest_host, dest_port)
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, f"connect to {dest_host} port {dest_port}: Connection refused")
        real_port = db.server_ports.get(db.engine)
        if not db.reachable or dest_host != db.hostname or dest_port != db.port or not real_port or self.conn is None:
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, f"connect to {dest_host} port {dest_port}: Connection refused")
        return self.conn.forward_connection(db.server_host, real_port)

    async def _dropped(self, dest_host: str, dest_port: int) -> asyncssh.SSHTCPSession:
        """A connection a firewall drops: no answer until the client gives up (sshd's own connect timeout)."""
        await asyncio.sleep(30)
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, f"connect to {dest_host} port {dest_port}: Connection timed out")


class _Echo(asyncssh.SSHTCPSession):
    """A WhatsApp server as the lab's stand-in plays it (``lab/egress_server.py`` ``chat``): every byte echoed."""

    def connection_made(self, chan) -> None:
        self._chan = chan

    def data_received(self, data, datatype) -> None:
        self._chan.write(data)


class _SandboxSFTP(asyncssh.SFTPServer):
    """SFTP chrooted to the host's sandbox; like OpenSSH's sftp-server it ends with exit status 0
    (OpenSSH 9's scp, which speaks SFTP, reports failure when the subsystem ends without one)."""

    def exit(self) -> None:
        chan = self.channel
        if chan is not None and not chan.is_closing():
            chan.exit(0)


class SshHost:
    """The SSH endpoint of one host; :meth:`listen` picks an ephemeral port once and keeps it."""

    def __init__(self, host: HostContext, host_key: asyncssh.SSHKey, authorized_keys: asyncssh.SSHAuthorizedKeys,
                 bind: str = "127.0.0.1") -> None:
        self.host = host
        self.host_key = host_key
        self.authorized_keys = authorized_keys
        self.bind = bind
        self.port = 0
        self.connections: set[asyncssh.SSHServerConnection] = set()
        #: how many SSH connections this host has accepted since it started
        self.accepted = 0
        #: how many commands (exec sessions) this host has run since it started
        self.commands = 0
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._sessions: set[asyncio.Task] = set()
        #: the command line of every session still running (an interactive shell is "")
        self.running: dict[asyncio.Task, str] = {}
        #: extra delay (seconds, not scaled) before each session's command runs: the "slow host" fault
        self.latency = 0.0

    async def listen(self) -> None:
        """Start accepting connections (on the same port as before, if any)."""
        if self._acceptor is not None:
            return
        root = bytes(self.host.sandbox.root)
        self._acceptor = await asyncssh.listen(
            self.bind, self.port, server_factory=lambda: _ServerHooks(self),
            server_host_keys=[self.host_key], process_factory=self._session,
            sftp_factory=lambda chan: _SandboxSFTP(chan, chroot=root), allow_scp=True,
            reuse_address=True, encoding="utf-8", keepalive_interval=0)
        self.port = self._acceptor.get_port()

    async def unlisten(self, drop: bool = True) -> None:
        """Stop accepting; with ``drop`` also abort the open connections."""
        acc, self._acceptor = self._acceptor, None
        if acc is not None:
            acc.close()
            await acc.wait_closed()
        if drop:
            for conn in list(self.connections):
                conn.abort()
            self.connections.clear()

    async def close(self) -> None:
        """Stop listening, drop the open connections and cancel the running sessions, waiting for them."""
        await self.unlisten(drop=True)
        for t in list(self._sessions):
            t.cancel()
        if self._sessions:
            await asyncio.gather(*self._sessions, return_exceptions=True)

    async def _session(self, process: asyncssh.SSHServerProcess) -> None:
        task = asyncio.current_task()
        hangup: asyncio.Task | None = None
        if task is not None:
            self._sessions.add(task)
            self.running[task] = process.command or ""
        if process.command:
            self.commands += 1
            hangup = asyncio.get_running_loop().create_task(self._hang_up(process, task))
        try:
            status = await self._run(process)
        except (asyncssh.Error, BrokenPipeError, ConnectionError, asyncio.CancelledError):
            status = 255
        except Exception:  # pragma: no cover - never let the server die
            log.exception("simulated shell crashed")
            try:
                process.stderr.write("bash: internal simulator error\n")
            except Exception:
                pass
            status = 1
        finally:
            if task is not None:
                self._sessions.discard(task)
                self.running.pop(task, None)
            if hangup is not None:
                hangup.cancel()
        try:
            process.exit(status)
        except Exception:
            pass

    @staticmethod
    async def _hang_up(process: asyncssh.SSHServerProcess, task: asyncio.Task) -> None:
        """The client closed the channel (or the connection went): end the command, as the hang-up of
        its terminal or the broken pipe of its output would on a real host."""
        try:
            await process.channel.wait_closed()
        except Exception:  # noqa: BLE001 - the channel is gone either way
            pass
        if not task.done():
            task.cancel()

    async def _run(self, process: asyncssh.SSHServerProcess) -> int:
        tty = process.get_terminal_type() is not None

        async def out(text: str) -> None:
            """Write ``text`` to the command's stdout (on a PTY asyncssh's line editor turns "\\n" into "\\r\\n", as
            onlcr does)."""
            process.stdout.write(text)
            await process.stdout.drain()

        async def err(text: str) -> None:
            """Write ``text`` to the command's stderr (to stdout on a terminal)."""
            if tty:  # on a terminal stderr is the same PTY as stdout
                await out(text)
                return
            process.stderr.write(text)
            await process.stderr.drain()

        if self.latency > 0:
            await asyncio.sleep(self.latency)
        async def channel_input() -> str:
            """The whole of the command's stdin (to its end), as text."""
            return str(await process.stdin.read())

        shell = Shell(self.host, out, err, tty=tty, channel_input=channel_input if process.command is not None else None)
        command = process.command
        if command is not None:
            try:
                return await shell.run(command)
            except ExitShell as ex:
                return ex.status
        # interactive shell: read lines from stdin until EOF or `exit`
        prompt = f"{self.host.user}@{self.host.name}:~$ "
        await out(prompt)
        while True:
            try:
                line = await process.stdin.readline()
            except asyncssh.BreakReceived:
                continue
            except asyncssh.TerminalSizeChanged:
                continue
            if not line:
                return shell.status
            try:
                await shell.run(line.rstrip("\r\n"))
            except ExitShell as ex:
                return ex.status
            await out(prompt)
