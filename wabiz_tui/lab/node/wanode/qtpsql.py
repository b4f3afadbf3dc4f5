"""How the real Coreapp/Master/dbupgrade (a Qt program, QPSQL driver) hands its PostgreSQL settings to libpq, so the
stand-in's libpq sees the same connection string and fails, or works, for the same reasons.

Sources:

- Field report FR09 (https://github.com/WhatsApp/WhatsApp-Business-API-Setup-Scripts/issues/81, coreapp v2.41.2 with
  ``WA_DB_ENGINE=PGSQL`` and ``WA_DB_SSL_CA``), the Coreapp's own log::

      dbsettings.cpp:79] Database engine is set to  "PGSQL"
      datastore.cpp:779] "create_configStore_139699752194944" connectOption: "SSL_CA=/usr/local/waent/data/certs/filename.crt.pem;connect_timeout=15"
      datastore.cpp:132] Failed to create database "configStore" QSqlError("", "QPSQL: Unable to connect", "invalid connection option \\"SSL_CA\\"\\n")

  so ``WA_DB_SSL_CA`` becomes the Qt connect option ``SSL_CA=<path>`` (Qt's MySQL driver's name for it) and
  ``connect_timeout=15`` follows. ``WA_DB_SSL_CERT``/``WA_DB_SSL_KEY`` are taken to become ``SSL_CERT``/``SSL_KEY``
  (Qt's MySQL names next to ``SSL_CA``; not seen in a field log).
- Field case R07 (Setup-Scripts issue 30): PostgreSQL users give libpq options in ``WA_DB_CONNECTION_OPTION``
  (``sslrootcert=<path>;dbname=db;sslmode=verify-full``). Where the Coreapp puts them in the connect options is not
  shown by any log: here they come after the SSL options and before ``connect_timeout`` (a judgement).
- Qt 5 ``qsql_psql.cpp`` ``QPSQLDriver::open``: the connection string is ``host=... dbname=... user=... password=...
  port=...`` (values single-quoted by ``qQuote``) followed by the connect options with every ``;`` replaced by a
  space, passed to ``PQconnectdb``; a ``CONNECTION_BAD`` gives ``QSqlError("", "QPSQL: Unable to connect",
  PQerrorMessage)``. libpq refuses an unknown keyword while parsing, before any network traffic: psql 15.18 here,
  ``psql "host=127.0.0.1 ... SSL_CA=/x connect_timeout=15"`` → ``psql: error: invalid connection option "SSL_CA"``;
  psycopg2 2.9.5 (libpq 15) → ``ProgrammingError: invalid dsn: invalid connection option "SSL_CA"``.
"""

from __future__ import annotations

from typing import Mapping

#: The Coreapp's connect timeout (s) in the FR09 log.
CONNECT_TIMEOUT = 15
#: db.env SSL variables and the Qt connect option each becomes (FR09 for SSL_CA).
SSL_OPTIONS = (("WA_DB_SSL_CA", "SSL_CA"), ("WA_DB_SSL_CERT", "SSL_CERT"), ("WA_DB_SSL_KEY", "SSL_KEY"))
#: What psycopg2 puts before libpq's own words when libpq refuses the connection string.
_PSYCOPG_DSN = "invalid dsn: "


def connect_options(env: Mapping[str, str]) -> str:
    """The Qt connect-option string the Coreapp builds from ``env`` (db.env): ``SSL_CA=<WA_DB_SSL_CA>`` (and
    ``SSL_CERT``/``SSL_KEY``) when set, the ``;``-separated parts of ``WA_DB_CONNECTION_OPTION``, then
    ``connect_timeout=15``. Example: ``{"WA_DB_SSL_CA": "/c.pem"}`` → ``"SSL_CA=/c.pem;connect_timeout=15"``."""
    parts = [f"{qt}={env[var]}" for var, qt in SSL_OPTIONS if env.get(var)]
    parts += [p.strip() for p in env.get("WA_DB_CONNECTION_OPTION", "").split(";") if p.strip()]
    parts.append(f"connect_timeout={CONNECT_TIMEOUT}")
    return ";".join(parts)


def _quote(value: str) -> str:
    """Qt 5's ``qQuote``: backslashes and single quotes escaped, the value in single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(host: str, port: int, user: str, password: str, dbname: str, options: str) -> str:
    """The libpq connection string ``QPSQLDriver::open`` passes to ``PQconnectdb`` (it holds the password: never log
    it)."""
    parts = [f"host={_quote(host)}"]
    if dbname:
        parts.append(f"dbname={_quote(dbname)}")
    parts += [f"user={_quote(user)}", f"password={_quote(password)}", f"port={_quote(str(port))}"]
    text = " ".join(parts)
    return f"{text} {options.replace(';', ' ')}" if options else text


def libpq_words(message: str) -> str:
    """libpq's own error text from a psycopg2 error message (psycopg2 prefixes a refused connection string with
    ``invalid dsn: ``; connection failures are ``PQerrorMessage`` as is)."""
    return message[len(_PSYCOPG_DSN):] if message.startswith(_PSYCOPG_DSN) else message


def qstring(text: str) -> str:
    """A string as Qt's ``qDebug`` prints a ``QString``: in double quotes, ``"`` and ``\\`` escaped, a newline as
    ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def qsqlerror(libpq_message: str) -> str:
    """``QSqlError("", "QPSQL: Unable to connect", "<libpq's message>")`` as the FR09 log prints it."""
    return f'QSqlError("", "QPSQL: Unable to connect", {qstring(libpq_message)})'
