"""A screen's first showing without Textual's second styling pass over all its widgets."""

from __future__ import annotations

from textual import events


class StyledOnMount:
    """Mixed into a ``Screen`` (before ``Screen`` in the bases).

    Textual styles every widget when it is mounted, then restyles the whole screen on each
    ``ScreenResume``: a screen may have missed a theme change while it was hidden. On the first
    showing the widgets were styled a moment ago with the current theme and classes (breakpoint
    classes included, see ``WabizApp._sized``), so that pass only repeats the work: 60-90 ms of the
    step-1 screen's first frame. Later showings keep it.

    Textual calls the ``on_screen_resume`` of every class of the MRO, subclasses first and
    ``Screen``'s own handler last, so this one runs before the restyle it turns off.
    """

    _shown_before = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._shown_before:
            self._shown_before = True
            event.refresh_styles = False
