"""A TLS front that passes every request on to the lab registry and refuses some of the pulls' requests with HTTP 403
(``lab fault registry-intermittent EVERY``; field report FR02: the 403 "Forbidden!" that came "from time to time"
during scripted provisioning, WhatsApp-Business-API-Setup-Scripts#11).

Which requests are refused comes only from the front's own counters: per source address, the GET and HEAD requests
of manifests and blobs (what a pull asks; ``/v2/`` and uploads are not counted) are numbered 1, 2, 3…, and number
``n`` is refused when ``n % EVERY == 0`` (EVERY 2 to 10). With EVERY 2 or 3, any three requests in a row from one
host hold a refusal and an answer. The refusal carries the body the reporters' dockerd quoted (``invalid character
'F' looking for beginning of value: "Forbidden!"``). Every request is logged as ``SOURCE METHOD PATH STATUS n=N``
(``n=0``: not counted), so a test reads what each host was really answered.

Run as ``python3 registry_relay.py IP PORT CERT KEY UPSTREAM_IP UPSTREAM_PORT EVERY`` in the registry's network
namespace (standard library only: it runs outside the package). The registry listens behind it on plain HTTP
(``UPSTREAM``); each answer says ``Connection: close`` and is streamed as it comes.
"""

from __future__ import annotations

import http.client
import http.server
import socket
import ssl
import sys
import threading
import time

#: The refusal's body, as the FR01/FR02 reporters' dockerd quoted it.
BODY = b"Forbidden!"
#: Headers of one connection, not passed on (RFC 9110 section 7.6.1).
HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"})
CHUNK = 64 * 1024


class Counters:
    """Per source address, the manifest/blob GET and HEAD requests numbered from 1; number ``n`` is refused when
    ``n % every == 0``."""

    def __init__(self, every: int):
        if every < 2:
            raise ValueError("EVERY must be 2 or more (1 would refuse every request: that is `registry forbid`)")
        self.every = every
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def counted(method: str, path: str) -> bool:
        """Whether a request is one a pull makes for content (manifests and blobs, GET or HEAD)."""
        return method in ("GET", "HEAD") and ("/manifests/" in path or ("/blobs/" in path and "/uploads" not in path))

    def next(self, source: str) -> tuple[int, bool]:
        """(this request's number for ``source``, whether it is refused)."""
        with self._lock:
            n = self._seen.get(source, 0) + 1
            self._seen[source] = n
        return n, n % self.every == 0


class Relay(http.server.BaseHTTPRequestHandler):
    """Pass the request on to the upstream registry, or refuse it (see the module docstring)."""

    protocol_version = "HTTP/1.1"
    server: "RelayServer"

    def _handle(self) -> None:
        n, refuse = 0, False
        if Counters.counted(self.command, self.path):
            n, refuse = self.server.counters.next(self.client_address[0])
        status = self._refuse() if refuse else self._pass_on()
        self.close_connection = True
        sys.stdout.write(f"{self.client_address[0]} {self.command} {self.path} {status} n={n}\n")
        sys.stdout.flush()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _refuse(self) -> int:
        self.send_response(403, "Forbidden")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(BODY)
        return 403

    def _pass_on(self) -> int:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        up = http.client.HTTPConnection(*self.server.upstream, timeout=120)
        try:
            # header by header: dockerd sends several Accept lines, and the registry answers a HEAD with the digest
            # of the manifest type they allow (one Accept kept made it name a digest a GET then did not find)
            up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP:
                    up.putheader(k, v)
            up.endheaders(body)
            resp = up.getresponse()
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("Connection", "close")  # without a Content-Length the body ends when the connection does
            self.end_headers()
            if self.command != "HEAD":
                try:
                    while chunk := resp.read(CHUNK):
                        self.wfile.write(chunk)
                except OSError:  # the client hung up (dockerd cancels the other downloads after a refusal)
                    pass
            return resp.status
        finally:
            up.close()

    def log_message(self, fmt: str, *args) -> None:
        """Nothing: one line per request is written by ``_handle``, not http.server's own."""


class RelayServer(http.server.ThreadingHTTPServer):
    """The front: one thread per request, relayed to ``upstream`` (ip, port), refusing by :class:`Counters`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], upstream: tuple[str, int], every: int):
        super().__init__(address, Relay)
        self.upstream = upstream
        self.counters = Counters(every)


def wait_upstream(upstream: tuple[str, int], timeout: float = 20) -> None:
    """Wait until the registry behind accepts TCP (the front listens only then, so waiting for it covers both)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(upstream, timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the registry behind the front does not answer on {upstream[0]}:{upstream[1]}")
            time.sleep(0.05)


def main(ip: str, port: str, cert: str, key: str, up_ip: str, up_port: str, every: str) -> None:
    """Serve the front on ``ip``:``port`` over TLS (``cert``/``key`` PEM files) once the registry at
    ``up_ip``:``up_port`` accepts TCP, refusing every ``every``-th pull request; runs until killed. Raises
    :class:`SystemExit` when the registry does not answer within 20 s."""
    upstream = (up_ip, int(up_port))
    wait_upstream(upstream)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = RelayServer((ip, int(port)), upstream, int(every))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:8])
