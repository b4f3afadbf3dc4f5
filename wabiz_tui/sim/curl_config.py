"""``curl -K -`` in the simulator: curl reading its whole configuration from stdin (as ``doctor`` logs in to the
Webapp from the monitoring host with the monitoring ``.env``'s credentials, FR45), then making the request for real
over loopback, so the answer is the simulated Webapp's own (its users and passwords), never one made up here.

What curl 7.88.1 prints was observed on this machine: ``curl -sS -K -`` with ``output = "/dev/null"`` and
``write-out = "%{http_code}\\n"`` against a closed port writes ``000`` and ``curl: (7) Failed to connect to 127.0.0.1
port 1 after 0 ms: Couldn't connect to server`` and exits 7.
"""

from __future__ import annotations

import base64
import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

if TYPE_CHECKING:  # pragma: no cover
    from .shell import Proc


def parse_config(text: str) -> dict[str, str]:
    """curl config lines (``name = "value"``, ``name "value"``, ``name value`` or a bare flag) as a dict; a bare flag
    maps to ""; ``\\\\`` and ``\\"`` unescaped in quoted values (curl(1) "-K, --config")."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(" ")
        name, rest = name.rstrip("=:").lstrip("-"), rest.strip().lstrip("=:").strip()
        if rest.startswith('"') and rest.endswith('"') and len(rest) >= 2:
            rest = rest[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[name] = rest
    return out


async def curl_with_config(p: "Proc") -> int:
    """Run ``curl -K -``: the request of the configuration read from stdin (url, request, user, insecure, max-time,
    write-out with ``%{http_code}``); curl's exit 6/7/28 with its words when the server is not reached."""
    cfg = parse_config(await p.input())
    url = cfg.get("url", "")
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    write_out = cfg.get("write-out", "").replace("\\n", "\n")

    async def written(code: int) -> None:
        """Write curl's ``write-out`` with ``%{http_code}`` as ``code`` (3 digits), when it was asked for."""
        if write_out:
            await p.out(write_out.replace("%{http_code}", f"{code:03d}"))

    if not host or host in p.shell.host.unresolvable:
        await written(0)
        return await p.fail(f"curl: (6) Could not resolve host: {host or '(none)'}", 6)
    user, _, password = cfg.get("user", "").partition(":")
    context = ssl.create_default_context()
    if "insecure" in cfg:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    timeout = aiohttp.ClientTimeout(total=float(cfg.get("max-time") or 30))
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers = {"Authorization": f"Basic {token}"} if user else {}
            async with session.request(cfg.get("request", "GET"), url, ssl=context, headers=headers) as resp:
                code = resp.status
                body = await resp.text()
    except aiohttp.ClientConnectorError:
        await written(0)
        return await p.fail(f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server", 7)
    except TimeoutError:
        await written(0)
        return await p.fail(f"curl: (28) Operation timed out after {int(timeout.total or 0) * 1000} milliseconds", 28)
    if "output" not in cfg:
        await p.out(body)
    await written(code)
    return 0
