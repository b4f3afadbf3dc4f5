"""The 4 Multiconnect steps (M1-M4): set shards, health, one more Coreapp on a new host, health again."""

from __future__ import annotations

import os
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Select, Static

from ...domain.model import HostSpec, Role, SshTarget
from ...domain.validation import ALLOWED_SHARDS, FieldError, check_host
from ..widgets.form import FieldBox, show_errors
from .base import StepScreen
from .confirm import ConfirmScreen
from .health import HealthScreen
from .hosts import parse_port

DEFAULT_SHARDS = 2


def require_install(screen: StepScreen) -> bool:
    """Multiconnect needs an installed, registered HA cluster; says so on ``screen`` when missing."""
    if screen.wapp.installed:
        return True
    screen.set_status(Text("✗ Multiconnect follows the HA install: finish step 9 first (or open the app on an "
                           "installed profile).", style="bold red"))
    screen.app.bell()
    return False


class ShardsScreen(StepScreen):
    """M1: choose the shard count, see the checks live, confirm, then ``POST /v1/account/shards``."""

    HOST_PANES = False
    RUN_LABEL = "Set shards"

    def __init__(self, step: Any) -> None:
        super().__init__(step)
        self.last_check: Any = None
        self.confirming = False
        #: the shard count of the last ``set_shards`` this screen started (0: none)
        self.set_to = 0

    def compose_body(self) -> ComposeResult:
        """The shard select (the profile's count if above 1, else 2), the cluster's current headline, the live check's
        result and the ``shards + X`` hint."""
        current = self.wapp.profile.shards
        value = current if current > 1 and current in ALLOWED_SHARDS else DEFAULT_SHARDS
        # not a Tab stop of its own: it showed no focus, so the select took two Tabs (trial s8 C6)
        with VerticalScroll(id="shards-form", classes="form", can_focus=False):
            with Horizontal(classes="form-line", id="shards-line"):
                with Vertical(classes="field-box", id="shards-box"):
                    yield Label("Shards: 1, 2, 4, 8, 16 or 32", classes="field-label")
                    yield Select([(str(n), n) for n in ALLOWED_SHARDS], value=value, allow_blank=False,
                                 id="shards", compact=True)
                yield Static("", id="cluster-now", classes="hint")
            yield Static("Checking…", id="shard-check")
            yield Static("shards + X Coreapps tolerate X Coreapp failures. Setting shards briefly disrupts the "
                         "number's connections: you will be asked to confirm. Step M3 adds the standby.",
                         classes="hint")

    @property
    def shards(self) -> int:
        """The shard count chosen in the form."""
        value = self.query_one("#shards", Select).value
        return value if isinstance(value, int) else DEFAULT_SHARDS

    async def resumed(self) -> None:
        """Check the chosen shard count live on an installed, idle cluster; before the HA install, say that step 9 comes
        first. Nothing while a confirmation is open."""
        if self.confirming:
            return
        if self.wapp.installed and not self.wapp.busy:
            self.live_check(self.shards)
        elif not self.wapp.installed:
            self.query_one("#shard-check", Static).update(
                Text("Finish the HA install (step 9) before Multiconnect.", style="yellow"))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "shards" and isinstance(event.value, int) and self.wapp.installed \
                and not self.wapp.busy and not self.confirming:
            self.live_check(event.value)

    def show_health(self, verdict: Any) -> None:
        """Show the verdict's headline as "Cluster now"."""
        self.query_one("#cluster-now", Static).update(Text(f"Cluster now: {verdict.headline}", style="dim"))

    def step_ended(self, ok: bool, summary: str = "", next_action: str = "", *, cancelled: bool = False) -> None:
        """After the base report: on success (and after a check) say the count was set, and keep "Cluster now" from
        showing the headline from before the change."""
        super().step_ended(ok, summary, next_action, cancelled=cancelled)
        shards = self.set_to or self.wapp.profile.shards
        now = self.query_one("#cluster-now", Static)
        # the step polls health once after the change; without that answer the verdict shown is the one before
        # the change (issue 17.6: it still said "1/1 shard")
        if ok and self.last_check is not None:  # its warnings are now in the Findings box: said once (trial s8 C3)
            self.query_one("#shard-check", Static).update(Text(f"✔ {shards} shard(s) set.", style="green"))
        if ok and f"({shards} shards)" not in str(now.render()):
            now.update(Text(f"Cluster now: {shards} shard(s) set; step M2 checks that every shard is served.",
                            style="dim"))

    # ---- checks --------------------------------------------------------------------------------
    async def _check(self, shards: int) -> Any:
        """Run ``check_shards`` and show its errors and warnings; None when the check itself failed."""
        box = self.query_one("#shard-check", Static)
        box.update(Text(f"Checking {shards} shard(s) against the running Coreapps…", style="dim"))
        try:
            check = await self.wapp.ensure_mc_workflow().check_shards(shards)
        except Exception as exc:  # noqa: BLE001 - shown, never raised
            box.update(Text(f"✗ could not check: {self.wapp.mask(str(exc))}", style="bold red"))
            return None
        self.last_check = (shards, check)
        text = Text()
        for e in check.errors:
            text.append(f"✗ {e}\n", style="bold red")
        for w in check.warnings:
            text.append(f"⚠ {w}\n", style="yellow")
        if not check.errors:
            text.append(f"✔ {shards} shard(s) can be set: {check.running_coreapps} Coreapp(s) run.", style="green")
        box.update(text)
        return check

    @work(exclusive=True, group="shard-live-check", exit_on_error=False)
    async def live_check(self, shards: int) -> None:
        """Check ``shards`` as soon as it is chosen (before any call that changes the cluster)."""
        await self._check(shards)

    async def primary_action(self) -> None:
        """On an installed cluster, check, confirm and set the chosen shard count (:meth:`confirm_and_set`)."""
        if not require_install(self):
            return
        self.confirm_and_set(self.shards)

    @work(exclusive=True, group="shard-set", exit_on_error=False)
    async def confirm_and_set(self, shards: int) -> None:
        """Check, ask for an explicit confirmation, then run the step (``set_shards(confirmed=True)``)."""
        self.workers.cancel_group(self, "shard-live-check")
        self.confirming = True
        try:
            await self._confirm_and_set(shards)
        finally:
            self.confirming = False

    async def _confirm_and_set(self, shards: int) -> None:
        check = await self._check(shards)
        if check is None or check.errors:
            reason = check.errors[0] if check is not None else "the check could not run"
            self.set_status(Text(f"✗ Not set: {reason}. Choose another value or start more Coreapps.",
                                 style="bold red"))
            self.app.bell()
            return
        details = "\n".join([*(f"⚠ {w}" for w in check.warnings),
                             ("Setting shards briefly disrupts the number's connections while the Coreapps "
                              "take their shards.")])
        question = f"Set {shards} shard(s) on {self.wapp.profile.registration.phone_number or 'the number'}?"
        confirmed = await self.app.push_screen_wait(ConfirmScreen(question, details, yes="Set shards", no="Cancel"))
        if not confirmed:
            self.set_status(Text("Not set: the shard count needs your confirmation. Press ctrl+r to try again.",
                                 style="bold yellow"))
            return
        mc = self.wapp.ensure_mc_workflow()
        self.set_to = shards
        self.wapp.start_step(self.number, lambda: mc.set_shards(shards, confirmed=True), hosts=())


class McHealthScreen(HealthScreen):
    """M2 and M4: wait until every shard is served (M2), then also a standby (M4)."""

    async def primary_action(self) -> None:
        """Run the health check step, only on an installed cluster."""
        if require_install(self):
            await super().primary_action()


#: (field suffix, label, CSS width class) of the new host's form.
NEW_HOST_FIELDS = (("external_hostname", "EXTERNAL_HOSTNAME", "w-wide"), ("ssh.host", "SSH host", "w-mid"),
                   ("ssh.port", "SSH port", "w-port"), ("ssh.user", "SSH user", "w-user"),
                   ("ssh.key_file", "SSH key file", "w-wide"), ("remote_dir", "Remote dir", "w-wide"))


class AddCoreappScreen(StepScreen):
    """M3: a new host for one more Coreapp; upload the files there and ``up -d wacore`` (streamed)."""

    RUN_LABEL = "Add Coreapp"

    def template(self) -> HostSpec:
        """The form's first values: the demo's spare host, else an existing Coreapp's SSH settings."""
        spares = getattr(self.wapp.demo, "spare_hosts", ()) or ()
        known = {h.external_hostname for h in self.wapp.profile.hosts}
        for spare in spares:
            if spare.external_hostname not in known:
                return spare
        like = next(iter(self.wapp.profile.hosts_with(Role.COREAPP)), None) or next(iter(self.wapp.profile.hosts), None)
        ssh = SshTarget(port=like.ssh.port, user=like.ssh.user, key_file=like.ssh.key_file,
                        use_agent=like.ssh.use_agent) if like else SshTarget()
        return HostSpec("", ssh, (Role.COREAPP,), like.remote_dir if like else "/home/wa/biz")

    def compose_body(self) -> ComposeResult:
        """The new host's form (filled from :meth:`template`) and the hint of what runs there."""
        self.spec = self.template()
        s = self.spec
        values = {"external_hostname": s.external_hostname, "ssh.host": s.ssh.host, "ssh.port": str(s.ssh.port),
                  "ssh.user": s.ssh.user, "ssh.key_file": s.ssh.key_file, "remote_dir": s.remote_dir}
        with VerticalScroll(id="coreapp-form", classes="form"):
            with Horizontal(classes="form-line"):
                for suffix, label, css in NEW_HOST_FIELDS[:4]:
                    yield FieldBox(label, f"new.{suffix}", values[suffix], classes=css, id=f"f-new-{suffix.replace('.', '-')}")
            with Horizontal(classes="form-line stack-narrow"):
                for suffix, label, css in NEW_HOST_FIELDS[4:]:
                    yield FieldBox(label, f"new.{suffix}", values[suffix], classes=css, id=f"f-new-{suffix.replace('.', '-')}")
            yield Static("", id="form-error", classes="form-error")
            yield Static("Role: coreapp only. The compose file and db.env (mode 600) are uploaded, then "
                         "EXTERNAL_HOSTNAME=<host> WA_API_VERSION=<v> docker-compose … up -d wacore.", classes="hint")

    def host_list(self) -> list[tuple[str, str]]:
        """``[(name typed, 'coreapp')]`` for the one pane (``new host`` until a name is typed)."""
        name = ""
        try:
            name = self.query_one("#f-new-external_hostname", FieldBox).value.strip()
        except Exception:  # noqa: BLE001 - before the form exists
            name = getattr(getattr(self, "spec", None), "external_hostname", "")
        return [(name or "new host", "coreapp")]

    def read(self) -> tuple[HostSpec, list[FieldError]]:
        """The new host as typed, with the problems of each field (named ``new.<field>``)."""
        get = {b.field[4:]: b.value.strip() for b in self.query(FieldBox)}
        port, errors = parse_port(get["ssh.port"], "new.ssh.port")
        ssh = SshTarget(host=get["ssh.host"], port=port or 22, user=get["ssh.user"], key_file=get["ssh.key_file"],
                        use_agent=self.spec.ssh.use_agent)
        host = HostSpec(get["external_hostname"], ssh, (Role.COREAPP,), get["remote_dir"])
        index = len(self.wapp.profile.hosts)
        for e in check_host(host, index):
            field = e.field.replace(f"hosts[{index}].", "new.")
            if not (errors and field == "new.ssh.port"):
                errors.append(FieldError(field, e.message))
        if host.external_hostname in {h.external_hostname for h in self.wapp.profile.hosts}:
            errors.append(FieldError("new.external_hostname", f"{host.external_hostname!r} is already a host of the "
                                     "cluster: a standby on another host is what tolerates a host failure"))
        key = os.path.expanduser(ssh.key_file) if ssh.key_file else ""
        if key and not os.path.isfile(key):
            errors.append(FieldError("new.ssh.key_file", f"{ssh.key_file!r} does not exist on this machine"))
        return host, errors

    def collect(self) -> list[FieldError]:
        """Read the form (:meth:`read`), show each field's problem, keep the host for the run; returns the problems."""
        host, errors = self.read()
        left = show_errors(list(self.query(FieldBox)), errors)
        self.query_one("#form-error", Static).update("\n".join(map(str, left)))
        self._host = host
        return errors

    async def primary_action(self) -> None:
        """On an installed cluster with a valid form, run step M3: upload the files to the new host and start a Coreapp
        there (``add_coreapp``), streamed in its pane."""
        if not require_install(self):
            return
        errors = self.collect()
        if errors:
            self.set_status(Text(f"{len(errors)} field(s) to fix before the Coreapp can be added: {errors[0]}",
                                 style="bold red"))
            self.app.bell()
            return
        await self._sync_panes()
        host = self._host
        mc = self.wapp.ensure_mc_workflow()
        self.wapp.start_step(self.number, lambda: mc.add_coreapp(host), hosts=(host.external_hostname,))
