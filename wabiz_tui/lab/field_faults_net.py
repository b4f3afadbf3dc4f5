"""Lab faults of the network layer for ``doctor`` (issue 16, "Done means": block one port between two hosts).

``block_port``: one TCP port between two lab hosts, one direction, as a firewall rule would: ``drop`` puts
``iptables -t raw -I PREROUTING -s A -p tcp --dport PORT -j DROP`` in B's namespace (B's firewall silently drops
what A sends to that port: A's connection times out; raw PREROUTING sees the packet before Docker's DNAT to the
container, as :func:`.faults.cut` does); ``reject`` puts ``iptables -I OUTPUT/FORWARD -d B -p tcp --dport PORT -j
REJECT --reject-with tcp-reset`` in A's namespace (A's own egress filter refuses: "Connection refused" at once; the
FORWARD rule catches A's containers too). Each rule carries a comment so :func:`undo` deletes exactly it.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import services
from .errors import LabBadArgument
from .netns import nsexec
from .proc import Proc, run
from .state import Ledger, Paths
from .topology import DNS_IP, REGISTRY_NAME

COMMENT = "wabiz-lab-port-block"
MODES = ("drop", "reject")
_KINDS = {"port-block", "resolver-loopback"}


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
    if f["kind"] == "resolver-loopback":
        Path(f["conf"]).write_text(f["before"])
        Proc.from_json(f["proc"]).stop(5)
        return
    for ns, table, rule in _rules(ledger, f["a"], f["b"], int(f["port"]), f["mode"]):
        run(nsexec(ns) + ["iptables", "-w", "-t", table, "-D", *rule], check=False)


# --- FR43: the host's resolver on loopback ------------------------------------------------------------------
STUB_IP = "127.0.0.53"


def resolver_loopback(paths: Paths, host: str) -> None:
    """FR43: ``host`` resolves through a local stub on 127.0.0.53 (as systemd-resolved does): a dnsmasq there
    forwards to the lab DNS, and the host's /etc/resolv.conf names only 127.0.0.53. The host still resolves; Docker
    cannot give a loopback server to a container, so a container on the default bridge gets 8.8.8.8/8.8.4.4
    (observed on the lab, dockerd 20.10), which this offline lab cannot reach. Containers started before keep their
    copy: recreate them to see it."""
    from . import faults
    ledger = faults._ledger(paths)
    h = faults._host(ledger, host)
    conf = paths.host_run(h["index"]) / "etc" / "resolv.conf"  # bind-mounted at the host's /etc/resolv.conf
    before = conf.read_text()
    proc = services.spawn(f"wlab-h{h['index']}", ["dnsmasq", "--keep-in-foreground", "--no-resolv", f"--server={DNS_IP}",
                                                  f"--listen-address={STUB_IP}", "--bind-interfaces", "--no-hosts",
                                                  "--user=root", "--pid-file="],
                          paths.run / f"stub-{host}.log")
    conf.write_text(f"nameserver {STUB_IP}\n")
    faults._record(ledger, "resolver-loopback", host=host, conf=str(conf), before=before, proc=proc.to_json())


# --- FR04: an image index without the hosts' platform -------------------------------------------------------
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def platform_only_index(paths: Paths, host: str, repo: str, source_tag: str, tag: str, arch: str = "arm64") -> str:
    """FR04 (mirrored: the lab hosts are amd64): push to the lab registry, as ``repo:tag``, an OCI image index whose
    only entry is ``source_tag``'s manifest labelled ``linux/ARCH``, so a pull on an amd64 host finds no manifest for
    its platform. Done with curl from lab host ``host`` (it trusts the registry's CA). Returns the index's JSON. Not
    recorded: the tag stays in the lab registry until ``lab down`` (nothing uses it but the test that asks)."""
    from . import faults
    base = f"https://{REGISTRY_NAME}/v2/{repo}/manifests"
    ca = "/etc/docker/certs.d/docker.whatsapp.biz/ca.crt"
    head = faults.in_host(paths, host, ["curl", "-sSI", "--cacert", ca, "-H", f"Accept: {MANIFEST}",
                                        f"{base}/{source_tag}"]).stdout
    fields = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in head.splitlines())}
    digest, size = fields.get("docker-content-digest", ""), int(fields.get("content-length", "0") or 0)
    if not digest.startswith("sha256:") or not size:
        raise LabBadArgument(f"{repo}:{source_tag}: no manifest in the lab registry (push it with lab up --versions)")
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [
        {"mediaType": MANIFEST, "digest": digest, "size": size, "platform": {"architecture": arch, "os": "linux"}}]})
    put = faults.in_host(paths, host, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, "-X", "PUT",
                                       "-H", f"Content-Type: {INDEX}", "--data-binary", index, f"{base}/{tag}"])
    if put.stdout.strip() != "201":
        raise LabBadArgument(f"the lab registry refused the index for {repo}:{tag} (HTTP {put.stdout.strip()})")
    return index

