"""Step 2: show the rendered files and every command per host before anything is uploaded."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from .base import StepScreen


class ReviewScreen(StepScreen):
    """Step 2: a dry run of the install (compose file, ``db.env`` masked, commands); running it uploads."""

    RUN_LABEL = "Upload files"

    def compose_body(self) -> ComposeResult:
        """A scrolling text that says "Loading the review…" until :meth:`refresh_review` fills it."""
        yield VerticalScroll(Static("Loading the review…", id="review-text"), id="review", classes="review")

    async def resumed(self) -> None:
        """Build the review again each time the step is shown (the steps before may have changed the profile)."""
        self.refresh_review()

    def refresh_review(self) -> None:
        """Ask the engine for the review of the current profile and show it (secrets masked)."""
        text = Text()
        try:
            blocks = self.wapp.ensure_workflow().review()
        except Exception as exc:  # noqa: BLE001 - the review must never crash the wizard
            text.append(f"Could not build the review: {type(exc).__name__}: {self.wapp.mask(str(exc))}\n",
                        style="bold red")
            text.append("Next action: go back to step 1 (ctrl+b) and check the hosts.")
            self.query_one("#review-text", Static).update(text)
            return
        for title, body in blocks:
            text.append(f"── {title} ──\n", style="bold cyan")
            text.append(self.wapp.mask(body).rstrip("\n") + "\n\n")
        self.query_one("#review-text", Static).update(text)
