"""Secrets the server must read back, sealed for storage with a key of the server secret.

AES-256-GCM under a key derived with HKDF-SHA256 from the server secret (`XQR_SECRET_KEY` or
`secret.key`), one derived key per purpose, so a sealed value of one kind never opens as
another. The caller binds each value to where it is stored (`context`, e.g. the row's id):
a sealed value copied to another row does not open there. Pure: no I/O.

A sealed value is text: `SEALED_PREFIX` then the URL-safe base64 (unpadded) of a 12-byte
random nonce, the ciphertext and the 16-byte tag.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = "sealed1:"
_NONCE_BYTES = 12


class UnsealError(Exception):
    """A sealed value that does not open: sealed under another server secret, for another
    place, or damaged."""


def is_sealed(value: str) -> bool:
    return value.startswith(SEALED_PREFIX)


class Sealer:
    """Seals and opens values for one `purpose` under the server secret."""

    def __init__(self, server_secret: bytes, purpose: str) -> None:
        info = b"xqr sealing: " + purpose.encode()
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
        self._aead = AESGCM(key.derive(server_secret))

    def seal(self, plaintext: str, context: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), context)
        return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, value: str, context: bytes) -> str:
        """The plaintext of a value `seal` made with the same secret, purpose and context."""
        if not is_sealed(value):
            raise UnsealError("not a sealed value")
        encoded = value[len(SEALED_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            return self._aead.decrypt(nonce, sealed, context).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise UnsealError("the value does not open with this server secret") from exc
