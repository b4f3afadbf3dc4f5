"""The footer of the wizard and the monitor: every key when the terminal is wide enough, else the essential keys first.

Textual's ``Footer`` lays the keys out in binding order and lets the last ones fall off the right edge:
at 80 columns the wizard lost F4 (logs) and F9 (uninstall) (issue 17.6). This footer measures the keys;
when they do not fit it switches to the compact style and shorter labels, then leaves out the keys with
the lowest priority (Back and Next have buttons on screen; the palette lists every action) until the rest
fits. The keys kept stay in their binding order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from .sized import SizedByLayout

#: action → priority (0 always shown; higher numbers leave first). Unknown actions get :data:`DEFAULT_PRIORITY`.
PRIORITY: dict[str, int] = {
    "quit": 0, "cancel_step": 0, "run_step": 1, "toggle_monitor": 1,
    "operation('upgrade')": 2, "operation('logs')": 2, "operation('uninstall')": 2,
    "demo_kill_coreapp": 3, "demo_kill_master": 3, "demo_restart": 4, "next_step": 5, "back": 6,
    # the monitor's own keys: "why?" before the demo's fault keys, "poll now" after them
    "app.doctor": 2, "poll_now": 4,
    # an operation's "back to the wizard" (esc) has its button on screen, like Back and Next
    "leave": 5,
}
DEFAULT_PRIORITY = 3
#: action → the label used when the keys do not fit with their own.
SHORT_LABEL: dict[str, str] = {"run_step": "Run", "demo_kill_master": "Kill master", "toggle_follow": "Follow"}
#: Columns taken by the command palette key on the right (``▏^p palette`` and its padding).
PALETTE_WIDTH = 13
#: Actions whose key comes and goes with a run (shown only while a step or an operation can be cancelled): the footer
#: keeps a hidden slot for them, so that their key appearing or leaving changes one key's display in place.
COMES_AND_GOES = frozenset({"cancel_step"})


def key_width(key_display: str, label: str, compact: bool) -> int:
    """Columns one ``FooterKey`` takes (Textual 8's CSS: `` key label `` wide, ``key label`` + 1 margin compact)."""
    return len(key_display) + len(label) + 2 if compact else len(key_display) + len(label) + 3


def fit_keys(keys: list[tuple[str, str, str]], width: int) -> tuple[bool, list[tuple[str, str, str]]]:
    """Choose how to show ``keys`` — ``(action, key display, label)`` in binding order — in ``width`` columns.

    Returns ``(compact, kept)``: all keys with their labels when they fit; else compact with the short
    labels, dropping the lowest priority (the last of equal priority first) until the rest fits.
    """
    if sum(key_width(k, label, False) for _, k, label in keys) <= width:
        return False, keys
    kept = [(action, k, SHORT_LABEL.get(action, label)) for action, k, label in keys]
    order = sorted(range(len(kept)), key=lambda i: (PRIORITY.get(kept[i][0], DEFAULT_PRIORITY), i), reverse=True)
    dropped: set[int] = set()
    for i in order:
        if sum(key_width(k, label, True) for j, (_, k, label) in enumerate(kept) if j not in dropped) <= width:
            break
        if PRIORITY.get(kept[i][0], DEFAULT_PRIORITY) == 0:
            break
        dropped.add(i)
    return True, [key for j, key in enumerate(kept) if j not in dropped]


class Key(SizedByLayout, FooterKey):
    """A footer key that asks for no second layout once it has its size (``widgets.sized``): a key given its first
    size by a layout (mounted, or shown again from its hidden slot) asked for another layout of the whole screen
    (issue 17: Cancel appearing as a step starts, while the panes stream)."""


class KeyFooter(Footer):
    """A ``Footer`` that keeps the essential keys visible on a narrow terminal (see the module's docstring)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._fitted_width = 0
        #: what compose showed: (key, action, label, enabled) per key, and whether compact
        self._planned: tuple[bool, list[tuple[str, str, str, bool]]] | None = None

    def bindings_changed(self, screen) -> None:
        """Textual's hook when ``screen``'s bindings change: refit the keys after the next refresh, without the
        recompose Textual's Footer makes."""
        # Textual's Footer recomposes (removes and mounts every key: a layout of the screen) on every change of
        # the bindings: twice when a step starts and twice when it ends (issue 17, the key waits of a step's first
        # and last frames). The same keys are kept; only a key that became enabled or disabled is restyled.
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            # A key appearing in its hidden slot (Cancel, as a step starts) is laid out in the frame already due (the
            # step's start: status line, buttons, 9 ms) rather than the one after, which holds the panes' first
            # screenful (with Cancel's layout the streaming step's slowest frame, 32-58 ms, issue 17 round s10). A key
            # leaving waits for the refresh: the step's end is the heavier frame then.
            if self._slot_to_show():
                self.call_later(self._refit)
            else:
                self.call_after_refresh(self._refit)

    def _slot_to_show(self) -> bool:
        """Whether a hidden key of :data:`COMES_AND_GOES` (an app binding) has become available."""
        app = self.app
        return any(isinstance(key, FooterKey) and key.action in COMES_AND_GOES and not key.display
                   and app._check_action_state(key.action, app) is not False for key in self.children)

    def _plan(self) -> tuple[bool, list[tuple[Binding, bool, str, str, bool]]]:
        """(compact, [(binding, enabled, tooltip, label, shown)]) of the keys that fit the footer's width now.

        A hidden key of :data:`COMES_AND_GOES` is planned with ``shown`` False where it would sit, when the keys shown
        are the same (labels and style) with it as without it: it then appears and leaves without a recompose.
        """
        width = self.size.width or self.app.size.width
        self._fitted_width = width
        keys = self._keys()

        def fit(chosen: list[tuple[Binding, bool, str, bool]]) -> tuple[bool, dict[str, str]]:
            """(compact, action → label) of the keys of ``chosen`` kept in the width (:func:`fit_keys`)."""
            compact, kept = fit_keys([(b.action, self.app.get_key_display(b), b.description) for b, *_ in chosen],
                                     width - PALETTE_WIDTH)
            return compact, {action: label for action, _, label in kept}

        shown = [key for key in keys if key[3]]
        compact, labels = fit(shown)
        if len(shown) < len(keys):
            with_slots, slot_labels = fit(keys)
            if with_slots == compact and {a: lb for a, lb in slot_labels.items() if a in labels} == labels and all(
                    b.action in slot_labels for b, *_ in keys):
                labels = slot_labels
        return compact, [(b, enabled, tooltip, labels[b.action], visible) for b, enabled, tooltip, visible in keys
                         if b.action in labels]

    @staticmethod
    def _summary(plan: tuple[bool, list[tuple[Binding, bool, str, str, bool]]]) -> tuple[bool, list[tuple[str, str, str, bool]]]:
        compact, keys = plan
        return compact, [(b.key, b.action, label, enabled) for b, enabled, _tooltip, label, _shown in keys]

    def _refit(self) -> Any:
        """Bring the keys up to the bindings: nothing when the same keys show; each key's enabled state, and the display
        of a :data:`COMES_AND_GOES` key, in place when only those changed; else a recompose (what Textual's ``Footer``
        always does)."""
        if not self.is_attached:
            return None
        plan = self._plan()
        compact, keys = self._summary(plan)
        slots = [key for key in self.children if isinstance(key, FooterKey) and not key.has_class("-command-palette")]
        if self._planned is not None and compact == self._planned[0] and len(slots) == len(keys) and all(
                (k.key, k.action, k.description) == (key, action, label) for k, (key, action, label, _) in zip(slots, keys)):
            for widget, (_, _, _, enabled), (*_, shown) in zip(slots, keys, plan[1]):
                if widget._disabled == enabled:  # FooterKey keeps it as _disabled and the -disabled class
                    widget._disabled = not enabled
                    widget.set_class(not enabled, "-disabled")
                    widget.refresh()
                if widget.display != shown:
                    widget.display = shown
            self._planned = (compact, keys)
            return None
        return self.recompose()

    def _keys(self) -> list[tuple[Binding, bool, str, bool]]:
        """(binding, enabled, tooltip, shown) of every key to show, in binding order, as ``Screen.active_bindings``
        chooses them (the focused widget's first, a priority binding replacing a plain one of the same key), plus the
        keys of :data:`COMES_AND_GOES` whose action is hidden now (``check_action`` False), with ``shown`` False."""
        chosen: dict[str, tuple[Binding, bool, str, bool]] = {}
        app = self.app
        for namespace, bindings in self.screen._modal_binding_chain:
            for key, binding in bindings:
                state = app._check_action_state(binding.action, namespace)
                if state is False and binding.action not in COMES_AND_GOES:
                    continue
                shown = state is not False
                existing = chosen.get(key)
                if existing is not None and shown and not existing[3]:
                    del chosen[key]  # Textual never saw the hidden one: the key takes this binding's place
                    existing = None
                # a hidden slot never takes the place of a key that shows (Textual shows that one)
                if existing is None or (shown and binding.priority and not existing[0].priority):
                    chosen[key] = (binding, bool(state), binding.tooltip, shown)
        shown_actions = {binding.action for binding, _, _, shown in chosen.values() if shown}
        taken: set[str] = set()
        keys: list[tuple[Binding, bool, str, bool]] = []
        for binding, enabled, tooltip, shown in chosen.values():
            if binding.show and binding.action not in taken and (shown or binding.action not in shown_actions):
                taken.add(binding.action)
                keys.append((binding, enabled, tooltip, shown))
        return keys

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        plan = self._plan()
        self._planned = self._summary(plan)
        compact, keys = plan
        self.compact = compact
        for binding, enabled, tooltip, label, shown in keys:
            key = Key(binding.key, self.app.get_key_display(binding), label, binding.action, disabled=not enabled,
                      tooltip=tooltip or binding.description)
            key.display = shown
            yield key.data_bind(compact=Footer.compact)
        yield from self._palette_key()

    def _palette_key(self) -> Iterable[FooterKey]:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return
        found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if found is None:
            return
        _node, binding, enabled, _tooltip = found
        yield Key(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                  classes="-command-palette", disabled=not enabled, tooltip=binding.tooltip or binding.description)

    def on_resize(self, event: Resize) -> None:
        if self._bindings_ready and event.size.width != self._fitted_width:
            self.call_after_refresh(self.recompose)
