"""What the tests share, in one place: where shared/ lives, CI versus local (a missing tool skips locally and
fails in CI), the simulator's pace in tests, run settings that trust only the simulator's host keys, and the 9
HA steps run headless on a demo cluster. Fixtures built on these live in the conftest files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OFFICIAL = SHARED / "reference" / "official-setup-scripts"
HEALTH_CASES = SHARED / "cases" / "health"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_tool(name: str) -> str:
    """The path of an external tool; skips the test locally without it, fails in CI (design.md §7)."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{name} is required in CI (.ci/run installs it)")
    pytest.skip(f"{name} is not installed here (.ci/run installs it in CI)")


def need_shared(path: Path) -> Path:
    """A file from ../shared; skips locally when the checkout has no shared/ beside it, fails in CI."""
    if path.exists():
        return path
    if IN_CI:
        pytest.fail(f"{path} is missing: CI must run with shared/ beside the checkout")
    pytest.skip(f"{path} is not available in this checkout")


#: the simulated cluster's pace in tests (every simulated delay multiplied by this)
SPEED = 0.05


def settings_for(session, tmp_path=None, **kw):
    """Run settings that trust only the simulator's known_hosts and never read the developer's ~/.ssh; the run
    log goes under ``tmp_path`` when given (else the isolated state directory). ``kw`` overrides any field."""
    from wabiz_tui.remote.ssh import SshSettings
    from wabiz_tui.workflows.settings import RunSettings

    base = dict(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                poll_interval=0.1, health_timeout=30.0, grace=2.0, state_window=0.3)
    if tmp_path is not None:
        base["log_dir"] = tmp_path / "logs"
    base.update(kw)
    return RunSettings(**base)


async def install_headless(session, tmp_path=None, **profile_changes):
    """Run the 9 HA steps headless on the demo ``session`` (with ``profile_changes`` saved first); updates and
    returns ``session`` with its profile marked installed."""
    from wabiz_tui.config.profile import save_profile
    from wabiz_tui.demo import match_db_to_client
    from wabiz_tui.workflows.events import discard
    from wabiz_tui.workflows.ha_install import HaInstall

    if profile_changes:
        session.profile = session.profile.with_changes(**profile_changes)
        save_profile(session.profile, session.profile_path)
    if "wa_api_version" in profile_changes:  # an older client runs on the DB it supports (the preflight checks it)
        match_db_to_client(session, session.profile.wa_api_version)
    wf = HaInstall(session.profile, emit=discard,
                   settings=settings_for(session, tmp_path, profile_path=session.profile_path))
    try:
        async def code(_request):
            return session.cluster.sms_outbox[-1][1]

        assert await wf.run_all(code)
    finally:
        await wf.close()
    session.profile = wf.profile
    assert session.profile.installed
    return session


def record_toasts(app) -> list[str]:
    """Record every toast ``app`` shows as ``"title: message"`` (still shown); returns the list it fills."""
    toasts: list[str] = []
    shown = app.notify

    def record(message, *, title="", **kw):
        toasts.append(f"{title}: {message}")
        shown(message, title=title, **kw)

    app.notify = record
    return toasts


def big_layout(n: int = 50):
    """Simulated hosts for a cluster of ``n`` hosts as the demo lays it out (:func:`wabiz_tui.demo.demo_layout`). The
    default is the largest Meta supports (32 shards: 4 Webapps, 3 Masters, 43 Coreapps = 50 hosts; issue 17).
    Start it with ``start_demo(..., hosts=big_layout(), spare_hosts=())``."""
    from wabiz_tui.demo import demo_layout

    return demo_layout(n)[0]
