"""The lab's intermittent registry front (``wabiz_tui/lab/registry_relay.py``, FR02) without the lab: its counters, and
a relay on loopback in front of a small HTTP server (plain HTTP here; the lab wraps the same server in TLS)."""

from __future__ import annotations

import http.client
import http.server
import threading

import pytest

from wabiz_tui.lab.registry_relay import BODY, Counters, RelayServer


def test_every_nth_manifest_or_blob_request_of_each_source_is_refused():
    c = Counters(3)
    assert [c.next("10.0.0.1")[1] for _ in range(6)] == [False, False, True, False, False, True]
    assert c.next("10.0.0.2") == (1, False)  # each address has its own count
    assert Counters.counted("HEAD", "/v2/coreapp/manifests/v2.41.2")
    assert Counters.counted("GET", "/v2/coreapp/blobs/sha256:ab")
    assert not Counters.counted("GET", "/v2/") and not Counters.counted("POST", "/v2/coreapp/blobs/uploads/")
    with pytest.raises(ValueError, match="2 or more"):
        Counters(1)


class _Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = f"served {self.path}".encode() * 10000  # larger than one relay chunk
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Content-Digest", "sha256:0")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def relay():
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    front = RelayServer(("127.0.0.1", 0), upstream.server_address[:2], 2)
    for s in (upstream, front):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield front.server_address[1]
    for s in (upstream, front):
        s.shutdown()
        s.server_close()


def _get(port: int, path: str) -> tuple[int, bytes, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, resp.getheader("Docker-Content-Digest")


def test_the_relay_passes_answers_on_and_refuses_by_its_own_count(relay):
    assert _get(relay, "/v2/")[0] == 200  # not counted
    first = _get(relay, "/v2/coreapp/manifests/v1")
    assert first[0] == 200 and first[1] == b"served /v2/coreapp/manifests/v1" * 10000 and first[2] == "sha256:0"
    assert _get(relay, "/v2/coreapp/blobs/sha256:1")[:2] == (403, BODY)
    assert _get(relay, "/v2/coreapp/blobs/sha256:1")[0] == 200
    assert _get(relay, "/v2/coreapp/manifests/v1")[0] == 403
