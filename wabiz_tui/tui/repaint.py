"""A screen repaint that draws only the widgets under what changed, not every widget inside the box around it.

Textual's partial update (``Compositor.render_partial_update``, Textual 8) renders every widget that overlaps the
bounding box of all the regions that changed in a frame, then keeps the lines the changes are on. When a frame changes
something at the top left and something at the bottom (a step starting: its item in the step list, the Run/Next
buttons, the status line and the five host panes), that box is the whole screen: the step-1 screen drew all 141 of its
widgets, the host form's included, in a frame a key press waited behind (issue 17). Each widget drawn costs even when
its lines are cached (Textual works out its background and opacity through its ancestors first).

:class:`AreaCompositor` draws only the widgets whose visible area overlaps a changed area (the changed regions, those
that touch merged). What reaches the terminal is the same: the update writes, on each changed line, only the cut
ranges (the pieces of a line between two widget edges) that meet a changed region, and every widget covering such a
range overlaps that region, so it is drawn, in Textual's order (``tests/tui/test_repaint.py`` compares the bytes
written with Textual's own update).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


def changed_areas(regions: Iterable[Region]) -> list[Region]:
    """The ``regions`` (screen cells) merged where they overlap or touch: a few boxes that together cover them all."""
    areas: list[Region] = []
    for region in sorted(regions):
        grown = region.grow((1, 1, 1, 1))
        merged = True
        while merged:
            merged = False
            for i, area in enumerate(areas):
                if grown.overlaps(area):
                    region = region.union(areas.pop(i))
                    grown = region.grow((1, 1, 1, 1))
                    merged = True
                    break
        areas.append(region)
    return areas


class AreaCompositor(Compositor):
    """Textual's compositor whose partial updates draw only the widgets under a changed area (module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        #: the changed areas of the partial update being drawn; None for a full update (every widget drawn)
        self._areas: list[Region] | None = None

    def render_partial_update(self) -> ChopsUpdate | None:
        """Textual's partial update (``Compositor.render_partial_update``), drawing only the widgets under the changed
        areas; None when nothing changed."""
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        crop = Region.from_union(list(update_regions)).intersection(self.size.region)
        spans = list(self._regions_to_spans(update_regions))
        self._areas = changed_areas(update_regions)
        try:
            chops = self._render_chops(crop, {y for y, _, _ in spans}.__contains__)
        finally:
            self._areas = None
        return ChopsUpdate(chops, spans, [cut_set[1:] for cut_set in self.cuts])

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        """Textual's ``_get_renders`` (each visible widget's region, clip and lines, front to back), skipping the
        widgets whose visible part overlaps no changed area during a partial update."""
        areas = self._areas
        if areas is None:
            yield from super()._get_renders(crop)
            return
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            if not shown.area or (crop is not None and not crop.overlaps(shown)):
                continue
            if not any(area.overlaps(shown) for area in areas):
                continue
            yield region, clip, widget.render_lines(shown.translate(-region.offset))


class AreaRepaint:
    """Mixed into a ``Screen`` (before ``Screen`` in the bases): its repaints use :class:`AreaCompositor`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        assert isinstance(self, Screen)
        self._compositor = AreaCompositor()
