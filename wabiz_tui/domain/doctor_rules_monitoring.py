"""``doctor`` on the monitoring stack's own credentials (field report FR45, the part beyond the scrape targets):
Meta's monitoring reads the Webapp's address and login from an ``.env`` file on the monitoring machine, and a wrong
value there leaves the dashboards empty while the cluster works.

Sources:

- Meta, "Manage Monitoring Alerts", No Stats Alert: check that the Prometheus targets ``webstats``/``appstats`` are UP,
  and "check if WA_WEB_ENDPOINT, WA_WEB_USERNAME, and WA_WEB_PASSWORD in the .env file are valid"
  (https://developers.facebook.com/docs/whatsapp/monitoring/alerting, read 2026-12-05 through the search tool);
- the official ``monitoring/monitoring-compose.yml`` (WhatsApp/WhatsApp-Business-API-Setup-Scripts): the
  ``prometheus`` service takes ``WA_WEB_ENDPOINT`` ("the web endpoint of enterprise client
  WA_ENT_HOSTNAME:WA_ENT_PORT"), ``WA_WEB_USERNAME`` and ``WA_WEB_PASSWORD`` ("the username/password for
  /v1/users/login") with ``${VAR:?…}``, i.e. from the environment or the ``.env`` next to the compose file.

The facts (:data:`P_MON_ENV`, :data:`P_MON_LOGIN`) come from ``workflows/doctor/monitoring.py``; the password is
never in them (masked as every secret doctor knows).
"""

from __future__ import annotations

from typing import Iterator

from .doctor import HIGH, LOW, MEDIUM, P_API, Clear, Fact, Facts, Found, Rule
from .envrules import effective, read_env_text

Outcome = Iterator[Found | Clear]

#: reading the monitoring ``.env`` on ``monitoring.from_host``. data: {"path", "missing": [keys], "endpoint",
#: "username"}; ok False when a key is missing or empty, None when the file could not be read ("why")
P_MON_ENV = "monitoring.env"
#: ``POST https://WA_WEB_ENDPOINT/v1/users/login`` from ``monitoring.from_host`` with the file's credentials.
#: data: {"path", "endpoint", "username", "status": HTTP code or 0, "curl_exit", "kind": "answer"|"unreachable"|
#: "scheme"}
P_MON_LOGIN = "monitoring.login"
#: The keys Meta's monitoring stack reads for the Webapp (see the module docstring).
KEYS = ("WA_WEB_ENDPOINT", "WA_WEB_USERNAME", "WA_WEB_PASSWORD")
SOURCE = ("FR45: https://developers.facebook.com/docs/whatsapp/monitoring/alerting (No Stats Alert); "
          "WhatsApp-Business-API-Setup-Scripts monitoring/monitoring-compose.yml")


def read_env_values(text: str) -> dict[str, str]:
    """``{KEY: VALUE}`` of an ``.env`` file as docker-compose 1.29 reads it for ``${VAR}`` substitution: the same
    reading as db.env's (:func:`envrules.read_env_text`, python-dotenv like compose 1.29.2), so ``#`` comments, an
    ``export``, surrounding quotes, CRLF (FR38, FR39 in docs/field-reports.md) and an inline comment
    (``WA_WEB_PASSWORD=secret1 # prod`` is ``secret1`` for compose) are read as compose does: observed with
    docker-compose 1.29.2 here, ``config`` gave ``A: secret1`` for it and ``B: 'ad # min'`` for
    ``WA_WEB_USERNAME='ad # min' # q``. The last line of a key wins; a bare name (no ``=``) is left out."""
    entries, _findings = read_env_text(text)
    return {key: value for key, (value, _line) in effective(entries).items()}


def login_url(endpoint: str) -> str:
    """The login URL Meta's Prometheus image builds: ``https://`` + ``WA_WEB_ENDPOINT`` + ``/v1/users/login``
    (monitoring-compose.yml: the endpoint is ``host:port``, no scheme)."""
    return f"https://{endpoint.rstrip('/')}/v1/users/login"


def _where(f: Fact) -> tuple[str, str]:
    return str(f.get("path")), f.host


def monitoring_credentials(facts: Facts) -> Outcome:
    """The Webapp refuses the monitoring ``.env``'s credentials from the monitoring host (HTTP 401), or the file
    lacks one of them: Prometheus gets no token and the dashboards stay empty while the cluster works."""
    for f in facts.bad(P_MON_ENV):
        path, host = _where(f)
        missing = ", ".join(f.get("missing") or [])
        yield Found(f"the monitoring .env {path} on {host} has no {missing}: Meta's monitoring-compose.yml refuses to "
                    "start Prometheus without it", (f,),
                    f"set {missing} in {path} on {host} (the Webapp's host:port and the login of a Webapp user), then "
                    "restart the exporters (docker-compose -f monitoring-compose.yml up -d there)", HIGH, (host,),
                    source=SOURCE)
    for f in facts.bad(P_MON_LOGIN, kind="answer"):
        if f.get("status") != 401:
            continue
        path, host = _where(f)
        yield Found(f"the Webapp refuses the monitoring credentials of {path} on {host} (WA_WEB_USERNAME="
                    f"{f.get('username')}, HTTP 401): Prometheus gets no token, the dashboards stay empty", (f,),
                    f"fix WA_WEB_PASSWORD in {path} on {host} (the current password of Webapp user "
                    f"{f.get('username')}), then restart the exporters (docker-compose -f monitoring-compose.yml "
                    "up -d there recreates Prometheus with the new value)", HIGH, (host,), source=SOURCE)
    good = facts.good(P_MON_LOGIN)
    if good and not facts.bad(P_MON_LOGIN) and not facts.bad(P_MON_ENV):
        yield Clear(f"the monitoring .env's credentials log in from {good[0].host}", tuple(good))


def monitoring_endpoint(facts: Facts) -> Outcome:
    """WA_WEB_ENDPOINT of the monitoring ``.env`` does not lead to the Webapp's login from the monitoring host: not
    reached (curl's own words), a scheme written into it, or an answer other than the login's. When the Webapp does
    not answer this machine either, the API's own cause says it first (this one is then its consequence)."""
    api_down = any(f.get("kind") in ("unreachable", "timeout") for f in facts.bad(P_API))
    for f in facts.bad(P_MON_LOGIN):
        path, host = _where(f)
        endpoint, kind = f.get("endpoint"), f.get("kind")
        fix = (f"set WA_WEB_ENDPOINT in {path} on {host} to the Webapp's host:port (or its load balancer's) as "
               f"{host} reaches it, without https://, then restart the exporters")
        if kind == "scheme":
            yield Found(f"WA_WEB_ENDPOINT={endpoint} in {path} on {host} has a scheme: Meta's Prometheus adds "
                        "https:// itself, so it logs in nowhere", (f,), fix, HIGH, (host,), source=SOURCE)
        elif kind == "unreachable":
            yield Found(f"the monitoring host {host} cannot reach WA_WEB_ENDPOINT={endpoint} of {path}: {f.line}",
                        (f,), fix + f"; or open the port from {host}", LOW if api_down else MEDIUM, (host,),
                        source=SOURCE)
        elif kind == "answer" and f.get("status") != 401:
            yield Found(f"WA_WEB_ENDPOINT={endpoint} of {path} answers the login from {host} with HTTP "
                        f"{f.get('status')}: not the Webapp's API root", (f,), fix, MEDIUM, (host,), source=SOURCE)


#: The monitoring rows (appended to :data:`.doctor_rules.RULES`).
MONITORING_RULES: tuple[Rule, ...] = (
    Rule("MONITORING_CREDENTIALS", "the monitoring .env's Webapp credentials log in", SOURCE, monitoring_credentials),
    Rule("MONITORING_ENDPOINT", "the monitoring .env's WA_WEB_ENDPOINT leads to the Webapp's login", SOURCE,
         monitoring_endpoint),
)
