"""The lab's outside world, one process per namespace (standard library only: it runs outside the package, like
:mod:`registry_front`): the fake WhatsApp servers, the egress HTTP CONNECT proxy, and the business's own web
servers (webhook receiver, media server). Started by :mod:`.egress`.

Run as ``python3 egress_server.py LOG HOSTS KIND:IP:PORT[:CERT:KEY] ...`` (HOSTS: the lab DNS's hosts file, which
the proxy reads for names: the process shares the machine's ``/etc/resolv.conf``, not the lab's); each listener is
one of

- ``chat``: plain TCP (chatd is not TLS, Meta "Set Up and Debug Your Network"); echoes every byte it receives, so
  a client can send a keepalive after an idle spell and see whether the connection still carries it;
- ``https``: TLS with CERT/KEY; any request gets ``200`` and a small JSON body (registration and media hosts);
- ``proxy``: an HTTP proxy that only tunnels: ``CONNECT host:port`` → ``200 Connection established`` and the bytes
  are piped both ways; anything else ``405``; a target that does not answer ``502``;
- ``media``: plain HTTP; ``GET`` waits the number of seconds written in the file ``LOG.delay`` (0 when absent) and
  then answers ``200`` with 1 KiB; a client that hangs up first is logged with status ``499``, as nginx does
  (FR28's server log);
- ``webhook``: TLS with CERT/KEY; ``POST``/``GET`` get ``200``.

Every request is one line in LOG: ``<unix time> <kind> <client ip> <request line or CONNECT target> <status>``.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from pathlib import Path

LOG = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/dev/null")
HOSTS = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/etc/hosts")


def resolve(name: str) -> str:
    """``name``'s address in :data:`HOSTS` (the name itself when absent: an address, or left to the system)."""
    try:
        for line in HOSTS.read_text().splitlines():
            fields = line.split("#", 1)[0].split()
            if name in fields[1:]:
                return fields[0]
    except OSError:
        pass
    return name


def log(kind: str, peer, what: str, status: int | str) -> None:
    """Append one request line to :data:`LOG`: ``<unix time> <kind> <client ip or -> <what> <status>``."""
    with open(LOG, "a") as f:
        f.write(f"{time.time():.3f} {kind} {peer[0] if peer else '-'} {what} {status}\n")


async def _head(reader: asyncio.StreamReader) -> list[str]:
    """The request line and headers, until the blank line (at most 64 KiB)."""
    data = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    return data.decode("latin-1").split("\r\n")


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str, body: bytes = b"",
                  ctype: str = "application/json") -> None:
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                 "Connection: close\r\n\r\n".encode() + body)
    await writer.drain()


async def chat(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """``chat`` listener: log the connection, then echo every byte back until the client closes."""
    peer = writer.get_extra_info("peername")
    log("chat", peer, "open", "-")
    while data := await reader.read(4096):
        writer.write(data)
        await writer.drain()
    writer.close()


async def https(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """``https`` listener: read the request head, answer 200 with a small JSON body, close."""
    peer = writer.get_extra_info("peername")
    head = await _head(reader)
    log("https", peer, head[0].replace(" ", "_"), 200)
    await _answer(writer, 200, "OK", b'{"lab":"fake WhatsApp server"}\n')
    writer.close()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        dst.close()


async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """``proxy`` listener: ``CONNECT host:port`` (name looked up in :data:`HOSTS`) → 200 and bytes piped both ways; any
    other method 405; a target not reached within 5 s 502 with the error."""
    peer = writer.get_extra_info("peername")
    head = await _head(reader)
    method, _, rest = head[0].partition(" ")
    target = rest.split(" ")[0]
    if method != "CONNECT":
        log("proxy", peer, target, 405)
        await _answer(writer, 405, "Method Not Allowed", ctype="text/plain")
        writer.close()
        return
    host, _, port = target.rpartition(":")
    try:
        up_r, up_w = await asyncio.wait_for(asyncio.open_connection(resolve(host), int(port)), 5)
    except (OSError, ValueError, asyncio.TimeoutError) as exc:
        log("proxy", peer, target, 502)
        await _answer(writer, 502, "Bad Gateway", f"{exc}\n".encode(), "text/plain")
        writer.close()
        return
    log("proxy", peer, target, 200)
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await asyncio.gather(_pipe(reader, up_w), _pipe(up_r, writer))


async def media(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """``media`` listener: wait the seconds in ``LOG.delay`` (0 when absent), then 200 with 1 KiB of
    ``application/pdf``; a client that hangs up during the wait is logged 499 (as nginx, FR28)."""
    peer = writer.get_extra_info("peername")
    head = await _head(reader)
    try:
        delay = float(Path(f"{LOG}.delay").read_text().strip() or 0)
    except (OSError, ValueError):
        delay = 0.0
    if delay:
        gone = asyncio.ensure_future(reader.read(1))  # EOF = the client hung up while waiting
        done, _ = await asyncio.wait({gone}, timeout=delay)
        if done:
            log("media", peer, head[0].replace(" ", "_"), 499)
            writer.close()
            return
        gone.cancel()
    log("media", peer, head[0].replace(" ", "_"), 200)
    await _answer(writer, 200, "OK", b"%PDF-lab\n" + b"." * 1015, "application/pdf")
    writer.close()


async def webhook(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """``webhook`` listener: read the request head, answer 200 ``{}``, close."""
    peer = writer.get_extra_info("peername")
    head = await _head(reader)
    log("webhook", peer, head[0].replace(" ", "_"), 200)
    await _answer(writer, 200, "OK", b"{}\n")
    writer.close()


HANDLERS = {"chat": chat, "https": https, "proxy": proxy, "media": media, "webhook": webhook}


def _guarded(handler):
    async def run(reader, writer):
        """Run the handler; a network, timeout or parse error closes the connection instead of ending the server."""
        try:
            await handler(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError):
            writer.close()
    return run


async def main(specs: list[str]) -> None:
    """Start one listener per ``KIND:IP:PORT[:CERT:KEY]`` spec (TLS when CERT/KEY are given) and serve them forever;
    raises ``KeyError`` for an unknown kind, ``OSError`` when a port cannot be bound."""
    servers = []
    for spec in specs:
        kind, ip, port, *tls = spec.split(":")
        context = None
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(tls[0], tls[1])
        servers.append(await asyncio.start_server(_guarded(HANDLERS[kind]), ip, int(port), ssl=context,
                                                  reuse_address=True))
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[3:]))
