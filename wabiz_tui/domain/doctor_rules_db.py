"""``doctor`` rules for the database as the containers use it (field cases R06, R10; field reports FR07/FR08, FR31,
FR35, FR36 of ``docs/field-reports.md``), appended to :data:`.doctor_rules.RULES` as :data:`DB_RULES` (how a rule is
written: :mod:`.doctor`). The facts come from ``workflows/doctor/database.py``: one login per credential set and
network position, and what that login read. The evidence lines were observed on the lab here
(``tests/lab/test_46_doctor_db.py``).
"""

from __future__ import annotations

import re

from .dbsupport import judge_auth_plugin, judge_server_version, server_product
from .doctor import (HIGH, LOW, MEDIUM, P_DB_GRANTS, P_DB_LOGIN, P_DB_SERVER, P_DB_TLS, P_DB_VARS, P_ENV, Clear, Fact, Facts,
                     Found, Rule)
from .doctor_rules_base import API_KEYS, Outcome, hosts_of as _hosts, names_of as _names
from .preflight import FAILURE, OK

#: MySQL/MariaDB refusal numbers that do not say why (wrong password and an account for other hosts alike).
_REFUSED = (1045, 1698)
#: ER_HOST_NOT_PRIVILEGED: "Host 'x' is not allowed to connect to this MySQL server".
HOST_NOT_ALLOWED = 1130
#: CR_AUTH_PLUGIN_CANNOT_LOAD: the server asked for an auth plugin the client has not (PyMySQL 1.2 here, for MariaDB's
#: ed25519: ``Authentication plugin 'b'client_ed25519'' not configured``).
AUTH_PLUGIN_CANNOT_LOAD = 2059
_PLUGIN = re.compile(r"plugin '(?:b')?([A-Za-z0-9_]+)")
#: The client address as the server names it: ``Access denied for user 'waent'@'10.213.0.104'`` (MariaDB 10.11 here).
_SEEN_AS = re.compile(r"for user '([^']*)'@'([^']*)'")
#: Privileges that let an account write on a ``read_only`` server (MariaDB 10.11: READ_ONLY ADMIN, which ALL
#: includes; MySQL 8: SUPER / CONNECTION_ADMIN, which ALL includes).
_BYPASS = re.compile(r"\b(ALL PRIVILEGES|ALL|SUPER|READ_ONLY ADMIN|CONNECTION_ADMIN)\b(?=[^`]*\bON \*\.\*)", re.I)

_OBS = "observed on the lab here (MariaDB 10.11.19 through OpenSSH)"
_SS = "https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts"


def _seen_as(f: Fact) -> str:
    m = _SEEN_AS.search(f.line)
    return f"'{m.group(1)}'@'{m.group(2)}'" if m else ""


def host_restricted(facts: Facts) -> Outcome:
    """FR31: the account does not allow the hosts' addresses. Proven by MySQL's 1130, or by the same credentials
    accepted from one place (another host, or this machine) and refused (1045/1698) from others: a wrong password is
    refused everywhere, so a refusal that depends on where the login comes from is about the account's host part."""
    logins = facts.where(P_DB_LOGIN)
    for f in [f for f in logins if f.ok is False and f.get("code") == HOST_NOT_ALLOWED]:
        yield Found(f"the database does not let {f.host or 'this machine'} connect (MySQL error 1130: no account for "
                    "its address)", (f,), f"on the DB server, create the account for {f.host or 'this machine'}'s "
                    f"address (CREATE USER '{f.get('user')}'@'<address or subnet>' ... and its GRANTs), then restart the "
                    "containers", HIGH, _hosts([f]))
    refused = [f for f in logins if f.ok is False and f.get("code") in _REFUSED]
    accepted = [f for f in logins if f.ok is True]
    if not (refused and accepted):
        return
    # paired within one credential set only (``credentials``: the set's number, doctor's DB probe): a host whose
    # db.env has another password is refused for that, not for where it logs in from
    for user, creds in dict.fromkeys((str(f.get("user")), f.get("credentials")) for f in refused):
        mine = [f for f in refused if f.get("user") == user and f.get("credentials") == creds]
        good = [f for f in accepted if f.get("user") == user and f.get("credentials") == creds]
        if not good:
            continue
        where = _names(f.host or "this machine" for f in mine)
        addresses = ", ".join(dict.fromkeys(a for a in map(_seen_as, mine) if a))
        ok_at = good[0].host or "this machine"
        yield Found(f"the DB account WA_DB_USERNAME={user} is restricted to certain hosts: refused from {where}, "
                    f"accepted from {ok_at} with the same db.env values", tuple(mine) + (good[0],),
                    f"the password is right (accepted from {ok_at}): on the DB server allow the account from the "
                    f"cluster hosts{' (the server saw ' + addresses + ')' if addresses else ''} - SELECT user, host "
                    f"FROM mysql.user WHERE user = '{user}' shows the hosts it allows; then CREATE USER/GRANT for the "
                    "hosts' addresses or subnet, and restart the containers", HIGH, _hosts(mine))


def tls_required(facts: Facts) -> Outcome:
    """FR07/FR08: the server refuses a plain login that it accepts over TLS, and db.env sets no WA_DB_SSL_*: the
    Webapp connects without TLS and is refused (MariaDB 10.11 says only "Access denied", error 1045)."""
    bad = facts.bad(P_DB_TLS)
    if bad and bad[0].get("engine") == "PGSQL":  # pg_hba.conf hostssl only; libpq options, not WA_DB_SSL_* (FR09)
        yield Found(f"the database accepts TLS logins only and db.env on {_names(_hosts(bad)) or 'the hosts'} asks "
                    "libpq for none (sslmode in WA_DB_CONNECTION_OPTION)", tuple(bad[:3]),
                    "in WA_DB_CONNECTION_OPTION write sslmode=verify-full;sslrootcert=<the server's CA, a path inside "
                    "the container> (or remove sslmode=disable/allow: libpq's default prefer uses TLS); never "
                    "WA_DB_SSL_CA with PGSQL; then restart the containers", HIGH, _hosts(bad))
    elif bad:
        hosts = _hosts(bad)
        yield Found(f"the database requires TLS and db.env on {_names(hosts) or 'the hosts'} sets no WA_DB_SSL_CA: "
                    "the containers' plain logins are refused", tuple(bad[:3]),
                    "put the DB server's CA certificate in a directory mounted in the containers and set "
                    "WA_DB_SSL_CA=<its path inside the container> in db.env (WA_DB_SSL_CERT and WA_DB_SSL_KEY too if the "
                    "server wants client certificates), with WA_DB_ENGINE=mysql in lower case (FR08: the Webapp "
                    "applies the SSL settings only then); then restart the containers", HIGH, hosts)
    for f in facts.good(P_DB_TLS):
        yield Clear("a plain login refused is refused over TLS too: not a TLS requirement", (f,))


def engine_case_ssl(facts: Facts) -> Outcome:
    """FR08: db.env sets WA_DB_SSL_* with ``WA_DB_ENGINE`` not exactly ``mysql`` (the shipped ``MYSQL``): the Webapp
    skips its SSL settings. The db.env finding is a warning (harmless while the server takes plain logins); it is a
    cause, high, when a login proved the server requires TLS."""
    hits = facts.where(P_ENV, key="DB_ENGINE_CASE_SSL")
    if not hits:
        return
    tls = facts.bad(P_DB_TLS) + [f for f in facts.good(P_DB_LOGIN) if f.get("tls")]
    proven = [f for f in facts.where(P_DB_VARS) if f.get("secure_transport")]
    hosts = _hosts(hits)
    yield Found(f"db.env on {_names(hosts)}: {hits[0].line}", tuple(hits) + tuple((tls + proven)[:1]),
                str(hits[0].get("fix") or "write WA_DB_ENGINE=mysql in lower case"), HIGH if proven else MEDIUM, hosts,
                str(hits[0].get("source") or ""))


def privileges_missing(facts: Facts) -> Outcome:
    """R10: the account lacks what the client needs to create its databases and tables."""
    bad = facts.bad(P_DB_GRANTS)
    for f in bad:
        missing, prefix, user = list(f.get("missing") or []), str(f.get("prefix") or ""), f.get("user")
        account = f.get("account") or user
        if f.get("engine") == "PGSQL":
            action = f"ALTER ROLE {user} CREATEDB on the DB server (the client creates its own databases)"
        else:
            scope = f"`{prefix}%`.*" if prefix else "*.*"
            action = (f"on the DB server: GRANT {', '.join(missing)} ON {scope} TO {account} (the client creates its "
                      f"own databases{', named ' + prefix + '…' if prefix else ''})"
                      + ("" if prefix else "; a DBA who must scope grants can set WA_DB_NAME_PREFIX and grant on that "
                                           "prefix"))
        yield Found(f"the DB account {account} lacks {', '.join(missing)}: the client cannot create its databases "
                    "and tables", (f,), action, HIGH, ())
    good = facts.good(P_DB_GRANTS)
    if good and not bad:
        yield Clear("the DB account may create the client's databases", tuple(good[:1]))


def server_unsupported(facts: Facts) -> Outcome:
    """R06: the server version is outside Meta's support matrix, or (MySQL 8) the account logs in with a plugin
    other than ``mysql_native_password``."""
    cannot = [f for f in facts.bad(P_DB_LOGIN) if f.get("code") == AUTH_PLUGIN_CANNOT_LOAD]
    if cannot:
        m = _PLUGIN.search(cannot[0].line)
        plugin = m.group(1) if m else "another plugin"
        yield Found(f"the DB account authenticates with {plugin}, which the client does not speak (MySQL client error "
                    f"2059 from {_names(f.host or 'this machine' for f in cannot)})", tuple(cannot),
                    f"on the DB server: ALTER USER '{cannot[0].get('user')}'@'<host>' IDENTIFIED VIA mysql_native_password "
                    "USING PASSWORD('<db.env password>') (MySQL: IDENTIFIED WITH mysql_native_password BY ...); the "
                    "client logs in with mysql_native_password (official compose files)", HIGH, _hosts(cannot))
    for f in facts.where(P_DB_SERVER):
        engine, version, api = str(f.get("engine")), str(f.get("version")), str(f.get("api_version"))
        judged = judge_server_version(engine, version, api)
        if judged.level != OK:
            yield Found(f"database server: {judged.reason}", (f,),
                        "move the cluster's databases to a server version Meta lists for this client version "
                        "(or upgrade the client where the newer matrix lists the server)",
                        HIGH if judged.level == FAILURE else LOW, ())
        if engine == "MYSQL" and server_product(engine, version) == "MySQL":
            plugin = judge_auth_plugin(version, f.get("plugin"), "")
            if plugin.level != OK and f.get("plugin") is not None:
                yield Found(f"database account: {plugin.reason}", (f,),
                            "on the DB server: ALTER USER <user>@<host> IDENTIFIED WITH mysql_native_password BY "
                            "'<db.env password>', or start it with --default-authentication-plugin=mysql_native_password "
                            "(the official compose files do)", HIGH if plugin.level == FAILURE else LOW, ())
        if judged.level == OK:
            yield Clear(f"the DB server is supported ({version})", (f,))


def idle_timeout_short(facts: Facts) -> Outcome:
    """FR35: the server closes idle sessions sooner than the client stops reusing them."""
    for f in facts.where(P_DB_VARS):
        wait, idle = f.get("wait_timeout"), int(f.get("idle_ms") or 0)
        if wait is None or not idle:
            continue
        if int(wait) * 1000 <= idle:
            yield Found(f"the database closes sessions idle for {wait} s (wait_timeout) while the client keeps them "
                        f"up to {idle} ms (WA_DB_CONNECTION_IDLE_TIMEOUT): its next query on such a session fails "
                        "(MySQL 2006 'server has gone away')", (f,),
                        f"raise wait_timeout on the DB server above {idle // 1000} s (SET GLOBAL wait_timeout=... and in "
                        "its configuration), or lower WA_DB_CONNECTION_IDLE_TIMEOUT in db.env below "
                        f"{int(wait) * 1000} ms (allowed 10000-28800000); a proxy or firewall in between needs a longer "
                        "idle timer too", HIGH, ())
        else:
            yield Clear(f"the DB keeps idle sessions {wait} s, longer than the client's {idle} ms", (f,))


def read_only(facts: Facts) -> Outcome:
    """FR36: the DB answers read-only (a replica after a failover, or read_only set): writes get 1290."""
    for f in facts.where(P_DB_VARS, read_only=True):
        bypass = any(_BYPASS.search(g) for g in f.get("grants") or [])
        if bypass:
            yield Found("the database is read-only (read_only ON), though the account may still write (it holds a "
                        "privilege that overrides read_only): WA_DB_HOSTNAME may point at a replica", (f,),
                        "point WA_DB_HOSTNAME at the primary (the writer endpoint), or clear read_only on the server "
                        "that should be primary", MEDIUM, ())
        else:
            yield Found("the database is read-only (read_only ON): every write of the client is refused (MySQL 1290 "
                        "'running with the --read-only option')", (f,),
                        "point WA_DB_HOSTNAME at the primary (after a DB failover: the new primary's or the writer "
                        "endpoint), or SET GLOBAL read_only=0 on the server that should be primary; then restart the "
                        "containers (their pooled connections still reach the old one)", HIGH, ())
    seen = facts.where(P_DB_VARS, read_only=False)
    if seen and not facts.where(P_DB_VARS, read_only=True):
        yield Clear("the database takes writes (read_only OFF)", tuple(seen[:1]))


_CONTAINER = frozenset({"CONTAINER_DOWN", "CONTAINER_DOWN_WITH_WORDS", "LOG_WORDS", "NOTHING_LISTENS"}) | API_KEYS

#: The database rules, appended to :data:`.doctor_rules.RULES`.
DB_RULES: tuple[Rule, ...] = (
    Rule("DB_HOST_RESTRICTED", "the DB account allows the cluster hosts",
         "FR31: https://github.com/docker-library/mysql/issues/152 (" + _OBS + ": 1045, not 1130)", host_restricted,
         _CONTAINER | {"DB_CREDENTIALS", "DB_AUTH_FAILED"}),
    Rule("DB_TLS_REQUIRED", "db.env's TLS settings match the server",
         "FR07: " + _SS + "/issues/31; FR08: " + _SS + "/issues/24 (MariaDB 10.11.19 here answers a plain login with "
         "1045 when require_secure_transport=ON)", tls_required, _CONTAINER | {"DB_CREDENTIALS", "DB_AUTH_FAILED"}),
    Rule("DB_ENGINE_CASE_SSL", "WA_DB_ENGINE's case with WA_DB_SSL_*",
         "FR08: " + _SS + "/issues/24 and /pull/25 (DBUtil.php compares WA_DB_ENGINE with 'mysql')", engine_case_ssl,
         _CONTAINER | {"DB_CREDENTIALS", "DB_AUTH_FAILED"}),
    Rule("DB_PRIVILEGES_MISSING", "the DB account's privileges",
         "field case R10 (WADebug check_mysql_permissions.py)", privileges_missing, _CONTAINER),
    Rule("DB_SERVER_UNSUPPORTED", "the DB server version and auth plugin",
         "field case R06 (Meta production-setup page; Setup-Scripts commit 0785009)", server_unsupported, _CONTAINER),
    Rule("DB_READ_ONLY", "the DB takes writes",
         "FR36: https://github.com/sidorares/node-mysql2/issues/2050 (" + _OBS + ": 1290)", read_only, _CONTAINER),
    Rule("DB_IDLE_TIMEOUT_SHORT", "the DB keeps idle sessions as long as the client",
         "FR35: https://developers.facebook.com/docs/whatsapp/guides/data-management (WA_DB_CONNECTION_IDLE_TIMEOUT, "
         "ms); " + _OBS + ": 2006 after the server's wait_timeout", idle_timeout_short, _CONTAINER),
)
