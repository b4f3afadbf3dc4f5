"""``doctor`` rules for the network, compose, container and DNS layers (issue 16; ``docs/field-reports.md`` FR06,
FR15, FR24, FR30, FR40, FR43, FR44), appended to :data:`.doctor_rules.RULES` as :data:`NET_RULES` (how a rule is
written: :mod:`.doctor`). The evidence lines quoted here were observed on the lab of real parts
(``tests/lab/test_47_doctor_net.py``) or by running the real program here, as each docstring says.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Iterable, Mapping

from .doctor import (HIGH, MEDIUM, P_COMPOSE_SHAPE, P_CONTAINER, P_DNS, P_DNS_CONTAINER, P_DOCKER, P_LOGS,
                     P_PLATFORM, P_PORT_HOLDER, P_REGISTRY_TRIES, P_RESOLV, P_TCP, P_COMPOSE, Clear, Fact, Facts, Found, Rule)
from .doctor_rules_base import API_KEYS, Outcome, hosts_of as _hosts, names_of as _names
from .doctor_rules_path import P_CONTAINER_TCP, how_failed, node_errors


_CLUSTER = ("webapp", "master", "coreapp")


# --- one port between two hosts ---------------------------------------------------------------------------
def _how(f: Fact) -> str:
    return how_failed(f.line, bool(f.get("timeout")))


def _ports(facts: Iterable[Fact]) -> str:
    return ", ".join(str(f.get("port")) for f in facts)


def port_blocked(facts: Facts) -> Outcome:
    """Some cluster ports of a host do not answer from another host while its other ports do (from that same host):
    not a dead host nor a dead container, a filter on those ports between them. A port that answers from a third host
    proves the filter is on the path from this one; a port that times out from every host while the same target's
    other ports answer is a firewall on the target dropping it. ``timed out`` (packets dropped: iptables ``DROP``)
    and ``refused`` (a ``REJECT`` rule, or nothing listens) are said apart: observed on the lab with
    ``iptables -t raw -I PREROUTING -s <src> -p tcp --dport 6251 -j DROP`` (``no answer within 3 s``) and
    ``iptables -I OUTPUT -d <dst> -p tcp --dport 6251 -j REJECT --reject-with tcp-reset`` (``Connection refused``)."""
    pairs: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    by_port: dict[tuple[str, int], list[Fact]] = defaultdict(list)
    for f in facts.where(P_TCP):
        if f.get("what") in _CLUSTER and f.ok is not None:
            pairs[(f.host, str(f.get("target")))].append(f)
            by_port[(str(f.get("target")), int(f.get("port", 0)))].append(f)
    named: set[tuple[str, int]] = set()
    for (source, target), group in pairs.items():
        good = [f for f in group if f.ok]
        # a port that fails from every host that probes it is the target's (its firewall, or nothing listens)
        bad = [f for f in group if f.ok is False and (
            not [w for w in by_port[(target, int(f.get("port", 0)))] if w.host != source]
            or any(w.ok for w in by_port[(target, int(f.get("port", 0)))] if w.host != source))]
        if not bad:
            continue
        if not good:
            reverse = pairs.get((target, source), [])
            if not reverse or not any(f.ok for f in reverse):
                continue  # the whole path is cut (HOST_PATH_BLOCKED) or the target is down (NOTHING_LISTENS)
        witnesses: dict[int, Fact] = {}
        for f in bad:
            for w in by_port[(target, int(f.get("port", 0)))]:
                if w.host != source and w.ok:
                    witnesses.setdefault(int(f.get("port", 0)), w)
        if not good and not witnesses:
            continue  # every port of the target fails from everywhere but the way back works: the target is down
        hows = {_how(f) for f in bad}
        how = hows.pop() if len(hows) == 1 else "refused or timed out"
        where = f"{target}:{bad[0].get('port')}" if len(bad) == 1 else f"{target} ports {_ports(bad)}"
        if good:
            title = f"{source} cannot reach {where} ({how}); the other ports answer ({_ports(good)})"
        else:
            title = f"{source} cannot reach any port of {target} ({how}) although {target} reaches {source}"
        seen = [w for w in witnesses.values()][:1]
        if seen:
            title += f" and it answers from {seen[0].host}"
        kind = ("a firewall rule between them drops the packets" if how == "timed out" else
                "a firewall rule between them rejects the connection" if how in ("refused", "rejected (no route to host)")
                else "firewall rules between them")
        title += f" — {kind}"
        evidence = tuple(bad[:4]) + tuple(good[:1]) + tuple(seen)
        ports = _ports(bad)
        yield Found(title, evidence,
                    f"open TCP {ports} from {source} to {target}: list the rules on both hosts (sudo iptables -S; "
                    f"sudo iptables -t raw -S; nft list ruleset) and cloud security groups; every node must reach "
                    "every other node's published ports (they advertise them to each other through the DB)", HIGH,
                    (source, target))
        named.update((target, int(f.get("port", 0))) for f in bad)
    for (target, port), group in by_port.items():
        if (target, port) in named or len(group) < 2 or any(f.ok for f in group):
            continue
        others = [f for (t, p), g in by_port.items() if t == target and p != port for f in g if f.ok]
        if others and all(f.get("timeout") for f in group):
            yield Found(f"{target}:{port} times out from every host ({_names(_hosts(group))}) while {target}'s other "
                        f"ports answer — a firewall on {target} drops port {port}", tuple(group[:2]) + (others[0],),
                        f"open TCP {port} on {target}'s firewall (sudo iptables -S; nft list ruleset; security groups)",
                        HIGH, (target,))
    probed = [f for g in pairs.values() for f in g]
    inside = facts.where(P_CONTAINER_TCP)
    if probed and all(f.ok for f in probed) and not node_errors(facts) and all(f.ok for f in inside):
        directions = len({(f.host, f.get("target")) for f in probed})
        paths = (f"; from inside {len(inside)} container(s) too" if inside else
                 "; the containers' path (FORWARD/DOCKER-USER) was not probed: nothing pointed there")
        yield Clear(f"every cluster port probed answers from the hosts' own network ({len(probed)} probes over "
                    f"{directions} host-to-host directions: the host path{paths})", tuple(probed[:4]))


# --- host ports taken (FR30) ------------------------------------------------------------------------------
#: dockerd's words when a published port cannot be bound: another container holds it (``Bind for 0.0.0.0:9090
#: failed: port is already allocated``, moby#32318) or another process (observed on the lab, dockerd 20.10:
#: ``Error starting userland proxy: listen tcp4 0.0.0.0:9090: bind: address already in use``).
PORT_TAKEN_WORDS = re.compile(r"Bind for [^ ]*:(\d+) failed: port is already allocated"
                              r"|listen tcp[46]? [^ ]*:(\d+): bind: address already in use")


def taken_port(text: str) -> int | None:
    """The host port named by dockerd's "port taken" words in ``text`` (a container's ``State.Error`` or a compose
    step's output), or None."""
    m = PORT_TAKEN_WORDS.search(text or "")
    return int(m.group(1) or m.group(2)) if m else None


def port_taken(facts: Facts) -> Outcome:
    """FR30: a container could not start because its published host port is held by another container or process;
    the holder (``ss -ltn`` / ``docker ps --filter publish=``) is the evidence."""
    for f in facts.where(P_CONTAINER):
        port = taken_port(str(f.get("state_error") or ""))
        if port is None:
            continue
        holders = facts.where(P_PORT_HOLDER, host=f.host, port=port)
        who = next((str(h.get("holder")) for h in holders if h.get("holder")), "")
        by = f" by {who}" if who else ""
        yield Found(f"{f.get('service')} on {f.host} cannot start: host port {port} is already taken{by}",
                    (f, *holders[:2]),
                    f"stop what holds port {port} on {f.host} (sudo ss -ltnp 'sport = :{port}'; docker ps --filter "
                    f"publish={port}) or publish the service on a free port (EXTERNAL_*_PORT), then start it again",
                    HIGH, (f.host,))


# --- the compose file as the host's compose reads it (FR24, FR15) -------------------------------------------
def _port_targets(ports: Iterable[str]) -> set[str]:
    return {p.rsplit(":", 1)[-1].split("/")[0] for p in ports}


def webapp_443_unpublished(facts: Facts) -> Outcome:
    """FR24: the Webapp's container port 443 is not published to the host (WADebug's check_webapp_port: "Port 443
    inside the webapp container needs to be mapped to host"): the API is unreachable although ``waweb`` runs."""
    for f in facts.where(P_COMPOSE_SHAPE, service="waweb"):
        ports = [str(p) for p in f.get("ports") or []]
        if "443" in _port_targets(ports):
            continue
        bindings = [c for c in facts.where(P_CONTAINER, host=f.host, service="waweb") if c.get("published") is not None]
        yield Found(f"waweb on {f.host} does not publish its container port 443 ("
                    + (f"ports {', '.join(ports)}" if ports else "no ports") + ")", (f, *bindings[:1]),
                    f"publish 443 in the compose file on {f.host} (ports: - ${{EXTERNAL_WEBAPP_PORT:-9090}}:443): upload "
                    "the profile's compose file again (wabiz-tui install), then recreate waweb", HIGH, (f.host,))


def compose_edited(facts: Facts) -> Outcome:
    """FR15: a service of the host's compose differs from what the profile renders in the keys that make a cluster
    reachable (published ports, ``network_mode``): a hand edit. Ports as ``docker-compose config`` prints them."""
    for f in facts.where(P_COMPOSE_SHAPE):
        diffs = shape_differences(f.data)
        if diffs:
            yield Found(f"the compose file on {f.host} is not what the profile renders: {f.get('service')} "
                        f"{'; '.join(diffs)}", (f,),
                        f"a hand edit of the compose file, or EXTERNAL_*_PORT set in a .env beside it on {f.host}: "
                        "upload the profile's compose file again (wabiz-tui install re-checks the files) and remove the "
                        "override, then recreate the service", MEDIUM, (f.host,))
    shapes = facts.where(P_COMPOSE_SHAPE)
    if shapes and not any(shape_differences(f.data) for f in shapes):
        yield Clear(f"the compose services are as the profile renders them ({len(shapes)})", tuple(shapes[:4]))


def shape_differences(data: Mapping[str, Any]) -> list[str]:
    """What differs between a compose-shape fact's ``ports``/``network_mode`` and its ``expected_*`` (words)."""
    out = []
    ports, expected = sorted(str(p) for p in data.get("ports") or []), sorted(str(p) for p in data.get("expected_ports") or [])
    if data.get("expected_ports") is not None and ports != expected:
        out.append(f"publishes {', '.join(ports) or 'no port'} instead of {', '.join(expected)}")
    mode = data.get("network_mode") or ""
    if mode != (data.get("expected_network_mode") or ""):
        out.append(f"network_mode {mode or '(default)'} instead of {data.get('expected_network_mode') or '(default)'}")
    return out


# --- compose v1 on a newer engine (FR40) ------------------------------------------------------------------
def _major(version: str) -> int:
    head = str(version).split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def compose_v1_on_new_engine(facts: Facts) -> Outcome:
    """FR40: docker-compose 1.x cannot recreate containers on Docker Engine 25 or later (compose#11693: ``ERROR: for
    waweb  'ContainerConfig'`` / ``KeyError: 'ContainerConfig'``): the engine stopped returning the field compose v1
    reads. First creation works; the next ``up`` after a pull or an upgrade fails."""
    for f in facts.good(P_COMPOSE):
        if f.get("flavour") != "docker-compose":
            continue
        engine = next((d for d in facts.good(P_DOCKER, host=f.host) if d.get("version")), None)
        if engine is not None and _major(str(engine.get("version"))) >= 25:
            yield Found(f"{f.host} drives Docker Engine {engine.get('version')} with docker-compose v1: it cannot "
                        "recreate containers there (KeyError: 'ContainerConfig')", (engine, f),
                        f"install the compose plugin (docker compose v2) on {f.host}, or keep Docker Engine below 25; "
                        "remove the renamed '<id>_<name>' containers a failed recreate leaves (docker ps -a)",
                        HIGH, (f.host,))


# --- logs: the Webapp's web-DB creation race (FR06) ---------------------------------------------------------
#: The Webapp's start-up words when another Webapp created the web DB first (Setup-Scripts#15): ``SQLSTATE[HY000]:
#: General error: 1007 Can't create database '<prefix>_waweb'; database exists``; MariaDB 10.11 here says
#: ``ERROR 1007 (HY000) at line 1: Can't create database 'fr06'; database exists`` for the same race.
WEBDB_RACE = re.compile(r"\b1007\b.*database exists|Failed to create web db", re.I)


def webdb_race(facts: Facts) -> Outcome:
    """FR06: a Webapp failed at start because another one created the web database at the same moment."""
    for f in facts.where(P_LOGS, key="WEBDB_CREATE_RACE"):
        yield Found(f"waweb on {f.host} lost the race to create the web database (another Webapp made it first)", (f,),
                    f"restart waweb on {f.host} once (it finds the database); start Webapps one after the other",
                    HIGH, (f.host,))


# --- container DNS (FR43, FR44) ----------------------------------------------------------------------------
_LOOPBACK = re.compile(r"^127\.|^::1$")


def container_resolver(facts: Facts) -> Outcome:
    """FR43/FR44: a container does not resolve names its host resolves (or its lookups time out), and the host's
    resolver is on loopback (systemd-resolved's 127.0.0.53): Docker cannot hand a loopback server to a container, so
    it gives it public DNS (moby#38243; observed on the lab, dockerd 20.10, default bridge: ``nameserver 8.8.8.8`` /
    ``nameserver 8.8.4.4``, and ``getent hosts`` failing after 10.4 s offline), which does not know internal names.
    With no host resolv.conf: before Docker 28 public DNS as well (moby#41859), from 28 nothing (moby#49665, #47602).
    One cause per host."""
    failed: dict[str, list[Fact]] = defaultdict(list)
    for f in facts.bad(P_DNS_CONTAINER) + [f for f in facts.where(P_DNS_CONTAINER, ok=None) if f.get("timeout")]:
        if facts.good(P_DNS, host=f.host, name=f.get("name")):
            failed[f.host].append(f)
    for host, group in failed.items():
        names = ", ".join(dict.fromkeys(str(f.get("name")) for f in group))
        host_conf = next(iter(facts.where(P_RESOLV, host=host, where="host")), None)
        inside = next(iter(facts.where(P_RESOLV, host=host, where="container")), None)
        servers = [str(s) for s in (host_conf.get("nameservers") if host_conf else []) or []]
        engine = next((str(d.get("version")) for d in facts.good(P_DOCKER, host=host) if d.get("version")), "")
        evidence = tuple(group[:2]) + tuple(x for x in (host_conf, inside) if x is not None)
        if host_conf is not None and host_conf.ok is False and not servers and engine:
            why = ("no longer falls back to public DNS" if _major(engine) >= 28 else
                   "falls back to public DNS (8.8.8.8, 8.8.4.4), which does not know internal names")
            yield Found(f"containers on {host} cannot resolve {names}: the host has no /etc/resolv.conf and Docker "
                        f"{engine} {why}", evidence,
                        f"give {host} a resolver configuration (/etc/resolv.conf) or dockerd \"dns\": [...] in "
                        "/etc/docker/daemon.json; restart docker, then recreate the containers", HIGH, (host,))
        elif servers and all(_LOOPBACK.match(s) for s in servers):
            got = ", ".join(inside.get("nameservers") or []) if inside else ""
            yield Found(f"containers on {host} cannot resolve {names}: the host's resolver is on loopback "
                        f"({', '.join(servers)}), which containers cannot use"
                        + (f"; they were given {got}" if got else "; they were given no nameserver"), evidence,
                        f"give dockerd the real upstream DNS on {host}: \"dns\": [...] in /etc/docker/daemon.json "
                        "(resolvectl status lists them) or point /etc/resolv.conf at /run/systemd/resolve/resolv.conf; "
                        "restart docker, then recreate the containers", HIGH, (host,))


# --- parsing what the collectors read ---------------------------------------------------------------------
_DEFAULT = re.compile(r"\$\{[A-Za-z0-9_]+:?-([^}]*)\}")


def _port_item(item: Any) -> str | None:
    """One ``ports`` entry as ``published:target`` (``/udp`` kept). docker-compose 1.29.2 ``config`` prints
    ``{published: 9090, target: 443}`` (observed here); compose v2 prints ``published: "9090"``, ``protocol: tcp``;
    a file holds ``"9090:443"`` or ``"127.0.0.1:9090:443"``."""
    if isinstance(item, Mapping):
        target = item.get("target")
        if target is None:
            return None
        proto = "" if item.get("protocol", "tcp") in ("tcp", None) else f"/{item.get('protocol')}"
        return f"{item.get('published', '')}:{target}{proto}"
    text = _DEFAULT.sub(lambda m: m.group(1), str(item))
    parts = text.split(":")
    return f"{parts[-2] if len(parts) > 1 else ''}:{parts[-1]}"


def compose_shapes(document: Any) -> dict[str, dict[str, Any]]:
    """Per service of a compose document (``docker-compose config``'s YAML loaded, or :func:`.render.compose_document`
    with ``${VAR:-default}`` read as the default): ``{"ports": ["9090:443", ...], "network_mode": str}``. Anything
    that is not a compose mapping gives ``{}``."""
    services = document.get("services") if isinstance(document, Mapping) else None
    if not isinstance(services, Mapping):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, body in services.items():
        body = body if isinstance(body, Mapping) else {}
        ports = [p for p in (_port_item(i) for i in body.get("ports") or []) if p]
        out[str(name)] = {"ports": ports, "network_mode": str(body.get("network_mode") or "")}
    return out


def nameservers(lines: Iterable[str]) -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf, in order."""
    return [p[1] for p in (l.split() for l in lines) if len(p) >= 2 and p[0] == "nameserver"]


#: ``uname -m`` → the OCI platform name (the image index's ``architecture``).
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm", "s390x": "s390x",
             "ppc64le": "ppc64le", "i686": "386"}


def machine_platform(uname_m: str) -> str:
    """``linux/amd64`` for ``x86_64`` (``uname -m``), "" for an unknown machine."""
    arch = _MACHINES.get(uname_m.strip())
    return f"linux/{arch}" if arch else ""


def index_platforms(body: str) -> list[str] | None:
    """The ``os/architecture`` entries of an image index or manifest list (JSON text), or None when ``body`` is not
    one (a single-platform manifest, an error page)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("manifests"), list):
        return None
    out = []
    for m in doc["manifests"]:
        p = m.get("platform") if isinstance(m, dict) else None
        if isinstance(p, dict) and p.get("os") != "unknown":  # attestation entries are "unknown/unknown"
            out.append(f"{p.get('os')}/{p.get('architecture')}" + (f"/{p['variant']}" if p.get("variant") else ""))
    return out


def platform_missing(facts: Facts) -> Outcome:
    """FR04: the image's index offers no manifest for the host's platform (Setup-Scripts PR #76: the images are
    published for amd64 only; an Apple-silicon host pulled ``no matching manifest for linux/arm64 in the manifest
    list entries``; the lab shows the mirror case on amd64 hosts)."""
    bad = facts.bad(P_PLATFORM)
    by_arch: dict[str, list[Fact]] = defaultdict(list)
    for f in bad:
        by_arch[str(f.get("arch"))].append(f)
    for arch, group in by_arch.items():
        offered = ", ".join(group[0].get("platforms") or []) or "no platform"
        yield Found(f"{group[0].get('image')} has no {arch} image for {_names(_hosts(group))} (it offers {offered}): "
                    f"a pull fails with 'no matching manifest for {arch}'", tuple(group),
                    f"run the cluster on {offered.split(', ')[0]} hosts, or (for a test machine only) add "
                    f"platform: {offered.split(', ')[0]} to the services in the compose file so Docker pulls that "
                    "image and runs it emulated", HIGH, _hosts(group))
    good = facts.good(P_PLATFORM)
    if good and not bad:
        yield Clear(f"the image offers every host's platform ({len(good)})", tuple(good[:3]))


def registry_intermittent(facts: Facts) -> Outcome:
    """FR02: the registry refuses some of the same requests and serves others (Setup-Scripts#11: the 403 "from time
    to time" during scripted provisioning): a refusal that depends on load or on which blob host answers, not a
    policy against this host. Refused every time is FR01's case (the ``REGISTRY`` rule); this one names the count."""
    for f in facts.bad(P_REGISTRY_TRIES):
        codes = [int(c) for c in f.get("codes") or []]
        if any(200 <= c < 400 for c in codes):
            refused = sorted({c for c in codes if c == 0 or c >= 400})
            yield Found(f"the registry refuses {f.host} only sometimes ({sum(1 for c in codes if c == 0 or c >= 400)} "
                        f"of {len(codes)} attempts, HTTP {', '.join(map(str, refused))})", (f,),
                        f"retry the pull on {f.host} with a pause between attempts (docker pull again; the install "
                        "step retries); if it keeps coming back, pull on a host that gets through and docker save | "
                        "docker load", MEDIUM, (f.host,))


#: Rules of this module, appended to :data:`.doctor_rules.RULES`.
NET_RULES: tuple[Rule, ...] = (
    Rule("PORT_BLOCKED", "every cluster port answers between the hosts",
         "issue 16 'Done means' (block one port between two hosts); lab fault `port-block` (observed here)",
         port_blocked, frozenset({"NOTHING_LISTENS"}) | API_KEYS),
    Rule("PORT_TAKEN", "published host ports are free",
         "FR30: https://github.com/moby/moby/issues/32318; lab fault `port` (dockerd 20.10 observed here)", port_taken,
         frozenset({"CONTAINER_DOWN", "CONTAINER_DOWN_WITH_WORDS", "NOTHING_LISTENS"}) | API_KEYS),
    Rule("WEBAPP_443_UNPUBLISHED", "the Webapp publishes its port 443",
         "FR24: https://github.com/WhatsApp/WADebug (wadebug/wa_actions/implementations/check_webapp_port.py)",
         webapp_443_unpublished, frozenset({"COMPOSE_EDITED", "NOTHING_LISTENS"}) | API_KEYS),
    Rule("COMPOSE_EDITED", "the compose services are as the profile renders them",
         "FR15: https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/issues/34", compose_edited,
         frozenset({"NOTHING_LISTENS"}) | API_KEYS),
    Rule("COMPOSE_V1_NEW_ENGINE", "docker-compose v1 with a Docker Engine it can drive",
         "FR40: https://github.com/docker/compose/issues/11693", compose_v1_on_new_engine,
         frozenset({"CONTAINER_DOWN", "COMPOSE_REFUSED"})),
    Rule("WEBDB_CREATE_RACE", "Webapps start without racing for the web DB",
         "FR06: https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/issues/15", webdb_race,
         frozenset({"CONTAINER_DOWN", "CONTAINER_DOWN_WITH_WORDS", "LOG_WORDS"})),
    Rule("CONTAINER_RESOLVER", "containers get a resolver they can use",
         "FR43: https://github.com/moby/moby/issues/38243; FR44: https://github.com/moby/moby/issues/49665",
         container_resolver, frozenset({"CONTAINER_NAME_UNRESOLVED", "PROBE_TIMEOUT"})),
    Rule("IMAGE_PLATFORM_MISSING", "the image exists for every host's platform",
         "FR04: https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/pull/76", platform_missing,
         frozenset({"CONTAINER_DOWN", "REGISTRY"})),
    Rule("REGISTRY_INTERMITTENT", "the registry answers the same request the same way",
         "FR02: https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/issues/11", registry_intermittent,
         frozenset({"REGISTRY"})),
)
