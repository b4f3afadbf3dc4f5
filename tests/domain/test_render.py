"""Rendering against the official files (parsed YAML, comments aside), and the deliberate differences."""

from __future__ import annotations


import yaml

from tests.support import OFFICIAL, need_shared
from tests.domain.test_validation import good_profile
from wabiz_tui.domain.model import DbEngine, DbEnv, MediaKind, MediaVolume
from wabiz_tui.domain.render import compose_document, db_env_lines, render_compose, render_db_env


def official(name: str):
    return yaml.safe_load(need_shared(OFFICIAL / name).read_text())


def env_pairs(text: str) -> list[tuple[str, str]]:
    return [tuple(l.split("=", 1)) for l in text.splitlines() if l and not l.startswith("#")]


def test_default_compose_equals_official():
    assert yaml.safe_load(render_compose(good_profile())) == official("prod-multiconnect-compose.yml")


def test_default_db_env_has_official_variables():
    ours = env_pairs(render_db_env(DbEnv(DbEngine.MYSQL, "db", 3306, "root", "testpass")))
    theirs = env_pairs(need_shared(OFFICIAL / "db.env").read_text())
    assert ours == theirs


def test_pgsql_uses_wait_on_postgres_and_no_idle_timeout():
    p = good_profile(db=DbEnv(DbEngine.PGSQL, "pg.internal", 5432, "waent", "Str0ng-pass"))
    doc = yaml.safe_load(render_compose(p))
    for svc in doc["services"].values():
        assert svc["command"][0] == "/opt/whatsapp/bin/wait_on_postgres.sh"
    names = [k for k, _ in db_env_lines(p.db)]
    assert "WA_DB_CONNECTION_IDLE_TIMEOUT" not in names
    assert ("WA_DB_ENGINE", "PGSQL") in db_env_lines(p.db)


def test_host_path_media_replaces_named_volume_in_all_services():
    p = good_profile(media=MediaVolume(MediaKind.HOST_PATH, "/mnt/wamedia"))
    doc = yaml.safe_load(render_compose(p))
    base = official("prod-multiconnect-compose.yml")
    assert "volumes" not in doc and "volumes" in base
    for name, svc in doc["services"].items():
        assert svc["volumes"] == ["/mnt/wamedia:/usr/local/wamedia"]
        # everything else is as in the official file
        assert {k: v for k, v in svc.items() if k != "volumes"} == {k: v for k, v in base["services"][name].items() if k != "volumes"}


def test_no_links_and_no_network_mode_ever():
    for media in (MediaVolume(), MediaVolume(MediaKind.HOST_PATH, "/srv/media")):
        for engine in DbEngine:
            doc = compose_document(engine, media)
            for svc in doc["services"].values():
                assert "links" not in svc and "network_mode" not in svc


def test_masked_db_env_hides_the_password():
    db = DbEnv(DbEngine.MYSQL, "db", 3306, "root", "S3cret-value")
    text = render_db_env(db, mask_password=True)
    assert "S3cret-value" not in text and "WA_DB_PASSWORD=********" in text


def test_dbupgrade_equals_official_and_exit_on_success_option():
    from wabiz_tui.domain.render import dbupgrade_document, render_dbupgrade

    assert yaml.safe_load(render_dbupgrade(good_profile())) == official("dbupgrade-compose.yml")
    env = dbupgrade_document(exit_on_success=False)["services"]["dbupgrade"]["environment"]
    assert env == {"WA_DB_UPGRADE": 1, "EXIT_ON_SUCCESS": "FALSE"}
