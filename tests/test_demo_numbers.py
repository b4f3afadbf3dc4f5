"""Every served demo registers its own number (issue 17 trial: `demo --serve --name milano` and `--name roma`
both registered +1 6315550000, so once both profiles were saved the second install was refused as a duplicate)."""

from __future__ import annotations

from dataclasses import replace

from tests.domain.test_validation import good_profile
from wabiz_tui.demo.session import DEMO_PHONE_NUMBER, demo_phone_number
from wabiz_tui.domain.diagnosis import diagnose_duplicate_number
from wabiz_tui.domain.validation import validate_profile


def test_each_named_demo_has_its_own_fictional_number():
    names = ["demo", "milano", "roma", "napoli", "torino", "bari", "trialx", "a", "b"]
    numbers = [demo_phone_number(n) for n in names]
    assert numbers[0] == DEMO_PHONE_NUMBER  # the demo's own, as screenshots and saved demo profiles show
    assert len(set(numbers)) == len(names)
    assert all(n.isdigit() and len(n) == 10 and n[3:8] == "55501" for n in numbers[1:])  # 555-0100..0199
    assert demo_phone_number("milano") == demo_phone_number("milano")  # the same cluster keeps its number


def test_two_served_demos_are_not_duplicates():
    milano, roma = (good_profile(name=n) for n in ("milano", "roma"))
    milano = milano.with_changes(registration=replace(milano.registration, phone_number=demo_phone_number("milano")))
    roma = roma.with_changes(registration=replace(roma.registration, phone_number=demo_phone_number("roma")))
    assert not validate_profile(milano, registration=True)
    assert diagnose_duplicate_number(roma, [milano]) is None
