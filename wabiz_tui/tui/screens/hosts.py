"""Step 1: the cluster, its hosts and their roles; running it creates the remote directories."""

from __future__ import annotations

import re
from typing import Any
from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from ...domain.model import HostSpec, Role, SshTarget
from ...domain.validation import (
    FieldError,
    check_host,
    check_port,
    check_topology,
    check_version,
    validate_profile,
)
from ..widgets.checkbox import Checkbox
from ..widgets.form import FieldBox, show_errors
from .base import StepScreen

#: From this many hosts on, step 1 shows a table and one editor (``hosts_big``); imported at the end (it needs
#: ``HostRow`` from here).
TABLE_FROM = 11


def parse_port(text: str, field: str) -> tuple[int, list[FieldError]]:
    """``"22"`` → 22; empty, non-numeric, 0 or above 65535 become a :class:`FieldError` naming ``field``.

    The port is returned as typed (0 when it is not a number): it never falls back to an older value.
    """
    text = text.strip()
    if not text.isdigit():
        return 0, [FieldError(field, f"{text!r} is not a port: use a number from 1 to 65535")]
    port = int(text)
    return port, check_port(port, field)


def host_from_values(spec: HostSpec, index: int, values: dict[str, str],
                     roles: tuple[Role, ...]) -> tuple[HostSpec, list[FieldError]]:
    """The host at form position ``index`` from its typed ``values`` (keyed by the :data:`HOST_COLUMNS` suffixes)
    and ``roles``, keeping ``spec``'s SSH key/agent/alias settings; plus the port's parse errors."""
    values = {k: v.strip() for k, v in values.items()}
    port, errors = parse_port(values["ssh.port"], f"hosts[{index}].ssh.port")
    ssh = replace(spec.ssh, host=values["ssh.host"], port=port, user=values["ssh.user"], jump=values["ssh.jump"])
    return HostSpec(external_hostname=values["external_hostname"], ssh=ssh, roles=roles,
                    remote_dir=values["remote_dir"]), errors


def spec_values(spec: HostSpec) -> dict[str, str]:
    """The texts of ``spec``'s fields, keyed by the :data:`HOST_COLUMNS` suffixes."""
    return {"external_hostname": spec.external_hostname, "ssh.host": spec.ssh.host, "ssh.port": str(spec.ssh.port),
            "ssh.user": spec.ssh.user, "remote_dir": spec.remote_dir, "ssh.jump": spec.ssh.jump}


ROLES = (Role.WEBAPP, Role.MASTER, Role.COREAPP)


class FieldInput(Input):
    """A compact ``Input`` that knows the dotted profile field it edits (for error placement)."""

    def __init__(self, value: str, field: str, placeholder: str, classes: str) -> None:
        super().__init__(value, placeholder=placeholder, compact=True, classes=classes)
        self.field = field


#: (field suffix, column title, CSS width class) of a host row, in display order.
HOST_COLUMNS = (("external_hostname", "EXTERNAL_HOSTNAME", "c-ext"), ("ssh.host", "SSH host", "c-ssh"),
                ("ssh.port", "Port", "c-port"), ("ssh.user", "User", "c-user"),
                ("remote_dir", "Remote dir", "c-dir"), ("ssh.jump", "Jump host(s)", "c-jump"))
#: Placeholders of the inputs that may stay empty; the others show their column title in parentheses (a hint in
#: a form no value has: with ``NO_COLOR`` a placeholder is drawn like typed text). The jump host's names itself:
#: it is on the roles line, under no column title.
PLACEHOLDERS = {"ssh.jump": "(jump hosts) e.g. ops@jump:22,jump2"}
#: The field typed on a row's second line, after the roles (at 80 columns the first line has room for
#: EXTERNAL_HOSTNAME whole only without it).
SECOND_LINE = "ssh.jump"


class HostHeader(Horizontal):
    """Column titles above the host rows' first lines."""

    def compose(self) -> ComposeResult:
        for suffix, title, css in HOST_COLUMNS:
            if suffix != SECOND_LINE:
                yield Static(title, classes=f"col-title {css}")


class HostRow(Widget):
    """One host of the form: EXTERNAL_HOSTNAME, SSH host/port/user, remote directory, roles, remove, jump host.

    A grid (app.tcss ``.host-row``): the inputs on one line, the roles, the remove button and the jump host
    on the next, and the row's error line (mounted with the first error) under both.
    Every widget of a row is built, styled and laid out for the step-1 screen's first frame, five rows
    at least: the row keeps to two containers.
    """

    DEFAULT_CSS = "HostRow { height: auto; }"

    def __init__(self, spec: HostSpec, index: int, values: dict[str, str] | None = None,
                 roles: tuple[Role, ...] | None = None, **kwargs) -> None:
        super().__init__(classes="host-row", **kwargs)
        self.spec = spec
        self.index = index
        #: the texts to show (the spec's by default; a draft's, typed but not yet valid, in the big form)
        self._values = values or spec_values(spec)
        self._roles = spec.roles if roles is None else roles

    def compose(self) -> ComposeResult:
        values = self._values
        inputs = {suffix: FieldInput(values[suffix], f"hosts[{self.index}].{suffix}",
                                     PLACEHOLDERS.get(suffix, f"({title})"), css)
                  for suffix, title, css in HOST_COLUMNS}
        jump = inputs.pop(SECOND_LINE)
        with Horizontal(classes="host-inputs"):
            yield from inputs.values()
        with Horizontal(classes="host-roles"):
            for role in ROLES:
                yield Checkbox(role.value, role in self._roles, compact=True, classes=f"role-{role.value}")
            yield Button("✕", classes="remove-host", variant="error", compact=True, tooltip="Remove this host")
            yield jump

    @property
    def inputs(self) -> list[FieldInput]:
        """The row's inputs."""
        return list(self.query(FieldInput))

    def renumber(self, index: int) -> None:
        """The row moved to position ``index`` (a host above it was removed)."""
        self.index = index
        for inp in self.inputs:
            inp.field = re.sub(r"^hosts\[\d+\]", f"hosts[{index}]", inp.field)

    def values(self) -> tuple[dict[str, str], tuple[Role, ...]]:
        """The texts typed (keyed by the :data:`HOST_COLUMNS` suffixes) and the roles ticked."""
        values = {i.field.split(".", 1)[1]: i.value for i in self.inputs}
        return values, tuple(r for r in ROLES if self.query_one(f".role-{r.value}", Checkbox).value)

    def read(self) -> tuple[HostSpec, list[FieldError]]:
        """The host as typed (keeping SSH key/agent/alias settings), plus parse errors."""
        values, roles = self.values()
        return host_from_values(self.spec, self.index, values, roles)

    def set_errors(self, errors: list[FieldError]) -> None:
        """Mark the inputs named by ``errors`` and list the errors under the row."""
        fields = {e.field for e in errors}
        for inp in self.inputs:
            inp.set_class(inp.field in fields, "-error")
        text = "\n".join(f"✗ {e}" for e in errors)
        lines = self.query(".row-error")
        if lines:
            line = lines.first(Static)
            line.update(text)
        elif errors:
            line = Static(text, classes="row-error")
            self.mount(line)
        else:
            return
        line.display = bool(errors)


class HostsScreen(StepScreen):
    """Step 1: cluster name, ``WA_API_VERSION`` and one row per host; add or remove hosts."""

    def compose_body(self) -> ComposeResult:
        """Cluster name, ``WA_API_VERSION``, the Add host button and the error line, then the column titles and one
        :class:`HostRow` per host, or from :data:`TABLE_FROM` hosts on the table form (:class:`BigHostsForm`)."""
        p = self.wapp.profile
        with VerticalScroll(id="hosts-form", classes="form"):
            with Horizontal(classes="cluster-fields"):
                yield FieldBox("Cluster name", "name", p.name, classes="w-wide", id="f-name")
                yield FieldBox("WA_API_VERSION", "wa_api_version", p.wa_api_version, classes="w-mid", id="f-version")
                yield Button("Add host", id="add-host", compact=True)
            yield Static("", id="form-error", classes="form-error")
            if len(p.hosts) >= TABLE_FROM:  # a big cluster: a table and one editor (hosts_big)
                yield BigHostsForm(p.hosts, id="big-hosts")
                return
            yield HostHeader(classes="host-header")
            for i, host in enumerate(p.hosts):
                yield HostRow(host, i)

    @property
    def big(self) -> BigHostsForm | None:
        """The big cluster's table form (None: one row of inputs per host)."""
        found = self.query(BigHostsForm)
        return found.first() if found else None

    @property
    def rows(self) -> list[HostRow]:
        """The host rows, in order (the big form's one editor)."""
        return list(self.query(HostRow))

    def _new_host(self) -> HostSpec:
        big = self.big
        last = big.drafts[-1].spec if big is not None and big.drafts else (self.rows[-1].spec if self.rows else None)
        return HostSpec(external_hostname="", ssh=SshTarget(port=22, user=last.ssh.user if last else ""),
                        roles=(Role.COREAPP,), remote_dir=last.remote_dir if last else "/home/wa/biz")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        big = self.big
        if event.button.id == "add-host":
            event.stop()
            if big is not None:
                row = await big.add_host(self._new_host())
            else:
                row = HostRow(self._new_host(), len(self.rows))
                await self.query_one("#hosts-form").mount(row)
            row.scroll_visible()
            row.query_one(FieldInput).focus()
        elif event.button.has_class("remove-host"):
            event.stop()
            if big is not None:
                await big.remove_host()
                return
            row = next(a for a in event.button.ancestors if isinstance(a, HostRow))
            await row.remove()
            for i, r in enumerate(self.rows):
                r.renumber(i)
        else:
            await super().on_button_pressed(event)

    def form_values(self, skip: Any = None) -> tuple[tuple[str, str], ...]:
        """The inputs on screen; on a big cluster's table form, every host as typed instead of its editor's inputs
        (the editor shows the selected host: choosing another changes them, and edits are kept in the drafts)."""
        big = self.big
        if big is None:
            return super().form_values(skip)
        big.keep_editor()
        drafts = tuple((f"draft{i}", repr((d.values, d.roles))) for i, d in enumerate(big.drafts))
        return super().form_values(big) + drafts

    def _read_hosts(self) -> list[tuple[HostSpec, list[FieldError]]]:
        big = self.big
        return big.read() if big is not None else [row.read() for row in self.rows]

    def collect(self) -> list[FieldError]:
        """Read the name, the version and every host and check them (version, each host, the cluster name rule, the
        topology; an unparsable port is reported once); shows each problem beside its field, on its host's row or in the
        table, the rest on the form's error line. Gives the app the profile only when there is none; returns the
        problems."""
        name = self.query_one("#f-name", FieldBox).value.strip()
        version = self.query_one("#f-version", FieldBox).value.strip()
        hosts: list[HostSpec] = []
        errors: list[FieldError] = []
        errors += check_version(version)
        for index, (host, parse_errors) in enumerate(self._read_hosts()):
            hosts.append(host)
            errors += parse_errors
            errors += [e for e in check_host(host, index) if not (parse_errors and e.field.endswith("ssh.port"))]
        profile = self.wapp.profile.with_changes(name=name, wa_api_version=version, hosts=tuple(hosts))
        errors = [e for e in validate_profile(profile) if e.field == "name"] + errors  # the domain's name rule
        errors += check_topology(profile)
        left = show_errors([self.query_one("#f-name", FieldBox), self.query_one("#f-version", FieldBox)], errors)
        big = self.big
        if big is not None:
            big.set_errors(left)
        for row in self.rows if big is None else ():
            row.set_errors([e for e in left if e.field.startswith(f"hosts[{row.index}].")])
        general = [e for e in left if not re.match(r"^hosts\[\d+\]\.", e.field)]
        hosts_with = sorted({int(m.group(1)) for e in left if (m := re.match(r"^hosts\[(\d+)\]\.", e.field))})
        if big is not None and hosts_with:  # the table marks them; the line names them all
            general.append(f"{len(hosts_with)} host(s) with errors: "
                           + ", ".join(f"#{i + 1} {big.drafts[i].values['external_hostname'] or '(no name)'}"
                                       for i in hosts_with))
        self.query_one("#form-error", Static).update("\n".join(map(str, general)))
        if not errors:
            self.wapp.set_profile(profile)
        return errors


from .hosts_big import BigHostsForm  # noqa: E402 - it builds on HostRow above
