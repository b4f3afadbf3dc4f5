"""The health monitor's settings in the profile (``monitoring.grace``, ``monitoring.poll_floor``) and as flags
(``--grace``, ``--poll-floor`` on health, monitor and exporter): bad values name the field, flags win."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.domain.test_validation import good_profile
from wabiz_tui.config.profile import ProfileError, load_profile, profile_from_dict, profile_to_dict, save_profile
from wabiz_tui.domain.model import Monitoring
from wabiz_tui.domain.validation import validate_profile
from wabiz_tui.workflows.monitor import DEFAULT_GRACE, DEFAULT_POLL_FLOOR, HealthMonitor
from wabiz_tui.workflows.settings import MonitorSettings, default_settings, monitor_settings


def test_the_settings_round_trip_and_are_left_out_when_not_set(tmp_path):
    p = good_profile().with_changes(monitoring=Monitoring(grace=30.0, poll_floor=2.5))
    assert validate_profile(p) == []
    path = save_profile(p, tmp_path / "p.yaml")
    assert load_profile(path).monitoring == p.monitoring
    assert "grace" not in profile_to_dict(good_profile())["monitoring"]  # older files are written as they were
    data = yaml.safe_load(path.read_text())
    data["monitoring"] = {"grace": "45", "poll_floor": "0.5"}
    assert profile_from_dict(data).monitoring == Monitoring(grace=45.0, poll_floor=0.5)


@pytest.mark.parametrize("value", ["thirty", "30s", [30], True])
def test_a_value_that_is_no_number_names_the_field(tmp_path, value):
    data = profile_to_dict(good_profile())
    data["monitoring"]["grace"] = value
    with pytest.raises(ProfileError, match=r"monitoring\.grace: .* (is not a number of seconds|was given)"):
        profile_from_dict(data)


def test_values_out_of_range_name_the_field_and_the_fix():
    bad = good_profile().with_changes(monitoring=Monitoring(grace=-1.0, poll_floor=0.0))
    errors = validate_profile(bad)
    assert [e.field for e in errors] == ["monitoring.grace", "monitoring.poll_floor"]
    assert "give 0 to 3600 seconds" in errors[0].message and "more than 0" in errors[1].message
    assert [e.field for e in validate_profile(good_profile().with_changes(monitoring=Monitoring(grace=7200.0)))] \
        == ["monitoring.grace"]


def test_flags_win_over_the_profile_which_wins_over_the_defaults():
    plain = good_profile()
    set_ = plain.with_changes(monitoring=Monitoring(grace=30.0, poll_floor=2.0))
    assert monitor_settings(plain) == MonitorSettings(DEFAULT_GRACE, DEFAULT_POLL_FLOOR)
    assert monitor_settings(set_) == MonitorSettings(30.0, 2.0)
    assert monitor_settings(set_, grace=5.0, poll_floor=1.0) == MonitorSettings(5.0, 1.0)
    assert monitor_settings(plain, default_grace=90.0).grace == 90.0
    assert default_settings(set_, read_user_config=False).grace == 30.0  # the procedures' health steps too


def test_the_poll_floor_bounds_the_interval():
    m = HealthMonitor(good_profile(), interval=0.2, poll_floor=2.0)
    assert m.interval == 2.0
    m.interval = 5.0
    assert m.interval == 5.0


@pytest.mark.parametrize("command,code", [("health", 3), ("monitor", 2), ("exporter", 2)])
def test_bad_flags_are_refused_naming_the_flag(tmp_path, command, code):
    path = save_profile(good_profile(), tmp_path / "p.yaml")
    res = subprocess.run([sys.executable, "-m", "wabiz_tui", command, str(path), "--poll-floor", "0"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == code, res.stdout + res.stderr
    assert "--poll-floor: 0 s is out of range" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "wabiz_tui", command, str(path), "--grace", "-3"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == code and "--grace: -3 s is out of range" in res.stderr
