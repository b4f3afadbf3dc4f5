"""Step 1: the cluster, its hosts and their roles; running it creates the remote directories."""

from __future__ import annotations

import re
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


def parse_port(text: str, field: str) -> tuple[int, list[FieldError]]:
    """``"22"`` → 22; empty, non-numeric, 0 or above 65535 become a :class:`FieldError` naming ``field``.

    The port is returned as typed (0 when it is not a number): it never falls back to an older value.
    """
    text = text.strip()
    if not text.isdigit():
        return 0, [FieldError(field, f"{text!r} is not a port: use a number from 1 to 65535")]
    port = int(text)
    return port, check_port(port, field)


class FieldInput(Input):
    """A compact ``Input`` that knows the dotted profile field it edits (for error placement)."""

    def __init__(self, value: str, field: str, placeholder: str, classes: str) -> None:
        super().__init__(value, placeholder=placeholder, compact=True, classes=classes)
        self.field = field


#: (field suffix, column title, CSS width class) of a host row, in display order.
HOST_COLUMNS = (("external_hostname", "EXTERNAL_HOSTNAME", "c-ext"), ("ssh.host", "SSH host", "c-ssh"),
                ("ssh.port", "Port", "c-port"), ("ssh.user", "User", "c-user"),
                ("remote_dir", "Remote dir", "c-dir"), ("ssh.jump", "Jump host(s)", "c-jump"))
#: Placeholders of the inputs that may stay empty.
PLACEHOLDERS = {"ssh.jump": "[user@]host[:port],…"}


class HostHeader(Horizontal):
    """Column titles above the host rows."""

    def compose(self) -> ComposeResult:
        for _suffix, title, css in HOST_COLUMNS:
            yield Static(title, classes=f"col-title {css}")
        yield Static("Roles: webapp · master · coreapp", classes="col-title c-roles")


class HostRow(Widget):
    """One host of the form: EXTERNAL_HOSTNAME, SSH host/port/user, remote directory, roles, remove.

    A grid (app.tcss ``.host-row``): the inputs and the roles side by side on wide terminals, one above
    the other below 160 columns, and the row's error line (mounted with the first error) across both.
    Every widget of a row is built, styled and laid out for the step-1 screen's first frame, five rows
    at least: the row keeps to two containers.
    """

    DEFAULT_CSS = "HostRow { height: auto; }"

    def __init__(self, spec: HostSpec, index: int) -> None:
        super().__init__(classes="host-row")
        self.spec = spec
        self.index = index

    def compose(self) -> ComposeResult:
        s = self.spec
        values = {"external_hostname": s.external_hostname, "ssh.host": s.ssh.host, "ssh.port": str(s.ssh.port),
                  "ssh.user": s.ssh.user, "remote_dir": s.remote_dir, "ssh.jump": s.ssh.jump}
        with Horizontal(classes="host-inputs"):
            for suffix, title, css in HOST_COLUMNS:
                yield FieldInput(values[suffix], f"hosts[{self.index}].{suffix}", PLACEHOLDERS.get(suffix, title), css)
        with Horizontal(classes="host-roles"):
            for role in (Role.WEBAPP, Role.MASTER, Role.COREAPP):
                yield Checkbox(role.value, s.has(role), compact=True, classes=f"role-{role.value}")
            yield Button("✕", classes="remove-host", variant="error", compact=True, tooltip="Remove this host")

    @property
    def inputs(self) -> list[FieldInput]:
        """The row's inputs."""
        return list(self.query(FieldInput))

    def renumber(self, index: int) -> None:
        """The row moved to position ``index`` (a host above it was removed)."""
        self.index = index
        for inp in self.inputs:
            inp.field = re.sub(r"^hosts\[\d+\]", f"hosts[{index}]", inp.field)

    def read(self) -> tuple[HostSpec, list[FieldError]]:
        """The host as typed (keeping SSH key/agent/alias settings), plus parse errors."""
        values = {i.field.split(".", 1)[1]: i.value.strip() for i in self.inputs}
        port, errors = parse_port(values["ssh.port"], f"hosts[{self.index}].ssh.port")
        roles = tuple(r for r in (Role.WEBAPP, Role.MASTER, Role.COREAPP)
                      if self.query_one(f".role-{r.value}", Checkbox).value)
        ssh = replace(self.spec.ssh, host=values["ssh.host"], port=port, user=values["ssh.user"],
                      jump=values["ssh.jump"])
        return HostSpec(external_hostname=values["external_hostname"], ssh=ssh, roles=roles,
                        remote_dir=values["remote_dir"]), errors

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
        p = self.wapp.profile
        with VerticalScroll(id="hosts-form", classes="form"):
            with Horizontal(classes="cluster-fields"):
                yield FieldBox("Cluster name", "name", p.name, classes="w-wide", id="f-name")
                yield FieldBox("WA_API_VERSION", "wa_api_version", p.wa_api_version, classes="w-mid", id="f-version")
                yield Button("Add host", id="add-host", compact=True)
            yield Static("", id="form-error", classes="form-error")
            yield HostHeader(classes="host-header")
            for i, host in enumerate(p.hosts):
                yield HostRow(host, i)

    @property
    def rows(self) -> list[HostRow]:
        """The host rows, in order."""
        return list(self.query(HostRow))

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add-host":
            event.stop()
            n = len(self.rows)
            spec = HostSpec(external_hostname="", ssh=SshTarget(port=22, user=self.rows[-1].spec.ssh.user
                                                                if self.rows else ""), roles=(Role.COREAPP,),
                            remote_dir=self.rows[-1].spec.remote_dir if self.rows else "/home/wa/biz")
            row = HostRow(spec, n)
            await self.query_one("#hosts-form").mount(row)
            row.scroll_visible()
            row.query_one(FieldInput).focus()
        elif event.button.has_class("remove-host"):
            event.stop()
            row = next(a for a in event.button.ancestors if isinstance(a, HostRow))
            await row.remove()
            for i, r in enumerate(self.rows):
                r.renumber(i)
        else:
            await super().on_button_pressed(event)

    def collect(self) -> list[FieldError]:
        name = self.query_one("#f-name", FieldBox).value.strip()
        version = self.query_one("#f-version", FieldBox).value.strip()
        hosts: list[HostSpec] = []
        errors: list[FieldError] = []
        errors += check_version(version)
        for row in self.rows:
            host, parse_errors = row.read()
            hosts.append(host)
            errors += parse_errors
            errors += [e for e in check_host(host, row.index) if not (parse_errors and e.field.endswith("ssh.port"))]
        profile = self.wapp.profile.with_changes(name=name, wa_api_version=version, hosts=tuple(hosts))
        errors = [e for e in validate_profile(profile) if e.field == "name"] + errors  # the domain's name rule
        errors += check_topology(profile)
        left = show_errors([self.query_one("#f-name", FieldBox), self.query_one("#f-version", FieldBox)], errors)
        for row in self.rows:
            row.set_errors([e for e in left if e.field.startswith(f"hosts[{row.index}].")])
        general = [e for e in left if not re.match(r"^hosts\[\d+\]\.", e.field)]
        self.query_one("#form-error", Static).update("\n".join(map(str, general)))
        if not errors:
            self.wapp.set_profile(profile)
        return errors
