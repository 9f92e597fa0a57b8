"""The link cache: a change shows in this process at once, in other processes within ~1 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.conftest import BACKEND, Account
from tests.links.linkkit import BROWSER, create_link
from tests.support.pollers import change_poller
from xqr.app import XqrApp
from xqr.core.clock import utcnow
from xqr.db.engine import make_engine
from xqr.links.models import Link, LinkChange
from xqr.redirect.cache import MISSING, LinkCache

LINKS = "/api/v1/links"


async def location(client: httpx.AsyncClient, code: str) -> str | int:
    response = await client.get(f"/{code}", headers=BROWSER)
    return (
        str(response.headers["location"]) if response.status_code == 302 else response.status_code
    )


def cache_of(app: XqrApp) -> LinkCache:
    cache: LinkCache = app.ctx.parts.link_cache
    return cache


# --- this process: at once -----------------------------------------------------------------


async def test_a_changed_destination_shows_on_the_very_next_redirect(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    # in this process, without the poller (which would drop "hot" when it reads the create's
    # own change-log entry, at any moment on a slow machine)
    await change_poller(app, "link_changes").stop()
    link = await create_link(client, account, url="https://example.com/one", custom_slug="hot")
    assert await location(client, "hot") == "https://example.com/one"
    assert "hot" in cache_of(app).entries  # it really was served from the cache
    for n in ("two", "three"):
        response = await client.patch(
            f"{LINKS}/{link['id']}",
            json={"url": f"https://example.com/{n}"},
            headers=account.headers,
        )
        assert response.status_code == 200
        assert await location(client, "hot") == f"https://example.com/{n}"


async def test_disabling_and_deleting_apply_at_once(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, custom_slug="switch")
    assert await location(client, "switch") == "https://example.com/landing"
    await client.patch(f"{LINKS}/{link['id']}", json={"enabled": False}, headers=account.headers)
    assert await location(client, "switch") == 404
    await client.patch(f"{LINKS}/{link['id']}", json={"enabled": True}, headers=account.headers)
    assert await location(client, "switch") == "https://example.com/landing"
    await client.delete(f"{LINKS}/{link['id']}", headers=account.headers)
    assert await location(client, "switch") == 404


async def test_rules_and_expiry_changes_apply_at_once(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, custom_slug="ruled")
    assert await location(client, "ruled") == "https://example.com/landing"
    await client.patch(
        f"{LINKS}/{link['id']}",
        json={"routing_rules": [{"destination": "https://example.com/everyone"}]},
        headers=account.headers,
    )
    assert await location(client, "ruled") == "https://example.com/everyone"
    await client.patch(
        f"{LINKS}/{link['id']}",
        json={"expires_at": "2999-01-01T00:00:00Z"},
        headers=account.headers,
    )
    assert await location(client, "ruled") == "https://example.com/everyone"


async def test_a_code_that_was_unknown_works_as_soon_as_it_is_created(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    assert await location(client, "later") == 404
    assert await location(client, "bulk-later") == 404
    assert cache_of(app).entries.get("later") is MISSING
    await create_link(client, account, url="https://example.com/later", custom_slug="later")
    assert await location(client, "later") == "https://example.com/later"
    response = await client.post(
        f"{LINKS}/bulk",
        json={"links": [{"url": "https://example.com/bulk", "custom_slug": "bulk-later"}]},
        headers=account.headers,
    )
    assert response.status_code == 201
    assert await location(client, "bulk-later") == "https://example.com/bulk"


async def test_a_refused_change_leaves_the_redirect_as_it_was(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, custom_slug="steady")
    await create_link(client, account, custom_slug="other-one")
    refused = await client.patch(
        f"{LINKS}/{link['id']}",
        json={"url": "https://example.com/new", "custom_slug": "Other-One"},
        headers=account.headers,
    )
    assert refused.status_code == 409
    assert await location(client, "steady") == "https://example.com/landing"
    assert await location(client, "Other-One") == 404


# --- other processes: through the change log -----------------------------------------------


@pytest.fixture
async def elsewhere(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A second engine on the same database, standing in for another xqr process."""
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


async def change_elsewhere(conn: AsyncConnection, code: str, **values: object) -> None:
    """What another process's link change writes: the row and a change-log entry."""
    if values:
        await conn.execute(update(Link).where(Link.code == code).values(**values))
    await conn.execute(insert(LinkChange).values(code=code, changed_at=utcnow()))


async def wait_for(client: httpx.AsyncClient, code: str, expected: str | int) -> None:
    """Until the background poller applies the change (a few of its 0.5 s intervals at most)."""
    started = time.monotonic()
    while time.monotonic() - started < 5:
        if await location(client, code) == expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"/{code} still answers {await location(client, code)!r}")


async def test_a_change_made_by_another_process_is_applied_by_the_background_poller(
    client: httpx.AsyncClient, account: Account, elsewhere: AsyncEngine
) -> None:
    await create_link(client, account, url="https://example.com/old", custom_slug="shared")
    assert await location(client, "shared") == "https://example.com/old"
    async with elsewhere.begin() as conn:
        await change_elsewhere(conn, "shared", destination="https://example.com/new")
    await wait_for(client, "shared", "https://example.com/new")
    async with elsewhere.begin() as conn:
        await change_elsewhere(conn, "shared", enabled=False)
    await wait_for(client, "shared", 404)


async def test_the_first_poll_after_a_commit_elsewhere_applies_it(
    app: XqrApp, client: httpx.AsyncClient, account: Account, elsewhere: AsyncEngine
) -> None:
    """So a change shows within one poll interval (0.5 s by default) plus one query."""
    assert app.ctx.settings.cache_poll_interval_ms == 500
    await change_poller(app, "link_changes").stop()  # this test polls by hand
    await create_link(client, account, url="https://example.com/old", custom_slug="once")
    await change_poller(app, "link_changes").poll_once()  # past the create's own change-log entry
    assert await location(client, "once") == "https://example.com/old"
    async with elsewhere.begin() as conn:
        await change_elsewhere(conn, "once", destination="https://example.com/new")
    assert await change_poller(app, "link_changes").poll_once() == 1
    assert "once" not in cache_of(app).entries
    assert await location(client, "once") == "https://example.com/new"


async def test_a_link_created_by_another_process_replaces_a_cached_404(
    app: XqrApp, client: httpx.AsyncClient, account: Account, elsewhere: AsyncEngine
) -> None:
    template = await create_link(client, account, custom_slug="template")
    assert await location(client, "fresh") == 404
    async with elsewhere.begin() as conn:
        await conn.execute(
            update(Link).where(Link.code == "template").values(code="fresh", code_lower="fresh")
        )
        await change_elsewhere(conn, "fresh")
        await change_elsewhere(conn, "template")
    await wait_for(client, "fresh", template["destination"])
    assert await location(client, "template") == 404


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite has one writer: commits follow ids")
async def test_a_change_that_commits_after_a_newer_one_is_not_missed(
    app: XqrApp, client: httpx.AsyncClient, account: Account, elsewhere: AsyncEngine
) -> None:
    await create_link(client, account, url="https://example.com/old", custom_slug="racy")
    await change_poller(app, "link_changes").poll_once()  # past the create's own change-log entry
    assert await location(client, "racy") == "https://example.com/old"
    assert "racy" in cache_of(app).entries
    async with elsewhere.connect() as slow, elsewhere.connect() as fast:
        slow_tx = await slow.begin()
        await change_elsewhere(slow, "racy", destination="https://example.com/new")
        async with fast.begin():
            await change_elsewhere(fast, "unrelated-code")
        # this process has now seen the newer change
        await change_poller(app, "link_changes").poll_once()
        await slow_tx.commit()
    await wait_for(client, "racy", "https://example.com/new")  # by the background poller


async def test_the_link_cache_never_stores_a_key_that_is_not_code_shaped() -> None:
    # The HTTP server's fast path answers any key found in the cache without checking it.
    engine = make_engine("sqlite+aiosqlite://")  # no tables: a lookup would fail
    cache = LinkCache(engine)
    for key in ("api", "docs", "healthz", "a/b", "-x", "x" * 200, ""):
        assert await cache.get(key) is MISSING
    assert cache.entries == {}
    await engine.dispose()
