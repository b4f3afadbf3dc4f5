"""A ``DataTable`` that re-renders only the cells whose value changed (issue 17: 50-host tables stalled the UI).

Textual's ``DataTable`` keys its rendered-cell cache on a counter that every ``update_cell``, ``add_row`` or resize
bumps, so changing one cell (a host's elapsed time, one preflight result) renders every visible cell again on the next
frame: rich's ``Padding``/``Styled`` pipeline per cell, about 0.4 ms each here, 40 rows x 10 columns in the preflight
grid. Profiled in ``bench/responsive_bench.py``'s preflight of 50 hosts: ``DataTable.render_lines`` was 0.76 s of the
2.0 s the screen's repaints took (cProfile of ``Screen._on_timer_update``, 39 frames, quiet machine).

:class:`CellCachedTable` keeps a second cache keyed on what decides a cell's look: the cell's value (the object
itself, compared by identity: a new value is a new object), its row and column, width, height, base style, cursor
and hover state and the widget's pseudo-classes. Anything else (a theme or style change, ``clear``) empties it, as it
empties Textual's own caches. The cells are still drawn by ``DataTable._render_cell``: this class only decides when a
drawing can be reused.

A third cache is keyed on a cell's look, wherever it is: its content (a string, or a ``Text``'s characters, style and
spans), width, height, base style (zebra stripe), cursor and hover. A rebuilt table (the preflight grid when a column
appears or a host's worst result moves its row, about 230 visible cells: 85-108 ms of the UI thread behind a key in
``bench/responsive_bench.py``'s preflight of 50 hosts) then draws each distinct look once (``✔`` in green on an odd
row...), and the other cells of that look reuse its drawing with their own position put in the segments' meta (the
``row``/``column`` Textual's mouse handling reads from it).

Lines and styles (s10): Textual's line cache is keyed on the same counter, so after one changed cell every visible
line was built again from its row's cells (``Strip`` of the segments, ``simplify``: about 0.5 ms a line, 10 ms a frame
of the preflight grid); a line is kept here while its row's drawing (the object the row cache gives) is the same. The
widget's own and its rows' component styles (``rich_style``, ``background_colors``, zebra stripes) walk every
ancestor each time Textual asks (four times per line drawn again); they are kept until the next repaint request or
``notify_style_update``, as Textual keeps its own ``_rich_style_cache`` of component styles: it calls the latter
whenever this widget's styles or an ancestor's are applied again (a theme change, a class or pseudo-class change),
and an ancestor's inline style change refreshes its descendants.

Column widths after updated cells: Textual measures each updated cell and, when one is narrower than its column,
measures the whole column again, once per such cell: a new column of 50 cells narrower than its header measured
2,550 cells (counted in ``tests/tui/test_preflight_in_place.py``). :meth:`CellCachedTable._update_column_widths`
measures each updated cell once and a column at most once, each distinct look once, to the same widths.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._segment_tools import line_crop
from textual.color import Color
from textual.coordinate import Coordinate
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets import _data_table as textual_table

#: Rendered cells kept (the visible cells of a 50-row table with 10 columns, each in a few states).
CACHE_SIZE = 4000
#: Rendered row lines kept.
ROW_CACHE_SIZE = 1000
#: Distinct cell looks kept.
LOOK_CACHE_SIZE = 2000


def look(value: Any) -> tuple[Any, ...] | None:
    """What decides how ``value`` is drawn, as a hashable key (None for a renderable other than a string or a
    ``Text``: those are reused by identity only)."""
    if type(value) is str:
        return ("s", value)
    if type(value) is Text:
        return ("t", value.plain, value.style, tuple(value.spans), value.justify, value.overflow, value.no_wrap,
                value.end, value.tab_size)
    return None


def placed(lines: list[list[Segment]], row_index: int, column_index: int) -> list[list[Segment]]:
    """A cell's drawing with the ``row``/``column`` meta of another position (the rest of each style is kept)."""
    meta = Style.from_meta({"row": row_index, "column": column_index})
    return [[Segment(text, style + meta if style is not None else meta, control) for text, style, control in line]
            for line in lines]


class CellCachedTable(DataTable):
    """``DataTable`` whose unchanged cells are not rendered again after another cell changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # before DataTable's init, which clears the caches
        self._value_cache: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        self._row_cache: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}
        self._look_cache: dict[tuple[Any, ...], Any] = {}
        self._strip_cache: dict[tuple[Any, ...], tuple[Any, Strip]] = {}
        #: styles that walk the ancestors, until the next notify_style_update
        self._style_memo: dict[Any, Any] = {}
        super().__init__(*args, **kwargs)

    def refresh(self, *regions: Any, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Any:
        """As Textual's ``Widget.refresh``; a repaint forgets the kept styles (Textual's own cache of component
        styles is cleared there too)."""
        if repaint:
            self._style_memo.clear()
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    @property
    def rich_style(self) -> Style:
        """As Textual's ``DOMNode.rich_style``, kept until the next repaint request or ``notify_style_update``."""
        style = self._style_memo.get("rich_style")
        if style is None:
            style = self._style_memo["rich_style"] = super().rich_style
        return style  # type: ignore[no-any-return]

    @property
    def background_colors(self) -> tuple[Color, Color]:
        """As Textual's ``DOMNode.background_colors``, kept until the next repaint request or
        ``notify_style_update``."""
        colors = self._style_memo.get("background_colors")
        if colors is None:
            colors = self._style_memo["background_colors"] = super().background_colors
        return colors  # type: ignore[no-any-return]

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        # the header's, the fixed rows', the odd and the even rows' component style (or base_style: not kept)
        if row_index == -1:
            kind = "header"
        elif row_index < self.fixed_rows:
            kind = "fixed"
        elif self.zebra_stripes:
            kind = "odd" if row_index % 2 else "even"
        else:
            return base_style
        style = self._style_memo.get(kind)
        if style is None:
            style = self._style_memo[kind] = super()._get_row_style(row_index, base_style)
        return style  # type: ignore[no-any-return]

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        # a line is its row's drawing cropped and simplified: reused while the row cache gives the same drawing
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        if row_key not in self.rows:  # the header: Textual's own caches
            return super()._render_line(y, x1, x2, base_style)
        drawing = self._render_line_in_row(row_key, line_no, base_style, cursor_location=self.cursor_coordinate,
                                           hover_location=self.hover_coordinate)
        key = (y, x1, x2, self.size.width, base_style)
        hit = self._strip_cache.get(key)
        if hit is not None and hit[0] is drawing:
            return hit[1]
        # as Textual's DataTable._render_line (textual 8.2.8) from here, with the drawing already at hand
        fixed, scrollable = drawing
        fixed_width = sum(column.get_render_width(self) for column in self.ordered_columns[:self.fixed_columns])
        segments = list(chain.from_iterable(fixed)) if fixed else []
        segments += line_crop(list(chain.from_iterable(scrollable)), x1 + fixed_width, x2, self.size.width)
        strip = Strip(segments).adjust_cell_length(self.size.width, base_style).simplify()
        if len(self._strip_cache) >= ROW_CACHE_SIZE:
            self._strip_cache.clear()
        self._strip_cache[key] = (drawing, strip)
        return strip

    def _render_line_in_row(self, row_key: Any, line_no: int, base_style: Any, cursor_location: Any,
                            hover_location: Any) -> Any:
        # a row line is its cells side by side with the row's styles: reused while the row's values (by identity),
        # the columns' widths, the widget's width (the row's filler after its cells), the cursor, the hover and the
        # styles are the same
        row = self.rows.get(row_key)
        if row is None:  # the header
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        values = (row.label, *self._data.get(row_key, {}).values())
        key = (row_key, line_no, base_style, cursor_location, hover_location, self.cursor_type, self.show_cursor,
               self._show_hover_cursor, self._pseudo_class_state, self._row_locations.get(row_key), row.height,
               self.fixed_rows, self.fixed_columns, self.show_row_labels, self._labelled_row_exists, self.size.width,
               tuple((c.key, c.get_render_width(self)) for c in self.ordered_columns))
        hit = self._row_cache.get(key)
        if hit is not None and len(hit[0]) == len(values) and all(a is b for a, b in zip(hit[0], values)):
            return hit[1]
        if self.fixed_columns or (self._labelled_row_exists and self.show_row_labels):
            lines = super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        else:
            lines = self._compose_row(row_key, line_no, base_style, cursor_location, hover_location)
        if len(self._row_cache) >= ROW_CACHE_SIZE:
            self._row_cache.clear()
        self._row_cache[key] = (values, lines)
        return lines

    def _compose_row(self, row_key: Any, line_no: int, base_style: Style, cursor_location: Coordinate,
                     hover_location: Coordinate) -> tuple[list[Any], list[list[Segment]]]:
        """Textual's ``DataTable._render_line_in_row`` (textual 8.2.8) for a table without row labels and fixed
        columns: ``([], cells)``, the row's line ``line_no`` as one list of segments per cell, then the filler to the
        widget's width. Textual's computes the header's and the fixed columns' component styles for every row (each
        walks every ancestor) although such a table uses neither; the row's own style is kept (:meth:`_get_row_style`)."""
        cursor_type = self.cursor_type
        should_highlight = self._should_highlight
        row_index = self._row_locations.get(row_key)
        row_style = self._get_row_style(row_index, base_style)
        cells: list[list[Segment]] = []
        for column_index, column in enumerate(self.ordered_columns):
            location = Coordinate(row_index, column_index)
            cells.append(self._render_cell(row_index, column_index, row_style, column.get_render_width(self),
                                           cursor=should_highlight(cursor_location, location, cursor_type),
                                           hover=should_highlight(hover_location, location, cursor_type))[line_no])
        table_width = sum(c.get_render_width(self) for c in self.ordered_columns) + self._row_label_column_width
        remaining = max(0, self.size.width - table_width)
        if cursor_type == "row":
            extend, _ = self._get_styles_to_render_cell(
                False, False, False, should_highlight(hover_location, Coordinate(row_index or 0, 0), cursor_type),
                row_index == cursor_location.row, self.show_cursor, self._show_hover_cursor, False, False)
            extend = row_style + extend
        elif row_style.bgcolor is not None:
            faded = Color.from_rich_color(row_style.bgcolor).blend(self.background_colors[1], factor=0.25)
            extend = Style.from_color(color=row_style.color, bgcolor=faded.rich_color)
        else:
            extend = Style.from_color(row_style.color, row_style.bgcolor)
        extend += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        cells.append([Segment(" " * remaining, extend)])
        return [], cells

    def _render_cell(self, row_index: int, column_index: int, base_style: Any, width: int,
                     cursor: bool = False, hover: bool = False) -> Any:
        if row_index < 0 or column_index < 0:  # header and row-label cells: Textual's own cache
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        row = self.rows.get(row_key)
        value = self._data.get(row_key, {}).get(column_key)
        if row is None or row.height == 0:  # an auto-height row not measured yet
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key = (row_key, column_key, row_index, column_index, base_style, width, row.height, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state, self.show_cursor, self.fixed_rows, self.fixed_columns,
               self.cell_padding)
        hit = self._value_cache.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        seen = look(value)
        if seen is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        else:
            fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
            drawn_key = (seen, base_style, width, row.height, cursor, hover, fixed, self._show_hover_cursor,
                         self._pseudo_class_state, self.show_cursor, self.cell_padding, self.cursor_foreground_priority,
                         self.cursor_background_priority)
            drawn = self._look_cache.get(drawn_key)
            if drawn is not None:
                lines = placed(drawn, row_index, column_index)
            else:
                lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
                if len(self._look_cache) >= LOOK_CACHE_SIZE:
                    self._look_cache.clear()
                self._look_cache[drawn_key] = lines
        if len(self._value_cache) >= CACHE_SIZE:
            self._value_cache.clear()
        self._value_cache[key] = (value, lines)
        return lines

    def _update_column_widths(self, updated_cells: set[Any]) -> None:
        # the widths Textual's own method gives (a column narrowed by a cell is measured whole again), with each
        # column measured at most once and each look measured once
        console = self.app.console
        widths: dict[Any, int] = {}

        def width_of(value: Any, height: int) -> int:
            """The width in cells of ``value`` formatted as ``DataTable`` formats it (wrapped when ``height`` is not 1),
            measured on the app's console; a string or ``Text`` is measured once per look and height in this call."""
            seen = look(value)
            key = (seen, height) if seen is not None else None
            if key is not None and key in widths:
                return widths[key]
            formatted = textual_table.default_cell_formatter(value, wrap=height != 1, height=height)
            found = textual_table.measure(console, formatted, 1)
            if key is not None:
                widths[key] = found
            return found

        by_column: dict[Any, list[Any]] = {}
        for row_key, column_key in updated_cells:
            if column_key in self.columns and row_key in self.rows:
                by_column.setdefault(column_key, []).append(row_key)
        for column_key, row_keys in by_column.items():
            column = self.columns[column_key]
            label_width = textual_table.measure(console, column.label, 1)
            height = self.rows[row_keys[0]].height
            new = [width_of(self._data[row_key][column_key], self.rows[row_key].height) for row_key in row_keys]
            if min(new) < column.content_width:
                column.content_width = max([*(width_of(cell, height) for cell in self.get_column(column_key)),
                                            label_width])
            else:
                column.content_width = max(*new, label_width)
        self._require_update_dimensions = True

    def _update_dimensions(self, new_rows: Any) -> None:
        # Textual measures new rows when idle, after they may have been drawn at their columns' label widths, and its
        # line, row and cell caches are keyed on an update counter that this measuring does not move (textual 8.2.8,
        # ``DataTable._update_dimensions``): the lines drawn before it stayed as they were. A preflight table rebuilt
        # on a resize across the compact width kept ``wa-c`` for ``wa-core-40`` (fb trial), ctrl+l included.
        before = [c.get_render_width(self) for c in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if [c.get_render_width(self) for c in self.ordered_columns] != before:
            self._update_count += 1
            self.refresh()

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._value_cache.clear()
        self._row_cache.clear()
        self._strip_cache.clear()
        # not the looks: everything a look depends on is in its key (``clear`` comes here: a rebuilt table reuses
        # them), but the component styles, which change with notify_style_update

    def notify_style_update(self) -> None:
        self._value_cache.clear()
        self._row_cache.clear()
        self._look_cache.clear()
        self._strip_cache.clear()
        self._style_memo.clear()
        super().notify_style_update()
