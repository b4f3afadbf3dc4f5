"""A Coreapp on PostgreSQL that cannot reach its DB: the log line in the QSqlError shape (issue 17, left open from #16).

The Coreapp (Qt, QPSQL) logs libpq's message inside ``QSqlError("", "QPSQL: Unable to connect", "...")`` (FR09's log,
``wabiz_tui/lab/node/wanode/qtpsql.py``, which the lab's stand-in prints). The libpq messages below are libpq 15.18's
own, observed here through psycopg2 2.9.5 with the stand-in's connection string: a closed port, a port behind
``iptables -j DROP`` (``connect_timeout=3``), ``-j REJECT --reject-with icmp-host-unreachable``, a name resolved to an
address, and the ones that are *not* an unreachable DB (a name that does not resolve, the server's own refusal, another
protocol on the port, a wrong password).
"""

from __future__ import annotations

import pytest

from wabiz_tui.domain.diagnosis import diagnose_lines
from wabiz_tui.lab.node.wanode.qtpsql import qsqlerror

PREFIX = 'E 2026-12-05 17:00:00 UTC 140 datastore.cpp:132] Failed to create database "configStore" '
UNREACHABLE = [
    'connection to server at "10.213.0.30", port 5432 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n",
    'connection to server at "127.0.0.1", port 5432 failed: timeout expired\n',
    'connection to server at "127.0.0.1", port 5432 failed: No route to host\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n",
    'connection to server at "localhost" (127.0.0.1), port 1 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n",
]
NOT_UNREACHABLE = {
    'could not translate host name "no-such-db.invalid" to address: Name or service not known\n': "DB_HOST_UNRESOLVABLE",
    'connection to server at "127.0.0.1", port 55432 failed: FATAL:  no pg_hba.conf entry for host "127.0.0.1", '
    'user "wa", database "postgres", no encryption\n': None,
    'connection to server at "10.213.0.30", port 5432 failed: received invalid response to SSL negotiation: H\n': None,
    'connection to server at "10.213.0.30", port 5432 failed: FATAL:  password authentication failed for user '
    '"waent"\n': "DB_AUTH_FAILED",
    'invalid connection option "SSL_CA"\n': "DB_PG_OPTION_INVALID",
}


def keys(line: str) -> set[str]:
    return {d.key for d in diagnose_lines([line], host="wa-core-1")}


@pytest.mark.parametrize("libpq", UNREACHABLE)
def test_libpq_cannot_reach_the_db_in_the_qsqlerror_shape_is_db_unreachable(libpq):
    line = PREFIX + qsqlerror(libpq)
    assert "DB_UNREACHABLE" in keys(line), line
    (d,) = [d for d in diagnose_lines([line], host="wa-core-1") if d.key == "DB_UNREACHABLE"]
    assert "port" in d.evidence and d.host == "wa-core-1"


@pytest.mark.parametrize("libpq,key", NOT_UNREACHABLE.items())
def test_a_reached_server_or_a_name_is_not_called_unreachable(libpq, key):
    found = keys(PREFIX + qsqlerror(libpq))
    assert "DB_UNREACHABLE" not in found, libpq
    if key:
        assert key in found, (libpq, found)


def test_the_exact_shape_the_lab_stand_in_prints():
    """As the stand-in writes it (``qstring``: quotes escaped, newlines as ``\\n``)."""
    line = ('E 2026-12-05 17:00:00 UTC 140 datastore.cpp:132] Failed to create database "configStore" QSqlError("", '
            '"QPSQL: Unable to connect", "connection to server at \\"wa-db.lab.internal\\" (10.213.0.30), port 5432 '
            'failed: Connection refused\\n\tIs the server running on that host and accepting TCP/IP connections?\\n")')
    assert line == PREFIX + qsqlerror(UNREACHABLE[0].replace('"10.213.0.30"', '"wa-db.lab.internal" (10.213.0.30)'))
    assert {k for k in keys(line) if k.startswith("DB_")} == {"DB_UNREACHABLE"}


def test_the_qsqlerror_words_lead_doctor_to_the_container_path_while_the_host_logs_in():
    """As for MySQL's words (test_doctor_rules_path): the host logs in, the Coreapp says it cannot reach the DB, so
    doctor probes the path from inside the container; a timeout there is a block only the container sees."""
    from tests.domain.test_doctor_rules_path import DB, db_logins, inside, running
    from wabiz_tui.domain.doctor import P_LOGS, Fact, Facts, reason
    from wabiz_tui.domain.doctor_rules_path import container_leads

    words = PREFIX + qsqlerror(f'connection to server at "{DB}" (10.213.0.30), port 5432 failed: timeout expired\n')
    (d,) = [d for d in diagnose_lines([words]) if d.key.startswith("DB_")]
    log = Fact(P_LOGS, "wa-core-2", "docker logs c2", words, False, {"service": "wacore", "key": d.key, "severity": "error"})
    logins = [Fact(f.probe, f.host, f.command.replace(":3306", ":5432"), f.line, f.ok,
                   {**f.data, "target": DB, "port": 5432}) for f in db_logins()]  # the login and its TCP connect
    leads = container_leads(Facts(logins + [log, running("wa-core-2", "wacore", "c2")]))
    assert [(l.host, l.container, l.target, l.port, l.what) for l in leads] == [("wa-core-2", "c2", DB, 5432, "db")]
    report = reason(logins + [log, running("wa-core-2", "wacore", "c2"),
                              inside("wa-core-2", DB, 5432, f"{DB}:5432: no answer (timed out)", False, "db", words,
                                     timeout=True)])
    top = report.causes[0]
    assert top.key == "CONTAINER_PATH_BLOCKED" and log in top.evidence, [(c.key, c.title) for c in report.causes]
