"""Signing secrets at rest: sealed under the server secret, each bound to its endpoint.

The API shows a secret once, the dispatcher signs with it, and the database holds only the
sealed value (see `xqr.core.sealing`). Rows written before secrets were sealed hold the plain
`whsec_…`; they are read as they are until the start-up step seals them
(`service.seal_plain_secrets`). Pure: no I/O.
"""

from __future__ import annotations

import uuid

from xqr.core.sealing import Sealer, is_sealed

PURPOSE = "webhook signing secret"
UNREADABLE_SECRET = (
    "The signing secret cannot be decrypted with this server's secret key (XQR_SECRET_KEY or "
    "secret.key changed since it was stored); rotate the webhook's secret."
)


class SigningSecrets:
    def __init__(self, server_secret: bytes) -> None:
        self._sealer = Sealer(server_secret, PURPOSE)

    def seal(self, endpoint_id: uuid.UUID, secret: str) -> str:
        """What the endpoint's `secret` column stores."""
        return self._sealer.seal(secret, endpoint_id.bytes)

    def open(self, endpoint_id: uuid.UUID, stored: str) -> str:
        """The secret to sign with; `UnsealError` when it does not open with this key."""
        if not is_sealed(stored):
            return stored  # stored in plain text before secrets were sealed
        return self._sealer.open(stored, endpoint_id.bytes)
