"""Which database servers each WhatsApp Business API client version supports, and the judging of
what a login to the database reads (server version, the MySQL user's auth plugin, the grants).

Sources (field cases R06 and R10, ``reference/wa-onprem-api.md`` §2.2 and §5):

- Meta's production-setup page, older English version: "MySQL 5.7.xx or PostgreSQL
  10.6/9.6.x/9.5.x"; newer version: "MySQL 5.7.xx/8.0.xx or PostgreSQL 13.x/12.x/11.x" (R06).
- Setup-Scripts compose files: ``postgres:13.8`` (Oct 2022); ``mysql:8.0.33`` with
  ``--default-authentication-plugin=mysql_native_password`` since commit ``0785009`` (2023-08-18);
  deployment-templates PR #18 "MySQL 8 support" sets ``default_authentication_plugin=
  mysql_native_password`` in the server's config (R06). A MySQL 8 server otherwise creates users
  with ``caching_sha2_password``, which the client's connector does not use.
- WADebug ``check_mysql_permissions``: the user needs Select, Insert, Update, Delete, Create, Alter,
  Index and Drop, because the client creates its own databases (R10).

Judgements (no source states them):

- The cut-over between the two matrices is taken at client 2.41: 2.41.2 is the version the official
  compose files name from 2022-06 on, and those files moved to ``postgres:13.8`` (Oct 2022) and to
  ``mysql:8.0.33`` (Aug 2023) without naming another version. Clients before 2.41 get the older matrix.
  Because the seed procedure lists the newer matrix without naming a client version (and its upgrade
  section works on 2.29.x), a server listed only for the other era is a warning, never a failure; a
  server in neither matrix (MySQL 5.6, PostgreSQL 15) is a failure.
- The older page's "PostgreSQL 10.6" is read as the 10.x series.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .preflight import FAILURE, OK, WARNING
from .validation import parse_version

#: The privileges the client needs on the databases it creates (WADebug, field case R10).
REQUIRED_MYSQL_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX", "DROP")
#: The MySQL auth plugin the client's connector logs in with (official compose files, R06).
NATIVE_PLUGIN = "mysql_native_password"


@dataclass(frozen=True)
class DbSupport:
    """One row of the support table: from client ``since`` (major, minor) on, the MySQL and
    PostgreSQL major series (``"5.7"``, ``"8.0"``; ``"9.6"``, ``"13"``) it supports; ``source`` says where from."""

    since: tuple[int, int]
    mysql: tuple[str, ...]
    postgres: tuple[str, ...]
    source: str


#: Newest first; the first row whose ``since`` is not after the client version applies.
SUPPORT_TABLE: tuple[DbSupport, ...] = (
    DbSupport((2, 41), ("5.7", "8.0"), ("11", "12", "13"),
              "Meta production-setup page, newer version (cut-over at 2.41 is a judgement)"),
    DbSupport((0, 0), ("5.7",), ("9.5", "9.6", "10"), "Meta production-setup page, older version"),
)


@dataclass(frozen=True)
class DbJudgement:
    """What a DB fact means: ``level`` ok/warning/failure, ``reason`` in words, and when not ok the
    catalogue ``key`` (``domain.diagnosis``) with the ``evidence`` (what the server answered)."""

    level: str
    reason: str
    key: str = ""
    evidence: str = ""


def support_for(api_version: str) -> DbSupport:
    """The support-table row for ``WA_API_VERSION`` (``"2.41.2"``); an unparsable version gets the newest row."""
    parsed = parse_version(api_version)
    if parsed is None:
        return SUPPORT_TABLE[0]
    return next(row for row in SUPPORT_TABLE if parsed[:2] >= row.since)


_NUMBERS = re.compile(r"(\d+)(?:\.(\d+))?")


def server_series(engine: str, version: str) -> str | None:
    """The major series of a server version string: MySQL ``"8.0.33-log"`` → ``"8.0"``; PostgreSQL
    ``"15.4 (Debian 15.4-1)"`` → ``"15"``, ``"9.6.24"`` → ``"9.6"``. None when no number is found."""
    m = _NUMBERS.search(version)
    if not m:
        return None
    major, minor = m.group(1), m.group(2) or "0"
    if engine == "PGSQL" and int(major) >= 10:
        return major
    return f"{major}.{minor}"


#: A version as MySQL-protocol servers announce it: ``8.0.36``, ``5.7.44-log``, ``8.0.33-0ubuntu0.22.04.2``,
#: MariaDB's ``5.5.5-10.11.19-MariaDB-0+deb12u1`` (its "5.5.5-" prefix, observed here from mariadbd
#: 1:10.11.19-0+deb12u1: greeting ``\n5.5.5-10.11.19-MariaDB-0+deb12u1\0``, ``SELECT VERSION()`` →
#: ``10.11.19-MariaDB-0+deb12u1``).
_ANNOUNCED = re.compile(r"^\d+\.\d+\.\d+[0-9A-Za-z.+~_-]*$", re.M)


def printable_greeting(data: bytes) -> str:
    """A server's first bytes as text: printable ASCII kept, every other byte a newline (so each field
    of a MySQL handshake is a line of its own, and no random salt byte reaches a terminal)."""
    return "".join(chr(b) if 32 <= b < 127 else "\n" for b in data)


def announced_version(greeting: str) -> str | None:
    """The server version in a MySQL-protocol greeting given as :func:`printable_greeting` text (the
    first line that is a whole version string), or None."""
    m = _ANNOUNCED.search(greeting)
    return m.group(0) if m else None


def server_product(engine: str, version: str) -> str:
    """``PostgreSQL``, ``MariaDB`` (its version strings say so) or ``MySQL``."""
    if engine == "PGSQL":
        return "PostgreSQL"
    return "MariaDB" if "mariadb" in version.lower() else "MySQL"


def short_version(engine: str, version: str) -> str:
    """The version number as people say it: ``"5.5.5-10.11.19-MariaDB-0+deb12u1"`` → ``"10.11.19"``,
    ``"13.8 (Debian 13.8-1.pgdg110+1)"`` → ``"13.8"``, ``"8.0.33-log"`` → ``"8.0.33-log"``."""
    text = version.split()[0] if version.split() else version
    if server_product(engine, text) == "MariaDB":
        text = text[len("5.5.5-"):] if text.startswith("5.5.5-") else text
        return text.split("-", 1)[0]
    return text


def judge_server_version(engine: str, version: str, api_version: str) -> DbJudgement:
    """Whether the server ``version`` (as ``SELECT VERSION()`` / ``SHOW server_version`` or a greeting
    announce it) is supported by client ``api_version``; failure with ``DB_VERSION_UNSUPPORTED`` when it
    is not. MariaDB (any version) is not in Meta's matrix, which names MySQL and PostgreSQL only: a failure
    that says MariaDB, not "MySQL 5.5.5" or "MySQL 10.11"."""
    name = server_product(engine, version)
    row = support_for(api_version)
    wanted = row.postgres if engine == "PGSQL" else row.mysql
    listed = "/".join(f"{s}.x" for s in wanted)
    if name == "MariaDB":
        return DbJudgement(FAILURE, f"the server is MariaDB {short_version(engine, version)}, which Meta's support matrix does "
                                    f"not list: client {api_version} supports MySQL {listed}",
                           "DB_VERSION_UNSUPPORTED", f"server version {version} (MariaDB); client {api_version} supports MySQL {listed}")
    series = server_series(engine, version)
    if series is None:
        return DbJudgement(WARNING, f"{name} answered version {version!r}, which is not a version number")
    if series in wanted:
        return DbJudgement(OK, f"{name} {version.split()[0]}")
    if any(series in (r.postgres if engine == "PGSQL" else r.mysql) for r in SUPPORT_TABLE):
        # Listed for other client versions only: the cut-over is a judgement and the seed procedure lists
        # the newer matrix without naming a client version, so this is a warning, not a blocker.
        return DbJudgement(WARNING, f"{name} {version.split()[0]} is listed for other client versions, not clearly for "
                                    f"{api_version} (documented for it: {name} {listed}); test it before production",
                           "DB_VERSION_UNSUPPORTED", f"server version {version}; client {api_version} documented with {name} {listed}")
    return DbJudgement(FAILURE, f"{name} {version.split()[0]} is not supported by client {api_version}: use {name} {listed}",
                       "DB_VERSION_UNSUPPORTED", f"server version {version}; client {api_version} supports {name} {listed}")


def handshake_plugin(greeting: str) -> str:
    """The default auth plugin a MySQL handshake (greeting packet, as text) names, or ``""``."""
    m = re.search(r"\b((?:mysql|caching|sha256)_[a-z0-9_]*password)\b", greeting)
    return m.group(1) if m else ""


def judge_auth_plugin(version: str, user_plugin: str | None, default_plugin: str = "") -> DbJudgement:
    """For MySQL 8 and later: the login user's auth plugin (``mysql.user.plugin``) must be
    ``mysql_native_password`` (field case R06). ``user_plugin`` None means mysql.user could not be
    read: then the server's default plugin from its handshake (``default_plugin``) stands in, as a
    warning that says so. Servers before 8 have only the native plugin: always ok."""
    series = server_series("MYSQL", version) or ""
    if not series or int(series.split(".")[0]) < 8:
        return DbJudgement(OK, "auth plugin mysql_native_password (the only one before MySQL 8)")
    fix = "ALTER USER … IDENTIFIED WITH mysql_native_password, or start the server with --default-authentication-plugin=mysql_native_password"
    if user_plugin is not None:
        if user_plugin == NATIVE_PLUGIN:
            return DbJudgement(OK, f"the user logs in with {NATIVE_PLUGIN}")
        return DbJudgement(FAILURE, f"the user's auth plugin is {user_plugin}, which the client does not use: {fix}",
                           "DB_AUTH_PLUGIN_UNSUPPORTED", f"mysql.user plugin = {user_plugin}")
    if default_plugin == NATIVE_PLUGIN:
        return DbJudgement(OK, f"mysql.user is not readable by the user; the server's default plugin is {NATIVE_PLUGIN}")
    seen = default_plugin or "unknown"
    return DbJudgement(WARNING, f"mysql.user is not readable by the user, so its auth plugin is unknown; the server's default "
                                f"plugin is {seen}: if the user was created with it, {fix}",
                       "DB_AUTH_PLUGIN_UNSUPPORTED", f"server default auth plugin (handshake) = {seen}; SELECT on mysql.user denied")


_GRANT = re.compile(r"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<scope>\S+)\s+TO\s", re.IGNORECASE)


def _scope_covers(scope: str, prefix: str) -> bool:
    """Whether a grant's ``db.table`` scope covers every database the client creates (named ``prefix…``)."""
    db, _, table = scope.partition(".")
    if table.strip("`") != "*":
        return False
    db = db.strip("`")
    if db == "*":
        return True
    stem = db[:-1].replace("\\_", "_")
    return db.endswith("%") and "%" not in stem and bool(prefix) and prefix.startswith(stem)


def missing_mysql_privileges(grants: list[str], prefix: str = "") -> list[str]:
    """The privileges of :data:`REQUIRED_MYSQL_PRIVILEGES` that ``SHOW GRANTS`` lines do not give on
    every database the client creates: on ``*.*``, or with ``WA_DB_NAME_PREFIX`` ``prefix`` on a
    ``prefix%`` pattern. ``ALL [PRIVILEGES]`` gives them all."""
    have: set[str] = set()
    for line in grants:
        m = _GRANT.match(line.strip())
        if not m or not _scope_covers(m["scope"], prefix):
            continue
        privs = {p.strip().upper() for p in m["privs"].split(",")}
        if privs & {"ALL", "ALL PRIVILEGES"}:
            return []
        have |= privs
    return [p for p in REQUIRED_MYSQL_PRIVILEGES if p not in have]


def judge_mysql_grants(user: str, grants: list[str], prefix: str = "") -> DbJudgement:
    """Failure with ``DB_PRIVILEGES_MISSING`` (field case R10) listing what ``user`` lacks."""
    missing = missing_mysql_privileges(grants, prefix)
    if not missing:
        return DbJudgement(OK, f"{user} may create the client's databases")
    where = f"databases named {prefix}…" if prefix else "*.* (the client creates its own databases)"
    return DbJudgement(FAILURE, f"{user} lacks {', '.join(missing)} on {where}: GRANT them"
                                + ("" if prefix else ", or set WA_DB_NAME_PREFIX and grant on that prefix"),
                       "DB_PRIVILEGES_MISSING",
                       f"missing {', '.join(missing)}; SHOW GRANTS: " + ("; ".join(_without_hash(g) for g in grants) or "nothing"))


_PASSWORD_HASH = re.compile(r"\s+IDENTIFIED BY PASSWORD\s+'[^']*'", re.IGNORECASE)


def _without_hash(grant: str) -> str:
    """A grant line without MySQL ≤ 5.7.5's ``IDENTIFIED BY PASSWORD '<hash>'`` (a secret in evidence)."""
    return _PASSWORD_HASH.sub(" IDENTIFIED BY PASSWORD '…'", grant)


def judge_pg_role(user: str, can_create_db: bool, superuser: bool) -> DbJudgement:
    """Failure with ``DB_PRIVILEGES_MISSING`` when the PostgreSQL role may not create databases
    (``rolcreatedb`` false and not a superuser)."""
    if can_create_db or superuser:
        return DbJudgement(OK, f"{user} may create the client's databases" + (" (superuser)" if superuser else ""))
    return DbJudgement(FAILURE, f"{user} may not create databases: ALTER ROLE {user} CREATEDB",
                       "DB_PRIVILEGES_MISSING", f"pg_roles: rolcreatedb = false, rolsuper = false for {user}")
