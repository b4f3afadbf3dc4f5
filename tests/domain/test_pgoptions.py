"""libpq's reading of db.env's PostgreSQL settings (field report FR09, field case R07); the expected words are what
libpq 15.18 / psql 15.18 print here (quoted in ``wabiz_tui/domain/pgoptions.py``)."""

from __future__ import annotations

from wabiz_tui.domain.pgoptions import coreapp_options, connection_option_findings


def test_fr09_wa_db_ssl_ca_becomes_an_option_libpq_refuses():
    pg = coreapp_options({"WA_DB_ENGINE": "PGSQL", "WA_DB_SSL_CA": "/usr/local/waent/data/certs/filename.crt.pem"})
    assert pg.shown() == "SSL_CA=/usr/local/waent/data/certs/filename.crt.pem;connect_timeout=15"  # FR09's log
    assert pg.refusal == 'invalid connection option "SSL_CA"'
    assert pg.sslmode == "prefer" and not pg.tls_required


def test_libpq_options_in_wa_db_connection_option():
    pg = coreapp_options({"WA_DB_CONNECTION_OPTION": "sslrootcert=/usr/local/wamedia/cert/x.crt;dbname=db;"
                                                     "sslmode=verify-full"})  # R07's shape
    assert pg.refusal == "" and pg.sslmode == "verify-full" and pg.tls_required
    assert pg.sslrootcert == "/usr/local/wamedia/cert/x.crt"
    assert coreapp_options({"WA_DB_CONNECTION_OPTION": "sslmode=disable"}).sslmode == "disable"


def test_names_are_case_sensitive_and_modes_are_checked_and_secrets_masked():
    assert coreapp_options({"WA_DB_CONNECTION_OPTION": "SSLMODE=require"}).refusal == \
        'invalid connection option "SSLMODE"'
    assert coreapp_options({"WA_DB_CONNECTION_OPTION": "sslmode=verify"}).refusal == 'invalid sslmode value: "verify"'
    pg = coreapp_options({"WA_DB_CONNECTION_OPTION": "sslpassword=Key-Pass-9;sslmode=require"})
    assert "Key-Pass-9" not in pg.shown() and "sslpassword=********" in pg.shown()


def test_a_secret_under_a_capitalised_name_is_masked_too():
    """libpq refuses ``Password=`` (names are case-sensitive), which is when the options are shown in the fact."""
    pg = coreapp_options({"WA_DB_CONNECTION_OPTION": "Password=Db-Pass-7;SSLPASSWORD=Key-Pass-9;sslmode=require"})
    assert pg.refusal == 'invalid connection option "Password"'
    assert "Db-Pass-7" not in pg.shown() and "Key-Pass-9" not in pg.shown()
    assert "Password=********" in pg.shown() and "SSLPASSWORD=********" in pg.shown()


def test_connection_option_findings_for_pgsql_only():
    bad = {"WA_DB_ENGINE": "PGSQL", "WA_DB_CONNECTION_OPTION": "sslmode=require;sslca=/c.pem"}
    [(message, fix, source)] = connection_option_findings(bad)
    assert 'invalid connection option "sslca"' in message and "sslrootcert" in fix and "libpq 15.18" in source
    assert connection_option_findings({**bad, "WA_DB_ENGINE": "MYSQL"}) == []
    assert connection_option_findings({"WA_DB_ENGINE": "PGSQL", "WA_DB_CONNECTION_OPTION": "sslmode=require"}) == []


def test_a_hostssl_only_server_and_sslmode_disable_is_named_with_libpq_options_not_wa_db_ssl_ca():
    from wabiz_tui.domain.doctor import P_DB_TLS, Fact, reason
    line = ('plain login refused (no pg_hba.conf entry for host "10.213.0.103", user "waent", database "postgres", no '
            'encryption (SQLSTATE 28000)); the same credentials over TLS accepted (require_secure_transport not readable)')
    fact = Fact(P_DB_TLS, "wa-core-1", "postgresql login ... sslmode=disable; then ... over TLS", line, False,
                {"engine": "PGSQL", "user": "waent"})
    (cause,) = [c for c in reason([fact]).causes if c.key == "DB_TLS_REQUIRED"]
    assert "TLS logins only" in cause.title and "wa-core-1" in cause.hosts
    assert "sslmode=verify-full;sslrootcert=" in cause.next_action and "never WA_DB_SSL_CA" in cause.next_action


def test_a_connection_option_libpq_refuses_is_an_env_value_cause():
    from wabiz_tui.domain.doctor import P_ENV, Fact, reason
    [(message, fix, source)] = connection_option_findings({"WA_DB_ENGINE": "PGSQL", "WA_DB_CONNECTION_OPTION": "sslca=/c"})
    fact = Fact(P_ENV, "wa-core-2", "cat /home/wa/biz/db.env", message, False,
                {"key": "DB_PG_OPTION", "severity": "error", "fix": fix, "source": source})
    (cause,) = [c for c in reason([fact]).causes if c.key == "ENV_VALUE"]
    assert "sslca" in cause.title and cause.next_action == fix
