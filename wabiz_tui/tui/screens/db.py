"""Step 3: the ``db.env`` values; running it uploads ``db.env`` (mode 600) to every host."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from ...domain.model import DbEngine
from ...domain.validation import FieldError, check_db
from ..widgets.form import FieldBox, show_errors
from .base import StepScreen


def parse_int(text: str, field: str, what: str) -> tuple[int | None, list[FieldError]]:
    """A whole number from a form field, or a :class:`FieldError` naming the field."""
    text = text.strip()
    if not text.isdigit():
        return None, [FieldError(field, f"{text!r} is not a number: enter {what}")]
    return int(text), []


class DbScreen(StepScreen):
    """Step 3: engine (MYSQL/PGSQL), hostname, port, user, password (hidden) and idle timeout."""

    RUN_LABEL = "Upload db.env"

    def compose_body(self) -> ComposeResult:
        """The ``db.env`` form from the profile: engine select, hostname, port, user, password (hidden), idle timeout in
        ms, the password rule's hint and a line for the problems no field takes."""
        db = self.wapp.profile.db
        with VerticalScroll(id="db-form", classes="form"):
            with Horizontal(classes="form-line"):
                with Vertical(classes="field-box w-mid"):
                    yield Label("WA_DB_ENGINE", classes="field-label")
                    yield Select([("MYSQL", DbEngine.MYSQL), ("PGSQL", DbEngine.PGSQL)], value=db.engine,
                                 allow_blank=False, id="db-engine", compact=True)
                yield FieldBox("WA_DB_HOSTNAME", "db.hostname", db.hostname, classes="w-wide", id="f-db-hostname")
                yield FieldBox("WA_DB_PORT", "db.port", str(db.port), classes="w-port", id="f-db-port")
            with Horizontal(classes="form-line"):
                yield FieldBox("WA_DB_USERNAME", "db.username", db.username, classes="w-mid", id="f-db-username")
                yield FieldBox("WA_DB_PASSWORD", "db.password", db.password, password=True, classes="w-wide",
                               id="f-db-password", input_id="db-password")
                yield FieldBox("Idle timeout (ms)", "db.connection_idle_timeout_ms",
                               str(db.connection_idle_timeout_ms), classes="w-mid", id="f-db-idle")
            yield Static("The password must not contain any of ?{}&~!()^= (seed). MySQL 5.7/8.0 or "
                         "PostgreSQL 11-13, on a server that is not a compute host.", classes="hint")
            if self.wapp.demo is not None:
                # a new user changed the password in the demo and could not find the one its DB accepts (s11 trial)
                with Horizontal(id="db-demo", classes="form-line"):
                    yield Static("Demo: its database accepts only the values the demo filled in.", classes="hint")
                    yield Button("Demo values", id="db-demo-values", compact=True)
            yield Static("", id="form-error", classes="form-error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """"Demo values" (the demo only): the form gets the demo database's values back (the password hidden as
        typed ones are); other buttons are the step's."""
        if event.button.id != "db-demo-values":
            return
        event.stop()
        db = self.wapp.demo.profile.db
        self.query_one("#db-engine", Select).value = db.engine
        for box_id, value in (("#f-db-hostname", db.hostname), ("#f-db-port", str(db.port)),
                              ("#f-db-username", db.username), ("#f-db-password", db.password),
                              ("#f-db-idle", str(db.connection_idle_timeout_ms))):
            self.query_one(box_id, FieldBox).query_one(Input).value = value
        self.notify("The demo database's values are back in the form.", timeout=4)

    def on_select_changed(self, event: Select.Changed) -> None:
        port_box = self.query_one("#f-db-port", FieldBox)
        if event.value is DbEngine.PGSQL and port_box.value.strip() == "3306":
            port_box.query_one("Input").value = "5432"  # type: ignore[attr-defined]
        elif event.value is DbEngine.MYSQL and port_box.value.strip() == "5432":
            port_box.query_one("Input").value = "3306"  # type: ignore[attr-defined]

    def collect(self) -> list[FieldError]:
        """Read the form into a profile candidate (port and idle timeout must be whole numbers) and check it with
        :func:`check_db`, a field with a parse problem getting no second one; shows each problem beside its field or on
        the form's error line and gives the app the candidate only when there is none. Returns the problems."""
        boxes = list(self.query(FieldBox))
        get = {b.field: b.value for b in boxes}
        port, errors = parse_int(get["db.port"], "db.port", "the DB port, e.g. 3306")
        idle, idle_errors = parse_int(get["db.connection_idle_timeout_ms"], "db.connection_idle_timeout_ms",
                                      "milliseconds (0 leaves it out)")
        errors += idle_errors
        profile = self.wapp.profile
        engine = self.query_one("#db-engine", Select).value
        db = replace(profile.db, engine=engine if isinstance(engine, DbEngine) else profile.db.engine,
                     hostname=get["db.hostname"].strip(), port=port if port is not None else 0,
                     username=get["db.username"].strip(), password=get["db.password"],
                     connection_idle_timeout_ms=idle if idle is not None else 0)
        candidate = profile.with_changes(db=db)
        skip = {e.field for e in errors}
        errors += [e for e in check_db(candidate) if e.field not in skip]
        left = show_errors(boxes, errors)
        self.query_one("#form-error", Static).update("\n".join(map(str, left)))
        if not errors:
            self.wapp.set_profile(candidate)
        return errors
