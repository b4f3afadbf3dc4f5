"""Step 1's hosts on a big cluster: one table row per host and one editor for the selected host.

Fifty hosts as rows of inputs were ~820 widgets: the step took 16.7 s to open and 7 s per Tab at 120×40 (measured
here with Pilot, issue 17). From ``hosts.TABLE_FROM`` hosts on the form is a ``DataTable`` (read-only, one line per
host, a ``✗ N`` mark on the hosts with errors) and a single :class:`~.hosts.HostRow` that edits the host under the
table's cursor. What is typed is kept per host as text (a draft) until the step runs, so a port typed wrong is
still shown as typed when its host is selected again; the validation is the small form's, per field, with the
field's name (``hosts[16].ssh.port``) in each error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ...domain.model import HostSpec, Role
from ...domain.validation import FieldError
from .hosts import HOST_COLUMNS, HostRow, host_from_values, spec_values

#: The fields of the table in order: the roles before the jump host (mostly empty), so that at 120 columns the
#: roles are on screen (they were cut after it).
_FIELDS = tuple(c for c in HOST_COLUMNS if c[0] != "ssh.jump")
_JUMP = tuple(c for c in HOST_COLUMNS if c[0] == "ssh.jump")
#: The table's columns after the host number: the fields, the roles, the jump host and the errors mark.
TABLE_COLUMNS = (*(title for _suffix, title, _css in _FIELDS), "Roles", *(title for _s, title, _c in _JUMP), "Errors")


@dataclass
class Draft:
    """One host as typed: its original ``spec`` (SSH key, agent, alias), the field texts and the roles."""

    spec: HostSpec
    values: dict[str, str]
    roles: tuple[Role, ...]
    errors: tuple[FieldError, ...] = ()

    def read(self, index: int) -> tuple[HostSpec, list[FieldError]]:
        """The host at position ``index`` and its parse errors (``hosts.host_from_values``)."""
        return host_from_values(self.spec, index, self.values, self.roles)


class BigHostsForm(Vertical):
    """The hosts of a big cluster: a table and the editor of its selected row (see the module's docstring)."""

    DEFAULT_CSS: ClassVar[str] = """
    BigHostsForm { height: auto; }
    BigHostsForm > DataTable { height: auto; max-height: 40vh; margin-top: 1; }
    BigHostsForm > #host-editor-title { height: 1; margin-top: 1; }
    """

    def __init__(self, hosts: tuple[HostSpec, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.drafts = [Draft(h, spec_values(h), h.roles) for h in hosts]
        self.editing = 0
        #: one editor swap at a time (the table's highlight events and the buttons both swap it)
        self._swap = asyncio.Lock()

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="hosts-table", cursor_type="row", zebra_stripes=True)
        table.add_column("#", key="n")
        for title in TABLE_COLUMNS:
            table.add_column(title, key=title)
        for i in range(len(self.drafts)):
            table.add_row(*self._cells(i), key=str(i))
        yield table
        yield Static("", id="host-editor-title", classes="hint")
        yield self._editor(0)

    @property
    def table(self) -> DataTable:
        """The hosts table."""
        return self.query_one("#hosts-table", DataTable)

    @property
    def editor(self) -> HostRow:
        """The editor of the selected host."""
        return self.query_one(HostRow)

    def on_mount(self) -> None:
        self._title()

    def _editor(self, index: int) -> HostRow:
        draft = self.drafts[index]
        return HostRow(draft.spec, index, dict(draft.values), draft.roles)

    def _cells(self, index: int) -> list[str | Text]:
        draft = self.drafts[index]
        roles = "+".join(r.value for r in draft.roles) or "—"
        mark = Text(f"✗ {len(draft.errors)}", style="bold red") if draft.errors else Text("")
        return [str(index + 1), *(draft.values[suffix] for suffix, _t, _c in _FIELDS), roles,
                *(draft.values[suffix] for suffix, _t, _c in _JUMP), mark]

    def _title(self) -> None:
        self.query_one("#host-editor-title", Static).update(
            f"Host {self.editing + 1} of {len(self.drafts)} (↑/↓ in the table chooses the host to edit):")

    def keep_editor(self) -> None:
        """Copy the editor's texts into its host's draft and its table row."""
        editor = self.query(HostRow)
        if not editor or not self.drafts:
            return
        values, roles = editor.first().values()
        draft = self.drafts[self.editing]
        if (values, roles) != (draft.values, draft.roles):
            draft.values, draft.roles = values, roles
            self._update_row(self.editing)

    def _update_row(self, index: int) -> None:
        for column, value in zip(("n", *TABLE_COLUMNS), self._cells(index)):
            self.table.update_cell(str(index), column, value, update_width=True)

    async def edit(self, index: int) -> None:
        """Show host ``index`` in the editor (the editor's texts are kept first)."""
        async with self._swap:
            self.keep_editor()
            index = max(0, min(index, len(self.drafts) - 1))
            self.editing = index
            await self.query(HostRow).remove()
            editor = self._editor(index)
            await self.mount(editor)
            editor.set_errors(list(self.drafts[index].errors))
            self._title()

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        index = int(event.row_key.value) if event.row_key is not None and event.row_key.value is not None else 0
        if index != self.editing:
            await self.edit(index)

    async def add_host(self, spec: HostSpec) -> HostRow:
        """Append ``spec`` as a new host, select it and return its editor."""
        self.keep_editor()
        self.drafts.append(Draft(spec, spec_values(spec), spec.roles))
        index = len(self.drafts) - 1
        self.table.add_row(*self._cells(index), key=str(index))
        self.table.move_cursor(row=index, animate=False)
        await self.edit(index)
        return self.editor

    async def remove_host(self) -> None:
        """Drop the host in the editor."""
        async with self._swap:
            if len(self.drafts) <= 1:
                return
            del self.drafts[self.editing]
            index = min(self.editing, len(self.drafts) - 1)
            self.editing = index
            self.table.clear()
            for i in range(len(self.drafts)):
                self.table.add_row(*self._cells(i), key=str(i))
            await self.query(HostRow).remove()
            await self.mount(self._editor(index))
            self.table.move_cursor(row=index, animate=False)
            self._title()

    def read(self) -> list[tuple[HostSpec, list[FieldError]]]:
        """Every host as typed, with its parse errors, in order."""
        self.keep_editor()
        return [draft.read(i) for i, draft in enumerate(self.drafts)]

    def set_errors(self, errors: list[FieldError]) -> None:
        """Mark the hosts named by ``errors`` in the table, and bring the first of them into the editor."""
        for i, draft in enumerate(self.drafts):
            mine = tuple(e for e in errors if e.field.startswith(f"hosts[{i}]."))
            if mine != draft.errors:
                draft.errors = mine
                self._update_row(i)
        first = next((i for i, d in enumerate(self.drafts) if d.errors), None)
        if first is not None and first != self.editing:
            self.table.move_cursor(row=first, animate=False)  # its highlight brings it into the editor, errors shown
        else:
            self.editor.set_errors(list(self.drafts[self.editing].errors))
