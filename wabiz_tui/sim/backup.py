"""The simulated Webapp's settings backup: the settings encrypted with the backup password, which the backup never
holds. The real Webapp answers ``POST /v1/settings/backup`` with ``{"settings": {"data": "ENCRYPTED_BACKUP_DATA"}}``
and restores only with the same password ([FB-backup] in /work/shared/reference/wa-onprem-api.md §3.7); its format
is not published, so this one is ours: base64 of JSON ``{"v": 1, "salt", "nonce", "ct"}`` (each base64), ``ct``
being AES-256-GCM (``cryptography``) of the JSON payload under a key derived from the password with scrypt. A wrong
password fails the GCM tag check: nothing of the password (nor a hash to guess it from offline) is in the data
beyond what any encrypted file gives."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_FORMAT = 1
#: scrypt cost (n, r, p): the interactive parameters of the scrypt paper, ~50 ms here
_SCRYPT = (2 ** 14, 8, 1)


class BackupError(ValueError):
    """The backup data cannot be opened: ``field`` is "data" (not a backup of this format) or "password" (the
    password does not decrypt it)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _key(password: str, salt: bytes) -> bytes:
    n, r, p = _SCRYPT
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)


def seal(password: str, payload: dict[str, Any]) -> str:
    """``payload`` (JSON-able) encrypted with ``password``: the backup's ``data`` string (base64)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    ct = AESGCM(_key(password, salt)).encrypt(nonce, json.dumps(payload).encode(), None)
    blob = {"v": _FORMAT, **{k: base64.b64encode(v).decode() for k, v in (("salt", salt), ("nonce", nonce), ("ct", ct))}}
    return base64.b64encode(json.dumps(blob).encode()).decode()


def unseal(password: str, data: str) -> dict[str, Any]:
    """The payload :func:`seal` encrypted into ``data``. Raises :class:`BackupError` ("data": not such a backup;
    "password": the password does not decrypt it)."""
    try:
        blob = json.loads(base64.b64decode(data, validate=True))
        if not isinstance(blob, dict) or blob.get("v") != _FORMAT:
            raise ValueError("unknown format")
        salt, nonce, ct = (base64.b64decode(blob[k], validate=True) for k in ("salt", "nonce", "ct"))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BackupError("data", "data: not a backup") from None
    try:
        payload = json.loads(AESGCM(_key(password, salt)).decrypt(nonce, ct, None))
    except InvalidTag:
        raise BackupError("password", "password: does not decrypt the backup") from None
    if not isinstance(payload, dict):
        raise BackupError("data", "data: not a backup")
    return payload
