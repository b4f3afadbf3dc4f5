"""``doctor`` rules for the public field reports of ``docs/field-reports.md`` (FR05, FR20, FR22, FR29, FR37), added
to :data:`.doctor_rules.RULES` as :data:`FIELD_RULES` (how a rule is written: :mod:`.doctor`). Each row's ``source``
is the report's public link; the evidence lines were observed on the lab here (``tests/lab/test_45_field_reports.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from .doctor import (HIGH, MEDIUM, P_COMPOSE, P_CONTAINER, P_DB_LOGIN, P_MEDIA, P_REGISTRY, Clear, Fact, Facts, Found,
                     Rule)
from .versions import image_version
from .doctor_rules_base import API_KEYS, Outcome, hosts_of as _hosts, names_of as _names

#: What a client prints when the server refuses a new session for its connection limits: MySQL/MariaDB error 1040
#: (server-wide, Setup-Scripts #29) and 1226 (per account: MariaDB 10.11 here:
#: ``User 'waent' has exceeded the 'max_user_connections' resource (current value: 1)``).
_LIMIT = re.compile(r"Too many connections|max_user_connections|max_connections_per_hour|\(MySQL error 1040\)"
                    r"|\(MySQL error 1226\)", re.I)
#: curl's words when the registry's certificate is not trusted (curl 7.88 here: ``curl: (60) SSL certificate
#: problem: unable to get local issuer certificate``); dockerd says ``x509: certificate signed by unknown authority``.
_UNTRUSTED = re.compile(r"SSL certificate problem|certificate signed by unknown authority|unable to get local issuer", re.I)
#: PyYAML's position line, the last line docker-compose 1.29.2 prints for a file it cannot parse (observed here:
#: ``in "./prod-multiconnect-compose.yml", line 5, column 1`` after ``found character '\t' that cannot start any
#: token``).
_YAML_AT = re.compile(r'in "([^"]+)", line (\d+), column (\d+)')


def db_connection_limit(facts: Facts) -> Outcome:
    """FR05: the DB refuses a new session for a connection limit, not for the credentials."""
    hit = [f for f in facts.bad(P_DB_LOGIN) if _LIMIT.search(f.line)]
    if hit:
        yield Found(f"the database refuses new connections: a connection limit is reached ({_names(_hosts(hit))})",
                    tuple(hit), "raise max_connections (server) or the account's MAX_USER_CONNECTIONS on the DB server, "
                                "or find who holds the connections (SHOW PROCESSLIST); then restart the containers",
                    HIGH, _hosts(hit))


def registry_untrusted(facts: Facts) -> Outcome:
    """FR29: the registry answers but a host does not trust its certificate."""
    hit = [f for f in facts.bad(P_REGISTRY, code=0) if _UNTRUSTED.search(f.line)]
    if hit:
        yield Found(f"{_names(_hosts(hit))} does not trust the registry's certificate", tuple(hit),
                    "put the registry's CA at /etc/docker/certs.d/docker.whatsapp.biz/ca.crt on the host (or fix the "
                    "TLS-intercepting proxy in between); dockerd reads it at the next pull", HIGH, _hosts(hit))


def media_not_shared(facts: Facts) -> Outcome:
    """FR20: one host's media path is mounted from something else than the other hosts' (its mount options differ
    from the majority's), so what one Webapp stores the others do not see."""
    seen = [f for f in facts.good(P_MEDIA) + facts.bad(P_MEDIA) if f.get("exists", True) and ", mounted " in f.line]
    if len(seen) < 3:
        return
    options = {f.host: f.line.split(", mounted ", 1)[1] for f in seen}
    common, n = Counter(options.values()).most_common(1)[0]
    odd = [f for f in seen if options[f.host] != common]
    if odd and n > len(seen) // 2:
        same = next(f for f in seen if options[f.host] == common)
        for f in odd:
            yield Found(f"the media path on {f.host} is not the shared volume the other hosts mount", (f, same),
                        f"mount the shared media volume at {f.get('path')} on {f.host} (umount what is there first); "
                        "media stored by one Webapp must be visible to every Webapp and Coreapp", MEDIUM, (f.host,))
    elif not odd:
        yield Clear(f"the media path is mounted the same way on every host ({len(seen)})", tuple(seen[:3]))


def compose_file_invalid(facts: Facts) -> Outcome:
    """FR37: the host's compose cannot parse the compose file (a tab, a bad indentation)."""
    for f in facts.bad(P_COMPOSE):
        at = _YAML_AT.search(f.line)
        if at:
            file, line, column = at.groups()
            yield Found(f"the compose file on {f.host} is not valid YAML at line {line}, column {column}", (f,),
                        f"fix {file} on {f.host} at line {line} (tabs are not allowed in YAML: indent with spaces), "
                        "or upload the file again", HIGH, (f.host,))


#: the image of each cluster container of a host doctor did not probe in full (``doctor --host``, the monitor's
#: ``d``): one ``docker ps`` per other host, so one node's version is compared with the others' (trial 2 N1)
P_IMAGE = "image"


def version_skew(facts: Facts) -> Outcome:
    """FR22: the cluster's containers run more than one client version (a partial upgrade): the hosts on the
    less common version are named, with one container of each version as evidence. The containers compared are
    the probed hosts' (``container`` facts) and the other hosts' images (``image`` facts, doctor scoped to one
    node); with one version the clear line counts what was read (containers and hosts), never more."""
    by_version: dict[str, list[Fact]] = {}
    for f in facts.where(P_CONTAINER) + facts.where(P_IMAGE):
        image, service = str(f.get("image") or ""), f.get("service")
        version = image_version(image)
        if service != "dbupgrade" and version:
            by_version.setdefault(version, []).append(f)
    if len(by_version) < 2:
        if by_version:
            (version, group), = by_version.items()
            # the evidence shows what was compared: each container's image (its line is its state)
            shown = tuple(replace(f, line=f"{f.get('service')} on {f.host}: image {f.get('image')} ({f.line})")
                          for f in group[:3])
            read_on = len({f.host for f in group})
            yield Clear(f"the {len(group)} container(s) read on {read_on} host(s) all run {version}"
                        if read_on > 1 or len(group) > 1 else f"the one container read ({group[0].host}) runs {version}",
                        shown)
        return
    ranked = sorted(by_version.items(), key=lambda kv: -len(kv[1]))
    common, odd = ranked[0], ranked[1:]
    hosts = tuple(dict.fromkeys(f.host for _, group in odd for f in group))
    words = "; ".join(f"{f.host} runs {f.get('service')} {v}" for v, group in odd for f in group[:3])
    newest = max(by_version, key=_version_key)
    behind = tuple(dict.fromkeys(f.host for v, group in by_version.items() if v != newest for f in group))
    yield Found(f"the cluster runs two client versions: {words}, the others {common[0]}",
                tuple(group[0] for _, group in odd) + (common[1][0],),
                f"run one WA_API_VERSION everywhere: finish the upgrade to {newest} on {_names(behind)} (a stopped "
                f"upgrade continues with `wabiz-tui upgrade PROFILE --resume --yes`), or roll every host back to the "
                f"older version from the settings backup", HIGH, hosts)


def _version_key(version: str) -> tuple[int, ...]:
    """``2.43.1`` → ``(2, 43, 1)`` (non-numbers count as 0) for ordering versions."""
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


_FR = "https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/issues/"

#: Field-report rules, appended to :data:`.doctor_rules.RULES`.
FIELD_RULES: tuple[Rule, ...] = (
    Rule("DB_CONNECTION_LIMIT", "the DB accepts new connections", "FR05: " + _FR + "29", db_connection_limit,
         frozenset({"DB_CREDENTIALS", "DB_AUTH_FAILED", "CONTAINER_DOWN", "CONTAINER_DOWN_WITH_WORDS", "LOG_WORDS"}) | API_KEYS),
    Rule("REGISTRY_TLS_UNTRUSTED", "hosts trust the registry's certificate",
         "FR29: https://github.com/moby/moby/issues/25587", registry_untrusted, frozenset({"REGISTRY"})),
    Rule("MEDIA_NOT_SHARED", "the media path is one shared volume",
         "FR20: https://developers.facebook.com/docs/whatsapp/guides/data-management", media_not_shared),
    Rule("COMPOSE_FILE_INVALID", "the compose file parses on every host",
         "FR37: https://github.com/openfaas/faas/issues/24", compose_file_invalid,
         frozenset({"COMPOSE_REFUSED", "CONTAINER_DOWN", "CONTAINER_DOWN_WITH_WORDS", "NOTHING_LISTENS"}) | API_KEYS),
    Rule("VERSION_SKEW", "one client version on every host",
         "FR22: https://github.com/WhatsApp/WADebug (wadebug/wa_actions/implementations/check_software_version.py)",
         version_skew),
)
