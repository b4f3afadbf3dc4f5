"""``doctor`` rules for the Webapp API layer (issue 16 item 1: TLS, login, health, support, shards, the error envelope
decoded), for what the cluster answered to registration, and for the monitoring stack's scrape targets; appended to
:data:`.doctor_rules.RULES` as :data:`API_RULES` (how a rule is written: :mod:`.doctor`). The facts come from
``workflows/doctor/api.py`` (their ``data["kind"]`` values are listed there).

Rows whose cause is only a consequence of a broken host, container or network keep the key ``API``: the rules of
those layers list ``API`` in their ``explains``, so a Webapp that does not answer because its container is down is
folded into that cause instead of being ranked on its own. Causes that nothing on the hosts explains (the profile's
credentials, its TLS trust, the URL, the shard count, registration answers) have keys of their own.
"""

from __future__ import annotations

from collections import defaultdict

from .doctor import HIGH, LOW, MEDIUM, P_API, P_LOGS, Clear, Fact, Facts, Found, Rule
from .doctor_rules_base import API_KEYS, Outcome, hosts_of as _hosts

#: a TCP connection from ``monitoring.from_host`` to a scrape target. data: {"target", "port", "what", "timeout"}
P_SCRAPE = "scrape"

#: what the API facts of login/health carry as ``kind`` when the call failed on the way (not an HTTP answer)
_CONFIG_KINDS = frozenset({"tls", "not_tls", "dns", "config"})
_CALL_KINDS = frozenset({"http", "auth", "unreachable", "timeout"}) | _CONFIG_KINDS
_SUNSET = "2025-10-23"
_REF = "reference/wa-onprem-api.md"


def _calls(facts: Facts) -> list[Fact]:
    """Failed login/health/shards/support calls (the ``kind`` of their failure)."""
    return [f for f in facts.bad(P_API) if f.get("kind") in _CALL_KINDS]


def _is_credentials(f: Fact) -> bool:
    return bool(f.get("kind") == "auth" or f.get("status") == 401 or f.get("key") == "ADMIN_PASSWORD_CHANGE_REQUIRED")


def _is_not_api_root(f: Fact) -> bool:
    return f.get("kind") == "http" and (f.get("status") == 404 or f.get("code") == 1006) and "/v1/users/login" in f.line \
        or f.get("kind") == "http" and f.get("status") == 404 and "health" in f.command


# --- transport and answers ---------------------------------------------------------------------------------
def api_answer(facts: Facts) -> Outcome:
    """A login/health/shards/support call that failed for a reason a host layer may explain (Webapp unreachable,
    timed out, an envelope such as 1014 "is wacore running?" or 1016 "system overloaded"): named with the decoded
    envelope and the catalogue's next action. Info-level answers (1011 while starting, 1017/1018 during a
    takeover) are said, not ranked. Codes: reference/wa-onprem-api.md §3.2 and §3.3."""
    calls = [f for f in _calls(facts) if not _is_credentials(f) and f.get("kind") not in _CONFIG_KINDS
             and not _is_not_api_root(f)]
    for f in calls:
        if f.get("severity") == "info":
            yield Clear(f"the Webapp answered {f.get('title')} (information while nodes start or fail over): {f.line}", (f,))
            continue
        confidence = MEDIUM if f.get("code") else LOW
        yield Found(f"the Webapp API: {f.get('title') or f.line}", (f,),
                    str(f.get("next_action") or "see the answer above"), confidence, ())
    good = facts.good(P_API, kind="health")
    if good and not _calls(facts):
        yield Clear("the Webapp API answers (TLS, login and health)", tuple(good))


def api_credentials(facts: Facts) -> Outcome:
    """Field cases R16/R28: the Webapp refuses the profile's admin credentials (401, or 1024 "password change
    required"): a credentials problem, not an outage."""
    for f in _calls(facts):
        if not _is_credentials(f):
            continue
        if f.get("key") == "ADMIN_PASSWORD_CHANGE_REQUIRED":
            title = "the Webapp still wants its first-login password change (1024) and the profile's initial password is refused"
        else:
            title = "the Webapp refuses the profile's admin credentials (HTTP 401): credentials, not an outage"
        yield Found(title, (f,), "check webapp.admin_user and webapp.admin_password (and webapp.initial_password before "
                                 "the first login) in the profile; the cluster itself may be fine", HIGH, ())


def api_tls(facts: Facts) -> Outcome:
    """Field case R15 (plain HTTP on the port), FR16 (the Webapp's certificate not trusted by this machine), and a
    name that does not resolve: this machine's way to the Webapp, not the cluster."""
    certificate = facts.where(P_API, kind="certificate")
    for f in _calls(facts):
        if f.get("kind") not in _CONFIG_KINDS:
            continue
        key = str(f.get("key") or "")
        evidence = (f,) + tuple(certificate[:1])
        if f.get("kind") == "not_tls":
            title = "webapp.url's port answers in plain text, not TLS: it is not the Webapp's HTTPS port (or a proxy without TLS)"
        elif key == "WEBAPP_TLS_UNTRUSTED":
            seen = f" ({certificate[0].line})" if certificate else ""
            title = f"this machine does not trust the Webapp's certificate{seen}"
        else:
            title = f"the Webapp API from this machine: {f.get('title') or f.line}"
        yield Found(title, evidence, str(f.get("next_action") or "check webapp.url and webapp.ca_file"), HIGH, ())


def api_not_root(facts: Facts) -> Outcome:
    """FR14: ``webapp.url`` answers "not found" (404 / 1006) for the API's own login or health path: what answers is
    not the Webapp's API root, typically a reverse proxy routing clusters by a path prefix that it passes on."""
    for f in _calls(facts):
        if not _is_not_api_root(f):
            continue
        details = str(f.get("details") or "")
        prefix = details.split("/v1/", 1)[0].rsplit(" ", 1)[-1] if "/v1/" in details else ""
        seen = f": the Webapp was asked for {prefix}/v1/... (the prefix {prefix} reached it)" if prefix.startswith("/") else ""
        yield Found(f"webapp.url does not lead to the Webapp's API root: the login path answers not found{seen}", (f,),
                    "point webapp.url at the Webapp itself (https://HOST:9090) or at a proxy host name that maps to its "
                    "root; a proxy that routes clusters by path must strip the prefix before forwarding", HIGH, ())


def webapp_addresses(facts: Facts) -> Outcome:
    """Field case R15: the Webapp's host name resolves to several addresses and only some answer (``localhost`` ->
    ``::1`` where nothing listens, 127.0.0.1 answering): clients that use the first address only fail or hang."""
    addresses = facts.where(P_API, kind="address")
    bad, good = [f for f in addresses if f.ok is False], [f for f in addresses if f.ok]
    if bad and good:
        name = bad[0].get("name")
        dead = ", ".join(str(f.get("address")) for f in bad)
        yield Found(f"{name} resolves to {dead}, where nothing answers, as well as to {good[0].get('address')}: "
                    "clients that try only the first address (Postman, some healthchecks) fail or hang", tuple(bad) + (good[0],),
                    f"use {good[0].get('address')} instead of {name} in what those clients call (wabiz-tui tries every "
                    f"address), or publish the Webapp's port on {bad[0].get('family')} too", MEDIUM, ())
    elif good and not bad:
        yield Clear(f"every address of {good[0].get('name')} answers ({len(good)})", tuple(good))


def without_token(facts: Facts) -> Outcome:
    """Field case R16: ``GET /v1/health`` without a token answers 401. That is the API asking for credentials; with
    the login it answers: never an outage. Said (folded), never ranked."""
    for f in facts.where(P_API, kind="anonymous"):
        if f.get("status") == 401 and facts.good(P_API, kind="health"):
            yield Clear("GET /v1/health without a token answers 401 while the login works: a healthcheck or monitor "
                        "must send Authorization: Bearer TOKEN (or Apikey with WA_API_KEY); this is not an outage", (f,))


# --- health, shards, support -----------------------------------------------------------------------------------
def health_findings(facts: Facts) -> Outcome:
    """The health verdict's findings against the plan (design.md §4; field cases R17, R18): errors and warnings are
    causes (a shard unserved, two owners, no standby, a node missing), with the support endpoint's shard map as
    evidence where it says the same; info (not registered yet, 1011 while a Coreapp starts) is said, not ranked."""
    support = facts.where(P_API, kind="support")
    for f in facts.where(P_API, kind="verdict"):
        if f.ok:
            yield Clear(f"health: {f.get('title')} ({f.line}); next: {f.get('next_action')}", (f,))
            continue
        node = str(f.get("node_host") or "")
        # the Webapp's own words for each node in error (error 1014 ... connection to HOST:PORT failed: ...)
        errors = tuple(e for e in facts.where(P_API, kind="node_error") if not node or e.get("node_host") == node)
        evidence = (f,) + errors + (tuple(s for s in support if s.ok is False)
                                    if f.get("key") in ("SHARDS_UNDER_CONNECTED", "SPLIT_BRAIN") else ())
        yield Found(f"health: {f.get('title')} ({f.line})", evidence, str(f.get("next_action")),
                    MEDIUM if f.get("severity") == "error" else LOW, (node,) if node else ())


def shard_map(facts: Facts) -> Outcome:
    """``GET /v1/support``'s shard map (wa-onprem-api.md §3.8) when health says nothing of it: a shard with no owner,
    or with two."""
    said = {f.get("key") for f in facts.bad(P_API, kind="verdict")}
    for f in facts.bad(P_API, kind="support"):
        if said & {"SHARDS_UNDER_CONNECTED", "SPLIT_BRAIN"}:
            continue
        unowned, doubled = list(f.get("unowned") or ()), list(f.get("doubled") or ())
        words = "; ".join(([f"shard {', '.join(unowned)} has no owner"] if unowned else [])
                          + [f"shard {s} is owned by {' and '.join(f.get('owners', {}).get(s, []))}" for s in doubled])
        yield Found(f"the cluster's shard map: {words}", (f,),
                    "check the Coreapps (wabiz-tui health; docker-compose ps on their hosts); two owners: stop the extra "
                    "Coreapp and check the masters' DB connection", MEDIUM, ())


def shards_differ(facts: Facts) -> Outcome:
    """The shard count the cluster runs (``GET /v1/account/shards``) is not the profile's: the health plan then
    expects the wrong number of connected Coreapps."""
    for f in facts.bad(P_API, kind="shards"):
        got, want = f.get("shards"), f.get("profile_shards")
        yield Found(f"the cluster runs {got} shard(s) but the profile says {want}", (f,),
                    f"if {got} is right, set shards: {got} in the profile; otherwise set the shard count again "
                    f"(wabiz-tui multiconnect, POST /v1/account/shards with {want})", MEDIUM, ())
    for f in facts.good(P_API, kind="shards"):
        yield Clear(f"the shard count matches the profile ({f.get('shards')})", (f,))


# --- registration ------------------------------------------------------------------------------------------------
def registration(facts: Facts) -> Outcome:
    """What stops registration, from the last ``POST /v1/account`` answer the install recorded (doctor never
    registers: that would send a code) and the profile's certificate, when the cluster is not registered:
    FR23 the sunset (1005 ``biz_link_on_prem_reg_blocked``), field case R23 certificate errors 430/432/433,
    FR27 no certificate. Nothing on the hosts can fix these: they rank before infrastructure of equal confidence."""
    for f in facts.where(P_API, kind="registration"):
        key = f.get("key")
        if f.get("cert"):
            what = "is empty" if f.get("cert") == "missing" else "is not base64"
            yield Found(f"registration cannot start: the profile's certificate {what}", (f,),
                        "obtain the base64 certificate for the number from WhatsApp Manager (Phone numbers > "
                        "certificate); when it says the certificate is only available to your Business Solution "
                        "Provider, ask the BSP for it; then put it in registration.cert and register (step 8)", HIGH, ())
        elif key == "REGISTRATION_SUNSET":
            yield Found(f"registration is blocked by Meta: the On-Premises API was sunset on {_SUNSET} "
                        "(1005 biz_link_on_prem_reg_blocked); no host or setting here can change it", (f,),
                        str(f.get("next_action") or "migrate the number to the Cloud API"), HIGH, ())
        elif key == "CERT_ERROR_43X":
            yield Found(f"the last registration was refused: certificate error {f.get('code')} ({f.get('details') or f.get('title')})",
                        (f,), str(f.get("next_action")), HIGH, ())
        elif f.ok is False:
            yield Found(f"the last registration was refused: {f.line}", (f,),
                        str(f.get("next_action") or "read the answer, fix what it names, register again (step 8)"),
                        MEDIUM, ())


# --- logs: plain HTTP reaching the Webapp ----------------------------------------------------------------------
def http_on_https(facts: Facts) -> Outcome:
    """Field case R15: the Webapp's own log says a client sent plain HTTP to its HTTPS port (lighttpd
    ``ssl3_get_record:http request``): some caller uses ``http://``."""
    hit = [f for f in facts.where(P_LOGS) if f.get("key") == "HTTP_ON_HTTPS_PORT"]
    if hit:
        yield Found(f"a client sends plain HTTP to the Webapp's HTTPS port (the Webapp's log on {', '.join(_hosts(hit))})",
                    tuple(hit), "find the caller using http:// (monitoring, a load balancer's health check, a script) and "
                                "make it use https:// with the Webapp's CA", MEDIUM, _hosts(hit))


# --- monitoring (FR45, field case R27) -------------------------------------------------------------------------
def scrape_targets(facts: Facts) -> Outcome:
    """Exporter targets the monitoring host cannot reach: a timeout is a firewall dropping the scrape, a refusal an
    exporter that does not run; one cause per kind naming every target."""
    groups: dict[bool, list[Fact]] = defaultdict(list)
    for f in facts.bad(P_SCRAPE):
        groups[bool(f.get("timeout"))].append(f)
    for dropped, group in groups.items():
        targets = ", ".join(f"{f.get('what')} {f.get('target')}:{f.get('port')}" for f in group)
        source = group[0].host
        if dropped:
            yield Found(f"monitoring from {source} cannot reach {targets}: the connection times out (a firewall drops it)",
                        tuple(group), f"open those ports to {source} (9100 node-exporter, 8080 cAdvisor, 9104 "
                                      "mysqld-exporter); Prometheus shows the targets DOWN until then", MEDIUM,
                        _hosts(group))
        else:
            yield Found(f"monitoring from {source}: nothing listens on {targets}", tuple(group),
                        "start the exporters on those hosts (Setup-Scripts monitoring/host-exporter-compose.yml); "
                        "Prometheus shows the targets DOWN until then", MEDIUM, tuple(str(f.get("target")) for f in group))
    good = facts.good(P_SCRAPE)
    if good and not groups:
        yield Clear(f"every scrape target answers from the monitoring host ({len(good)})", tuple(good[:6]))


#: what a credentials, TLS-trust or URL cause explains: the API's own findings, never a container that stopped
#: (a wrong password stops no container; review: a 401 folded an exited Coreapp away)
_API_ONLY = API_KEYS

#: The API layer's rows (appended to :data:`.doctor_rules.RULES`; registration first: nothing on the hosts fixes it).
API_RULES: tuple[Rule, ...] = (
    Rule("REGISTRATION", "what the last registration answered; the profile's certificate",
         "FR23 (Meta account reference: 1005 biz_link_on_prem_reg_blocked; 360dialog migration page), field case R23 "
         "(Meta error table 430/432/433), FR27 (Setup-Scripts #59, #45)", registration),
    Rule("API_CREDENTIALS", "the Webapp accepts the profile's credentials", "field cases R16, R28; " + _REF + " §3.1",
         api_credentials, _API_ONLY),
    Rule("API_TLS", "this machine reaches the Webapp over TLS", "field case R15; FR16 (Postman collection #5); "
         + _REF + " §3", api_tls, _API_ONLY),
    Rule("API_NOT_ROOT", "webapp.url is the Webapp's API root", "FR14: https://github.com/WhatsApp/"
         "WhatsApp-Business-API-Setup-Scripts/issues/40", api_not_root, _API_ONLY),
    Rule("WEBAPP_ADDRESSES", "every address of the Webapp's name answers", "field case R15 (Setup-Scripts #39: "
         "localhost resolving to ::1)", webapp_addresses),
    Rule("API", "the Webapp API answers", _REF + " §3.2 (error envelope), field case R21 (1014, 1016)", api_answer),
    Rule("API_WITHOUT_TOKEN", "health without a token", "field case R16 (Setup-Scripts #29); " + _REF + " §3.3",
         without_token),
    Rule("SHARDS_DIFFER", "the cluster's shard count is the profile's", _REF + " §3.5 (GET /v1/account/shards)",
         shards_differ),
    Rule("API_HEALTH", "health judged against the plan", "design.md §4; field cases R17, R18; " + _REF + " §3.3, §4",
         health_findings),
    Rule("API_SHARD_MAP", "the shard map (GET /v1/support)", _REF + " §3.8", shard_map),
    Rule("HTTP_ON_HTTPS_PORT", "callers use https://", "field case R15 (Setup-Scripts #68)", http_on_https),
    Rule("SCRAPE_TARGETS", "the monitoring host reaches every exporter",
         "FR45: https://developers.secure.facebook.com/docs/whatsapp/monitoring/alerting; field case R27", scrape_targets),
)
