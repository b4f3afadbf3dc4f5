"""A stand-in Webapp (httpx.MockTransport) whose answers derive from its node table, a Webapp that accepts
connections and never answers, and scrape parsing."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import subprocess
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.domain.test_validation import good_profile
from wabiz_tui.api.client import WebappClient
from wabiz_tui.domain.model import ClusterProfile
from wabiz_tui.exporter.metrics import ClusterState, ExporterCollector
from wabiz_tui.workflows.monitor import HealthMonitor

#: the HA layout of good_profile as /v1/health answers it once registered (wa-onprem-api.md §3.3)
HA_NODES = {"wa-master-1:m1a": ("primary_master", "disconnected"), "wa-master-2:m2b": ("secondary_master", "disconnected"),
            "wa-core-1:c1c0ffee": ("coreapp", "connected"), "wa-core-2:c2beef": ("coreapp", "disconnected")}


class FakeWebapp:
    """Answers login, /v1/health (from ``nodes``) and the shard count; ``health_status``/``login_status``
    make it fail as a real Webapp does (error envelope of §3.2)."""

    def __init__(self, nodes: dict[str, tuple[str, str]] | None = None, shards: int = 1):
        self.nodes = dict(HA_NODES if nodes is None else nodes)
        self.shards = shards
        self.health_status = 200
        self.login_status = 200
        self.error_details = ""

    def _error(self, status: int) -> httpx.Response:
        return httpx.Response(status, json={"errors": [{"code": 1005 if status == 401 else 1014, "title": "refused",
                                                        "details": self.error_details}]})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/users/login":
            return (httpx.Response(200, json={"users": [{"token": "tok-123", "expires_after": "2099-01-01"}]})
                    if self.login_status == 200 else self._error(self.login_status))
        if path == "/v1/health":
            if self.health_status != 200:
                return self._error(self.health_status)
            return httpx.Response(200, json={"health": {k: {"gateway_status": s, "role": r} for k, (r, s) in self.nodes.items()}})
        if path == "/v1/account/shards":
            return httpx.Response(200, json={"account": {"shards": self.shards}})
        return httpx.Response(404)

    def monitor(self, profile: ClusterProfile, **kw) -> HealthMonitor:
        w = profile.webapp
        client = WebappClient(w.url, username=w.admin_user, password=w.admin_password, transport=httpx.MockTransport(self))
        return HealthMonitor(profile, client=client, **kw)


def installed_profile(name: str = "prod", url: str = "https://wa-web-1:9090", **changes) -> ClusterProfile:
    p = good_profile(name=name, **changes)
    return p.with_changes(installed=True, webapp=dataclasses.replace(p.webapp, url=url))


def scrape_text(*states: ClusterState, wall=None) -> str:
    registry = CollectorRegistry()
    registry.register(ExporterCollector(states, **({"wall": wall} if wall else {})))
    return generate_latest(registry).decode()


def samples(text: str, name: str, **labels: str) -> list[float]:
    """Values of the samples called ``name`` whose labels include ``labels``."""
    return [s.value for fam in text_string_to_metric_families(text) for s in fam.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


def value(text: str, name: str, **labels: str) -> float:
    found = samples(text, name, **labels)
    assert len(found) == 1, (name, labels, found)
    return found[0]


class SilentServer:
    """A TCP server that accepts connections and never sends a byte (a Webapp that hangs)."""

    def __init__(self) -> None:
        self.server: asyncio.base_events.Server | None = None
        self.conns: list = []

    async def _accept(self, reader, writer) -> None:
        self.conns.append(writer)

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc) -> None:
        for w in self.conns:
            w.close()
        self.server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made with the real ``openssl`` (cert, key)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key
