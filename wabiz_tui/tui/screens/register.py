"""Step 8: register the phone number (request a code, then verify it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from ...domain.model import CodeMethod
from ...domain.validation import FieldError, check_registration
from ..steps import StepState
from ..widgets.form import FieldBox, show_errors
from .base import StepScreen
from .confirm import ConfirmScreen


class DuplicateNumberScreen(ConfirmScreen):
    """The blocking warning before registering a number another saved cluster profile has (field case R23)."""

    def __init__(self, risk: Any) -> None:
        details = Text()
        details.append(f"{risk.evidence}\n\n", style="bold")
        details.append(f"{risk.explanation}\n\n")
        details.append(f"Next: {risk.next_action}.", style="italic")
        super().__init__("This phone number is also in another cluster profile. Registering it here disconnects "
                         "that cluster.", details, yes="Register anyway", no="Cancel")
        self.add_class("duplicate-number")


class RegisterScreen(StepScreen):
    """Step 8: ``POST /v1/account`` with cc, number, method, cert and PIN; then the 6-digit code."""

    HOST_PANES = False
    RUN_LABEL = "Request code"
    BINDINGS: ClassVar[list[Binding]] = [Binding("ctrl+g", "new_code", "New code")]

    def __init__(self, step: Any) -> None:
        super().__init__(step)
        self.code_requested = False
        self.vname = ""

    def compose_body(self) -> ComposeResult:
        """The registration form (cc, number, method, certificate, PIN) and the code section (hidden until a code is
        requested)."""
        r = self.wapp.profile.registration
        with VerticalScroll(id="register-form", classes="form"):
            with Horizontal(classes="form-line"):
                yield FieldBox("Country code (cc)", "registration.cc", r.cc, classes="w-port", id="f-cc")
                yield FieldBox("Phone number", "registration.phone_number", r.phone_number, classes="w-mid",
                               id="f-phone")
                with Vertical(classes="field-box w-mid"):
                    yield Label("Method", classes="field-label")
                    yield Select([("sms", CodeMethod.SMS), ("voice", CodeMethod.VOICE)], value=r.method,
                                 allow_blank=False, id="reg-method", compact=True)
            with Horizontal(classes="form-line"):
                yield FieldBox("Certificate (base64, hidden)", "registration.cert", r.cert, password=True,
                               classes="w-wide", id="f-cert")
                yield FieldBox("Two-step PIN (optional)", "registration.pin", r.pin, password=True,
                               classes="w-mid", id="f-pin")
            yield Static("", id="form-error", classes="form-error")
            with Vertical(id="code-section"):
                yield Static("", id="vname")
                with Horizontal(classes="form-line"):
                    yield FieldBox("Code (6 digits)", "code", "", classes="w-mid", id="f-code",
                                   input_id="code-input")
                    yield Button("Verify  ctrl+r", id="verify", variant="success", compact=True)
                    yield Button("Request a new code  ctrl+g", id="new-code", compact=True)
                # the code's problem on its own full-width line (in the code's narrow box it took 6 rows at 80
                # columns and pushed the demo's SMS line off the screen)
                yield Static("", id="code-error", classes="form-error")
            yield Static("", id="sms-hint", classes="sms-hint")

    def mounted(self) -> None:
        """Hide the code section; show the demo's SMS code if one already arrived."""
        self.query_one("#code-section").display = False
        if self.wapp.sms_code:
            self.show_sms("", self.wapp.sms_code)

    def show_sms(self, phone: str, code: str) -> None:
        """Demo only: show the code the simulator "sent" so a person can type it."""
        to = f" to +{phone.lstrip('+')}" if phone else ""
        self.query_one("#sms-hint", Static).update(
            Text(f"📱 Demo SMS{to}: your WhatsApp registration code is {code}", style="bold magenta"))

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "verify":
            event.stop()
            self.verify()
        elif event.button.id == "new-code":
            event.stop()
            await self.action_new_code()
        else:
            await super().on_button_pressed(event)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "code-input":
            event.stop()
            self.verify()

    # ---- step 8 part 1 --------------------------------------------------------------------
    def collect(self) -> list[FieldError]:
        """Read the form into a profile candidate and check it; shows each field's problem and saves the candidate only
        when there is none. Returns the problems."""
        boxes = [b for b in self.query(FieldBox) if b.field.startswith("registration.")]
        get = {b.field: b.value.strip() for b in boxes}
        method = self.query_one("#reg-method", Select).value
        profile = self.wapp.profile
        reg = replace(profile.registration, cc=get["registration.cc"].lstrip("+"),
                      phone_number=get["registration.phone_number"],
                      method=method if isinstance(method, CodeMethod) else profile.registration.method,
                      cert=get["registration.cert"], pin=get["registration.pin"])
        candidate = profile.with_changes(registration=reg)
        errors = check_registration(candidate)
        left = show_errors(boxes, errors)
        self.query_one("#form-error", Static).update("\n".join(map(str, left)))
        if not errors:
            self.wapp.set_profile(candidate)
        return errors

    async def primary_action(self) -> None:
        """Verify the typed code once one was requested; otherwise validate the form, warn about a number another saved
        profile uses (confirmation needed, field case R23), then request the code (``POST /v1/account``)."""
        if self.code_requested:
            self.verify()
            return
        errors = self.collect()
        if errors:
            self.set_status(Text(f"{len(errors)} field(s) to fix: {errors[0]}", style="bold red"))
            self.app.bell()
            return
        workflow = self.wapp.ensure_workflow()
        check = getattr(workflow, "duplicate_number", None)
        risk = check() if callable(check) else None
        if risk is not None:  # field case R23: one instance per number; the operator must say yes explicitly
            self.set_status(Text(f"⚠ {risk.title}: answer the question to go on.", style="bold red"))
            self.app.push_screen(DuplicateNumberScreen(risk), self._duplicate_answered)
            return
        self.wapp.start_task(self.number, "Request code", workflow.request_code, self._code_requested)

    def _duplicate_answered(self, register_anyway: bool | None) -> None:
        if not register_anyway:
            self.set_status(Text("✗ Not registered: this number belongs to another saved cluster. Retire that cluster "
                                 "first, or use another number.", style="bold red"))
            return
        workflow = self.wapp.ensure_workflow()
        self.wapp.start_task(self.number, "Request code", lambda: workflow.request_code(allow_duplicate=True),
                             self._code_requested)

    def _code_requested(self, result: Any) -> StepState:
        self.step_ended_quietly()
        if getattr(result, "already_registered", False):
            self.set_status(Text(f"✔ This number is already registered (vname {result.vname!r}); no code "
                                 "needed. Press ctrl+n for the second health check.", style="bold green"))
            return StepState.DONE
        self.code_requested = True
        self.vname = getattr(result, "vname", "")
        self.query_one("#code-section").display = True
        self.query_one("#vname", Static).update(Text(f"Code requested. Verified name (vname): {self.vname}",
                                                     style="bold"))
        self.query_one("#run").label = "Verify code  ctrl+r"  # type: ignore[attr-defined]
        self.query_one("#code-input", Input).focus()
        self.refresh_bindings()
        self.set_status(Text("Code requested (202). Type the 6-digit code you received and press Enter or ctrl+r "
                             "(ctrl+g requests a new code).", style="bold yellow"))
        return StepState.PENDING

    # ---- step 8 part 2 ------------------------------------------------------------------------
    def verify(self) -> None:
        """Send the typed code (``POST /v1/account/verify``)."""
        box = self.query_one("#f-code", FieldBox)
        code = box.value.strip().replace("-", "")
        error = None if code.isdigit() and len(code) == 6 else FieldError(
            "code", "the registration code has 6 digits, e.g. 123456")
        box.set_error(error)
        self.query_one("#code-error", Static).update(str(error) if error else "")
        if error:
            self.set_status(Text("code: enter the 6 digits you received", style="bold red"))
            return
        workflow = self.wapp.ensure_workflow()
        self.wapp.start_task(self.number, "Verify code", lambda: workflow.verify_code(code), self._verified)

    def _verified(self, ok: Any) -> StepState:
        self.step_ended_quietly()
        if ok:
            self.set_status(Text("✔ Number registered. Press ctrl+n for the second health check.",
                                 style="bold green"))
            return StepState.DONE
        self.set_status(Text("✗ The code was not accepted. Next action: check the code and press ctrl+r, or "
                             "request a new code with ctrl+g.", style="bold red"))
        return StepState.FAILED

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_code":
            return self.code_requested
        return True

    def reset_view(self) -> None:
        """Back to the first part: no code requested, code section hidden, run button relabelled."""
        super().reset_view()
        self.code_requested = False
        self.query_one("#code-section").display = False
        self.query_one("#run").label = f"{self.RUN_LABEL}  ctrl+r"  # type: ignore[attr-defined]

    async def action_new_code(self) -> None:
        """Forget the code asked for and request a new one (``POST /v1/account`` again)."""
        if self.wapp.busy:
            self.wapp.notify("Wait for the running request to finish.", severity="warning")
            return
        self.code_requested = False
        self.query_one("#code-section").display = False
        self.query_one("#f-code", FieldBox).set_error(None)
        self.query_one("#code-error", Static).update("")
        self.query_one("#code-input", Input).value = ""
        self.query_one("#run").label = f"{self.RUN_LABEL}  ctrl+r"  # type: ignore[attr-defined]
        self.refresh_bindings()
        self.set_status(Text("Requesting a new code…", style="bold yellow"))
        await self.primary_action()

    def step_ended_quietly(self) -> None:
        """Stop the elapsed-time counter without the generic done/failed message."""
        self._tick()
        self.started_at = None
