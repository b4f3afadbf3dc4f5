"""Validation tables: every bad value is refused with its field named and a fix."""

from __future__ import annotations

import dataclasses

import pytest

from wabiz_tui.domain.model import (ClusterProfile, DbEngine, DbEnv, HostSpec, MediaKind, MediaVolume, Registration,
                                    Role, SshTarget, WebappApi)
from hypothesis import given, settings
from hypothesis import strategies as st

from wabiz_tui.domain.validation import (DB_PASSWORD_FORBIDDEN, check_db_password, check_version, db_password_cautions,
                                         parse_version, validate_profile, version_shape_problem)


def good_profile(**changes) -> ClusterProfile:
    hosts = (
        HostSpec("wa-web-1", SshTarget("127.0.0.11", 22, "wa"), (Role.WEBAPP,)),
        HostSpec("wa-master-1", SshTarget("127.0.0.12", 22, "wa"), (Role.MASTER,)),
        HostSpec("wa-master-2", SshTarget("127.0.0.13", 22, "wa"), (Role.MASTER,)),
        HostSpec("wa-core-1", SshTarget("127.0.0.14", 22, "wa"), (Role.COREAPP,)),
        HostSpec("wa-core-2", SshTarget("127.0.0.15", 22, "wa"), (Role.COREAPP,)),
    )
    p = ClusterProfile("prod", "2.41.2", hosts,
                       db=DbEnv(DbEngine.MYSQL, "db.internal", 3306, "waent", "Str0ng-pass"),
                       webapp=WebappApi("https://wa-web-1:9090", self_signed_ok=True, admin_password="Adm1n-pass#"),
                       registration=Registration("1", "6315550000", cert="QUJD"))
    return dataclasses.replace(p, **changes)


def fields(profile: ClusterProfile, **kw) -> dict[str, str]:
    return {e.field: e.message for e in validate_profile(profile, **kw)}


def test_good_profile_is_valid():
    assert validate_profile(good_profile(), registration=True) == []


@pytest.mark.parametrize("char", list(DB_PASSWORD_FORBIDDEN))
def test_db_password_forbidden_characters_are_named(char):
    errors = check_db_password(f"Pa55word{char}x")
    assert len(errors) == 1 and errors[0].field == "db.password"
    assert f"'{char}'" in errors[0].message
    assert f"Pa55word{char}x" not in errors[0].message  # the secret itself is never echoed


@pytest.mark.parametrize("password", ["Pa55word-x", "abc_DEF.123", "x" * 40])
def test_db_password_allowed(password):
    assert check_db_password(password) == []


def test_db_password_too_short():
    [err] = check_db_password("Ab1-x")
    assert "shorter than 8" in err.message and "Ab1-x" not in err.message


@pytest.mark.parametrize("password,word", [("has space1", "space"), ("dollar$12", "$"), ("hash#1234", "#")])
def test_db_password_characters_worth_a_caution_are_accepted_with_a_warning(password, word):
    assert check_db_password(password) == []
    [caution] = db_password_cautions(password)
    assert word in caution and password not in caution


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=8, max_size=40))
def test_property_forbidden_characters_refused_every_other_printable_password_accepted(password):
    errors = check_db_password(password)
    if any(c in DB_PASSWORD_FORBIDDEN for c in password):
        assert errors and all(f"'{c}'" in errors[0].message for c in DB_PASSWORD_FORBIDDEN if c in password)
    else:
        assert errors == []


@pytest.mark.parametrize("value,ok", [("2.41.2", True), ("2.23.4", True), ("v2.41.2", False), ("2.41", False), ("latest", False), ("2.41.2 ", False), ("2.41.2\n", False), ("2.٤1.2", False)])
def test_version(value, ok):
    assert (check_version(value) == []) is ok
    if not ok and value.startswith("v"):
        assert "drop the leading 'v'" in check_version(value)[0].message


@pytest.mark.parametrize("typed,quoted", [("2.43.1RomaBackup5519", "'2.43.1'"), ("RomaBackup5519", None),
                                          ("123456789", "'123'"), ("2.43", "'2.43'")])
def test_a_version_problem_quotes_only_the_version_shaped_start(typed, quoted):
    # issue 17: a backup password typed into the version box was echoed whole in two error lines
    message = check_version(typed, "target")[0].message
    assert message == version_shape_problem(typed) and "X.Y.Z" in message
    assert "Roma" not in message and "5519" not in message and "456789" not in message
    assert (quoted in message) if quoted else ("'" not in message)


def test_parse_version():
    assert parse_version("2.29.3") == (2, 29, 3)
    assert parse_version("2.29") is None


@pytest.mark.parametrize("changes,field,fragment", [
    ({"name": "bad name"}, "name", "cluster name"),
    ({"wa_api_version": "2.x"}, "wa_api_version", "X.Y.Z"),
    ({"shards": 3}, "shards", "1, 2, 4, 8, 16, 32"),
    ({"db": DbEnv(DbEngine.MYSQL, "db.internal", 70000, "waent", "Str0ng-pass")}, "db.port", "1 to 65535"),
    ({"db": DbEnv(DbEngine.MYSQL, "wa-core-1", 3306, "waent", "Str0ng-pass")}, "db.hostname", "standalone"),
    ({"db": DbEnv(DbEngine.MYSQL, "db internal", 3306, "waent", "Str0ng-pass")}, "db.hostname", "' '"),
    ({"media": MediaVolume(MediaKind.HOST_PATH, "mnt/media")}, "media.host_path", "absolute"),
    ({"media": MediaVolume(MediaKind.HOST_PATH, "/mnt/$(reboot)")}, "media.host_path", "not allowed"),
    ({"webapp": WebappApi("http://wa-web-1:9090", self_signed_ok=True, admin_password="Adm1n-pass#")}, "webapp.url", "HTTPS"),
    ({"webapp": WebappApi("https://wa-web-1:9090", admin_password="Adm1n-pass#")}, "webapp.ca_file", "trust"),
    ({"webapp": WebappApi("https://wa-web-1:9090", self_signed_ok=True, admin_password="short")}, "webapp.admin_password", "8 to 64"),
])
def test_bad_values_name_their_field(changes, field, fragment):
    errors = fields(good_profile(**changes))
    assert field in errors, errors
    assert fragment in errors[field]


def test_host_errors_are_indexed():
    p = good_profile()
    bad = dataclasses.replace(p.hosts[2], external_hostname="bad_host!", remote_dir="biz", roles=())
    errors = fields(dataclasses.replace(p, hosts=p.hosts[:2] + (bad,) + p.hosts[3:]))
    assert "hosts[2].external_hostname" in errors and "'!'" in errors["hosts[2].external_hostname"]
    assert "hosts[2].remote_dir" in errors
    assert "hosts[2].roles" in errors


def test_topology_needs_each_role_and_unique_hosts():
    p = good_profile()
    only_web = dataclasses.replace(p, hosts=p.hosts[:1] + (dataclasses.replace(p.hosts[0], ssh=SshTarget("127.0.0.99", 22, "wa")),))
    msgs = [e.message for e in validate_profile(only_web)]
    assert any("no host runs a Master" in m for m in msgs)
    assert any("no host runs a Coreapp" in m for m in msgs)
    assert any("used by two hosts" in m for m in msgs)


@pytest.mark.parametrize("reg,field", [
    (Registration("+1", "6315550000", cert="QUJD"), "registration.cc"),
    (Registration("1", "631-555", cert="QUJD"), "registration.phone_number"),
    (Registration("1", "6315550000", cert=""), "registration.cert"),
    (Registration("1", "6315550000", cert="QUJD", pin="12"), "registration.pin"),
])
def test_registration_fields(reg, field):
    assert field in fields(good_profile(registration=reg), registration=True)


@pytest.mark.parametrize("changes,field", [
    ({"wa_api_version": "2.41.2\n"}, "wa_api_version"),
    ({"name": "prod\n"}, "name"),
    ({"db": dataclasses.replace(good_profile().db, hostname="db.internal\n")}, "db.hostname"),
    ({"db": dataclasses.replace(good_profile().db, hostname=" db.internal")}, "db.hostname"),
    ({"db": dataclasses.replace(good_profile().db, username="waent\n")}, "db.username"),
    ({"db": dataclasses.replace(good_profile().db, password="Str0ng-pass\x00x")}, "db.password"),
    ({"webapp": dataclasses.replace(good_profile().webapp, url="https://wa-web-1:9090\n")}, "webapp.url"),
    ({"webapp": dataclasses.replace(good_profile().webapp, url=" https://wa-web-1:9090")}, "webapp.url"),
    ({"registration": dataclasses.replace(good_profile().registration, pin="123456\n")}, "registration.pin"),
    ({"registration": dataclasses.replace(good_profile().registration, phone_number="6315550000\n")}, "registration.phone_number"),
    ({"registration": dataclasses.replace(good_profile().registration, cc="1\n")}, "registration.cc"),
])
def test_a_value_that_passes_is_the_value_used(changes, field):
    """Issue 14.6: no ``$`` that accepts a final newline, no strip() on the checked value only."""
    assert field in fields(good_profile(**changes), registration=True)
