"""What libpq makes of the PostgreSQL settings in ``db.env``, for ``doctor``'s login "with the exact db.env values" and
for db.env findings before anything starts (field report FR09, field case R07).

The Coreapp (Qt, QPSQL driver) passes ``WA_DB_SSL_CA`` on as the connect option ``SSL_CA=<path>`` followed by
``connect_timeout=15`` (FR09's Coreapp log, Setup-Scripts issue 81); PostgreSQL users give libpq options in
``WA_DB_CONNECTION_OPTION``, ``;``-separated (R07, Setup-Scripts issue 30: ``sslrootcert=<path>;dbname=db;
sslmode=verify-full``). QPSQL turns the ``;`` into spaces and appends the options to its connection string for
``PQconnectdb`` (Qt 5 ``qsql_psql.cpp``). Where the Coreapp puts ``WA_DB_CONNECTION_OPTION`` among the SSL options is
not shown by any log: here after them (a judgement); the refusal is the same either way.

libpq facts, observed here on libpq 15.18 (``PQlibVersion() == 150018``; ``psql`` 15.18):

- the keywords are those of ``PQconndefaults()`` (:data:`LIBPQ_KEYWORDS`), matched case-sensitively; any other is
  refused before connecting: ``psql: error: invalid connection option "SSL_CA"``;
- ``sslmode=verify`` → ``psql: error: invalid sslmode value: "verify"``;
- ``sslmode`` defaults to ``prefer`` (TLS when the server offers it); a ``hostssl``-only server refuses
  ``sslmode=disable`` with ``FATAL:  no pg_hba.conf entry for host "127.0.0.1", user "u", database "postgres",
  no encryption``;
- ``verify-ca``/``verify-full`` read ``sslrootcert`` on the client: ``root certificate file "/nonexistent/ca.pem"
  does not exist``;
- a keyword given twice keeps its last value: ``PQconninfoParse("host='127.0.0.1' dbname='configStore' user='wa'
  password='...' port='55432' dbname=dbb sslmode=require")`` gives ``dbname`` ``dbb``, and ``PQconnectdb`` of that
  string connects (``CONNECTION_OK``) with ``PQdb()`` = ``dbb``; ``psql "dbname=dba host=... dbname=dbb" -c "select
  current_database()"`` prints ``dbb``. QPSQL writes ``host``, ``dbname``, ``user``, ``password``, ``port`` first and
  the connect options after them, so ``dbname=`` in ``WA_DB_CONNECTION_OPTION`` (R07's ``dbname=db``) replaces the
  database the Coreapp asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

#: ``PQconndefaults()`` keywords of libpq 15.18 (observed here).
LIBPQ_KEYWORDS = frozenset((
    "service", "user", "password", "passfile", "channel_binding", "connect_timeout", "dbname", "host", "hostaddr",
    "port", "client_encoding", "options", "application_name", "fallback_application_name", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "sslmode", "sslcompression",
    "sslcert", "sslkey", "sslpassword", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "gssencmode", "krbsrvname", "gsslib", "replication",
    "target_session_attrs"))
#: libpq's sslmode values, weakest first (libpq-connect docs; ``prefer`` is the default).
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
#: db.env SSL variables and the Qt connect option the Coreapp makes of each (FR09 for SSL_CA).
QT_SSL_OPTIONS = (("WA_DB_SSL_CA", "SSL_CA"), ("WA_DB_SSL_CERT", "SSL_CERT"), ("WA_DB_SSL_KEY", "SSL_KEY"))
#: The libpq keywords Qt 5's ``QPSQLDriver::open`` writes itself, before the connect options, with the db.env variable
#: each comes from ("" for ``dbname``: the Coreapp names its own databases, configStore, clusterStore...).
QT_OWN_KEYWORDS = {"host": "WA_DB_HOSTNAME", "dbname": "", "user": "WA_DB_USERNAME", "password": "WA_DB_PASSWORD",
                   "port": "WA_DB_PORT"}
#: Where the "last value wins" reading comes from.
OVERRIDE_SOURCE = ("libpq 15.18 here (PQconninfoParse/PQconnectdb keep a keyword's last value); Qt 5 qsql_psql.cpp "
                   "QPSQLDriver::open (connect options appended after host, dbname, user, password, port); field case "
                   "R07 (Setup-Scripts issue 30: dbname=<DB> in the options, configStore/clusterStore without tables)")
#: Keys whose values are never shown, in lower case: compared with the key lowered, since a ``Password=`` (which libpq
#: refuses, so its options are shown in the finding's fact) is the same secret.
SECRET_KEYS = frozenset({"password", "sslpassword"})


@dataclass(frozen=True)
class PgOptions:
    """The options the Coreapp hands libpq: ``pairs`` (key, value) in order; ``refusal`` libpq's words when it refuses
    them before connecting ("" when it accepts them); ``sslmode`` the effective mode; ``sslrootcert`` its path."""

    pairs: tuple[tuple[str, str], ...]
    refusal: str
    sslmode: str
    sslrootcert: str

    def shown(self) -> str:
        """The options as the Coreapp logs them (``;``-joined), secret values masked."""
        return ";".join(f"{k}={'********' if k.lower() in SECRET_KEYS else v}" for k, v in self.pairs)

    @property
    def tls_required(self) -> bool:
        """The login must be over TLS (``require`` and stronger)."""
        return SSLMODES.index(self.sslmode) >= SSLMODES.index("require")


def coreapp_options(values: Mapping[str, str]) -> PgOptions:
    """The Coreapp's libpq options from db.env ``values`` (``{name: value}``): ``SSL_CA=`` & co. for the WA_DB_SSL_*
    set, the parts of ``WA_DB_CONNECTION_OPTION``, ``connect_timeout=15``; judged as libpq 15 judges them."""
    pairs = [(qt, values[var]) for var, qt in QT_SSL_OPTIONS if values.get(var)]
    for part in values.get("WA_DB_CONNECTION_OPTION", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip():
            pairs.append((key.strip(), value.strip()))
    pairs.append(("connect_timeout", "15"))
    settings = dict(pairs)  # the last of a key wins, as in a libpq connection string
    refusal = next((f'invalid connection option "{k}"' for k, _ in pairs if k not in LIBPQ_KEYWORDS), "")
    mode = settings.get("sslmode", "prefer")
    if not refusal and mode not in SSLMODES:
        refusal = f'invalid sslmode value: "{mode}"'
    return PgOptions(tuple(pairs), refusal, mode if mode in SSLMODES else "prefer", settings.get("sslrootcert", ""))


def connection_option_findings(values: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``(message, fix, source)`` for each thing in ``WA_DB_CONNECTION_OPTION`` libpq will refuse, and for each of
    QPSQL's own keywords it overrides (:func:`override_findings`). PGSQL only; the WA_DB_SSL_* variables are envrules'
    ``DB_SSL_PGSQL``."""
    if values.get("WA_DB_ENGINE", "").upper() != "PGSQL" or not values.get("WA_DB_CONNECTION_OPTION"):
        return []
    own = coreapp_options({"WA_DB_CONNECTION_OPTION": values["WA_DB_CONNECTION_OPTION"]})
    out = []
    if own.refusal:
        out.append((f"WA_DB_CONNECTION_OPTION with PGSQL: libpq refuses it before connecting ({own.refusal})",
                    "write libpq's own option names in lower case, ';'-separated (sslmode=verify-full;sslrootcert=<path>); "
                    f"sslmode is one of {', '.join(SSLMODES)}",
                    "libpq 15.18 PQconndefaults() and psql 15.18 here; Setup-Scripts issues 30 and 81 (field case R07, "
                    "field report FR09)"))
    return out + override_findings(own.pairs, values)


def override_findings(pairs: tuple[tuple[str, str], ...], values: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``(message, fix, source)`` for each keyword of ``pairs`` (``WA_DB_CONNECTION_OPTION``'s) that QPSQL writes
    itself (:data:`QT_OWN_KEYWORDS`): libpq keeps the option's value, the last. ``dbname`` always (the Coreapp's
    databases all become that one: R07's ``dbname=db``); ``host``/``port``/``user``/``password`` when they differ from
    db.env's variable (``values``); a password is never shown."""
    out = []
    for key, value in dict(pairs).items():  # the last of a key, as libpq reads them
        if key not in QT_OWN_KEYWORDS:
            continue
        var = QT_OWN_KEYWORDS[key]
        if key == "dbname":
            out.append((f"dbname={value} in WA_DB_CONNECTION_OPTION overrides the databases the Coreapp opens: libpq "
                        "keeps a keyword's last value and the options come after the Coreapp's own dbname=, so every "
                        f"connection of the Coreapps and Masters goes to {value or 'the database named like the user'} instead "
                        "of configStore, clusterStore... (field case R07: they were created and stayed without tables)",
                        "remove dbname= from WA_DB_CONNECTION_OPTION (the Coreapp names its own databases; "
                        "WA_DB_NAME_PREFIX prefixes them), then start the Coreapps and Masters again", OVERRIDE_SOURCE))
        elif value != values.get(var, ""):
            shown = f"{key}=********" if key == "password" else f"{key}={value}"
            was = f"{var}'s value" if key == "password" else f"{var}={values.get(var, '')}"
            out.append((f"{shown} in WA_DB_CONNECTION_OPTION overrides {was} for the Coreapps and Masters (libpq keeps a "
                        "keyword's last value; the options come after the Coreapp's own)",
                        f"put the value in {var} and remove {key}= from WA_DB_CONNECTION_OPTION", OVERRIDE_SOURCE))
    return out
