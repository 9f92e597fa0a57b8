"""Resolving a design's `logo_url` to image bytes: a published asset of the workspace, read
through the assets service (no HTTP), or a public https image fetched through the URL-safety
guard. Results are cached in memory for a while, so repeated renders cost no I/O.

Every failure is a `DesignError` on `design.logo_url` with a message saying what to fix.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from xqr import __version__
from xqr.assets import service as assets
from xqr.core.netguard import (
    FetchError,
    UnsafeURLError,
    check_url,
    fetch_limited,
    guarded_async_client,
)
from xqr.qr.cache import TtlCache
from xqr.qr.render import DesignError
from xqr.qr.render.logo import LOGO_FIELD, load_logo

if TYPE_CHECKING:
    from xqr.context import AppContext

LOGO_MAX_BYTES = 1024 * 1024
LOGO_FETCH_TIMEOUT = 5.0
LOGO_MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")
LOGO_TYPES_LABEL = "PNG, JPEG, GIF, WebP or SVG"
USER_AGENT = f"xQR-Logos/{__version__}"


@dataclass(frozen=True, eq=False)
class LogoImage:
    """A logo's bytes and their SHA-256, which is part of every rendering's cache key."""

    data: bytes
    digest: str

    @classmethod
    def of(cls, data: bytes) -> LogoImage:
        return cls(data, hashlib.sha256(data).hexdigest())


def _problem(message: str) -> DesignError:
    return DesignError(LOGO_FIELD, message)


class LogoResolver:
    """Holds the app's one guarded HTTP client for logos (made on first use) and the cache."""

    def __init__(self, ctx: AppContext, cache: TtlCache[LogoImage] | None = None) -> None:
        self.ctx = ctx
        self.allow_private = ctx.settings.webhooks_allow_private
        self.cache: TtlCache[LogoImage] = cache if cache is not None else TtlCache()
        self._client: httpx.AsyncClient | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def resolve(self, session: AsyncSession, workspace_id: uuid.UUID, url: str) -> LogoImage:
        """The logo `url` names, for `workspace_id`; raises DesignError on `design.logo_url`."""
        url = url.strip()
        if not url:
            raise _problem("The logo URL is empty.")
        if self._is_asset_url(url):
            key = f"asset:{workspace_id}:{url}"
            cached = self.cache.get(key)
            if cached is None:
                cached = await self._asset(session, workspace_id, url)
                self.cache.put(key, cached)
            return cached
        return await self._remote(url)

    def _is_asset_url(self, url: str) -> bool:
        return assets.storage_of(self.ctx).public_key_from_url(url) is not None

    async def _asset(self, session: AsyncSession, workspace_id: uuid.UUID, url: str) -> LogoImage:
        found = await assets.published_asset_bytes(session, self.ctx, workspace_id, url)
        if found is None:
            raise _problem(
                "The logo URL points at this server's asset storage but is not a published "
                "asset of this workspace; publish the asset and use its public_url."
            )
        data, content_type = found
        if content_type not in LOGO_MEDIA_TYPES:
            raise _problem(
                f"The asset is a {content_type} file; logos must be {LOGO_TYPES_LABEL} images."
            )
        return await self._checked(data)

    async def _remote(self, url: str) -> LogoImage:
        cached = self.cache.get(url)
        if cached is not None:
            return cached
        # One fetch per URL at a time: a burst of renders with a new logo waits for the first.
        lock = self._locks.setdefault(url, asyncio.Lock())
        try:
            async with lock:
                cached = self.cache.get(url)
                if cached is None:
                    cached = await self._fetch(url)
                    self.cache.put(url, cached)
                return cached
        finally:
            if not lock.locked():
                self._locks.pop(url, None)

    async def _fetch(self, url: str) -> LogoImage:
        try:
            await check_url(
                url, allow_private=self.allow_private, require_https=not self.allow_private
            )
            data, _ = await fetch_limited(
                self.client,
                url,
                max_bytes=LOGO_MAX_BYTES,
                allowed_content_types=LOGO_MEDIA_TYPES,
                total_timeout=LOGO_FETCH_TIMEOUT,
            )
        except UnsafeURLError as exc:
            raise _problem(f"The logo URL is not allowed: {exc}") from None
        except FetchError as exc:
            raise _problem(f"The logo could not be fetched: {exc}") from None
        return await self._checked(data)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = guarded_async_client(
                allow_private=self.allow_private,
                timeout=LOGO_FETCH_TIMEOUT,
                headers={"User-Agent": USER_AGENT, "Accept": ", ".join(LOGO_MEDIA_TYPES)},
            )
        return self._client

    async def _checked(self, data: bytes) -> LogoImage:
        """The logo if it is at most 1 MB and decodes as an image (checked once, off the loop)."""
        if not data:
            raise _problem("The logo is empty.")
        if len(data) > LOGO_MAX_BYTES:
            raise _problem(f"The logo is larger than {LOGO_MAX_BYTES // 1024 // 1024} MB.")
        await anyio.to_thread.run_sync(load_logo, data)
        return LogoImage.of(data)
