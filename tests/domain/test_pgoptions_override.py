"""``WA_DB_CONNECTION_OPTION`` overriding what QPSQL writes itself (field case R07's ``dbname=db``): libpq keeps a
keyword's last value. Checked against the real libpq here (``PQconninfoParse``, through ctypes) on the connection
string the Coreapp stand-in builds as Qt 5's ``QPSQLDriver::open`` does, and named by doctor as an ENV_VALUE cause."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest

from tests.support import IN_CI
from wabiz_tui.domain.pgoptions import coreapp_options, connection_option_findings
from wabiz_tui.lab.node.wanode import qtpsql

R07 = {"WA_DB_ENGINE": "PGSQL", "WA_DB_HOSTNAME": "wa-db", "WA_DB_PORT": "5432", "WA_DB_USERNAME": "waent",
       "WA_DB_PASSWORD": "Db-Pass-1234", "WA_DB_CONNECTION_OPTION": "sslrootcert=/usr/local/wamedia/ca.crt;dbname=db;"
                                                                    "sslmode=verify-full"}


class _Option(ctypes.Structure):
    _fields_ = [("keyword", ctypes.c_char_p), ("envvar", ctypes.c_char_p), ("compiled", ctypes.c_char_p),
                ("val", ctypes.c_char_p), ("label", ctypes.c_char_p), ("dispchar", ctypes.c_char_p),
                ("dispsize", ctypes.c_int)]


def libpq_reading(conninfo: str) -> dict[str, str]:
    """What the real libpq makes of ``conninfo`` (``PQconninfoParse``: no connection), keyword -> value."""
    name = ctypes.util.find_library("pq")
    if name is None:
        if IN_CI:
            pytest.fail("libpq (libpq5) is required in CI")
        pytest.skip("libpq is not installed here (apt-get install libpq5)")
    lib = ctypes.CDLL(name)
    lib.PQconninfoParse.restype = ctypes.POINTER(_Option)
    lib.PQconninfoParse.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
    lib.PQconninfoFree.argtypes = [ctypes.POINTER(_Option)]
    error = ctypes.c_char_p()
    options = lib.PQconninfoParse(conninfo.encode(), ctypes.byref(error))
    assert options, error.value
    out, i = {}, 0
    while options[i].keyword:
        if options[i].val is not None:
            out[options[i].keyword.decode()] = options[i].val.decode()
        i += 1
    lib.PQconninfoFree(options)
    return out


def coreapp_conninfo(values: dict[str, str], database: str) -> str:
    return qtpsql.conninfo(values["WA_DB_HOSTNAME"], int(values["WA_DB_PORT"]), values["WA_DB_USERNAME"],
                           values["WA_DB_PASSWORD"], database, qtpsql.connect_options(values))


def test_libpq_keeps_the_options_dbname_over_the_coreapps_own():
    got = libpq_reading(coreapp_conninfo(R07, "configStore"))
    assert got["dbname"] == "db" and got["sslmode"] == "verify-full" and got["host"] == "wa-db"


def test_doctor_names_r07s_dbname_with_what_libpq_does():
    [(message, fix, source)] = connection_option_findings(R07)
    assert message.startswith("dbname=db in WA_DB_CONNECTION_OPTION overrides the databases the Coreapp opens")
    assert "configStore" in message and "R07" in message
    assert fix.startswith("remove dbname= from WA_DB_CONNECTION_OPTION") and "libpq 15.18" in source
    assert libpq_reading(coreapp_conninfo(R07, "configStore"))["dbname"] == "db"  # what the message claims


@pytest.mark.parametrize("option,var,shown", [("host=10.9.9.9", "WA_DB_HOSTNAME", "host=10.9.9.9"),
                                              ("port=5433", "WA_DB_PORT", "port=5433"),
                                              ("user=admin", "WA_DB_USERNAME", "user=admin"),
                                              ("password=Other-Pass-9", "WA_DB_PASSWORD", "password=********")])
def test_the_other_keywords_qpsql_writes_are_named_when_the_option_differs(option, var, shown):
    values = {**R07, "WA_DB_CONNECTION_OPTION": f"sslmode=require;{option}"}
    key, value = option.split("=")
    assert libpq_reading(coreapp_conninfo(values, "configStore"))[key] == value  # the option's value is libpq's
    [(message, fix, _)] = connection_option_findings(values)
    assert message.startswith(f"{shown} in WA_DB_CONNECTION_OPTION overrides {var}") and var in fix
    assert "Other-Pass-9" not in message + fix and R07["WA_DB_PASSWORD"] not in message + fix


def test_the_same_value_again_is_no_finding_and_mysql_is_not_judged():
    same = {**R07, "WA_DB_CONNECTION_OPTION": "sslmode=require;host=wa-db;port=5432;user=waent"}
    assert connection_option_findings(same) == []
    assert connection_option_findings({**R07, "WA_DB_ENGINE": "MYSQL"}) == []
    assert coreapp_options(R07).refusal == ""  # dbname is a keyword libpq knows: it connects, to the wrong database


def test_doctor_makes_it_an_env_value_cause_on_the_host():
    from wabiz_tui.domain.doctor import P_ENV, Fact, reason
    [(message, fix, source)] = connection_option_findings(R07)
    fact = Fact(P_ENV, "wa-core-1", "cat /home/wa/biz/db.env", message, False,
                {"key": "DB_PG_OPTION", "severity": "error", "fix": fix, "source": source,
                 "field": "WA_DB_CONNECTION_OPTION"})
    (cause,) = [c for c in reason([fact]).causes if c.key == "ENV_VALUE"]
    assert "dbname=db" in cause.title and "wa-core-1" in cause.hosts and cause.next_action == fix
