"""From a validated request to image bytes: logo, cache key (the ETag), cached rendering.

`QrRenderer` is the app's one rendering runtime (`ctx.parts.qr_renderer`): the logo
resolver with its guarded client, the byte-bounded LRU of rendered images and the worker
processes images are drawn in. A request is first `prepare`d — design, size and format checked,
the logo resolved, the cache key computed — so a matching `If-None-Match` is answered without
drawing anything; `image` then returns the bytes from the cache or has a worker draw them.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.core.errors import ApiError, validation_error
from xqr.qr.cache import RenderCache
from xqr.qr.logos import LogoImage, LogoResolver
from xqr.qr.render import Design, DesignError, render_cache_key, validate_design
from xqr.qr.render.design import validate_format, validate_size
from xqr.qr.render.worker import RenderJob
from xqr.qr.render_pool import RenderPool

if TYPE_CHECKING:
    from xqr.context import AppContext

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
# Renders at once (worker processes) by default: one per CPU core available, at most this
# many. More workers than cores do not draw faster, and each costs ~30 MB once started and
# ~50 MB once it has drawn the largest PNGs.
DEFAULT_RENDERS_MAX = 4

# How the engine's field names (`design.foreground`, `size`, …) map onto the request's.
FieldNames = Callable[[str], str]


def template_fields(field: str) -> str:
    """Errors about a template's design keep the `design.` prefix (the template's body)."""
    return field


def body_fields(field: str) -> str:
    """/qr/generate takes the design fields at the top level of its body."""
    return field.removeprefix("design.")


def as_api_error(error: DesignError, fields: FieldNames) -> ApiError:
    return validation_error(fields(error.field), error.message)


@dataclass(frozen=True)
class RenderSpec:
    """Everything a rendering depends on, as the request gave it."""

    content: str
    design: Design
    size: int
    fmt: str
    logo_url: str | None = None


@dataclass(frozen=True, eq=False)
class PreparedImage:
    """A checked rendering whose cache key is known; the image may not be drawn yet."""

    key: str
    content: str
    design: Design
    size: int
    fmt: str
    logo: LogoImage | None
    fields: FieldNames

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]

    @property
    def etag(self) -> str:
        return f'"{self.key}"'


# Checking a design and hashing the inputs cost ~30 µs; a cached image is served in less, so
# both are memoised (failures raise and are not kept).
@functools.lru_cache(maxsize=256)
def _checked(design: Design, size: int, fmt: str) -> tuple[Design, int, str]:
    return validate_design(design), validate_size(size), validate_format(fmt)


@functools.lru_cache(maxsize=1024)
def _cache_key(content: str, design: Design, size: int, fmt: str, logo_digest: str | None) -> str:
    return render_cache_key(content, design, size, fmt, logo_digest)


def available_cpus() -> int:
    """CPU cores this process may run on (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_concurrent_renders() -> int:
    return max(1, min(available_cpus(), DEFAULT_RENDERS_MAX))


class QrRenderer:
    def __init__(
        self,
        logos: LogoResolver,
        cache: RenderCache | None = None,
        concurrent_renders: int | None = None,
    ) -> None:
        self.logos = logos
        self.cache = cache if cache is not None else RenderCache()
        # Renders beyond this many wait on the event loop, holding no process and no pixels.
        self.pool = RenderPool(concurrent_renders or default_concurrent_renders())

    @classmethod
    def of(cls, ctx: AppContext) -> QrRenderer:
        """The app's renderer, made on first use."""
        renderer = ctx.parts.qr_renderer
        if renderer is None:
            renderer = cls(LogoResolver(ctx), concurrent_renders=ctx.settings.qr_concurrent_renders)
            ctx.parts.qr_renderer = renderer
        return renderer

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        try:
            await self.pool.stop()
        finally:
            await self.logos.aclose()

    async def prepare(
        self,
        session: AsyncSession,
        workspace_id: uuid.UUID,
        spec: RenderSpec,
        fields: FieldNames,
    ) -> PreparedImage:
        """Check the design, size and format, resolve the logo and compute the cache key."""
        try:
            design, size, fmt = _checked(spec.design, spec.size, spec.fmt)
            logo = None
            if spec.logo_url is not None:
                logo = await self.logos.resolve(session, workspace_id, spec.logo_url)
        except DesignError as exc:
            raise as_api_error(exc, fields) from None
        key = _cache_key(spec.content, design, size, fmt, logo.digest if logo else None)
        return PreparedImage(key, spec.content, design, size, fmt, logo, fields)

    async def image(self, prepared: PreparedImage) -> bytes:
        """The image bytes, from the cache or drawn in a worker process (the event loop, and
        the redirects it answers, never wait on a drawing)."""
        body = self.cache.get(prepared.key)
        if body is not None:
            return body
        job = RenderJob(
            prepared.content,
            prepared.design,
            prepared.size,
            prepared.fmt,
            prepared.logo.data if prepared.logo else None,
        )
        try:
            body = await self.pool.render(job)
        except DesignError as exc:
            raise as_api_error(exc, prepared.fields) from None
        self.cache.put(prepared.key, body)
        return body
