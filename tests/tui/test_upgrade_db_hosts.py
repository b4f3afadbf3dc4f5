"""The upgrade form's dbupgrade host choices follow the profile's hosts when the screen is shown again (s10 review:
they were rebuilt only when the number of hosts changed, so a host renamed in the wizard kept its old name there)."""

from __future__ import annotations

import dataclasses

from textual.widgets import Select

from .test_snapshots import make_app
from .test_upgrade_form_secret import open_upgrade


def choices(app) -> list[str]:
    """The values the dbupgrade Select offers now."""
    return [value for _, value in app.screen.query_one("#up-db-host", Select)._options]


async def test_a_renamed_host_is_offered_by_its_new_name_and_the_choice_kept(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_upgrade(app, pilot)
        names = [h.external_hostname for h in app.profile.hosts]
        assert choices(app)[1:] == names
        kept, renamed = names[-1], names[0]
        app.screen.query_one("#up-db-host", Select).value = kept
        await pilot.press("escape")
        await pilot.pause()
        hosts = tuple(dataclasses.replace(h, external_hostname="wa-renamed-1") if h.external_hostname == renamed else h
                      for h in app.profile.hosts)
        app.set_profile(dataclasses.replace(app.profile, hosts=hosts))  # the same number of hosts
        await open_upgrade(app, pilot)
        assert choices(app)[1:] == ["wa-renamed-1", *names[1:]]
        assert app.screen.query_one("#up-db-host", Select).value == kept
