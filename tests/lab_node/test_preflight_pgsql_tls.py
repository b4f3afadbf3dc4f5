"""``wabiz-tui preflight`` logs in to a TLS-only PostgreSQL 15 through a real OpenSSH server, with a profile file as a
user writes it (issue 17, left open from #16: on the lab the login said "did not speak the PGSQL protocol as expected
(AttributeError)"; the cause was the YAML loader's ``PlainText`` reaching asyncpg, which takes only ``str``).

Real parts: Debian's PostgreSQL 15 (``ssl=on``, ``hostssl``-only ``pg_hba.conf``, as ``lab/pg_beside.py``), Debian's
``sshd`` (the login's tunnel is a ``direct-tcpip`` channel through it), the CLI as a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.openssh.conftest import keygen, start_sshd
from tests.support import need_tool

from .conftest import DB_PASSWORD, DB_USER, PG_BIN, need
from .test_pgsql_qt_options import TlsPostgres

ROOT = Path(__file__).resolve().parents[2]
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")


@pytest.fixture(scope="module")
def tls_pg():
    need((PG_BIN / "initdb").exists(), f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing)")
    db = TlsPostgres()
    db.setup()
    yield db
    db.stop()


@pytest.fixture
def ssh_host(tmp_path):
    """A plain OpenSSH host on loopback and its known_hosts line; stopped at the end."""
    need_tool("sshd")
    keygen(tmp_path / "client_key")
    import getpass
    host = start_sshd(tmp_path / "hosts", "h1", tmp_path / "client_key.pub", None, getpass.getuser())
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{host.port} {host.host_key_pub}\n")
    yield host, known, getpass.getuser()
    host.process.terminate()
    host.process.wait(10)


def profile_file(tmp_path: Path, ssh_host, pg: TlsPostgres, password: str) -> Path:
    """The profile as a user types it: values without quotes (the loader's PlainText)."""
    host, known, user = ssh_host
    path = tmp_path / "pg.yaml"
    path.write_text(f"""name: pgtls
wa_api_version: 2.41.2
hosts:
- external_hostname: h1
  ssh: {{host: 127.0.0.1, port: {host.port}, user: {user}, key_file: {tmp_path / 'client_key'}, use_agent: false}}
  roles: [webapp, master, coreapp]
  remote_dir: {tmp_path / 'remote'}
db: {{engine: PGSQL, hostname: 127.0.0.1, port: {pg.port}, username: {DB_USER}, password: {password}}}
webapp: {{url: https://127.0.0.1:9090, self_signed_ok: true, admin_password: Admin-Pass-2026}}
known_hosts: {known}
""")
    path.chmod(0o600)
    return path


def preflight(path: Path) -> tuple[str, dict[str, tuple[str, str]]]:
    """The CLI's whole output and its cluster rows: check name -> (result, reason)."""
    out = subprocess.run([sys.executable, "-m", "wabiz_tui.cli", "preflight", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=180, env=os.environ.copy())
    text = out.stdout + out.stderr
    rows = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^cluster\s+(db [a-z ]+?)\s{2,}(ok|warning|failure)\s+(.*)$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return text, rows


def test_the_preflight_logs_in_over_tls_and_names_postgresql_15(tls_pg, ssh_host, tmp_path):
    text, rows = preflight(profile_file(tmp_path, ssh_host, tls_pg, DB_PASSWORD))
    assert rows["db login"] == ("ok", f"logged in as {DB_USER} through an SSH tunnel via h1"), text[-3000:]
    result, reason = rows["db version"]  # R07: 15 is outside client 2.41.2's matrix
    assert result == "failure" and reason.startswith("PostgreSQL 15.") and "2.41.2" in reason, reason
    assert rows["db privileges"][0] == "ok"
    assert "AttributeError" not in text and DB_PASSWORD not in text  # the server takes TLS logins only (hostssl)


def test_a_wrong_password_is_refused_in_words_naming_the_fields(tls_pg, ssh_host, tmp_path):
    text, rows = preflight(profile_file(tmp_path, ssh_host, tls_pg, "Not-The-Password-7"))
    result, reason = rows["db login"]
    assert result == "failure", text[-3000:]
    assert reason == (f"DB login refused for WA_DB_USERNAME={DB_USER}: check db.username and db.password in the "
                      "profile (db.env) and the user's allowed hosts")
    assert not CLASS_NAME.search(text) and "Not-The-Password-7" not in text
