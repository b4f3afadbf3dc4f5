"""Lab faults of the network layer for ``doctor`` (issue 16, "Done means": block one port between two hosts).

``block_port``: one TCP port between two lab hosts, one direction, as a firewall rule would: ``drop`` puts
``iptables -t raw -I PREROUTING -s A -p tcp --dport PORT -j DROP`` in B's namespace (B's firewall silently drops
what A sends to that port: A's connection times out; raw PREROUTING sees the packet before Docker's DNAT to the
container, as :func:`.faults.cut` does); ``reject`` puts ``iptables -I OUTPUT/FORWARD -d B -p tcp --dport PORT -j
REJECT --reject-with tcp-reset`` in A's namespace (A's own egress filter refuses: "Connection refused" at once; the
FORWARD rule catches A's containers too). Each rule carries a comment so :func:`undo` deletes exactly it.
"""

from __future__ import annotations

from .errors import LabBadArgument
from .netns import nsexec
from .proc import run
from .state import Ledger, Paths

COMMENT = "wabiz-lab-port-block"
MODES = ("drop", "reject")
_KINDS = {"port-block"}


def owns(kind: str) -> bool:
    """True if ``kind`` (a ledger fault's ``kind``) was injected by this module."""
    return kind in _KINDS


def _rules(ledger: Ledger, a: str, b: str, port: int, mode: str) -> list[tuple[str, str, list[str]]]:
    """(netns, table, rule after the chain) for the block: see the module docstring."""
    from . import faults
    ha, hb = faults._host(ledger, a), faults._host(ledger, b)
    tag = ["-m", "comment", "--comment", COMMENT]
    if mode == "drop":
        return [(f"wlab-h{hb['index']}", "raw", ["PREROUTING", "-s", ha["ip"], "-p", "tcp", "--dport", str(port), *tag,
                                                 "-j", "DROP"])]
    reject = ["-d", hb["ip"], "-p", "tcp", "--dport", str(port), *tag, "-j", "REJECT", "--reject-with", "tcp-reset"]
    return [(f"wlab-h{ha['index']}", "filter", [chain, *reject]) for chain in ("OUTPUT", "FORWARD")]


def block_port(paths: Paths, a: str, b: str, port: int, mode: str = "drop") -> None:
    """Block TCP ``port`` from lab host ``a`` to lab host ``b`` (that direction only), ``mode`` drop or reject."""
    from . import faults
    if mode not in MODES:
        raise LabBadArgument(f"port-block mode {mode!r}: use drop (the connection times out) or reject (refused)")
    if not 1 <= port <= 65535:
        raise LabBadArgument(f"port-block port {port}: use 1-65535")
    if a == b:
        raise LabBadArgument("port-block: give two different hosts")
    ledger = faults._ledger(paths)
    for ns, table, rule in _rules(ledger, a, b, port, mode):
        run(nsexec(ns) + ["iptables", "-w", "-t", table, "-I", *rule])
    faults._record(ledger, "port-block", a=a, b=b, port=port, mode=mode)


def undo(paths: Paths, ledger: Ledger, f: dict) -> None:
    """Undo one recorded fault of this module."""
    for ns, table, rule in _rules(ledger, f["a"], f["b"], int(f["port"]), f["mode"]):
        run(nsexec(ns) + ["iptables", "-w", "-t", table, "-D", *rule], check=False)
