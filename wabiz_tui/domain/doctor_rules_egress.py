"""``doctor`` rules for the way out of the cluster and the business's own servers: the field reports FR11 (443 closed
outbound), FR12 (idle connections cut), FR13 (egress only through a proxy), FR18 (webhook on an internal CA), FR26
(Webapp saturated) and FR28 (media link the Coreapp cannot fetch in time) of ``docs/field-reports.md``. Added to
:data:`.doctor_rules.RULES` as :data:`EGRESS_RULES` (how a rule is written: :mod:`.doctor`). The probes that make
these facts are in ``workflows/doctor/egress.py``; the lab reproduces each fault (``wabiz_tui.lab.egress``).

What the client needs outbound (Meta, "Set Up and Debug Your Network",
https://developers.facebook.com/docs/whatsapp/guides/network-requirements): ports 5222 (chatd, default) and 443
(HTTPS, fallback for chat, and needed "at the minimum for application registration and restarts"); 443 open with
5222 closed works, 5222 open with 443 closed does not; one long-lived TCP connection that nothing on the path may end.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .doctor import HIGH, LOW, MEDIUM, P_CONTAINER, Clear, Fact, Facts, Found, Rule
from .doctor_rules_base import Outcome, hosts_of as _hosts, names_of as _names
from .doctor_rules_path import NOT_RUNNING, steadily_running

# --- probe keys and the data each one carries --------------------------------------------------------------
#: a TCP connection to a WhatsApp server from ``host``. data: {"target", "port", "via": "host"|"container"|"proxy",
#: "proxy" (masked URL, via proxy only), "status" (the proxy's HTTP status, via proxy only), "timeout": bool}
P_EGRESS = "egress"
#: the proxy settings the client will use on ``host``. data: {"source": "container"|"db.env", "names": [...],
#: "url" (credentials masked), "host", "port"}
P_PROXY = "egress.proxy"
#: a connection to the chat port left idle, then used. data: {"target", "port", "idle_s", "survived": bool}
P_IDLE = "egress.idle"
#: the webhook URL fetched over TLS from ``host``. data: {"url", "problem": "untrusted"|"refused"|"timeout"|
#: "http"|"", "code": int, "seconds": float}
P_WEBHOOK = "webhook"
#: a business URL (media link) fetched from ``host``. data: {"url", "code": int, "seconds": float, "limit": float,
#: "problem": "slow"|"refused"|"unresolved"|"http"|""}
P_URL = "url"
#: one container's CPU and memory (``docker stats --no-stream``). data: {"service", "container", "cpu_pct",
#: "cpu_budget_pct", "mem_pct", "mem_usage"}
P_RESOURCES = "resources"

CHAT_PORT, HTTPS_PORT = 5222, 443
#: Share of its CPU budget (its ``--cpus``/quota, else every CPU of the host) or of its memory limit above which a
#: container counts as saturated.
SATURATED_PCT = 90.0
META_NET = "https://developers.facebook.com/docs/whatsapp/guides/network-requirements"
META_WEBHOOK_CA = "https://developers.secure.facebook.com/docs/whatsapp/api/certificates/webhooks"
_UNTRUSTED = re.compile(r"certificate|SSL|x509|issuer", re.I)


def saturated(cpu_pct: float, budget_pct: float, mem_pct: float) -> bool:
    """Whether a container uses :data:`SATURATED_PCT` of its CPU budget (``docker stats`` percent, 100 = one CPU;
    0 = unknown) or of its memory limit."""
    return (budget_pct > 0 and cpu_pct >= SATURATED_PCT / 100 * budget_pct) or mem_pct >= SATURATED_PCT


def _by_host_port(facts: list[Fact]) -> dict[str, dict[int, list[Fact]]]:
    out: dict[str, dict[int, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    for f in facts:
        if f.ok is not None:
            out[f.host][int(f.get("port", 0))].append(f)
    return out


def _works(group: list[Fact]) -> bool:
    return any(f.ok for f in group)


def egress_blocked(facts: Facts) -> Outcome:
    """FR11/FR13: from each host, the direct connections to WhatsApp's servers on 443 and 5222, and those through the
    proxy the client is given. 443 closed while 5222 answers is a cause (registration and restarts need 443); both
    closed with no working proxy is a cause; both closed with a working proxy is ruled out ("egress works through
    the proxy"), since a direct check failing there is not a fault (WADebug issue #5)."""
    direct = _by_host_port(facts.where(P_EGRESS, via="host"))
    proxied = _by_host_port(facts.where(P_EGRESS, via="proxy"))
    cleared: list[Fact] = []
    for host, ports in direct.items():
        https, chat = ports.get(HTTPS_PORT, []), ports.get(CHAT_PORT, [])
        through = proxied.get(host, {})
        proxy_ok = [f for g in through.values() for f in g if f.ok]
        if https and not _works(https) and proxy_ok and any(f.get("port") == HTTPS_PORT for f in proxy_ok):
            cleared += [https[0], proxy_ok[0]]
            continue
        if https and not _works(https) and chat and _works(chat):
            bad, good = https[0], next(f for f in chat if f.ok)
            yield Found(f"port 443 is closed outbound from {host} while 5222 answers: registration and restarts "
                        "will fail", (bad, good),
                        f"open outbound TCP 443 from {host} to WhatsApp's servers on the firewall (Meta: 5222 open "
                        "with 443 closed does not work; open both, allow all outgoing traffic)", HIGH, (host,))
        elif https and chat and not _works(https) and not _works(chat):
            failed = [f for g in through.values() for f in g if not f.ok]
            words = f"; through the proxy: {failed[0].line}" if failed else ""
            yield Found(f"{host} cannot reach WhatsApp's servers on 443 nor 5222{words}",
                        (https[0], chat[0], *failed[:1]),
                        f"allow outbound TCP 443 and 5222 from {host} (or give the containers HTTPS_PROXY for a proxy "
                        "that tunnels to them), then restart the Coreapp", HIGH, (host,))
        elif chat and not _works(chat) and https and _works(https):
            yield Found(f"port 5222 is closed outbound from {host}: the client falls back to 443", (chat[0],),
                        f"open outbound TCP 5222 from {host} as Meta recommends (443 alone works, 5222 is the "
                        "default chat port)", LOW, (host,))
        else:
            cleared += [f for g in ports.values() for f in g[:1] if f.ok]
    if cleared:
        via = " through the proxy" if any(f.get("via") == "proxy" for f in cleared) else ""
        yield Clear(f"WhatsApp's servers answer{via} from {_names(_hosts(cleared))}", tuple(cleared[:4]))


def container_egress_blocked(facts: Facts) -> Outcome:
    """FR11 seen from inside: the Coreapp container cannot reach a WhatsApp port that its host reaches (the host's
    FORWARD/DOCKER-USER rules or Docker's NAT stop the containers only)."""
    host_ok = {(f.host, f.get("port")) for f in facts.good(P_EGRESS, via="host")}
    for f in facts.bad(P_EGRESS, via="container"):
        if any(w in f.line for w in NOT_RUNNING):
            continue  # docker exec into a restarting container: nothing was probed (a collector says "not checked")
        if any(not steadily_running(c) for c in facts.where(P_CONTAINER, host=f.host) if c.get("service") == "wacore"):
            continue  # a crash-looping Coreapp caught running dies under the probe: CONTAINER_DOWN says it
        if (f.host, f.get("port")) in host_ok:
            witness = next(w for w in facts.good(P_EGRESS, via="host")
                           if w.host == f.host and w.get("port") == f.get("port"))
            yield Found(f"the Coreapp container on {f.host} cannot reach {f.get('target')}:{f.get('port')} while the "
                        "host itself can", (f, witness),
                        f"check {f.host}'s firewall rules for containers (iptables FORWARD and DOCKER-USER chains) and "
                        "Docker's NAT (MASQUERADE); the client connects from the container", HIGH, (f.host,))


def proxy_refuses(facts: Facts) -> Outcome:
    """FR13: the proxy the client is given does not tunnel to WhatsApp (its answer to CONNECT, or no answer)."""
    bad = [f for f in facts.bad(P_EGRESS, via="proxy")]
    for host in _hosts(bad):
        mine = [f for f in bad if f.host == host]
        settings = facts.where(P_PROXY, host=host)
        yield Found(f"the proxy {mine[0].get('proxy')} given to the containers on {host} does not tunnel to "
                    f"WhatsApp: {mine[0].line}", tuple(mine[:2]) + tuple(settings[:1]),
                    "allow CONNECT to WhatsApp's servers on 443 and 5222 on the proxy (chatd is not TLS: the proxy "
                    "must tunnel it, not inspect it), or fix HTTPS_PROXY in db.env/the compose file", HIGH, (host,))


def idle_cut(facts: Facts) -> Outcome:
    """FR12: a connection to the chat port, left idle, no longer carries data: something on the path forgot it."""
    bad = facts.bad(P_IDLE)
    for f in bad:
        yield Found(f"an idle connection from {f.host} to {f.get('target')}:{f.get('port')} is cut within "
                    f"{f.get('idle_s')} s by the network path", (f,),
                    f"raise the idle (session) timeout of the NAT/firewall between {f.host} and WhatsApp well above "
                    "the client's keepalive, or exempt WhatsApp's servers from it (Meta: nothing may end the "
                    "long-lived TCP connection)", HIGH, (f.host,))
    good = facts.good(P_IDLE)
    if good and not bad:
        yield Clear(f"an idle chat connection survives {good[0].get('idle_s')} s from {_names(_hosts(good))} "
                    "(longer idle timeouts show as gateway_status flapping in the monitor)", tuple(good[:3]))


def webhook_unreachable(facts: Facts) -> Outcome:
    """FR18: the webhook URL's certificate is not trusted from the hosts (an internal CA), or the URL does not
    answer."""
    bad = facts.bad(P_WEBHOOK)
    untrusted = [f for f in bad if f.get("problem") == "untrusted"]
    if untrusted:
        url = untrusted[0].get("url")
        yield Found(f"the webhook {url} has a certificate {_names(_hosts(untrusted))} do(es) not trust (internal CA?)",
                    tuple(untrusted[:3]),
                    "upload the webhook's CA certificate (POST /v1/certificates/webhooks/ca), then restart every "
                    "Coreapp: the CA takes effect only after the restart; or serve the webhook with a publicly "
                    "trusted certificate", HIGH, _hosts(untrusted))
    other = [f for f in bad if f.get("problem") != "untrusted"]
    for host in _hosts(other):
        f = next(x for x in other if x.host == host)
        yield Found(f"the webhook {f.get('url')} does not answer from {host}: {f.line}", (f,),
                    "check that the webhook server is up and reachable from the Coreapp hosts (DNS, firewall), and "
                    "that it returns 200 quickly", HIGH, (host,))
    good = facts.good(P_WEBHOOK)
    if good and not bad:
        yield Clear(f"the webhook answers over trusted TLS from {_names(_hosts(good))}", tuple(good[:3]))


def url_unfetchable(facts: Facts) -> Outcome:
    """FR28: a business URL (a media link) the Coreapp hosts cannot fetch, or fetch only after the time limit."""
    bad = facts.bad(P_URL)
    for url in dict.fromkeys(str(f.get("url")) for f in bad):
        mine = [f for f in bad if f.get("url") == url]
        slow = [f for f in mine if f.get("problem") == "slow"]
        if slow:
            title = (f"the media link {url} does not answer within {slow[0].get('limit'):g} s from "
                     f"{_names(_hosts(slow))}: the Coreapp's download gives up first")
            action = ("serve the media faster (the business server logs these as 499, client closed), or upload it "
                      "first (POST /v1/media) and send it by id")
        else:
            title = f"the media link {url} cannot be fetched from {_names(_hosts(mine))}: {mine[0].line}"
            action = "make the URL reachable from every Coreapp host (DNS, firewall, proxy), or upload the media first"
        yield Found(title, tuple(mine[:3]), action, HIGH, _hosts(mine))
    good = facts.good(P_URL)
    if good and not bad:
        yield Clear(f"the URL(s) answer in time from {_names(_hosts(good))}", tuple(good[:3]))


def webapp_saturated(facts: Facts) -> Outcome:
    """FR26: a Webapp container using its whole CPU budget or memory limit (the sample of ``docker stats``); the
    Coreapps on the same host are named, since sharing a node with the Webapp was the reporter's risk."""
    samples = facts.where(P_RESOURCES)
    for f in samples:
        if f.get("service") != "waweb":
            continue
        cpu, budget = float(f.get("cpu_pct", 0)), float(f.get("cpu_budget_pct", 0) or 0)
        mem = float(f.get("mem_pct", 0))
        if not saturated(cpu, budget, mem):
            continue
        hot_cpu = saturated(cpu, budget, 0.0)
        what = (f"CPU {cpu:.0f}% of a {budget:.0f}% budget" if hot_cpu else f"memory {mem:.0f}% of its limit")
        peers = [p for p in samples if p.host == f.host and p.get("service") in ("wacore", "master")]
        shared = f"; it shares {f.host} with " + ", ".join(f"{p.get('service')} (CPU {float(p.get('cpu_pct', 0)):.0f}%)"
                                                         for p in peers) if peers else ""
        yield Found(f"the Webapp on {f.host} is saturated: {what}{shared}", (f, *peers[:2]),
                    "add Webapps behind the load balancer (the seed: at least 2 for 100-150 msg/s) or raise the "
                    "Webapp's CPU/memory limit; keep Coreapps off the Webapp's host", MEDIUM, (f.host,))


_FR = "https://github.com/WhatsApp/"

#: The egress rules, appended to :data:`.doctor_rules.RULES`.
EGRESS_RULES: tuple[Rule, ...] = (
    Rule("EGRESS_BLOCKED", "the hosts reach WhatsApp's servers on 443 and 5222", f"FR11: {META_NET}", egress_blocked),
    Rule("EGRESS_CONTAINER_BLOCKED", "the Coreapp containers reach WhatsApp like their hosts",
         f"FR11: {META_NET}; WhatsApp/WADebug check_network.py (nc -z from the Coreapp container)",
         container_egress_blocked),
    Rule("EGRESS_PROXY_REFUSES", "the proxy tunnels to WhatsApp",
         f"FR13: {_FR}WADebug/issues/5; {META_NET}", proxy_refuses, frozenset({"EGRESS_BLOCKED"})),
    Rule("EGRESS_IDLE_CUT", "idle chat connections survive the path", f"FR12: {META_NET}", idle_cut),
    Rule("WEBHOOK_UNTRUSTED", "the webhook answers over trusted TLS", f"FR18: {META_WEBHOOK_CA}", webhook_unreachable),
    Rule("MEDIA_LINK_UNFETCHABLE", "business URLs answer in time",
         f"FR28: {_FR}WhatsApp-Business-API-Setup-Scripts/issues/110", url_unfetchable),
    Rule("WEBAPP_SATURATED", "the Webapps have CPU and memory to spare",
         f"FR26: {_FR}WhatsApp-Business-API-Setup-Scripts/issues/12", webapp_saturated),
)
