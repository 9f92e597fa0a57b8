"""Bio pages: create, change, publish, unpublish, delete; the rules their fields follow."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.analytics import service as analytics
from xqr.assets.users import register_asset_user
from xqr.bio import repository
from xqr.bio.cache import invalidate_everywhere
from xqr.bio.icons import ICONS
from xqr.bio.models import BioPage
from xqr.bio.schemas import (
    BioColorsIn,
    BioLinkIn,
    BioLinkOut,
    BioLinkStats,
    BioPageCreate,
    BioPageOut,
    BioPageUpdate,
    BioStatsOut,
    IconOut,
    ThemeOut,
)
from xqr.bio.slugs import check_page_slug, next_free, slugify
from xqr.bio.themes import (
    CUSTOM_COLOURS,
    DEFAULT_THEME,
    THEMES,
    contrast_problems,
    is_hex_colour,
    with_colours,
)
from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found, validation_error
from xqr.core.ids import uuid7
from xqr.core.text import plain_text_problem
from xqr.db.engine import on_commit
from xqr.links.destinations import check_destination
from xqr.webhooks.outbox import emit
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant
from xqr.workspaces.usage import register_usage_counter

TITLE_MAX = 100
BIO_MAX = 500
MAX_LINKS = 50
_SLUG_ATTEMPTS = 5
_NO_BLOCKED_HOSTS: frozenset[str] = frozenset()

register_usage_counter("bio_pages", repository.count)


async def _pages_showing(session: AsyncSession, workspace_id: uuid.UUID, url: str) -> list[str]:
    titles = await repository.titles_with_avatar(session, workspace_id, url)
    return [f"bio page “{title}” (avatar)" for title in titles]


register_asset_user(_pages_showing)


@dataclass(frozen=True)
class BioRules:
    """What shaping a page needs from the settings."""

    bio_base: str

    @classmethod
    def from_settings(cls, settings: Settings) -> BioRules:
        return cls(bio_base=settings.bio_base)

    def public_url(self, slug: str) -> str:
        return f"{self.bio_base}/{slug}"


def page_view(page: BioPage, rules: BioRules) -> BioPageOut:
    """The page object of the API (and of bio.* webhook payloads)."""
    return BioPageOut(
        id=page.id,
        title=page.title,
        slug=page.slug,
        bio=page.bio,
        avatar_url=page.avatar_url,
        theme=page.theme,
        colors=page.colors or None,
        links=[
            BioLinkOut(id=link["id"], title=link["title"], url=link["url"], icon=link["icon"])
            for link in page.links or []
        ],
        status=page.status,
        published_at=page.published_at,
        public_url=rules.public_url(page.slug),
        created_at=page.created_at,
        updated_at=page.updated_at,
    )


def _payload(page: BioPage, rules: BioRules) -> dict[str, Any]:
    """The page object as a webhook payload's `data`."""
    return page_view(page, rules).model_dump(mode="json")


# --- field rules -----------------------------------------------------------------------------


def _title(field: str, value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= TITLE_MAX:
        raise validation_error(field, f"must be 1–{TITLE_MAX} characters")
    if problem := plain_text_problem(value):
        raise validation_error(field, problem)
    return value


def _bio(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.replace("\r\n", "\n").strip()
    if len(value) > BIO_MAX:
        raise validation_error("bio", f"must be at most {BIO_MAX} characters")
    if problem := plain_text_problem(value, keep_line_breaks=True):
        raise validation_error("bio", problem)
    return value or None


def _url(field: str, value: str) -> str:
    # Links may point at anything a browser can open over http(s), our own short links included:
    # a person clicks them, so there is no loop to guard against.
    try:
        return check_destination(value, blocked_hosts=_NO_BLOCKED_HOSTS)
    except ValueError as exc:
        raise validation_error(field, str(exc)) from exc


def _avatar(value: str | None) -> str | None:
    return None if value is None else _url("avatar_url", value)


def _theme(value: str) -> str:
    if value not in THEMES:
        raise validation_error("theme", f"unknown theme {value!r}; one of: {', '.join(THEMES)}")
    return value


def _colors(body: BioColorsIn | None) -> dict[str, str] | None:
    if body is None:
        return None
    chosen: dict[str, str] = {}
    for name in CUSTOM_COLOURS:
        value = getattr(body, name)
        if value is None or value.strip() == "":
            continue
        value = value.strip().lower()
        if not is_hex_colour(value):
            raise validation_error(f"colors.{name}", "must be a colour written as #rrggbb")
        chosen[name] = value
    return chosen or None


def check_contrast(theme: str, colors: dict[str, str] | None) -> None:
    """Refuse a theme and custom colours that put text under WCAG AA (4.5:1), with the ratio."""
    problems = contrast_problems(with_colours(THEMES[theme], colors))
    if problems:
        details = [{"field": f"colors.{field}", "message": message} for field, message in problems]
        first = problems[0][1]
        raise ApiError(
            "VALIDATION_ERROR",
            f"These colours are too hard to read: {first}.",
            details=details,
        )


def _icon(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    if value not in ICONS:
        raise validation_error(field, f"unknown icon {value!r}; one of: {', '.join(ICONS)}")
    return value


def _slug(value: str) -> str:
    try:
        return check_page_slug(value)
    except ValueError as exc:
        raise validation_error("slug", str(exc)) from exc


def _links(items: list[BioLinkIn], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored form of a new link list; ids of the page's current links are kept."""
    if len(items) > MAX_LINKS:
        raise validation_error("links", f"at most {MAX_LINKS} links")
    known = {link["id"] for link in current}
    seen: set[str] = set()
    links: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        where = f"links[{index}]"
        link_id = item.id.lower() if item.id else None
        if link_id is not None and link_id in seen:
            raise validation_error(f"{where}.id", "appears more than once")
        if link_id is None or link_id not in known:
            link_id = str(uuid7())
        seen.add(link_id)
        links.append(
            {
                "id": link_id,
                "title": _title(f"{where}.title", item.title),
                "url": _url(f"{where}.url", item.url),
                "icon": _icon(f"{where}.icon", item.icon),
            }
        )
    return links


# --- slugs and cache invalidation --------------------------------------------------------------


async def _changed(session: AsyncSession, *slugs: str) -> None:
    """Drop the slugs' rendered pages here after commit, and in other processes via the log."""
    lowered = {slug.lower() for slug in slugs}
    await repository.log_change(session, *sorted(lowered))
    on_commit(session, lambda: invalidate_everywhere(lowered))


async def _store(session: AsyncSession, page: BioPage) -> bool:
    """Flush the page in a savepoint; False when its slug was taken meanwhile."""
    try:
        async with session.begin_nested():
            session.add(page)
            await session.flush()
    except IntegrityError:
        return False
    return True


def _slug_taken(slug: str) -> ApiError:
    return ApiError("SLUG_TAKEN", f"The slug {slug!r} is already in use.")


async def _claim_slug(session: AsyncSession, page: BioPage, slug: str | None) -> None:
    """Give the page `slug` (SLUG_TAKEN when used), or a free one made from its title."""
    if slug is not None:
        if await repository.slug_taken(session, slug, except_id=page.id):
            raise _slug_taken(slug)
        page.slug, page.slug_lower = slug, slug.lower()
        if not await _store(session, page):  # a concurrent request took it first
            raise _slug_taken(slug)
        return
    base = slugify(page.title)
    for _ in range(_SLUG_ATTEMPTS):
        candidate = next_free(base, await repository.slugs_like(session, base))
        page.slug, page.slug_lower = candidate, candidate
        if await _store(session, page):
            return
    raise ApiError("INTERNAL_ERROR", "Could not find a free slug; pass one explicitly.")


# --- operations ------------------------------------------------------------------------------


def parse_page_id(page_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(page_id)
    except ValueError:
        raise not_found("Bio page") from None


async def get_page(session: AsyncSession, tenant: Tenant, page_id: str) -> BioPage:
    page = await repository.get(session, tenant.workspace_id, parse_page_id(page_id))
    if page is None:
        raise not_found("Bio page")
    return page


async def list_pages(
    session: AsyncSession, tenant: Tenant, *, limit: int, offset: int
) -> tuple[Sequence[BioPage], int]:
    return await repository.list_page(session, tenant.workspace_id, limit=limit, offset=offset)


async def slug_availability(
    session: AsyncSession, slug: str, *, except_page: str | None = None
) -> tuple[str, str]:
    """(`free`, `taken`, `invalid` or `empty`, and a sentence) for a wished-for page slug,
    judged as saving the page would."""
    if not slug:
        return "empty", ""
    try:
        slug = check_page_slug(slug)
    except ValueError as exc:
        return "invalid", str(exc)[:1].upper() + str(exc)[1:] + "."
    try:
        except_id = uuid.UUID(except_page) if except_page else None
    except ValueError:
        except_id = None
    if await repository.slug_taken(session, slug, except_id=except_id):
        return "taken", f"{slug} is already in use."
    return "free", f"{slug} is available."


async def create_page(session: AsyncSession, tenant: Tenant, body: BioPageCreate) -> BioPage:
    """A new draft page."""
    await hold_limits(session, tenant)
    tenant.ensure_within("bio_pages", await repository.count(session, tenant.workspace_id))
    page = BioPage(
        workspace_id=tenant.workspace_id,
        title=_title("title", body.title),
        bio=_bio(body.bio),
        avatar_url=_avatar(body.avatar_url),
        theme=_theme(body.theme) if body.theme is not None else DEFAULT_THEME,
        colors=_colors(body.colors),
        links=_links(body.links or [], []),
        status="draft",
        published_at=None,
    )
    check_contrast(page.theme, page.colors)
    page.id = uuid7()
    slug = _slug(body.slug) if body.slug is not None else None
    await _claim_slug(session, page, slug)
    await _changed(session, page.slug)
    return page


async def update_page(
    session: AsyncSession, tenant: Tenant, page_id: str, body: BioPageUpdate
) -> BioPage:
    """Change any field; a published page shows the change at once."""
    page = await get_page(session, tenant, page_id)
    given = body.model_fields_set
    for field in ("title", "slug", "theme", "links"):
        if field in given and getattr(body, field) is None:
            raise validation_error(field, "may not be null")
    old_slug = page.slug
    if body.title is not None:
        page.title = _title("title", body.title)
    if "bio" in given:
        page.bio = _bio(body.bio)
    if "avatar_url" in given:
        page.avatar_url = _avatar(body.avatar_url)
    if body.theme is not None:
        page.theme = _theme(body.theme)
    if "colors" in given:
        page.colors = _colors(body.colors)
    if body.theme is not None or "colors" in given:
        check_contrast(page.theme, page.colors)
    if body.links is not None:
        page.links = _links(body.links, list(page.links or []))
    if body.slug is not None:
        slug = _slug(body.slug)
        if slug != page.slug:
            await _claim_slug(session, page, slug)
    page.updated_at = utcnow()
    await session.flush()
    await _changed(session, old_slug, page.slug)
    return page


async def publish(session: AsyncSession, tenant: Tenant, rules: BioRules, page_id: str) -> BioPage:
    """Make the page public; emits bio.published (publishing a published page changes nothing)."""
    page = await get_page(session, tenant, page_id)
    if page.status == "published":
        return page
    now = utcnow()
    page.status, page.published_at, page.updated_at = "published", now, now
    await session.flush()
    await _changed(session, page.slug)
    await emit(session, tenant.workspace_id, "bio.published", _payload(page, rules))
    return page


async def unpublish(
    session: AsyncSession, tenant: Tenant, rules: BioRules, page_id: str
) -> BioPage:
    """Take the page down (back to draft); emits bio.unpublished when it was published."""
    page = await get_page(session, tenant, page_id)
    if page.status != "published":
        return page
    page.status, page.published_at, page.updated_at = "draft", None, utcnow()
    await session.flush()
    await _changed(session, page.slug)
    data = {**_payload(page, rules), "deleted": False}
    await emit(session, tenant.workspace_id, "bio.unpublished", data)
    return page


async def delete_page(session: AsyncSession, tenant: Tenant, rules: BioRules, page_id: str) -> None:
    """Delete the page and free its slug; a published page emits bio.unpublished first."""
    page = await get_page(session, tenant, page_id)
    if page.status == "published":
        data = {**_payload(page, rules), "status": "draft", "published_at": None, "deleted": True}
        await emit(session, tenant.workspace_id, "bio.unpublished", data)
    await session.delete(page)
    await session.flush()
    await _changed(session, page.slug)


async def page_stats(
    session: AsyncSession, page: BioPage, *, period: str, timezone: str
) -> BioStatsOut:
    """The page's views, visitors, clicks and CTR per link, from analytics' bio page query."""
    query = analytics.Query.parse(period, timezone)
    links = list(page.links or [])
    link_ids = [uuid.UUID(str(link["id"])) for link in links]
    found = await analytics.page_stats(session, page.workspace_id, page.id, link_ids, query)
    counted = {item["id"]: item for item in found["links"]}
    return BioStatsOut(
        **{
            **found,
            "page_id": page.id,
            "links": [
                BioLinkStats(
                    id=link_id,
                    title=link["title"],
                    url=link["url"],
                    clicks=counted[str(link_id)]["clicks"],
                    ctr=counted[str(link_id)]["ctr"],
                )
                for link, link_id in zip(links, link_ids, strict=True)
            ],
        }
    )


def list_themes() -> list[ThemeOut]:
    return [ThemeOut.model_validate(theme.public()) for theme in THEMES.values()]


def list_icons() -> list[IconOut]:
    return [IconOut(name=icon.name, label=icon.label) for icon in ICONS.values()]
