"""What one running app holds (settings, database, plans, caches) and the FastAPI dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from xqr.auth.ratelimit import BurstLimiter
from xqr.config import Settings
from xqr.db.engine import make_engine, make_sessionmaker
from xqr.workspaces.plans import Plan, load_plans

if TYPE_CHECKING:
    from xqr.assets.storage import AssetStorage
    from xqr.auth.cache import KeyCache
    from xqr.auth.failures import FailedAuthentications
    from xqr.auth.quota import QuotaCounter
    from xqr.auth.shared_burst import SharedBurstLimiter
    from xqr.bio.cache import BioPageCache
    from xqr.cluster.link import RedisLink
    from xqr.links.health import HealthChecker
    from xqr.qr.images import ImageMemo
    from xqr.qr.rendering import QrRenderer
    from xqr.redirect.cache import LinkCache
    from xqr.redirect.handler import RedirectHandler
    from xqr.reports.service import DownloadLinks
    from xqr.scans.buffer import ScanBuffer
    from xqr.scans.journal import ScanJournal
    from xqr.scans.writer import ScanWriter
    from xqr.webhooks.dispatcher import Dispatcher
    from xqr.webhooks.secret_store import SigningSecrets


class Parts:
    """Each domain's runtime objects, typed, so the wiring between domains is checked by mypy.

    A domain's `install(app)` sets its parts; other domains read them as `ctx.parts.<name>`.
    The ones without a default exist once `create_app` has run (reading one earlier raises
    AttributeError); the ones defaulting to None are made on first use, or only in some
    processes. A new part is one annotated line here (its type imported under TYPE_CHECKING)
    and one assignment in its domain's install.
    """

    # auth
    key_cache: KeyCache
    quota: QuotaCounter
    failed_authentications: FailedAuthentications
    # scans
    scan_journal: ScanJournal
    scan_buffer: ScanBuffer
    scan_writer: ScanWriter
    # redirect
    link_cache: LinkCache
    redirect_handler: RedirectHandler
    # bio
    bio_cache: BioPageCache
    # webhooks
    webhook_secrets: SigningSecrets
    webhook_dispatcher: Dispatcher | None = None  # in processes that run background work
    # links
    link_health: HealthChecker | None = None  # in processes that run background work
    # made on first use, so an AppContext without an app (CLI commands) has them too
    asset_storage: AssetStorage | None = None
    qr_renderer: QrRenderer | None = None
    qr_image_memo: ImageMemo | None = None
    # cluster: with XQR_REDIS_URL only
    redis: RedisLink | None = None
    shared_burst: SharedBurstLimiter | None = None
    # reports
    report_downloads: DownloadLinks


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    # Reads that must not take SQLite's write lock (redirect lookups, analytics, renders).
    read_engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    plans: dict[str, Plan]
    burst: BurstLimiter = field(default_factory=BurstLimiter)
    parts: Parts = field(default_factory=Parts)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.db_url)
        read_engine = make_engine(settings.db_url, read_only=True) if settings.is_sqlite else engine
        return cls(
            settings=settings,
            engine=engine,
            read_engine=read_engine,
            sessionmaker=make_sessionmaker(engine),
            read_sessionmaker=make_sessionmaker(read_engine),
            plans=load_plans(settings.plans_file),
        )

    async def close(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


async def get_context(request: Request) -> AppContext:
    # async: FastAPI would run a plain function in its thread pool on every request.
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]


async def get_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    """The request's unit of work; endpoints commit once at their end, else it rolls back."""
    async with ctx.sessionmaker() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]


async def get_read_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    """A session for requests that only read: on SQLite it does not take the write lock the
    unit-of-work sessions take up front, so reads never queue behind writers."""
    async with ctx.read_sessionmaker() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(get_read_session)]
