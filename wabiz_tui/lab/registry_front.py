"""A TLS front that answers HTTP 403 to every request, in the registry's place (``lab fault registry forbid``): what
a proxy or firewall in front of ``docker.whatsapp.biz`` that forbids a host's address answers. The lab's
docker-registry cannot answer 403 itself: its only access control is a login (htpasswd or token), which answers
401 (``lab fault registry deny``).

Run as ``python3 registry_front.py IP PORT CERT KEY`` (standard library only: it runs outside the package, in the
registry's network namespace). The body is a short HTML page, as proxies send, not the registry's JSON error
envelope; the response says ``Connection: close``.
"""

from __future__ import annotations

import http.server
import ssl
import sys

BODY = b"<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>\n"


class Forbid(http.server.BaseHTTPRequestHandler):
    """403 with :data:`BODY` to any method and path."""

    protocol_version = "HTTP/1.1"

    def _forbid(self) -> None:
        self.send_response(403, "Forbidden")
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(BODY)
        self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forbid

    def log_message(self, fmt: str, *args) -> None:
        sys.stdout.write(f"{self.address_string()} {fmt % args}\n")
        sys.stdout.flush()


def main(ip: str, port: str, cert: str, key: str) -> None:
    """Serve :class:`Forbid` over TLS (``cert``/``key`` files) on ``ip:port`` (a string) forever."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = http.server.ThreadingHTTPServer((ip, int(port)), Forbid)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:5])
