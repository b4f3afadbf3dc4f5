"""A scrolling step body whose focus changes restyle itself, not every widget inside it."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.css.model import CombinatorType, SelectorSet
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode

_FOCUS = frozenset({"focus", "focus-within"})


def focus_styles_descendants(stylesheet: Stylesheet, node: DOMNode) -> bool:
    """True when a loaded rule may style a descendant of ``node`` by ``node``'s focus, i.e. a selector
    like ``X:focus Y`` or ``X:focus > Y`` whose ``X:focus`` part (ignoring the pseudo-class) matches
    ``node``. Conservative: each simple part of a leading compound is checked on its own."""
    for rule in stylesheet.rules:
        for selector_set in rule.selector_set:
            if _leading_focus_part_matches(selector_set, node):
                return True
    return False


def _leading_focus_part_matches(selector_set: SelectorSet, node: DOMNode) -> bool:
    selectors = selector_set.selectors
    # the compound that styles the matched node starts at the last selector joined by a combinator
    last = max((i for i, s in enumerate(selectors) if s.combinator is not CombinatorType.SAME), default=0)
    return any(s.pseudo_classes & _FOCUS and s._check(node) for s in selectors[:last])


class BodyScroll(VerticalScroll):
    """``VerticalScroll`` for a screen's body. The body takes the focus when a screen opens (the first
    focusable widget); Textual then restyles the body and all its descendants, twice (focus, then a
    blur), 65-90 ms each on the step-1 form. No rule of our stylesheet or of Textual's widgets styles a
    descendant by a container's focus (checked at each change): only the body itself is restyled."""

    def watch_has_focus(self, has_focus: bool) -> None:
        if focus_styles_descendants(self.app.stylesheet, self):
            super().watch_has_focus(has_focus)
        else:
            self.app.stylesheet.update_nodes([self], animate=True)
