"""Drive the demo through the wizard and save SVG screenshots of the main screens.

Run it directly (``python tests/tui/make_screenshots.py [out_dir] [--speed S]``; default out_dir is
``screenshots/``) or through pytest with ``WABIZ_SCREENSHOTS=1`` (see ``test_screenshots.py``).
Files: 01-hosts-form, 02-review, 03-db-form-error, 04-preflight, 05-start-streaming, 05-start-done,
07-health-before-registration, 08-registration, 09-final-health, 10-light-theme, then Multiconnect and
the monitor: 11-multiconnect-shards, 12-multiconnect-final-health, 13-monitor-failover,
14-monitor-after-failover, then the operations: 15-upgrade-done, 16-logs-collected, 17-uninstall-plan,
18-uninstall-report, 19-wizard-80x24, and 20-fleet (three clusters: healthy, a standby Coreapp killed,
unreachable) (all ``.svg``). ``--only fleet`` makes the last one alone.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
import os
import sys
import tempfile
import time
from pathlib import Path

from textual.widgets import Input

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.tui.widgets.timeline import Timeline

SIZE = (140, 45)


async def _idle(app: WabizApp, pilot, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while app.busy and time.monotonic() < end:
        await asyncio.sleep(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


async def _until(pilot, predicate, what: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def _run_and_next(app: WabizApp, pilot) -> None:
    await pilot.press("ctrl+n")
    await _idle(app, pilot)
    await pilot.press("ctrl+n")
    await pilot.pause(0.2)


def screen_text(app: WabizApp) -> str:
    """The current screen as plain text (what the SVG shows, without colours)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def make_screenshots(out_dir: Path, *, speed: float = 0.3, text: bool = False) -> list[Path]:
    """Walk the demo through the 9 steps, saving a screenshot of each main screen in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        # backups, run logs and trusted keys of this walk stay in the temporary folder, never in the real home; always
        # this folder (/tmp/tmpXXXXXXXX/home), also under pytest: the report's whole path is on screen, and a longer
        # home (pytest's tmp_path) wraps its line elsewhere
        previous_home = os.environ.get("WABIZ_TUI_HOME")
        os.environ["WABIZ_TUI_HOME"] = str(Path(tmp) / "home")
        session = await start_demo(Path(tmp) / "demo", speed=speed)
        try:
            app = WabizApp(session.profile, demo=session, log_dir=Path(tmp) / "logs")
            async with app.run_test(size=SIZE, notifications=True) as pilot:

                async def shot(name: str) -> None:
                    await pilot.pause(0.3)
                    for pane in app.screen.query(HostLogPane):
                        pane.flush()
                    await pilot.pause()
                    saved.append(Path(app.save_screenshot(f"{name}.svg", str(out_dir))))
                    if text:
                        (out_dir / f"{name}.txt").write_text(screen_text(app), encoding="utf-8")

                await shot("01-hosts-form")
                await _run_and_next(app, pilot)                      # step 1
                await shot("02-review")
                await _run_and_next(app, pilot)                      # step 2
                password = app.screen.query_one("#db-password", Input)
                good = password.value
                password.value = "bad!pass"
                await pilot.press("ctrl+r")
                await shot("03-db-form-error")
                password.value = good
                await _run_and_next(app, pilot)                      # step 3
                await _run_and_next(app, pilot)                      # step 4
                await pilot.press("ctrl+n")                          # step 5: the preflight gate
                await _idle(app, pilot)
                await shot("04-preflight")
                session.cluster.speed = 1.0                          # slow enough to catch it streaming
                await pilot.press("ctrl+n")                          # step 5 starts
                end = time.monotonic() + 30
                while app.busy and time.monotonic() < end:
                    panes = list(app.screen.query(HostLogPane))
                    if panes and sum(len(p.history) for p in panes) >= 3 * len(panes):
                        break
                    await asyncio.sleep(0.02)
                await shot("05-start-streaming")
                await _idle(app, pilot)
                session.cluster.speed = speed
                await shot("05-start-done")
                await pilot.press("ctrl+n")
                await _run_and_next(app, pilot)                      # step 6
                await pilot.press("ctrl+n")                          # step 7
                await _idle(app, pilot)
                await shot("07-health-before-registration")
                await pilot.press("ctrl+n")
                await pilot.pause()
                await pilot.press("ctrl+r")                          # request the code
                await _idle(app, pilot)
                await pilot.press(*session.cluster.sms_outbox[-1][1])
                await shot("08-registration")
                await pilot.press("ctrl+r")                          # verify
                await _idle(app, pilot)
                await pilot.press("ctrl+n")
                await pilot.press("ctrl+n")                          # step 9
                await _idle(app, pilot)
                app.clear_notifications()
                await shot("09-final-health")
                await pilot.press("ctrl+t")
                await shot("10-light-theme")
                await pilot.press("ctrl+t")
                await pilot.press("ctrl+n")                          # M1: set shards
                await _until(pilot, lambda: "Coreapp(s) run" in str(app.screen.query_one("#shard-check").render()),
                             "the live shard check")
                selector = app.screen.query_one("#shards").region  # issue 17.2: it was 1 column wide, 0 lines high
                if selector.width < 10 or selector.height < 1:
                    raise RuntimeError(f"the shard selector is not on screen: {selector}")
                await shot("11-multiconnect-shards")
                await pilot.press("ctrl+r")
                await _until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
                await pilot.press("y")
                await _until(pilot, lambda: app.state(10) is not StepState.PENDING, "M1 to start")
                await _idle(app, pilot)
                await pilot.press("ctrl+n")
                await _run_and_next(app, pilot)                      # M2
                await _run_and_next(app, pilot)                      # M3
                await pilot.press("ctrl+n")                          # M4
                await _idle(app, pilot)
                app.clear_notifications()
                await shot("12-multiconnect-final-health")
                await pilot.press("f2")                              # the monitor
                monitor = app.screen
                await _until(pilot, lambda: getattr(monitor, "last_verdict", None) is not None
                             and monitor.last_verdict.shards_expected == 2 and monitor.last_verdict.healthy,
                             "the monitor to see Multiconnect healthy")
                owner = next(n.host for n in monitor.last_verdict.nodes
                             if n.expected_role == "coreapp" and n.actual_status == "connected")
                await pilot.press("f5")                              # demo fault: kill the connected Coreapp
                await _until(pilot, lambda: any(n.host == owner and n.level.value == "failure"
                                                for n in monitor.last_verdict.nodes), "the red row")
                await shot("13-monitor-failover")
                timeline = monitor.query_one(Timeline)
                await _until(pilot, lambda: f"took over the shard of {owner}" in timeline.text
                             and monitor.last_verdict.shards_served == 2, "the takeover")
                await pilot.pause(1.0)
                app.clear_notifications()
                await shot("14-monitor-after-failover")
                await pilot.press("f7")                              # restart the killed Coreapp
                await pilot.pause(0.5)
                await _operations(app, pilot, session, shot)
        finally:
            await session.stop()
            if previous_home is None:
                os.environ.pop("WABIZ_TUI_HOME", None)
            else:
                os.environ["WABIZ_TUI_HOME"] = previous_home
        saved.append(await fleet_screenshot(out_dir, Path(tmp), speed=speed, text=text))
    return saved


async def fleet_screenshot(out_dir: Path, tmp: Path, *, speed: float = 0.3, text: bool = False) -> Path:
    """``20-fleet.svg``: the fleet view of two demo clusters installed headless (roma with its standby Coreapp
    killed) and a third whose Webapp port is closed."""
    from tests.exporter.helpers import free_port
    from tests.support import install_headless
    from wabiz_tui.tui.fleet_run import FleetApp
    from wabiz_tui.workflows.fleet import FleetMember

    out_dir.mkdir(parents=True, exist_ok=True)
    sessions = []
    try:
        for name in ("milano", "roma"):
            sessions.append(await start_demo(tmp / name, speed=speed, name=name))
            await install_headless(sessions[-1], tmp / name)
        milano, roma = sessions
        roma.cluster.kill_container("wa-core-2", "wacore")
        bari = milano.profile.with_changes(name="bari", webapp=replace(milano.profile.webapp,
                                                                       url=f"https://127.0.0.1:{free_port()}"))
        members = [FleetMember("bari", tmp / "bari.yaml", bari)] + [FleetMember(s.profile.name, s.profile_path, s.profile)
                                                                    for s in sessions]
        app = FleetApp(members, interval=2.0, timeout=5.0)
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, lambda: all(o is not None for o in app.screen.watch.latest), "every cluster's answer")
            await pilot.press("down")
            await pilot.pause(0.5)
            path = Path(app.save_screenshot("20-fleet.svg", str(out_dir)))
            if text:
                (out_dir / "20-fleet.txt").write_text(screen_text(app), encoding="utf-8")
    finally:
        for s in sessions:
            await s.stop()
    return path


async def _type(pilot, app: WabizApp, selector: str, text: str) -> None:
    field = app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)


async def _operations(app: WabizApp, pilot, session, shot) -> None:
    """Upgrade (with dbupgrade), collect logs, uninstall, then the wizard at 80×24."""
    await pilot.press("f3")
    screen = app.screen
    await _type(pilot, app, "#up-target", "2.43.1")
    await _type(pilot, app, "#up-password", "Backup-pass-2026")
    screen.query_one("#up-db-host").value = "wa-core-1"
    await pilot.press("ctrl+r")
    await _until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the downtime confirmation")
    await pilot.press("y")
    await _until(pilot, lambda: screen.outcome is not None, "the upgrade", 180)
    app.clear_notifications()
    await shot("15-upgrade-done")
    await pilot.press("f4")
    screen = app.screen
    await pilot.press("ctrl+r")
    await _until(pilot, lambda: screen.outcome is not None, "the log collection", 120)
    app.clear_notifications()
    await shot("16-logs-collected")
    await pilot.press("f9")
    screen = app.screen
    await _type(pilot, app, "#un-name", session.profile.name)
    await shot("17-uninstall-plan")
    await pilot.press("ctrl+r")
    await _until(pilot, lambda: screen.outcome is not None, "the uninstall", 120)
    app.clear_notifications()
    screen.query_one("#op-body").scroll_end(animate=False)
    await shot("18-uninstall-report")
    await pilot.press("escape")  # back to the monitor the operations were opened from
    await _until(pilot, lambda: app.screen.name == "monitor", "the monitor")
    await pilot.press("f2")  # then the wizard
    await pilot.resize_terminal(80, 24)
    await pilot.pause(0.5)
    app.clear_notifications()
    await shot("19-wizard-80x24")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--speed", type=float, default=0.3)
    parser.add_argument("--text", action="store_true", help="also write a plain-text copy of each screen")
    parser.add_argument("--only", choices=["fleet"], help="make only this screenshot")
    args = parser.parse_args()
    if args.only == "fleet":
        with tempfile.TemporaryDirectory() as tmp:
            os.environ.setdefault("WABIZ_TUI_HOME", str(Path(tmp) / "home"))
            print(asyncio.run(fleet_screenshot(args.out_dir, Path(tmp), speed=args.speed, text=args.text)))
        return
    for path in asyncio.run(make_screenshots(args.out_dir, speed=args.speed, text=args.text)):
        print(path)


if __name__ == "__main__":
    main()
