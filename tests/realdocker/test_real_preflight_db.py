"""Items 4 and 6 of issue 13 on real parts: the preflight's DB checks against Debian's MariaDB 10.11
through real OpenSSH, on a host with ``nc`` and on one without it."""

from __future__ import annotations

import os
from pathlib import Path

from tests.engine.test_ha_install import Recorder
from tests.realdocker.conftest import make_host, stop_sshd
from wabiz_tui.domain.model import DbEnv
from wabiz_tui.domain.preflight import FAILURE, OK
from wabiz_tui.workflows.events import Finding
from wabiz_tui.workflows.preflight import Preflight

DB_KEYS = {"DB_VERSION_UNSUPPORTED", "DB_AUTH_PLUGIN_UNSUPPORTED", "DB_PRIVILEGES_MISSING", "DB_AUTH_FAILED"}


def bin_without_nc(tmp_path: Path) -> str:
    """A PATH directory holding every program of /usr/bin and /usr/sbin except nc/netcat (a minimal host)."""
    d = tmp_path / "nonc"
    d.mkdir()
    for src in ("/usr/sbin", "/usr/bin"):
        for name in os.listdir(src):
            if not name.startswith(("nc", "netcat")) and not (d / name).exists():
                (d / name).symlink_to(f"{src}/{name}")
    return str(d)


async def preflight(real_docker, real_mariadb, tmp_path, **host_options) -> tuple[dict, list]:
    """The preflight on a new OpenSSH host (``host_options`` as :func:`make_host` takes them) whose profile uses
    the real MariaDB: ``({(host, check name): Check}, [DB finding keys])``; the host's sshd is stopped after."""
    host = make_host(real_docker, tmp_path, db=mariadb_env(real_mariadb), **host_options)
    events = Recorder()
    try:
        wf = Preflight(host.profile, emit=events, settings=host.settings)
        try:
            await wf.run()
        finally:
            await wf.close()
    finally:
        stop_sshd(host.sshd)
    return {(c.host, c.name): c for c in wf.results}, [e.key for e in events if isinstance(e, Finding) and e.key in DB_KEYS]


def mariadb_env(db) -> DbEnv:
    return DbEnv(hostname="127.0.0.1", port=db.port, username=db.user, password=db.password)


async def test_real_mariadb_is_recognised_once(real_docker, real_mariadb, tmp_path):
    results, keys = await preflight(real_docker, real_mariadb, tmp_path)
    database = results[("wa-real-1", "database")]
    assert database.level == OK and database.reason.startswith("MariaDB 10.11"), database
    assert results[("", "db login")].level == OK
    version = results[("", "db version")]
    assert version.level == FAILURE and "MariaDB 10.11" in version.reason and "5.5.5" not in version.reason
    db_failures = [c for c in results.values() if c.level == FAILURE and ("db" in c.name or c.name == "database")]
    assert db_failures == [version] and keys == ["DB_VERSION_UNSUPPORTED"]


async def test_a_host_without_nc_still_checks_the_db_and_logs_in(real_docker, real_mariadb, tmp_path):
    results, _ = await preflight(real_docker, real_mariadb, tmp_path, path=bin_without_nc(tmp_path))
    database = results[("wa-real-1", "database")]
    assert database.level == OK and "MariaDB 10.11" in database.reason, database
    assert results[("", "db login")].level == OK and "SSH tunnel via wa-real-1" in results[("", "db login")].reason


async def test_without_forwarding_and_without_nc_bash_probes_the_port(real_docker, real_mariadb, tmp_path):
    """sshd refuses forwarding (AllowTcpForwarding no) and the host has no nc: bash's /dev/tcp tells the port
    answers; the login is tried and its refusal said as such (no tunnel), never counted as a DB failure."""
    results, keys = await preflight(real_docker, real_mariadb, tmp_path, path=bin_without_nc(tmp_path),
                                    options=("AllowTcpForwarding no",))
    database = results[("wa-real-1", "database")]
    assert database.level == OK and "bash /dev/tcp" in database.reason, database
    login = results[("", "db login")]
    assert login.level != FAILURE and "wa-real-1" in login.reason, login
    assert keys == []
