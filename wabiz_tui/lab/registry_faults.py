"""FR02 in the lab: a registry that refuses only some requests (``lab fault registry-intermittent EVERY``, undone by
``lab fault registry-intermittent off`` or ``lab fault clear``).

The registry is restarted behind :mod:`.registry_relay` (plain HTTP on the registry namespace's loopback), and the
relay takes its address and certificate: every request reaches the real registry except, per host address, every
EVERY-th manifest or blob request, which gets HTTP 403 "Forbidden!". The relay logs each request with what it
answered (:func:`answers` reads it back).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from . import services
from .errors import LabBadArgument
from .proc import Proc
from .state import Ledger, Paths
from .topology import REGISTRY_IP, REGISTRY_NS

KIND = "registry-intermittent"
#: Refusal periods offered. With 2 or 3 any three requests in a row from one host hold a refusal and an answer
#: (doctor's three tries always see both). Observed on the lab (dockerd 20.10): a pull asks HEAD manifest by tag, GET
#: manifest by digest, the configuration blob, then the layers, and stops at the first refusal; an attempt that fails
#: thus ends on a refused number, the next one starts the same requests at the same phase, and every attempt fails at
#: the same request. A period longer than a whole pull (the stand-in Coreapp asks 5) lets the next
#: attempt through.
EVERY = tuple(range(2, 11))
BACKEND = "registry-backend"
SCRIPT = Path(__file__).with_name("registry_relay.py")


def owns(kind: str) -> bool:
    """True if ``kind`` (a ledger fault's ``kind``) was injected by this module."""
    return kind == KIND


def log_path(paths: Paths) -> Path:
    """The relay's request log (one line per request, see :mod:`.registry_relay`)."""
    return paths.run / "registry-relay.log"


def intermittent(paths: Paths, every: int) -> None:
    """Put the relay in front of the registry, refusing every ``every``-th manifest/blob request of each host."""
    from . import faults
    if every not in EVERY:
        raise LabBadArgument(f"registry-intermittent {every}: use 2 to 10 (every N-th manifest/blob request of each "
                             "host refused), or off")
    ledger = faults._ledger(paths)
    if any(f["kind"].startswith("registry-") and f["kind"] != "registry-ca" for f in ledger.data.get("faults", [])):
        raise LabBadArgument("a registry fault is in force already: `wabiz-tui lab fault clear` first")
    Proc.from_json(ledger.data["services"]["registry"]).stop(10)
    backend = services.start_registry(paths, behind=True)
    ledger.data["services"][BACKEND] = backend.to_json()  # `lab down` stops it with the other services
    _ca, crt, key = services.ensure_ca(paths)
    log = log_path(paths)
    relay = services.spawn(REGISTRY_NS, [sys.executable, str(SCRIPT), REGISTRY_IP, "443", str(crt), str(key),
                                         *map(str, services.BEHIND_ADDR), str(every)], log)
    ledger.data["services"]["registry"] = relay.to_json()
    faults._record(ledger, KIND, every=every)  # saves the ledger: both processes are known before the wait
    services.wait_port(relay, REGISTRY_IP, 443, "the registry's intermittent front", log)


def off(paths: Paths) -> bool:
    """Undo this fault alone (the others stay in force); False when it was not in force."""
    from . import faults
    ledger = faults._ledger(paths)
    mine = [f for f in ledger.data.get("faults", []) if owns(f["kind"])]
    for f in mine:
        undo(paths, ledger, f)
    ledger.set("faults", [f for f in ledger.data.get("faults", []) if not owns(f["kind"])])
    return bool(mine)


def undo(paths: Paths, ledger: Ledger, f: dict) -> None:
    """Stop the relay and the registry behind it; the registry serves on its own address again."""
    Proc.from_json(ledger.data["services"]["registry"]).stop(10)
    backend = ledger.data["services"].pop(BACKEND, None)
    if backend:
        Proc.from_json(backend).stop(10)
    ledger.data["services"]["registry"] = services.start_registry(paths).to_json()
    ledger.save()


@dataclass(frozen=True)
class Answer:
    """One request the relay logged: ``source`` address, ``method``, ``path``, ``status`` it answered, ``n`` its
    number among that source's counted requests (0: not counted)."""

    source: str
    method: str
    path: str
    status: int
    n: int


def answers(paths: Paths, source: str = "") -> list[Answer]:
    """What the relay answered, oldest first (only ``source``'s requests when given)."""
    out = []
    try:
        text = log_path(paths).read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[3].isdigit() and parts[4].startswith("n="):
            a = Answer(parts[0], parts[1], parts[2], int(parts[3]), int(parts[4][2:]))
            if not source or a.source == source:
                out.append(a)
    return out
