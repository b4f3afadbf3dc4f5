"""The optional ``monitoring:`` profile section (field case R27): targets, validation, YAML round trip."""

from __future__ import annotations

import pytest
import yaml

from tests.domain.test_validation import good_profile
from wabiz_tui.config.profile import ProfileError, load_profile, profile_from_dict, profile_to_dict, save_profile
from wabiz_tui.domain.model import Monitoring
from wabiz_tui.domain.validation import validate_profile


def test_standard_exporters_on_every_host_and_mysqld_exporter():
    p = good_profile()
    first = p.hosts[0].external_hostname
    m = Monitoring(from_host=first, host_exporters=True, mysqld_exporter="mon-db", targets=(f"{first}:9100", "x:7000"))
    targets = m.scrape_targets(p.hosts)
    assert (first, 9100, "node-exporter") in targets and (first, 8080, "cAdvisor") in targets
    assert ("mon-db", 9104, "mysqld-exporter") in targets and ("x", 7000, "scrape target") in targets
    assert len(targets) == len(set((h, port) for h, port, _ in targets)) == 2 * len(p.hosts) + 2  # no repeats
    assert Monitoring().scrape_targets(p.hosts) == []


def test_no_section_is_valid_and_a_bad_one_names_the_field():
    p = good_profile()
    assert validate_profile(p) == []
    bad = p.with_changes(monitoring=Monitoring(from_host="nowhere", host_exporters=True))
    assert [e.field for e in validate_profile(bad)] == ["monitoring.from_host"]
    first = p.hosts[0].external_hostname
    bad = p.with_changes(monitoring=Monitoring(from_host=first, targets=("no-port", "h:99999"), mysqld_exporter="db:x"))
    fields = [e.field for e in validate_profile(bad)]
    assert fields == ["monitoring.targets[0]", "monitoring.targets[1]", "monitoring.mysqld_exporter"]
    # every problem at once: a wrong from_host does not hide the targets' ports
    bad = p.with_changes(monitoring=Monitoring(from_host="nowhere", targets=("h:99999",), mysqld_exporter="db:99999"))
    fields = [e.field for e in validate_profile(bad)]
    assert fields == ["monitoring.from_host", "monitoring.targets[0]", "monitoring.mysqld_exporter"]


def test_yaml_round_trip(tmp_path):
    p = good_profile().with_changes(monitoring=Monitoring(from_host="wa-web-1", host_exporters=True, targets=("a:1",)))
    path = save_profile(p, tmp_path / "p.yaml")
    assert load_profile(path).monitoring == p.monitoring
    data = yaml.safe_load(path.read_text())
    data["monitoring"]["targets"] = "a:1"
    with pytest.raises(ProfileError, match="monitoring.targets"):
        profile_from_dict(data)
    data["monitoring"] = {"from_host": "wa-web-1", "scrape": True}
    with pytest.raises(ProfileError, match="monitoring: unknown field"):
        profile_from_dict(data)
    assert "monitoring" in profile_to_dict(good_profile())


def test_env_file_is_optional_absolute_and_named_when_bad(tmp_path):
    """FR45: ``monitoring.env_file`` (where Meta's monitoring .env is, on from_host) round-trips, is left out of a saved
    file when unset, and a bad one is refused naming the field."""
    p = good_profile()
    first = p.hosts[0].external_hostname
    good = p.with_changes(monitoring=Monitoring(from_host=first, env_file="/opt/whatsapp-monitoring/.env"))
    assert validate_profile(good) == []
    assert load_profile(save_profile(good, tmp_path / "p.yaml")).monitoring.env_file == "/opt/whatsapp-monitoring/.env"
    assert "env_file" not in profile_to_dict(p)["monitoring"]
    errors = validate_profile(p.with_changes(monitoring=Monitoring(from_host=first, env_file="monitoring/.env")))
    assert [(e.field, e.message) for e in errors] == [
        ("monitoring.env_file", "'monitoring/.env' is not absolute: give the full monitoring .env path, e.g. "
                                "/opt/whatsapp-monitoring/.env")]
    errors = validate_profile(p.with_changes(monitoring=Monitoring(from_host=first, env_file="/opt/m/.env;rm -rf /")))
    assert [e.field for e in errors] == ["monitoring.env_file"]
    # a file needs the host it lives on
    errors = validate_profile(p.with_changes(monitoring=Monitoring(env_file="/opt/m/.env")))
    assert [e.field for e in errors] == ["monitoring.from_host"]
