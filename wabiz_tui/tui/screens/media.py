"""Step 4: the media volume (named volume ``whatsappMedia`` or a host path such as an NFS mount)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import RadioSet, Static

from ...domain.model import MediaKind, MediaVolume
from ...domain.validation import FieldError, check_media
from ..widgets.form import FieldBox, show_errors
from ..widgets.radio import RadioButton
from .base import StepScreen


class MediaScreen(StepScreen):
    """Step 4: choose the media volume; a host path must be absolute (mode 755 is set on it)."""

    RUN_LABEL = "Prepare media"

    def compose_body(self) -> ComposeResult:
        """The choice between the named volume and a host path (from the profile), the host path field and the hint that
        every Webapp and Coreapp host mounts that directory (mode 755)."""
        media = self.wapp.profile.media
        named = media.kind is MediaKind.NAMED_VOLUME
        with VerticalScroll(id="media-form", classes="form"):
            with RadioSet(id="media-kind"):
                yield RadioButton("Named volume whatsappMedia:/usr/local/wamedia", value=named, id="media-volume")
                yield RadioButton("Host path (e.g. an NFS mount shared by every host)", value=not named,
                                  id="media-host-path")
            yield FieldBox("Host path", "media.host_path", media.host_path, placeholder="e.g. /mnt/wamedia",
                           classes="w-wide", id="f-media-path")
            yield Static("With a host path, every Webapp and Coreapp host must mount the same directory; "
                         "it and its subdirectories get mode 755.", classes="hint")

    def mounted(self) -> None:
        """Enable the host path field only when "Host path" is chosen."""
        self._update_path_box()

    def on_radio_set_changed(self, _event: RadioSet.Changed) -> None:
        self._update_path_box()

    def _kind(self) -> MediaKind:
        return MediaKind.HOST_PATH if self.query_one("#media-host-path", RadioButton).value else MediaKind.NAMED_VOLUME

    def _update_path_box(self) -> None:
        self.query_one("#f-media-path", FieldBox).disabled = self._kind() is MediaKind.NAMED_VOLUME

    def collect(self) -> list[FieldError]:
        """Read the choice into a profile candidate and check it (a host path must be absolute); shows the path's
        problem beside its field and gives the app the candidate only when there is none. Returns the problems."""
        box = self.query_one("#f-media-path", FieldBox)
        kind = self._kind()
        media = MediaVolume(kind=kind, host_path=box.value.strip() if kind is MediaKind.HOST_PATH else "")
        candidate = self.wapp.profile.with_changes(media=media)
        errors = check_media(candidate)
        show_errors([box], errors)
        if not errors:
            self.wapp.set_profile(candidate)
        return errors
