"""profiles / profile show / plan: plain-terminal views that contact nothing."""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.domain.test_validation import good_profile
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import save_profile


def run(*args):
    return subprocess.run([sys.executable, "-m", "wabiz_tui", *args], capture_output=True, text=True, timeout=60)


def test_profile_show_masks_secrets(tmp_path):
    path = save_profile(good_profile(), tmp_path / "prod.yaml")
    res = run("profile", "show", str(path))
    assert res.returncode == 0
    data = yaml.safe_load(res.stdout)
    assert data["db"]["password"] == "********" and data["webapp"]["admin_password"] == "********"
    assert "Str0ng-pass" not in res.stdout and "Adm1n-pass#" not in res.stdout
    assert data["hosts"][0]["external_hostname"] == "wa-web-1"


def test_profiles_lists_saved_ones():
    save_profile(good_profile(), app_paths().profiles / "prod.yaml")
    save_profile(good_profile(name="staging", installed=True), app_paths().profiles / "staging.yaml")
    res = run("profiles")
    lines = res.stdout.splitlines()
    assert res.returncode == 0 and lines[0].startswith("NAME")
    assert any(l.startswith("prod ") and "not installed" in l for l in lines)
    assert any(l.startswith("staging ") and l.endswith(" installed") for l in lines)
    # a saved profile is found by name too
    assert run("profile", "show", "staging").returncode == 0


def test_plan_prints_commands_and_contacts_nothing(tmp_path):
    # nothing is contacted: the profile points at loopback addresses where no SSH server listens
    path = save_profile(good_profile(), tmp_path / "prod.yaml")
    res = run("plan", str(path))
    assert res.returncode == 0, res.stderr
    assert "EXTERNAL_HOSTNAME=wa-core-2 WA_API_VERSION=2.41.2 docker-compose -f /home/wa/biz/prod-multiconnect-compose.yml" in res.stdout
    assert "WA_DB_PASSWORD=********" in res.stdout and "Str0ng-pass" not in res.stdout
    res = run("plan", str(path), "--procedure", "upgrade", "--to", "2.43.1")
    assert res.returncode == 0 and "WA_API_VERSION=2.43.1" in res.stdout and "up -d master" in res.stdout
    res = run("plan", str(path), "--procedure", "upgrade", "--to", "2.40.0")
    assert res.returncode == 2 and "--force" in res.stderr
    res = run("plan", str(path), "--procedure", "uninstall")
    assert res.returncode == 0 and "rm -s -f wacore" in res.stdout


def test_import_and_export(tmp_path):
    src = save_profile(good_profile(name="imported"), tmp_path / "x.yaml")
    res = run("profile", "import", str(src))
    assert res.returncode == 0 and (app_paths().profiles / "imported.yaml").exists()
    res = run("profile", "import", str(src))
    assert res.returncode == 2 and "--replace" in res.stderr
    out = tmp_path / "exported.yaml"
    res = run("profile", "export", "imported", "--out", str(out))
    assert res.returncode == 0 and oct(out.stat().st_mode & 0o777) == "0o600"
    assert yaml.safe_load(out.read_text())["name"] == "imported"
    bad = tmp_path / "bad.yaml"
    bad.write_text(src.read_text().replace("Str0ng-pass", "Str0ng=pass"))
    res = run("profile", "import", str(bad))
    assert res.returncode == 2 and "db.password" in res.stderr and "'='" in res.stderr


def test_plan_and_render_refuse_an_invalid_profile_naming_the_fields(tmp_path):
    path = save_profile(good_profile(), tmp_path / "p.yaml")
    path.write_text(path.read_text().replace("external_hostname: wa-web-1", "external_hostname: wa_web!1")
                    .replace("wa_api_version: 2.41.2", "wa_api_version: latest"))
    for args in (("plan", str(path)), ("render", str(path), "--out", str(tmp_path / "out"))):
        res = run(*args)
        assert res.returncode == 2, res
        assert "hosts[0].external_hostname" in res.stderr and "wa_api_version" in res.stderr
        assert "Traceback" not in res.stderr and "unexpected error" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_import_and_every_validation_refuse_a_public_key_as_the_private_key(tmp_path):
    """s9: the same words as init's prompt, before anything connects (``profile import``, and a command's own
    validation of a profile file, here ``plan``)."""
    import dataclasses

    import asyncssh

    key = tmp_path / "id_ed25519"
    asyncssh.generate_private_key("ssh-ed25519").write_public_key(f"{key}.pub")
    key.write_text("")  # the private key beside it (its content is not read: the .pub is what is refused)
    base = good_profile()
    first = dataclasses.replace(base.hosts[0], ssh=dataclasses.replace(base.hosts[0].ssh, key_file=f"{key}.pub"))
    path = save_profile(dataclasses.replace(base, hosts=(first, *base.hosts[1:])), tmp_path / "prod.yaml")
    words = f"hosts[0].ssh.key_file: {key}.pub is a public key; give the private key, e.g. {key}"
    res = run("profile", "import", str(path))
    assert res.returncode == 2 and words in res.stderr, res.stdout + res.stderr
    assert not (app_paths().profiles / "prod.yaml").exists()
    res = run("plan", str(path))
    assert res.returncode == 2 and words in res.stderr, res.stdout + res.stderr
