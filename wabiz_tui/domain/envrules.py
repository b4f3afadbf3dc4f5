"""``db.env`` and profile environment values checked against what the WhatsApp client and Docker really read.

Over 400 lines because most of it is the rule table, each rule with its source (a Meta page, a field
report, or the exact output observed on compose 1.29 / MariaDB here), kept beside the checks that use it.

Two entry points, both pure (no I/O):

* :func:`check_db_env_text` takes the text of a ``db.env`` (e.g. read from a host by ``doctor``) and returns
  every :class:`EnvFinding`: how compose reads each line, then the meaning of the values;
* :func:`check_profile_env` takes a profile, renders its ``db.env`` exactly as the install writes it, reads it
  back the way compose does, and reports values compose would change (the password written unquoted) plus
  the profile-only rules (``EXTERNAL_HOSTNAME``).

Every rule has a key in :data:`RULES` with its severity and the source it rests on (a URL, a field report,
or "observed here" with the exact output of the real program on this machine). How a line is read follows
python-dotenv, which is what docker-compose 1.29.2 itself calls for ``env_file``
(``compose/config/environment.py``: ``dotenv.dotenv_values(..., encoding='utf-8-sig', interpolate=True)``).
"""

from __future__ import annotations

import difflib
import io
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from dotenv.parser import parse_stream

from .model import CONTAINER_MEDIA_PATH, ClusterProfile, DbEngine
from .render import db_env_lines

ERROR, WARNING, INFO = "error", "warning", "info"

_OBS_COMPOSE = "observed here: docker-compose 1.29.2 `config` on an env_file"
_OBS_DOCKER = "observed here: /usr/bin/docker 20.10.24 `run --env-file` (throwaway dockerd)"
_SS = "https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts"
_DT = "https://github.com/WhatsApp/whatsapp-business-api-deployment-templates (src/aws/wa_ent.yml, src/gcp variables)"
_DBUTIL = (f"{_SS}/issues/24 and /pull/25 (docs/field-reports.md FR08); a public copy of the Webapp's "
           "DBUtil.php (getDatabaseConfig lower-cases WA_DB_ENGINE, getDatabaseDriverOptions compares it raw)")


@dataclass(frozen=True)
class Rule:
    """One rule of the table: ``key``, default ``severity`` (error/warning/info), what it checks, its ``source``."""

    key: str
    severity: str
    checks: str
    source: str


#: The rule table: key → rule. Each :class:`EnvFinding` carries its rule's key and source.
RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("ENV_UNPARSABLE", ERROR, "a line compose cannot parse is dropped, so the variable is missing",
         f'{_OBS_COMPOSE}: V="abc -> "Python-dotenv could not parse statement starting at line 1", V absent'),
    Rule("ENV_QUOTED", WARNING, "quotes around a value: compose strips them, docker run --env-file keeps them",
         f'{_OBS_COMPOSE}: WA_DB_PASSWORD="abc def" -> `WA_DB_PASSWORD: abc def`; {_OBS_DOCKER}: '
         '`WA_DB_PASSWORD="abc def"`'),
    Rule("ENV_EXPORT", WARNING, "an `export ` prefix: compose accepts it, docker run --env-file refuses the file",
         f"{_OBS_COMPOSE}: `WA_DB_PORT: '3306'`; {_OBS_DOCKER}: \"poorly formatted environment: variable "
         "'export WA_DB_PORT' contains whitespaces\""),
    Rule("ENV_SPACES", WARNING, "spaces around `=` or after the value: compose trims them, docker run keeps or refuses them",
         f"{_OBS_COMPOSE}: `SP = spaced` -> `SP: spaced`, `TRAIL=val   ` -> `TRAIL: val`; {_OBS_DOCKER}: "
         "\"variable 'SP ' contains whitespaces\", `TRAIL=val   ` kept"),
    Rule("ENV_INLINE_COMMENT", WARNING, "` #...` after a value: compose cuts it off, docker run keeps it in the value",
         f"{_OBS_COMPOSE}: `P2=abc #def` -> `P2: abc`, `P1=abc#def` -> `P1: abc#def`; {_OBS_DOCKER}: `P2=abc #def`"),
    Rule("ENV_INTERPOLATED", ERROR, "`${NAME}` in a value: compose replaces it from the shell that runs compose",
         f"{_OBS_COMPOSE}: `P4=a${{HOME}}b` -> `P4: a/rootb`, `A15=a${{NOPE}}b` -> `A15: ab`; `$HOME` without braces is kept"),
    Rule("ENV_NO_VALUE", WARNING, "a name without `=`: the value comes from the environment of whoever runs compose",
         f"{_OBS_COMPOSE}: `NOVAL` with NOVAL=fromshell in the shell -> `NOVAL: fromshell`"),
    Rule("ENV_DUPLICATE", WARNING, "a variable set twice: the last line wins",
         f"{_OBS_COMPOSE}: DUP=first, DUP=second -> `DUP: second`; {_OBS_DOCKER}: `DUP=second`"),
    Rule("ENV_CRLF_BOM", INFO, "Windows line ends or a UTF-8 BOM: both readers here ignore them, shell tools do not",
         f"{_OBS_COMPOSE} and {_OBS_DOCKER}: CRLF line and BOM-prefixed first line read as plain"),
    Rule("DB_REQUIRED_MISSING", ERROR, "one of the five required WA_DB_* variables is missing or empty",
         "WADebug check_db_settings_exist (https://github.com/WhatsApp/WADebug); seed HA step 3; DBUtil.php "
         "\"db hostname, db username and db password are required\""),
    Rule("DB_ENGINE_VALUE", ERROR, "WA_DB_ENGINE is not MYSQL or PGSQL",
         f"{_SS} installation/db.env (MYSQL), installation/postgres/db.env (PGSQL); DBUtil.php throws "
         "\"Invalid database_engine\" and refuses sqlite in multiconnect"),
    Rule("DB_ENGINE_CASE_SSL", WARNING, "WA_DB_SSL_* with WA_DB_ENGINE not exactly `mysql`: the Webapp skips them",
         _DBUTIL),
    Rule("DB_SSL_PGSQL", ERROR, "WA_DB_SSL_* with PGSQL: passed to libpq as an unknown option",
         f"{_SS}/issues/81 (QPSQL: invalid connection option \"SSL_CA\"); field-reports FR09 (psql 15 here prints the same)"),
    Rule("DB_SSL_PAIR", ERROR, "a client certificate without its key, or a key without its certificate",
         "https://dev.mysql.com/doc/refman/8.0/en/connection-options.html#encrypted-connection-options "
         "(--ssl-cert and --ssl-key name the two halves of one client identity); [DT] sets both"),
    Rule("DB_SSL_PATH", ERROR, "a WA_DB_SSL_* path that is relative or outside any directory mounted in the containers",
         f"{_DT} (certs mounted at /opt/certs, WA_DB_SSL_CA=/opt/certs/db-ca.pem); {_SS}/issues/34 (relative "
         "names, every request refused); the rendered compose file mounts only the media volume"),
    Rule("PHP_BOOL_VALUE", ERROR, "WA_DB_SSL_VERIFY / WA_DB_PERSISTENT written as false/no/off: PHP reads that as true",
         "DBUtil.php casts WA_DB_SSL_VERIFY with (bool) and uses WA_DB_PERSISTENT when truthy; "
         "https://www.php.net/manual/en/language.types.boolean.php (only \"\" and \"0\" convert to false)"),
    Rule("DB_PORT_INVALID", ERROR, "WA_DB_PORT is not a whole number from 1 to 65535",
         "RFC 793 port field (16 bits); DBUtil.php puts it verbatim into the PDO DSN `port=`"),
    Rule("DB_PORT_ENGINE", WARNING, "WA_DB_PORT is the other engine's usual port",
         f"MySQL 3306 / PostgreSQL 5432 defaults; note {_SS} installation/postgres/db.env uses 3306 because its "
         "PostgreSQL runs with `-p 3306`"),
    Rule("DB_IDLE_TIMEOUT_UNITS", ERROR, "WA_DB_CONNECTION_IDLE_TIMEOUT is not milliseconds in 10000-28800000",
         f"https://developers.facebook.com/docs/whatsapp/guides/data-management (ms, MySQL only); {_DT} "
         "(default 180000, AllowedValues 10000-28800000); MySQL wait_timeout default 28800 s "
         "(https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_wait_timeout)"),
    Rule("DB_IDLE_TIMEOUT_PGSQL", WARNING, "WA_DB_CONNECTION_IDLE_TIMEOUT set with PGSQL (MySQL only, ignored)",
         f"https://developers.facebook.com/docs/whatsapp/guides/data-management; {_SS} installation/postgres/db.env has no such line"),
    Rule("DB_NAME_PREFIX", ERROR, "WA_DB_NAME_PREFIX with characters a bare database name cannot hold",
         "DBUtil.php builds dbname = prefix . name and creates it; unquoted identifiers allow [0-9a-zA-Z$_] "
         "(https://dev.mysql.com/doc/refman/8.0/en/identifiers.html); observed here on MariaDB 10.11.19: "
         "`CREATE DATABASE prod-1waweb` -> ERROR 1064 (42000) ... near '-1waweb', `prod_1waweb` and `p$1waweb` created"),
    Rule("DB_PASSWORD_CHARS", ERROR, "WA_DB_PASSWORD holds one of ?{}&~!()^=",
         "seed (Prima di iniziare); WADebug check_mysql_password INVALID_CHARACTERS; [DT] dbpassword validation"),
    Rule("DB_HOST_LOOPBACK", ERROR, "WA_DB_HOSTNAME is localhost/loopback: inside a container that is the container itself",
         "https://docs.docker.com/engine/network/ (each container has its own network stack); seed: the DB is "
         "on its own server"),
    Rule("WA_UNKNOWN_NAME", WARNING, "a WA_* name no official file, template or client source uses (likely misspelt)",
         f"names from {_SS} (db.env, compose files, kubernetes/*.yaml), {_DT}, DBUtil.php, WADebug"),
    Rule("COMPOSE_ONLY_VAR", WARNING, "a compose-interpolation variable in db.env: env_file does not feed ${...}",
         f"{_OBS_COMPOSE}: db.env EXTERNAL_HOSTNAME=fromdbenv, compose `COREAPP_HOSTNAME: ${{EXTERNAL_HOSTNAME:-unset}}` "
         "-> `COREAPP_HOSTNAME: unset`"),
    Rule("ROLE_VAR_IN_DB_ENV", ERROR, "WA_MASTER_NODE in db.env: every service without its own value (wacore, waweb) gets it",
         f"{_OBS_COMPOSE}: db.env WA_MASTER_NODE=1 -> the wacore service's environment has `WA_MASTER_NODE: '1'`"),
    Rule("OVERRIDDEN_VAR", WARNING, "a variable the compose file sets itself: compose's `environment:` wins over db.env",
         f"{_OBS_COMPOSE}: db.env WA_APP_MULTICONNECT=0, compose `WA_APP_MULTICONNECT: 1` -> `WA_APP_MULTICONNECT: 1`"),
    Rule("PROFILE_VALUE_MISREAD", ERROR, "a profile value that compose reads back differently from db.env as rendered",
         "the ENV_* observations above applied to the rendered line (wabiz-tui writes values unquoted)"),
    Rule("EXTERNAL_HOSTNAME_LOOPBACK", ERROR, "EXTERNAL_HOSTNAME is localhost/loopback: other hosts' containers cannot reach it",
         f"{_SS} installation/prod-multiconnect-compose.yml comment: \"should reflect the current machine's hostname "
         "accessible to other containers\""),
    Rule("EXTERNAL_HOSTNAME_CASE", WARNING, "EXTERNAL_HOSTNAME with upper-case letters",
         "RFC 4343 (DNS names compare case-insensitively) vs the health node key `<COREAPP_HOSTNAME>:<container>` "
         "which keeps the case as written (wa-onprem-api.md §3.3)"),
)}

#: Variables every WA container needs (WADebug ``check_db_settings_exist``).
REQUIRED = ("WA_DB_ENGINE", "WA_DB_HOSTNAME", "WA_DB_PORT", "WA_DB_USERNAME", "WA_DB_PASSWORD")
SSL_VARS = ("WA_DB_SSL_CA", "WA_DB_SSL_CERT", "WA_DB_SSL_KEY")
#: Every WA_* name a public official file, template or client source uses (see ``WA_UNKNOWN_NAME``'s source).
KNOWN_NAMES = frozenset(REQUIRED + SSL_VARS + (
    "WA_DB_CONNECTION_IDLE_TIMEOUT", "WA_DB_NAME_PREFIX", "WA_DB_SSL_VERIFY", "WA_DB_READ_TIMEOUT", "WA_DB_PERSISTENT",
    "WA_DB_CONNECTION_OPTION", "WA_DB_UPGRADE", "WA_CONFIG_ON_DB", "WA_APP_MULTICONNECT", "WA_MASTER_NODE",
    "WA_RUNNING_ENV", "WA_RUNNING_ENV_VERSION", "WA_WEB_SERVERNAME", "WA_WEB_JWT_CRYPTO_KEY", "WA_WEB_SECURITY_LEVEL",
    "WA_SECRET", "WA_API_KEY", "WA_TCP_LISTEN_ADDRESS", "WA_API_VERSION"))
#: Variables the compose file interpolates (``${...}``): they must come from the shell or ``.env``, not db.env.
COMPOSE_ONLY = frozenset({"EXTERNAL_HOSTNAME", "WA_API_VERSION", "EXTERNAL_WEBAPP_PORT"}
                         | {f"EXTERNAL_{r}_PORT{i}" for r in ("COREAPP", "MASTER") for i in range(4)})
#: Variables the rendered compose file sets in ``environment:`` of some service (they win over db.env there).
COMPOSE_SET = frozenset({"WA_APP_MULTICONNECT", "WEBAPP_EXTERNAL_PORTS", "WEBAPP_HOSTNAME", "COREAPP_EXTERNAL_PORTS",
                         "COREAPP_HOSTNAME", "WA_RUNNING_ENV_VERSION", "ORCHESTRATION"})
#: Profile field of each db.env variable (profile mode names the field, text mode the line).
PROFILE_FIELD = {"WA_DB_ENGINE": "db.engine", "WA_DB_HOSTNAME": "db.hostname", "WA_DB_PORT": "db.port",
                 "WA_DB_USERNAME": "db.username", "WA_DB_PASSWORD": "db.password",
                 "WA_DB_CONNECTION_IDLE_TIMEOUT": "db.connection_idle_timeout_ms", "WA_DB_NAME_PREFIX": "db.name_prefix"}
SECRET_KEYS = frozenset({"WA_DB_PASSWORD", "WA_SECRET", "WA_API_KEY", "WA_WEB_JWT_CRYPTO_KEY"})
#: Rules ``validation.check_db`` already enforces on profile fields: profile mode leaves them out (no double message).
VALIDATED_ELSEWHERE = frozenset({"DB_REQUIRED_MISSING", "DB_ENGINE_VALUE", "DB_PORT_INVALID", "DB_NAME_PREFIX",
                                 "DB_PASSWORD_CHARS"})
FORBIDDEN_PASSWORD = "?{}&~!()^="
IDLE_MIN_MS, IDLE_MAX_MS = 10000, 28800000
USUAL_PORT = {"mysql": 3306, "pgsql": 5432}
_INTERP_RE = re.compile(r"\$\{[^}]*\}?")
_PREFIX_RE = re.compile(r"[0-9A-Za-z_$]+\Z", re.ASCII)


@dataclass(frozen=True)
class EnvFinding:
    """One finding: rule ``key``, ``severity`` (error/warning/info), ``field`` (``db.env line 3 (WA_DB_PORT)`` or a
    profile field such as ``db.password``), ``reason`` in plain words, ``fix``, and the rule's ``source``.
    Never holds a secret value (passwords, keys are described by length only)."""

    key: str
    severity: str
    field: str
    reason: str
    fix: str
    source: str

    @property
    def message(self) -> str:
        """``reason: fix`` in one line (for a FieldError or a preflight row)."""
        return f"{self.reason}; {self.fix}"

    def __str__(self) -> str:
        return f"{self.severity} {self.key} {self.field}: {self.message}"


def _finding(key: str, field: str, reason: str, fix: str, severity: str | None = None) -> EnvFinding:
    rule = RULES[key]
    return EnvFinding(key, severity or rule.severity, field, reason, fix, rule.source)


@dataclass(frozen=True)
class EnvLine:
    """One assignment of a db.env text: 1-based ``line``, ``key``, the text after ``=`` as written (``raw``, None
    for a bare name), and ``value``: what compose 1.29 passes to the container (None: taken from its own shell)."""

    line: int
    key: str
    raw: str | None
    value: str | None


def _show(key: str, value: str) -> str:
    return f"{len(value)} characters" if key in SECRET_KEYS else repr(value)


def read_env_text(text: str) -> tuple[list[EnvLine], list[EnvFinding]]:
    """Read ``text`` as compose 1.29 reads an env_file; returns the assignments in order and the
    ENV_* findings about how each line is read (unparsable, quotes, export, spaces, comments, ``${}``, CRLF/BOM).

    ``value`` is python-dotenv's reading without interpolation; ``${...}`` is reported instead of being resolved
    (its result depends on the shell of whoever runs compose)."""
    findings: list[EnvFinding] = []
    if text.startswith("\ufeff") or "\r\n" in text:
        findings.append(_finding("ENV_CRLF_BOM", "db.env", "the file has a UTF-8 BOM or Windows (CRLF) line ends",
                                 "save it as plain UTF-8 with LF line ends (e.g. `sed -i 's/\\r$//' db.env`)"))
    body = text.removeprefix("\ufeff")
    lines = body.splitlines()
    out: list[EnvLine] = []
    for binding in parse_stream(io.StringIO(body)):
        lead = binding.original.string
        # python-dotenv counts the blank lines before a binding as part of it
        lineno = binding.original.line + lead[:len(lead) - len(lead.lstrip())].count("\n")
        field = f"db.env line {lineno}"
        if binding.error:
            findings.append(_finding("ENV_UNPARSABLE", field, "compose cannot parse this line and drops it, so its "
                                     "variable is missing (an unclosed quote, or text after a closing quote)",
                                     "write the value without quotes"))
            continue
        if binding.key is None:
            continue
        key = binding.key
        field = f"db.env line {lineno} ({key})"
        src = lines[lineno - 1] if lineno - 1 < len(lines) else ""
        src = src.rstrip("\r")
        left, eq, raw = src.partition("=")
        out.append(EnvLine(lineno, key, raw if eq else None, binding.value))
        if not eq:
            findings.append(_finding("ENV_NO_VALUE", field, f"{key} has no '=': compose takes its value from the "
                                     "environment of the shell that runs it (usually empty over SSH)",
                                     f"write {key}=<value>"))
            continue
        if left.lstrip().startswith("export "):
            findings.append(_finding("ENV_EXPORT", field, "the line starts with 'export ': compose accepts it, "
                                     "docker run --env-file refuses the whole file", "remove 'export '"))
        elif left != left.strip():
            findings.append(_finding("ENV_SPACES", field, "spaces around the name or '=': compose trims them, "
                                     "docker run --env-file refuses the file", f"write {key}=value with no spaces"))
        stripped = raw.strip()
        if stripped[:1] in ("'", '"'):
            findings.append(_finding("ENV_QUOTED", field, "the value is in quotes: compose removes them, docker run "
                                     "--env-file and other readers pass them as part of the value",
                                     "write the value without quotes"))
        elif re.search(r"\s#", raw):
            findings.append(_finding("ENV_INLINE_COMMENT", field, "' #' after the value: compose cuts the value there "
                                     f"(it reads {_show(key, binding.value or '')}), docker run keeps the rest",
                                     "put comments on their own line"))
        elif raw != raw.rstrip() or raw != raw.lstrip():
            findings.append(_finding("ENV_SPACES", field, "spaces before or after the value: compose trims them, "
                                     "docker run --env-file keeps them", "remove the spaces"))
        if stripped[:1] != "'" and _INTERP_RE.search(raw):
            findings.append(_finding("ENV_INTERPOLATED", field, "the value contains '${': compose replaces it with a "
                                     "variable of the shell that runs compose (an unknown name becomes empty)",
                                     "remove '${' from the value (for a password: change it on the DB server)"))
    seen: dict[str, int] = {}
    for e in out:
        if e.key in seen:
            findings.append(_finding("ENV_DUPLICATE", f"db.env line {e.line} ({e.key})",
                                     f"{e.key} is also set on line {seen[e.key]}: the last line wins",
                                     "keep one line per variable"))
        seen[e.key] = e.line
    return out, findings


def effective(entries: Iterable[EnvLine]) -> dict[str, tuple[str, int]]:
    """``{key: (value, line)}`` as compose applies them: last line wins, bare names left out."""
    return {e.key: (e.value, e.line) for e in entries if e.value is not None}


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_values(values: Mapping[str, tuple[str, int]], *, mounts: tuple[str, ...] = (CONTAINER_MEDIA_PATH,),
                 field_of: Mapping[str, str] | None = None) -> list[EnvFinding]:
    """The meaning rules on ``values`` (``{key: (value, line)}``, what the containers get).

    ``mounts`` are the container directories that hold files from outside (the rendered compose mounts only the
    media volume); ``field_of`` maps a key to a profile field name (profile mode) instead of ``db.env line N``."""
    def field(key: str) -> str:
        """Where ``key`` is named to the user: its profile field (profile mode), else ``db.env line N (KEY)``, else
        ``db.env``."""
        if field_of is not None and key in field_of:
            return field_of[key]
        return f"db.env line {values[key][1]} ({key})" if key in values else "db.env"

    def val(key: str) -> str:
        """The value of ``key`` the containers get, ``""`` when the key is absent."""
        return values[key][0] if key in values else ""

    out: list[EnvFinding] = []
    for key in REQUIRED:
        if not val(key):
            out.append(_finding("DB_REQUIRED_MISSING", field(key), f"{key} is {'empty' if key in values else 'missing'}",
                                f"set {key} (every WA container needs {', '.join(REQUIRED)})"))
    engine = val("WA_DB_ENGINE").lower()
    if val("WA_DB_ENGINE") and engine not in USUAL_PORT:
        extra = " (sqlite is refused in multiconnect)" if engine == "sqlite" else ""
        out.append(_finding("DB_ENGINE_VALUE", field("WA_DB_ENGINE"),
                            f"WA_DB_ENGINE={val('WA_DB_ENGINE')!r} is not an engine the client knows{extra}",
                            "use MYSQL or PGSQL"))
    ssl_set = [k for k in SSL_VARS if val(k)]
    if ssl_set and engine == "pgsql":
        out.append(_finding("DB_SSL_PGSQL", field(ssl_set[0]), f"{', '.join(ssl_set)} with PGSQL: the Coreapp passes "
                            "them to libpq, which fails with 'invalid connection option \"SSL_CA\"'",
                            "remove them; give libpq options (sslmode=verify-full;sslrootcert=<path>) in "
                            "WA_DB_CONNECTION_OPTION"))
    elif ssl_set and engine == "mysql" and val("WA_DB_ENGINE") != "mysql":
        out.append(_finding("DB_ENGINE_CASE_SSL", field("WA_DB_ENGINE"), f"WA_DB_ENGINE={val('WA_DB_ENGINE')!r} with "
                            f"{', '.join(ssl_set)}: the Webapp applies the SSL settings only when the value is exactly "
                            "'mysql', so it connects without TLS ('SSL connection is required' on a TLS-only server)",
                            "write WA_DB_ENGINE=mysql in lower case (the engine check itself ignores case), then "
                            "check the Webapp and Coreapp logs"))
    if bool(val("WA_DB_SSL_CERT")) != bool(val("WA_DB_SSL_KEY")):
        have, miss = ("WA_DB_SSL_CERT", "WA_DB_SSL_KEY") if val("WA_DB_SSL_CERT") else ("WA_DB_SSL_KEY", "WA_DB_SSL_CERT")
        out.append(_finding("DB_SSL_PAIR", field(have), f"{have} is set without {miss}: a client certificate needs "
                            "its private key", f"set {miss} too, or remove {have} (a CA alone is enough for "
                            "server verification)"))
    for key in ssl_set:
        path = val(key)
        if not path.startswith("/"):
            out.append(_finding("DB_SSL_PATH", field(key), f"{key}={path!r} is not an absolute path: the containers "
                                "do not start in a known directory", f"give the absolute path inside the container, "
                                f"under a mounted directory ({', '.join(mounts)})"))
        elif not any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts):
            out.append(_finding("DB_SSL_PATH", field(key), f"{key}={path!r} is not under a directory mounted in the "
                                f"containers ({', '.join(mounts)}), so the file does not exist inside them",
                                "put the file under a mounted directory (or mount its directory in the compose "
                                "file) and point the variable there", WARNING))
    for key in ("WA_DB_SSL_VERIFY", "WA_DB_PERSISTENT"):
        if key in values and val(key).strip().lower() in ("false", "no", "off", "n", "f"):
            out.append(_finding("PHP_BOOL_VALUE", field(key), f"{key}={val(key)!r} is a non-empty string, which the "
                                "Webapp's PHP reads as true", f"write {key}=0 to turn it off (1 to turn it on)"))
    port = val("WA_DB_PORT")
    if port:
        if not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535:
            out.append(_finding("DB_PORT_INVALID", field("WA_DB_PORT"), f"WA_DB_PORT={port!r} is not a port",
                                "use a number from 1 to 65535 (3306 for MySQL, 5432 for PostgreSQL)"))
        elif engine in USUAL_PORT:
            other = "pgsql" if engine == "mysql" else "mysql"
            if int(port) == USUAL_PORT[other]:
                out.append(_finding("DB_PORT_ENGINE", field("WA_DB_PORT"), f"WA_DB_PORT={port} is {other.upper()}'s "
                                    f"usual port while WA_DB_ENGINE is {engine.upper()}",
                                    f"check the port the DB server listens on ({engine.upper()} usually "
                                    f"{USUAL_PORT[engine]})"))
    idle = val("WA_DB_CONNECTION_IDLE_TIMEOUT")
    if "WA_DB_CONNECTION_IDLE_TIMEOUT" in values:
        if engine == "pgsql":
            out.append(_finding("DB_IDLE_TIMEOUT_PGSQL", field("WA_DB_CONNECTION_IDLE_TIMEOUT"),
                                "WA_DB_CONNECTION_IDLE_TIMEOUT is MySQL-only: PGSQL ignores it", "remove the line"))
        elif not re.fullmatch(r"[0-9]+", idle):
            out.append(_finding("DB_IDLE_TIMEOUT_UNITS", field("WA_DB_CONNECTION_IDLE_TIMEOUT"),
                                f"WA_DB_CONNECTION_IDLE_TIMEOUT={idle!r} is not a whole number of milliseconds",
                                "write milliseconds as digits only, e.g. 180000 (3 minutes)"))
        elif int(idle) < IDLE_MIN_MS:
            out.append(_finding("DB_IDLE_TIMEOUT_UNITS", field("WA_DB_CONNECTION_IDLE_TIMEOUT"),
                                f"WA_DB_CONNECTION_IDLE_TIMEOUT={idle} is read as {idle} ms, which looks like seconds",
                                f"the unit is milliseconds: {int(idle) * 1000} if you meant {idle} s "
                                f"(allowed {IDLE_MIN_MS}-{IDLE_MAX_MS})"))
        elif int(idle) > IDLE_MAX_MS:
            out.append(_finding("DB_IDLE_TIMEOUT_UNITS", field("WA_DB_CONNECTION_IDLE_TIMEOUT"),
                                f"WA_DB_CONNECTION_IDLE_TIMEOUT={idle} ms is longer than MySQL's default wait_timeout "
                                "(8 h): the server closes idle connections before the client does",
                                f"use at most {IDLE_MAX_MS} (the default is 180000)", WARNING))
    prefix = val("WA_DB_NAME_PREFIX")
    if prefix and not _PREFIX_RE.match(prefix):
        out.append(_finding("DB_NAME_PREFIX", field("WA_DB_NAME_PREFIX"), f"WA_DB_NAME_PREFIX={prefix!r} has characters "
                            "a bare database name cannot hold: creating '<prefix><name>' fails",
                            "use letters, digits and _ only"))
    bad = sorted({c for c in val("WA_DB_PASSWORD") if c in FORBIDDEN_PASSWORD})
    if bad:
        out.append(_finding("DB_PASSWORD_CHARS", field("WA_DB_PASSWORD"), f"the password contains {' '.join(bad)}: "
                            f"the client cannot use a DB password with any of {FORBIDDEN_PASSWORD}",
                            "change the password on the DB server and in db.env"))
    host = val("WA_DB_HOSTNAME")
    if host and _is_loopback(host):
        out.append(_finding("DB_HOST_LOOPBACK", field("WA_DB_HOSTNAME"), f"WA_DB_HOSTNAME={host!r} means the container "
                            "itself, not the DB server", "give the DB server's name or address as the hosts see it"))
    for key in values:
        if key in COMPOSE_ONLY:
            out.append(_finding("COMPOSE_ONLY_VAR", field(key), f"{key} in db.env does not reach the compose file's "
                                "${...}: compose takes it from the shell or .env only",
                                f"remove it from db.env; pass {key}=... on the docker-compose command line"))
        elif key == "WA_MASTER_NODE":
            out.append(_finding("ROLE_VAR_IN_DB_ENV", field(key), "WA_MASTER_NODE in db.env is given to every "
                                "service that does not set it itself: the Coreapps would start as Masters",
                                "remove it: the compose file sets WA_MASTER_NODE: 1 on the master service only"))
        elif key in COMPOSE_SET:
            out.append(_finding("OVERRIDDEN_VAR", field(key), f"{key} is set by the compose file's environment:, "
                                "which wins over db.env: this line has no effect on those services",
                                "remove it from db.env"))
        elif key.startswith("WA_") and key not in KNOWN_NAMES:
            close = difflib.get_close_matches(key, sorted(KNOWN_NAMES), n=1, cutoff=0.7)
            hint = f"did you mean {close[0]}?" if close else "check the name against Meta's documentation"
            out.append(_finding("WA_UNKNOWN_NAME", field(key), f"{key} is not a variable the client is known to read",
                                hint))
    return out


def check_db_env_text(text: str, *, mounts: tuple[str, ...] = (CONTAINER_MEDIA_PATH,)) -> list[EnvFinding]:
    """Every finding for a ``db.env`` text (e.g. the file read from a host): how compose reads each line
    (:func:`read_env_text`), then the meaning rules on what the containers get (:func:`check_values`).
    ``mounts``: container directories that hold files from outside (default: the media volume only)."""
    entries, findings = read_env_text(text)
    return findings + check_values(effective(entries), mounts=mounts)


def check_profile_env(profile: ClusterProfile) -> list[EnvFinding]:
    """Findings for the profile's environment before anything is rendered or started.

    Renders the db.env lines as the install writes them (unquoted ``KEY=value``) and reads each back like compose:
    a value compose would change (a password with `` #``, ``${``, a leading quote, edge spaces) is
    ``PROFILE_VALUE_MISREAD``; then the meaning rules except those :data:`VALIDATED_ELSEWHERE`; then the
    ``EXTERNAL_HOSTNAME`` of every host. Fields are profile paths (``db.password``, ``hosts[1].external_hostname``)."""
    out: list[EnvFinding] = []
    pairs = db_env_lines(profile.db)
    text = "".join(f"{k}={v}\n" for k, v in pairs)
    entries, _ = read_env_text(text)
    read_back = effective(entries)
    for key, value in pairs:
        got = read_back.get(key, (None, 0))[0]
        if got != value or _INTERP_RE.search(value):
            what = "drops the line" if got is None else (
                "replaces its '${...}' from the shell" if _INTERP_RE.search(value) else
                f"reads {_show(key, got)} instead of {_show(key, value)}")
            out.append(_finding("PROFILE_VALUE_MISREAD", PROFILE_FIELD.get(key, key),
                                f"written unquoted to db.env, compose {what}",
                                "avoid a leading quote, ' #', '${' and spaces at either end (for a password: change it "
                                "on the DB server)"))
    for f in check_values({k: (v, i + 1) for i, (k, v) in enumerate(pairs)}, field_of=PROFILE_FIELD):
        if f.key == "DB_HOST_LOOPBACK":
            # validation allows a loopback DB for one-machine rehearsals; on a real cluster it is wrong
            f = replace(f, severity=WARNING, fix=f.fix + " (fine only for a one-machine rehearsal)")
        if f.key not in VALIDATED_ELSEWHERE:
            out.append(f)
    if profile.db.engine is DbEngine.PGSQL and profile.db.connection_idle_timeout_ms not in (0, 180000):
        out.append(_finding("DB_IDLE_TIMEOUT_PGSQL", "db.connection_idle_timeout_ms", "set with PGSQL: it is "
                            "MySQL-only, and wabiz-tui leaves it out of db.env", "set it to 0"))
    for i, h in enumerate(profile.hosts):
        name, field = h.external_hostname, f"hosts[{i}].external_hostname"
        if name and _is_loopback(name):
            out.append(_finding("EXTERNAL_HOSTNAME_LOOPBACK", field, f"{name!r} is this host only: the other hosts' "
                                "containers would connect to themselves", "give the name or IP the other hosts reach "
                                "this host by"))
        elif name != name.lower():
            out.append(_finding("EXTERNAL_HOSTNAME_CASE", field, f"{name!r} has upper-case letters: DNS ignores case "
                                "but the health node keys keep it as written", f"write it as {name.lower()!r}"))
    return out


#: Preflight level of each severity (``domain.preflight``'s words).
PREFLIGHT_LEVEL = {ERROR: "failure", WARNING: "warning", INFO: "ok"}


def preflight_rows(profile: ClusterProfile) -> list[tuple[str, str, str, str]]:
    """``(host, check name, level, reason)`` rows of :func:`check_profile_env`'s warnings and infos for the
    preflight table (its errors already block in profile validation): host "" means the cluster."""
    return [("", f"env {f.key}", PREFLIGHT_LEVEL[f.severity], f"{f.field}: {f.message} [source: {f.source}]")
            for f in check_profile_env(profile) if f.severity != ERROR]


def profile_errors(profile: ClusterProfile) -> list[tuple[str, str]]:
    """``(field, message)`` of :func:`check_profile_env`'s errors, for profile validation."""
    return [(f.field, f.message) for f in check_profile_env(profile) if f.severity == ERROR]
