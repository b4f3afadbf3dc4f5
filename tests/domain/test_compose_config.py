"""The real docker-compose 1.29 (Debian package) validates every generated file, with
EXTERNAL_HOSTNAME and WA_API_VERSION set as the start step sets them. Skips locally without
docker-compose; fails in CI (it is installed by .ci/run)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import need_tool
from tests.domain.test_validation import good_profile
from wabiz_tui.domain.model import DbEngine, DbEnv, MediaKind, MediaVolume
from wabiz_tui.domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env

VARIANTS = {
    "mysql-volume": good_profile(),
    "pgsql-volume": good_profile(db=DbEnv(DbEngine.PGSQL, "pg.internal", 5432, "waent", "Str0ng-pass")),
    "mysql-hostpath": good_profile(media=MediaVolume(MediaKind.HOST_PATH, "/mnt/wamedia")),
    "pgsql-hostpath": good_profile(db=DbEnv(DbEngine.PGSQL, "pg.internal", 5432, "waent", "Str0ng-pass"),
                                   media=MediaVolume(MediaKind.HOST_PATH, "/srv/nfs/media")),
}


def compose(tmp: Path, *args: str, env: dict[str, str], file: str = COMPOSE_FILE) -> subprocess.CompletedProcess:
    exe = need_tool("docker-compose")
    clean = {k: v for k, v in os.environ.items() if k not in ("EXTERNAL_HOSTNAME", "WA_API_VERSION")}
    return subprocess.run([exe, "-f", str(tmp / file), "--project-directory", str(tmp), *args],
                          env=clean | env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_docker_compose_config_accepts_rendered_files(tmp_path, variant):
    profile = VARIANTS[variant]
    (tmp_path / COMPOSE_FILE).write_text(render_compose(profile))
    (tmp_path / DB_ENV_FILE).write_text(render_db_env(profile.db))
    res = compose(tmp_path, "config", env={"EXTERNAL_HOSTNAME": "wa-core-1", "WA_API_VERSION": "2.41.2"})
    assert res.returncode == 0, res.stderr
    cfg = yaml.safe_load(res.stdout)
    assert cfg["services"]["wacore"]["image"] == "docker.whatsapp.biz/coreapp:v2.41.2"
    assert cfg["services"]["wacore"]["environment"]["COREAPP_HOSTNAME"] == "wa-core-1"
    assert cfg["services"]["waweb"]["environment"]["WA_DB_ENGINE"] == profile.db.engine.value
    mounts = cfg["services"]["waweb"]["volumes"]
    if profile.media.kind is MediaKind.HOST_PATH:
        assert any(profile.media.host_path in str(m) for m in mounts)


def test_docker_compose_refuses_without_wa_api_version(tmp_path):
    profile = good_profile()
    (tmp_path / COMPOSE_FILE).write_text(render_compose(profile))
    (tmp_path / DB_ENV_FILE).write_text(render_db_env(profile.db))
    res = compose(tmp_path, "config", env={"EXTERNAL_HOSTNAME": "wa-core-1"})
    assert res.returncode != 0
    assert "WA_API_VERSION" in res.stderr


@pytest.mark.parametrize("exit_on_success", [True, False])
def test_docker_compose_config_accepts_dbupgrade(tmp_path, exit_on_success):
    from wabiz_tui.domain.render import DBUPGRADE_FILE, render_dbupgrade

    profile = good_profile()
    (tmp_path / DBUPGRADE_FILE).write_text(render_dbupgrade(profile, exit_on_success=exit_on_success))
    (tmp_path / DB_ENV_FILE).write_text(render_db_env(profile.db))
    res = compose(tmp_path, "config", env={"EXTERNAL_HOSTNAME": "wa-core-1", "WA_API_VERSION": "2.29.3"}, file=DBUPGRADE_FILE)
    assert res.returncode == 0, res.stderr
    svc = yaml.safe_load(res.stdout)["services"]["dbupgrade"]
    assert svc["image"] == "docker.whatsapp.biz/coreapp:v2.29.3"
    assert ("EXIT_ON_SUCCESS" in svc["environment"]) is (not exit_on_success)
