"""The HTTP side: prometheus-client's WSGI app (``make_wsgi_app``) on a threading ``wsgiref`` server,
with optional TLS (a certificate and key file) and HTTP basic auth.

prometheus-client 0.26's ``start_http_server`` takes a certificate but has no basic auth for its server
(its ``basic_auth_handler`` is for pushing to a Pushgateway), hence the small WSGI wrapper here.
"""

from __future__ import annotations

import base64
import hmac
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import CollectorRegistry

from . import DEFAULT_LISTEN



class TlsFilesError(ValueError):
    """The certificate or key file cannot be used (missing, unreadable, not PEM, key not matching)."""


class ListenError(ValueError):
    """``--listen`` is not ``HOST:PORT`` (``[v6]:PORT`` for IPv6)."""


def parse_listen(text: str) -> tuple[str, int]:
    """``"127.0.0.1:9850"`` → ``("127.0.0.1", 9850)``; ``"[::1]:9850"`` → ``("::1", 9850)``.
    Raises :class:`ListenError` naming the problem."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ListenError(f"--listen {text!r}: give HOST:PORT, e.g. {DEFAULT_LISTEN} (0.0.0.0:9850 for every interface)")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ListenError(f"--listen {text!r}: the port must be a number from 0 to 65535")
    return host, int(port)


@dataclass(frozen=True)
class BasicAuth:
    """The one user and password a scraper must send (the password comes from the environment, never argv)."""

    user: str
    password: str

    def allows(self, header: str) -> bool:
        """Whether an ``Authorization`` header value carries this user and password (constant-time compare)."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(given, f"{self.user}:{self.password}".encode())


def with_basic_auth(app: Callable, auth: BasicAuth) -> Callable:
    """A WSGI app that answers 401 (with a ``WWW-Authenticate`` challenge) unless the request carries ``auth``."""

    def guarded(environ: dict, start_response: Callable) -> Iterable[bytes]:
        """WSGI entry: pass the request to ``app`` when its ``Authorization`` header carries the credentials, else
        ``401`` with a Basic ``WWW-Authenticate`` challenge."""
        if auth.allows(environ.get("HTTP_AUTHORIZATION", "")):
            return app(environ, start_response)
        start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="wabiz-tui exporter"'),
                                            ("Content-Type", "text/plain; charset=utf-8")])
        return [b"credentials required\n"]

    return guarded


def _tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile or None)
    except OSError as exc:  # ssl.SSLError is an OSError: not PEM, or the key does not match
        reason = exc.strerror or getattr(exc, "reason", None) or str(exc)
        raise TlsFilesError(f"--tls-cert {certfile}" + (f" / --tls-key {keyfile}" if keyfile else "")
                            + f": {reason} — give a PEM certificate (chain) and its private key") from None
    return context


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # one line per scrape on stderr would drown the exporter's own messages


class MetricsServer:
    """Serves ``registry`` on ``host:port`` in a daemon thread. ``certfile``/``keyfile`` (PEM) turn on TLS;
    ``auth`` turns on basic auth. Raises :class:`TlsFilesError` when the certificate cannot be used (checked
    before binding) and ``OSError`` when the address cannot be bound."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int, *, certfile: str = "", keyfile: str = "",
                 auth: BasicAuth | None = None):
        context = _tls_context(certfile, keyfile) if certfile else None
        app = make_wsgi_app(registry)
        if auth is not None:
            app = with_basic_auth(app, auth)

        class Server(ThreadingWSGIServer):
            """The threading WSGI server, IPv6 when ``host`` contains a ``:``, else IPv4."""
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        self.httpd = make_server(host, port, app, Server, handler_class=_QuietHandler)
        self.tls = context is not None
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="metrics-http", daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return self.httpd.server_address[1]

    def start(self) -> "MetricsServer":
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
