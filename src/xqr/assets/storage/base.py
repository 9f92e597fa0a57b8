"""The storage interface both backends implement, and the object-key rules they share."""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from xqr.assets.filetypes import CONTENT_TYPE_BY_EXTENSION

PRESIGN_TTL = timedelta(minutes=15)
# Published keys are id-addressed and never rewritten, so caches may keep them for a year.
PUBLIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Served with every SVG: no script, no external loads, no same-origin access, even when
# the SVG is opened directly in a browser tab.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_NAME = r"[A-Za-z0-9_-]{1,64}\.(?:" + "|".join(sorted(CONTENT_TYPE_BY_EXTENSION)) + ")"
PUBLIC_KEY = re.compile(rf"^({_UUID})/({_NAME})$")
PRIVATE_KEY = re.compile(rf"^({_UUID})/({_UUID})/({_NAME})$")


def private_key(workspace_id: uuid.UUID, asset_id: uuid.UUID, name: str) -> str:
    """Where an upload lands: never the client's filename verbatim (see `filenames`)."""
    return f"{workspace_id}/{asset_id}/{name}"


def public_key(asset_id: uuid.UUID, name: str) -> str:
    """Where a published copy lives; the asset id makes it unique and immutable."""
    return f"{asset_id}/{name}"


def content_type_of_key(key: str) -> str | None:
    ext = key.rsplit(".", 1)[-1].lower()
    return CONTENT_TYPE_BY_EXTENSION.get(ext)


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str  # the store's entity tag, without quotes (MD5 hex for single-part objects)


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    expires_at: datetime
    method: str = "PUT"
    headers: dict[str, str] = field(default_factory=dict)


class ObjectChanged(Exception):
    """The private object is not the one confirmed (re-uploaded or removed since)."""


class AssetStorage(ABC):
    """Private uploads and their published copies.

    Keys come from `private_key`/`public_key`. Every method may block on the network or the
    disk only inside a thread, never on the event loop.
    """

    backend: ClassVar[str]

    def __init__(self, public_base_url: str, *, max_file_bytes: int) -> None:
        self.public_base_url = public_base_url.rstrip("/")
        # The per-file cap: the filesystem upload route stops at it, confirm checks it.
        self.max_file_bytes = max_file_bytes

    @abstractmethod
    async def presign_put(
        self, *, asset_id: uuid.UUID, key: str, content_type: str, expires_at: datetime
    ) -> PresignedUpload:
        """A URL the client PUTs the file to, bound to `content_type`, valid until `expires_at`."""

    @abstractmethod
    async def stat(self, key: str) -> ObjectInfo | None:
        """Size and entity tag of a private object; None when nothing was uploaded."""

    @abstractmethod
    async def read(self, key: str, *, length: int | None = None) -> bytes:
        """The first `length` bytes (or all) of a private object."""

    @abstractmethod
    async def publish(self, key: str, public_key: str, *, content_type: str, etag: str) -> None:
        """Copy a private object to its public key; `ObjectChanged` when its tag is not `etag`."""

    @abstractmethod
    async def read_public(self, public_key: str, *, max_bytes: int) -> bytes | None:
        """A published object's bytes (None when missing or over `max_bytes`)."""

    @abstractmethod
    async def delete(self, *, key: str | None = None, public_key: str | None = None) -> None:
        """Remove a private object and/or a published one; missing objects are fine."""

    def public_url(self, public_key: str) -> str:
        return f"{self.public_base_url}/{public_key}"

    @abstractmethod
    def upload_origin(self) -> str:
        """The origin (`scheme://host[:port]`) presigned uploads are PUT to: a browser page
        that uploads needs it in its CSP `connect-src`."""

    def public_key_from_url(self, url: str) -> str | None:
        """The public key `url` points at when it is one of our public URLs, else None."""
        prefix = self.public_base_url + "/"
        if not url.startswith(prefix):
            return None
        key = url[len(prefix) :]
        return key if PUBLIC_KEY.match(key) else None
