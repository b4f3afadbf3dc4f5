"""Clusters as contexts: the fleet view and each cluster's own TUI, one after the other in one terminal.

``wabiz-tui fleet`` opens :class:`FleetApp`; Enter on a row leaves it for that cluster's full TUI (``WabizApp`` on
its monitor, with its own profile, lock, operations and masking). ``ctrl+k`` / the palette's "Switch
cluster" there opens the same fleet view over the cluster's screens (:func:`open_fleet_here`), the cluster on
screen listed even when its profile is not a saved one; Escape (or Enter on that cluster) goes back to where the
user was, Enter on another cluster leaves this app for that one. Each cluster keeps a whole app of its own rather
than a screen inside another cluster's app: an operation key (F3 upgrade, F9 uninstall) always acts on the
cluster on screen.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from textual.app import App

from ..workflows.fleet import DEFAULT_TIMEOUT, FleetMember, load_fleet
from ..workflows.monitor import DEFAULT_INTERVAL
from .screens.fleet import FleetScreen

class FleetApp(App):
    """The fleet view alone; exits with the :class:`FleetMember` chosen with Enter (None when quit)."""

    TITLE = "wabiz-tui"
    SUB_TITLE = "Clusters"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, members: Sequence[FleetMember], *, interval: float = DEFAULT_INTERVAL,
                 timeout: float = DEFAULT_TIMEOUT, monitors=None, selected: str | None = None) -> None:
        super().__init__()
        self._screen_args = dict(members=members, interval=interval, timeout=timeout, monitors=monitors,
                                 selected=selected)

    def on_mount(self) -> None:
        self.push_screen(FleetScreen(open_cluster=self.exit, **self._screen_args))


def fleet_with(members: Sequence[FleetMember], profile: Any, path: Path | None,
               profiles_dir: Path | None = None) -> tuple[list[FleetMember], str]:
    """``members`` plus the cluster on screen (``profile``, read from ``path``) when none of them is its
    profile file; ``(members, the label of the cluster on screen)``. The added member says why it is not in
    ``wabiz-tui fleet`` (a profile outside ``profiles_dir``, or one never written)."""
    members = list(members)
    here = Path(path).resolve() if path is not None else None
    for m in members:
        if here is not None and m.path is not None and Path(m.path).resolve() == here:
            return members, m.label
    from ..config.paths import app_paths

    saved_in = profiles_dir or app_paths().profiles
    # a label of its own: a saved profile may carry the same cluster name (Enter on it must open that one)
    label = str(path) if path is not None else f"{profile.name} (on screen, not saved)"
    where = f"its profile {path} is" if path is not None else "its profile is"
    save = f"'wabiz-tui profile import {path}'" if path is not None else "'wabiz-tui init' (or save the form)"
    note = (f"the cluster on screen: {where} not among the saved profiles ({saved_in}), so 'wabiz-tui fleet' "
            f"does not list it; {save} saves it there, to keep it in the fleet")
    members.insert(0, FleetMember(label, Path(path) if path is not None else None, profile, note=note))
    return members, label


def open_fleet_here(app: Any) -> None:
    """``WabizApp``'s "switch cluster" (ctrl+k): the fleet view over the app's screens. Escape, or Enter on the
    cluster on screen, pops it (back where the user was); Enter on another cluster ends this app with that
    :class:`FleetMember` as its return value, unless leaving would cut something short (a step or an operation
    runs: said, and the view stays). The demo's cluster is no saved profile and ends with the demo: refused."""
    if app.demo is not None:
        app.notify("The demo's cluster ends with the demo: quit it, then run wabiz-tui fleet", severity="warning")
        return
    members, here = fleet_with(app.fleet_members if app.fleet_members is not None else saved_fleet(),
                               app.profile, app.profile_path)

    def open_cluster(member: FleetMember) -> None:
        """Open ``member`` from the fleet view: back to this cluster's screens, or switch when nothing runs."""
        if member.label == here:
            app.pop_screen()
            return
        running = app.operation_running() or (f"step {app.step_tag(app.active_step)}" if app.busy else None)
        if running:
            app.notify(f"{running} is running: wait for it or cancel it (ctrl+x) before switching cluster",
                       severity="warning")
            return
        app.exit(member)

    app.push_screen(FleetScreen(members, interval=DEFAULT_INTERVAL, timeout=DEFAULT_TIMEOUT,
                                open_cluster=open_cluster, selected=here, back=app.profile.name,
                                monitors=app.fleet_monitors))


async def _run(app: App) -> Any:
    await app.run_async()
    return app.return_value


def cluster_app(member: FleetMember, interval: float | None = None) -> Any:
    """The full TUI of ``member`` on its monitor."""
    from .app import WabizApp

    return WabizApp(member.profile, profile_path=member.path, start_on="monitor", monitor_interval=interval)


async def fleet_loop(members: Sequence[FleetMember], *, interval: float = DEFAULT_INTERVAL,
                     timeout: float = DEFAULT_TIMEOUT, selected: str | None = None,
                     run: Callable[[App], Awaitable[Any]] = _run,
                     make_cluster_app: Callable[[FleetMember], Any] = cluster_app,
                     first: FleetMember | None = None) -> tuple[int, Any]:
    """Fleet view, cluster, another cluster chosen in its fleet view (ctrl+k)… until the user quits; ``(exit
    code, the last cluster app or None)``. ``first`` opens that cluster before any fleet view.

    ``run(app)`` runs an app to its end and returns its ``return_value`` (tests drive it with a Pilot)."""
    chosen = first
    while True:
        if chosen is None:
            chosen = await run(FleetApp(members, interval=interval, timeout=timeout, selected=selected))
            if not isinstance(chosen, FleetMember):
                return 0, None
        selected = chosen.label
        app = make_cluster_app(chosen)
        app.fleet_members = list(members)
        chosen = await run(app)
        if not isinstance(chosen, FleetMember):
            return app.return_code or 0, app


def run_fleet_tui(members: Sequence[FleetMember], *, interval: float = DEFAULT_INTERVAL,
                  timeout: float = DEFAULT_TIMEOUT, selected: str | None = None,
                  first: FleetMember | None = None) -> int:
    """``wabiz-tui fleet``: the loop of :func:`fleet_loop` in a terminal (``first``: a cluster chosen in another
    cluster's fleet view, opened at once); returns the exit code."""
    code, last = asyncio.run(fleet_loop(members, interval=interval, timeout=timeout, selected=selected,
                                        first=first))
    if last is not None:
        from .run import exit_note

        print(exit_note(last), flush=True)
    return code


def saved_fleet(profiles_dir: Path | None = None) -> list[FleetMember]:
    """Every saved profile as a member (the fleet opened from a cluster's own TUI)."""
    from ..config.paths import app_paths

    return load_fleet([], profiles_dir or app_paths().profiles)
