"""Network namespaces, the bridge and the veths of the lab.

The bridge ``br0`` sits in its own namespace ``wlab-sw``: the root namespace may have ``iptables -P FORWARD DROP``
(any root dockerd sets it) with ``bridge-nf-call-iptables=1``, which would drop bridged lab frames; a fresh
namespace has empty tables with FORWARD ACCEPT (lab-facts §3). The root namespace gets one veth and one address;
no root sysctl or iptables rule is touched.
"""

from __future__ import annotations

import os
from pathlib import Path

from .proc import run
from .state import Ledger
from .topology import ADMIN_IP, ADMIN_VETH, LAB_NET, SWITCH_NS

NETNS_DIR = Path("/run/netns")
PREFIX_LEN = LAB_NET.split("/")[1]


def exists(name: str) -> bool:
    """Whether the named network namespace exists (``/run/netns/NAME``)."""
    return (NETNS_DIR / name).exists()


def link_exists(name: str) -> bool:
    """Whether a link of that name exists in the root namespace."""
    return Path("/sys/class/net", name).exists()


def _add_ns(ledger: Ledger, name: str) -> None:
    run(["ip", "netns", "add", name])
    ledger.add("netns", name)
    run(["ip", "-n", name, "link", "set", "lo", "up"])


def make_switch(ledger: Ledger) -> None:
    """Create ``wlab-sw`` with ``br0``, and the root namespace's veth ``wlab-adm`` (10.213.0.1) on it."""
    _add_ns(ledger, SWITCH_NS)
    run(["ip", "-n", SWITCH_NS, "link", "add", "br0", "type", "bridge"])
    run(["ip", "-n", SWITCH_NS, "link", "set", "br0", "up"])
    run(["ip", "link", "add", ADMIN_VETH, "type", "veth", "peer", "name", "adm", "netns", SWITCH_NS])
    ledger.add("links", ADMIN_VETH)
    run(["ip", "-n", SWITCH_NS, "link", "set", "adm", "master", "br0", "up"])
    run(["ip", "addr", "add", f"{ADMIN_IP}/{PREFIX_LEN}", "dev", ADMIN_VETH])
    run(["ip", "link", "set", ADMIN_VETH, "up"])


def add_member(ledger: Ledger, ns: str, ip: str, port: str) -> None:
    """Create namespace ``ns`` with ``eth0`` = ``ip`` plugged into ``br0`` by its peer ``port``.

    The veth pair is created straight into both namespaces (no rename or move, lab-facts §3). Lab namespaces
    have no default route: the lab is offline."""
    _add_ns(ledger, ns)
    run(["ip", "link", "add", port, "netns", SWITCH_NS, "type", "veth", "peer", "name", "eth0", "netns", ns])
    run(["ip", "-n", SWITCH_NS, "link", "set", port, "master", "br0", "up"])
    run(["ip", "-n", ns, "addr", "add", f"{ip}/{PREFIX_LEN}", "dev", "eth0"])
    run(["ip", "-n", ns, "link", "set", "eth0", "up"])


def remove(names: list[str], links: list[str]) -> list[str]:
    """Delete the namespaces and root links named (those that still exist); returns what failed, as messages."""
    problems = []
    for link in links:
        if link_exists(link):
            if run(["ip", "link", "del", link], check=False).returncode != 0:
                problems.append(f"link {link} could not be deleted")
    for name in reversed(names):
        if exists(name) and run(["ip", "netns", "del", name], check=False).returncode != 0:
            problems.append(f"netns {name} could not be deleted")
    return problems


def lab_namespaces() -> list[str]:
    """The ``wlab-*`` namespaces present now (the lab's naming; used by status and the leave-nothing test)."""
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith("wlab-"))
    except FileNotFoundError:
        return []


def nsexec(ns: str) -> list[str]:
    """Prefix running a command in namespace ``ns`` only for the network (keeps the machine's mounts and cgroups;
    ``ip netns exec`` would remount /sys and hide /sys/fs/cgroup, lab-facts §3)."""
    return ["nsenter", f"--net={NETNS_DIR / ns}"]
