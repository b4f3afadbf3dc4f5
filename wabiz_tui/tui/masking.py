"""Keeps secrets (DB password, admin password, PIN, cert) out of everything the TUI displays."""

from __future__ import annotations

from ..domain.model import ClusterProfile, secret_values

MASK = "********"


class SecretMasker:
    """Replaces every known secret value in a text with ``********``.

    The engine already masks the commands it emits; this is the TUI's own second line of defence
    for anything it shows in a pane, a table, a notification or a saved log.
    """

    def __init__(self) -> None:
        self._secrets: list[str] = []
        self._extra: set[str] = set()
        self._profile: ClusterProfile | None = None

    def update(self, profile: ClusterProfile) -> None:
        """Learn the secrets of ``profile`` (longest first, so substrings do not leak)."""
        self._profile = profile
        values = set(secret_values(profile)) | self._extra
        self._secrets = sorted((v for v in values if v and len(v) >= 3), key=len, reverse=True)

    def add(self, *secrets: str) -> None:
        """Also mask ``secrets`` given to one run only (the settings backup password)."""
        self._extra.update(s for s in secrets if s)
        values = (set(secret_values(self._profile)) if self._profile is not None else set()) | self._extra
        self._secrets = sorted((v for v in values if len(v) >= 3), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text
