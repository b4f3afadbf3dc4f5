"""The lab's way out: a router, a fake WhatsApp on the far side of it, an HTTP CONNECT proxy, and the business's own
web servers (webhook receiver on an internal CA, media server), with the egress faults of the field reports FR11,
FR12, FR13, FR18, FR26 and FR28 (``docs/field-reports.md``).

What the On-Premises client needs outbound (Meta, "Set Up and Debug Your Network",
https://developers.facebook.com/docs/whatsapp/guides/network-requirements, read 2026-12-05 through the search tool):
two ports, **5222** (the default, WhatsApp's own non-TLS chat protocol *chatd*) and **443** (HTTPS; the client falls
back to it when 5222 is closed, and it must be open at least for registration and restarts: "you cannot open port
5222 and not port 443"); one long-lived TCP connection that firewalls, routers and proxies must not end; proxies
that end non-TLS connections break chatd. Which hosts: Meta's own debug tool checks ``g.whatsapp.net`` (5222, else
443), ``v.whatsapp.net``, ``mmg.whatsapp.net`` and ``graph.facebook.com`` (443, else 5222) with ``nc -zv HOST PORT
-w 1`` from inside the Coreapp container (WhatsApp/WADebug ``wadebug/wa_actions/implementations/check_network.py``).
Meta documents no proxy setting of its own for the client; the operators' way is the usual ``HTTPS_PROXY`` /
``HTTP_PROXY`` / ``NO_PROXY`` variables given to the containers through compose (WhatsApp/WADebug issue #5).

| member | address | namespace | runs |
|---|---|---|---|
| router (the firewall at the edge) | 10.213.0.254 on the lab LAN, 10.213.64.1 towards WhatsApp | ``wlab-gw`` | NAT, the faults' iptables rules, the CONNECT proxy on :3128 (``proxy.lab.internal``) |
| WhatsApp (fake) | 10.213.64.10 | ``wlab-wa`` | chat echo on :5222, HTTPS on :443 for the four names above |
| business web servers | 10.213.0.40 | ``wlab-biz`` | webhook receiver ``https://hooks.lab.internal:8443`` (certificate of a second, internal CA that no host trusts), media server ``http://media.lab.internal:8080`` |

Each lab host gets one route, 10.213.64.0/24 via the router (no default route: nothing else is out there);
containers reach it through their host's NAT, as in production. The DNS names are in the lab's dnsmasq.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from . import netns, services
from .errors import LabBadArgument, LabError
from .proc import run
from .state import Ledger, Paths
from .topology import DOMAIN, LAB_NET, PREFIX, LabHost

GW_NS, WA_NS, BIZ_NS = "wlab-gw", "wlab-wa", "wlab-biz"
GW_IP, BIZ_IP = f"{PREFIX}.0.254", f"{PREFIX}.0.40"
WAN_NET, GW_WAN_IP, WA_IP = f"{PREFIX}.64.0/24", f"{PREFIX}.64.1", f"{PREFIX}.64.10"
CHAT_PORT, HTTPS_PORT, PROXY_PORT, WEBHOOK_PORT, MEDIA_PORT = 5222, 443, 3128, 8443, 8080
#: The WhatsApp hosts Meta's debug tool checks (module docstring), all answered by the fake WhatsApp.
WA_NAMES = ("g.whatsapp.net", "v.whatsapp.net", "mmg.whatsapp.net", "graph.facebook.com")
#: Domains dnsmasq must answer alone (AAAA NODATA, not REFUSED: lab-facts §6); :func:`services.start_dns` adds them.
WA_DOMAINS = ("whatsapp.net", "facebook.com")
PROXY_NAME, HOOKS_NAME, MEDIA_NAME = f"proxy.{DOMAIN}", f"hooks.{DOMAIN}", f"media.{DOMAIN}"
PROXY_URL = f"http://{PROXY_NAME}:{PROXY_PORT}"
WEBHOOK_URL = f"https://{HOOKS_NAME}:{WEBHOOK_PORT}/webhook"
MEDIA_URL = f"http://{MEDIA_NAME}:{MEDIA_PORT}/media/invoice.pdf"
COMMENT = "wabiz-egress-fault"
SERVER = Path(__file__).with_name("egress_server.py")
_KINDS = {"egress-port", "egress-idle-cut", "egress-proxy-only", "egress-media-delay", "egress-cpu"}
#: The burner process's mark in its command line (found and killed by it from this machine: no PID namespace here).
BURN_MARK = "wabiz-lab-burn"


def dns_lines() -> str:
    """Lines for the lab DNS hosts file: the WhatsApp names, the proxy and the business servers."""
    return f"{WA_IP} {' '.join(WA_NAMES)}\n{GW_IP} {PROXY_NAME}\n{BIZ_IP} {HOOKS_NAME} {MEDIA_NAME}\n"


def owns(kind: str) -> bool:
    """True if ``kind`` (a ledger fault's ``kind``) was injected by this module."""
    return kind in _KINDS


def log_path(paths: Paths, ns: str) -> Path:
    """The request log of the server in namespace ``ns`` (one line per request, :mod:`.egress_server`)."""
    return paths.run / f"egress-{ns}.log"


# ---------------------------------------------------------------- certificates

def _sign(paths: Paths, ca: str, name: str, sans: str) -> tuple[Path, Path]:
    d = paths.ca_dir
    key, crt = d / f"{name}.key", d / f"{name}.crt"
    if crt.exists() and key.exists():
        return crt, key
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", str(key),
         "-out", str(d / f"{name}.csr")])
    (d / f"{name}.ext").write_text(f"subjectAltName={sans}\n")
    run(["openssl", "x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / f"{ca}.crt"), "-CAkey",
         str(d / f"{ca}.key"), "-CAcreateserial", "-days", "3650", "-extfile", str(d / f"{name}.ext"),
         "-out", str(crt)])
    return crt, key


def internal_ca(paths: Paths) -> Path:
    """A second CA, ``wabiz lab internal CA``, trusted by no host and no container (FR18's "internal CA")."""
    ca = paths.ca_dir / "internal-ca.crt"
    if not ca.exists():
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj",
             "/CN=wabiz lab internal CA", "-keyout", str(paths.ca_dir / "internal-ca.key"), "-out", str(ca)])
    return ca


def _certs(paths: Paths) -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    services.ensure_ca(paths)
    internal_ca(paths)
    wa = _sign(paths, "ca", "whatsapp", ",".join(f"DNS:{n}" for n in WA_NAMES) + f",IP:{WA_IP}")
    hooks = _sign(paths, "internal-ca", HOOKS_NAME, f"DNS:{HOOKS_NAME},IP:{BIZ_IP}")
    return wa, hooks


# ---------------------------------------------------------------- bring-up

def _in(ns: str, *argv: str, check: bool = True):
    return run(netns.nsexec(ns) + list(argv), check=check)


def _spawn(paths: Paths, ledger: Ledger, ns: str, name: str, specs: list[str]) -> None:
    log = log_path(paths, ns)
    argv = [sys.executable, str(SERVER), str(log), str(services.dns_hosts_path(paths)), *specs]
    proc = services.spawn(ns, argv, paths.run / f"egress-{ns}.out")
    ip, port = specs[0].split(":")[1:3]
    services.wait_port(proc, ip, int(port), f"the lab's {name}", paths.run / f"egress-{ns}.out")
    ledger.data["services"][f"egress-{name}"] = proc.to_json()
    ledger.save()


def start(paths: Paths, ledger: Ledger, hosts: tuple[LabHost, ...]) -> None:
    """Make the router, the fake WhatsApp and the business servers (namespaces, veths, NAT, one route per host) and
    start their servers, recorded in ``ledger`` (``down`` removes them). Raises :class:`LabError` on failure."""
    (wa_crt, wa_key), (hooks_crt, hooks_key) = _certs(paths)
    netns.add_member(ledger, GW_NS, GW_IP, "gw")
    netns.add_member(ledger, BIZ_NS, BIZ_IP, "biz")
    netns._add_ns(ledger, WA_NS)
    run(["ip", "link", "add", "wan0", "netns", GW_NS, "type", "veth", "peer", "name", "eth0", "netns", WA_NS])
    run(["ip", "-n", GW_NS, "addr", "add", f"{GW_WAN_IP}/24", "dev", "wan0"])
    run(["ip", "-n", WA_NS, "addr", "add", f"{WA_IP}/24", "dev", "eth0"])
    for ns, dev in ((GW_NS, "wan0"), (WA_NS, "eth0")):
        run(["ip", "-n", ns, "link", "set", dev, "up"])
    _in(GW_NS, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    _in(GW_NS, "iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-o", "wan0", "-j", "MASQUERADE")
    for h in hosts:
        run(["ip", "-n", h.netns, "route", "add", WAN_NET, "via", GW_IP])
    _spawn(paths, ledger, WA_NS, "whatsapp",
           [f"chat:{WA_IP}:{CHAT_PORT}", f"https:{WA_IP}:{HTTPS_PORT}:{wa_crt}:{wa_key}"])
    _spawn(paths, ledger, GW_NS, "proxy", [f"proxy:{GW_IP}:{PROXY_PORT}"])
    _spawn(paths, ledger, BIZ_NS, "business", [f"webhook:{BIZ_IP}:{WEBHOOK_PORT}:{hooks_crt}:{hooks_key}",
                                                f"media:{BIZ_IP}:{MEDIA_PORT}"])


# ---------------------------------------------------------------- faults

def _ledger(paths: Paths) -> Ledger:
    from .faults import _ledger
    ledger = _ledger(paths)
    if "egress-proxy" not in ledger.data.get("services", {}):
        raise LabError("this lab has no egress router (it was brought up by an older wabiz-tui): `lab down`, `lab up`")
    return ledger


def _host_ip(ledger: Ledger, host: str) -> str:
    from .faults import _host
    return _host(ledger, host)["ip"]


def _record(ledger: Ledger, kind: str, **facts) -> None:
    ledger.add("faults", {"kind": kind, **facts})


def _reject(source: str | None, port: int | None) -> list[str]:
    rule = ["FORWARD"] + (["-s", source] if source else ["-s", LAB_NET]) + ["-d", WAN_NET, "-p", "tcp"]
    rule += ["--dport", str(port)] if port else []
    # what an edge firewall's reject rule sends: the client reads "No route to host" at once
    return rule + ["-m", "comment", "--comment", COMMENT, "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"]


def block_port(paths: Paths, port: int, host: str | None = None) -> None:
    """FR11: the router refuses outbound TCP ``port`` towards WhatsApp from ``host`` (every lab host when None)."""
    if port not in (CHAT_PORT, HTTPS_PORT):
        raise LabBadArgument(f"egress port {port}: the client uses {CHAT_PORT} and {HTTPS_PORT}")
    ledger = _ledger(paths)
    source = _host_ip(ledger, host) if host else None
    _in(GW_NS, "iptables", "-w", "-I", *_reject(source, port))
    _record(ledger, "egress-port", port=port, source=source)


def proxy_only(paths: Paths) -> None:
    """FR13: the router refuses every direct connection from the lab towards WhatsApp; only the proxy (it runs on
    the router itself, so its own connections leave through OUTPUT, not FORWARD) gets out."""
    ledger = _ledger(paths)
    _in(GW_NS, "iptables", "-w", "-I", *_reject(None, None))
    _record(ledger, "egress-proxy-only")


_CT = "/proc/sys/net/netfilter/nf_conntrack_tcp_"


def idle_cut(paths: Paths, seconds: int = 3) -> None:
    """FR12: the router forgets an established TCP connection idle for ``seconds`` (conntrack timeout), and drops
    the packets that then match no connection (``nf_conntrack_tcp_loose=0`` makes them INVALID): an idle chat
    connection dies silently, as behind a NAT or firewall with a short idle timeout."""
    if not 1 <= seconds <= 3600:
        raise LabBadArgument(f"idle cut {seconds} s: use 1-3600")
    ledger = _ledger(paths)
    before = {k: _in(GW_NS, "cat", _CT + k).stdout.strip() for k in ("timeout_established", "loose")}
    _set_ct(str(seconds), "0")
    _in(GW_NS, "iptables", "-w", "-I", "FORWARD", "-m", "conntrack", "--ctstate", "INVALID", "-m", "comment",
        "--comment", COMMENT, "-j", "DROP")
    _record(ledger, "egress-idle-cut", seconds=seconds, before=before)


def _set_ct(established: str, loose: str) -> None:
    _in(GW_NS, "sh", "-c", f"echo {int(established)} > {_CT}timeout_established && echo {int(loose)} > {_CT}loose")


def media_delay(paths: Paths, seconds: float) -> None:
    """FR28: the business's media server answers each GET only after ``seconds``."""
    ledger = _ledger(paths)
    Path(f"{log_path(paths, BIZ_NS)}.delay").write_text(f"{float(seconds)}\n")
    _record(ledger, "egress-media-delay", seconds=seconds)


def webapp_cpu(paths: Paths, host: str, cpus: float = 0.2) -> str:
    """FR26: the Webapp container on ``host`` limited to ``cpus`` CPUs (``docker update --cpus``, what a Kubernetes
    limit or a compose ``cpus:`` does) and kept busy by a loop inside it; returns the container id."""
    from . import faults
    from .host import DEBIAN_DOCKER
    ids = faults.in_host(paths, host, [DEBIAN_DOCKER, "ps", "-q", "--filter", "label=com.docker.compose.service=waweb"]
                         ).stdout.split()
    if not ids:
        raise LabError(f"{host}: no running Webapp container (install the cluster first)")
    faults.in_host(paths, host, [DEBIAN_DOCKER, "update", "--cpus", str(cpus), ids[0]])
    faults.in_host(paths, host, [DEBIAN_DOCKER, "exec", "-d", ids[0], "sh", "-c", "while :; do :; done", BURN_MARK])
    _record(_ledger(paths), "egress-cpu", host=host, container=ids[0])
    return ids[0]


def _kill_burners() -> None:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if BURN_MARK.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass


def undo(paths: Paths, ledger: Ledger, f: dict) -> None:
    """Undo one recorded fault of this module."""
    kind = f["kind"]
    if kind == "egress-port":
        _in(GW_NS, "iptables", "-w", "-D", *_reject(f.get("source"), f["port"]), check=False)
    elif kind == "egress-proxy-only":
        _in(GW_NS, "iptables", "-w", "-D", *_reject(None, None), check=False)
    elif kind == "egress-idle-cut":
        _in(GW_NS, "iptables", "-w", "-D", "FORWARD", "-m", "conntrack", "--ctstate", "INVALID", "-m", "comment",
            "--comment", COMMENT, "-j", "DROP", check=False)
        _set_ct(f["before"]["timeout_established"], f["before"]["loose"])
    elif kind == "egress-media-delay":
        Path(f"{log_path(paths, BIZ_NS)}.delay").unlink(missing_ok=True)
    elif kind == "egress-cpu":
        from . import faults
        from .host import DEBIAN_DOCKER
        _kill_burners()
        faults.in_host(paths, f["host"], [DEBIAN_DOCKER, "update", "--cpus", "0", f["container"]], check=False)


def requests(paths: Paths, ns: str) -> list[str]:
    """The request log lines of the server in namespace ``ns`` so far."""
    try:
        return log_path(paths, ns).read_text().splitlines()
    except OSError:
        return []

