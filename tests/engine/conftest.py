"""A started simulated cluster (real SSH servers and HTTPS Webapp on loopback) and its demo profile."""

from __future__ import annotations

import pytest

from wabiz_tui.demo import start_demo
from wabiz_tui.workflows.settings import RunSettings
from wabiz_tui.remote.ssh import SshSettings

SPEED = 0.05


@pytest.fixture
async def demo(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        yield session
    finally:
        await session.stop()


def settings_for(session, tmp_path, **kw) -> RunSettings:
    """Trust only the simulator's known_hosts; never read the developer's ~/.ssh."""
    base = dict(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                poll_interval=0.1, health_timeout=30.0, grace=2.0, log_dir=tmp_path / "logs", state_window=0.3)
    base.update(kw)
    return RunSettings(**base)


async def install(demo, tmp_path, **profile_changes):
    """Run the 9 HA steps on the demo cluster (with ``profile_changes``); updates ``demo.profile``."""
    from wabiz_tui.config.profile import save_profile
    from wabiz_tui.workflows.events import discard
    from wabiz_tui.workflows.ha_install import HaInstall

    if profile_changes:
        demo.profile = demo.profile.with_changes(**profile_changes)
        save_profile(demo.profile, demo.profile_path)
    if "wa_api_version" in profile_changes:  # an older client runs on the DB it supports (the preflight checks it)
        from wabiz_tui.demo import match_db_to_client
        match_db_to_client(demo, demo.profile.wa_api_version)
    wf = HaInstall(demo.profile, emit=discard, settings=settings_for(demo, tmp_path, profile_path=demo.profile_path))
    try:
        async def code(_req):
            return demo.cluster.sms_outbox[-1][1]
        assert await wf.run_all(code)
    finally:
        await wf.close()
    demo.profile = wf.profile
    return demo


@pytest.fixture
async def installed(demo, tmp_path):
    """The demo cluster after the 9 HA steps (registered, healthy); yields the DemoSession."""
    yield await install(demo, tmp_path)
