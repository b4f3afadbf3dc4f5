"""``CellCachedTable`` (issue 17): after one cell changes, only that cell is rendered again, and the table looks
exactly as Textual's own ``DataTable`` with the same rows and the same change."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

from wabiz_tui.tui.widgets.cell_cache import CellCachedTable


class Tables(App):
    def compose(self):
        yield CellCachedTable(id="cached", zebra_stripes=True)
        yield DataTable(id="stock", zebra_stripes=True)


def rendered(table: DataTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_one_changed_cell_is_rendered_again_and_the_table_looks_like_textuals(monkeypatch):
    app = Tables()
    async with app.run_test(size=(80, 30)) as pilot:
        cached, stock = app.query_one("#cached", DataTable), app.query_one("#stock", DataTable)
        for table in (cached, stock):
            table.styles.height = 12
            table.add_column("host", key="host")
            table.add_column("state", key="state")
            for i in range(8):
                table.add_row(f"wa-core-{i}", Text("running", style="yellow"), key=f"wa-core-{i}")
        await pilot.pause()
        assert rendered(cached) == rendered(stock)
        cells = []
        original = DataTable._render_cell

        def counting(self, row_index, column_index, *args, **kwargs):
            if self is cached and row_index >= 0:
                cells.append((row_index, column_index))
            return original(self, row_index, column_index, *args, **kwargs)

        monkeypatch.setattr(DataTable, "_render_cell", counting)
        for table in (cached, stock):
            table.update_cell("wa-core-3", "state", Text("failed", style="red"))
        await pilot.pause()
        assert rendered(cached) == rendered(stock)
        assert "failed" in "\n".join(rendered(cached))
        assert set(cells) == {(3, 1)}  # only the changed cell was drawn again
