"""`client.links` against a real server: CRUD, pagination, bulk, QR images."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image

from tests.support.live import LiveServer
from xqr.client import XQR, AsyncXQR, BulkResult, Link, NotFoundError, Page


def _label() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def test_create_get_update_delete_round_trip(xqr: XQR) -> None:
    expires = datetime.now(UTC) + timedelta(days=3)
    link = xqr.links.create(
        "https://example.com/spring",
        custom_slug=f"spring-{uuid.uuid4().hex[:6]}",
        labels=["spring"],
        expires_at=expires,
    )
    assert isinstance(link, Link)
    assert link.destination == "https://example.com/spring"
    assert link.short_url.endswith("/" + link.short_code)
    assert link.labels == ["spring"]
    assert link.expires_at is not None and abs(link.expires_at - expires) < timedelta(seconds=1)
    assert link.created_at.tzinfo is not None

    assert xqr.links.get(link.id) == link

    updated = xqr.links.update(link.id, url="https://example.com/summer", enabled=False)
    assert (updated.destination, updated.enabled) == ("https://example.com/summer", False)
    assert updated.labels == ["spring"]  # fields not given are left alone
    cleared = xqr.links.update(link.id, expires_at=None)
    assert cleared.expires_at is None

    assert xqr.links.delete(link.id) is None
    with pytest.raises(NotFoundError):
        xqr.links.get(link.id)


def test_list_pages_and_iter_walks_every_page(xqr: XQR) -> None:
    label = _label()
    created = [xqr.links.create(f"https://example.com/{i}", labels=[label]) for i in range(5)]
    page = xqr.links.list(label=label, limit=2)
    assert isinstance(page, Page)
    assert (page.total, page.limit, page.offset, len(page)) == (5, 2, 0, 2)
    assert page.has_more
    assert [link.id for link in page] == [created[4].id, created[3].id]  # newest first
    last = xqr.links.list(label=label, limit=2, offset=4)
    assert [link.id for link in last.items] == [created[0].id]
    assert not last.has_more

    walked = list(xqr.links.iter(label=label, page_size=2))
    assert [link.id for link in walked] == [link.id for link in reversed(created)]
    found = xqr.links.list(search="example.com/3", label=label)
    assert [link.id for link in found.items] == [created[3].id]


def test_bulk_create_reports_each_refused_item_and_status_follows(xqr: XQR) -> None:
    result = xqr.links.bulk_create(
        [{"url": "https://example.com/ok"}, {"url": "not a url"}, {"url": "https://example.com/b"}]
    )
    assert isinstance(result, BulkResult)
    assert [link.destination for link in result.created] == [
        "https://example.com/ok",
        "https://example.com/b",
    ]
    assert [(e.index, e.code) for e in result.errors] == [(1, "VALIDATION_ERROR")]
    batch = xqr.links.bulk_status(result.batch_id)
    assert (batch.id, batch.total, batch.succeeded, batch.failed) == (result.batch_id, 3, 2, 1)
    assert batch.progress == 100


def test_link_qr_returns_image_bytes_that_decode_to_the_short_url(xqr: XQR) -> None:
    link = xqr.links.create("https://example.com/qr")
    png = xqr.links.qr(link.id, format="png", size=4)
    assert png.startswith(b"\x89PNG")
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert decoded.text == f"{link.short_url}?qr=1"
    svg = xqr.links.qr(link.id, foreground="1e3a8a")
    assert svg.lstrip().startswith(b"<svg") and b"#1e3a8a" in svg.lower()


async def test_async_client_covers_the_same_calls(axqr: AsyncXQR, live: LiveServer) -> None:
    label = _label()
    first = await axqr.links.create("https://example.com/async-1", labels=[label])
    second = await axqr.links.create("https://example.com/async-2", labels=[label])
    assert (await axqr.links.get(first.id)).destination == "https://example.com/async-1"
    ids = [link.id async for link in axqr.links.iter(label=label, page_size=1)]
    assert ids == [second.id, first.id]
    assert (await axqr.links.update(first.id, labels=[label, "x"])).labels == [label, "x"]
    batch = await axqr.links.bulk_create([{"url": "https://example.com/async-3"}])
    assert (await axqr.links.bulk_status(batch.batch_id)).succeeded == 1
    assert (await axqr.links.qr(first.id, format="png")).startswith(b"\x89PNG")
    await axqr.links.delete(second.id)
    with pytest.raises(NotFoundError):
        await axqr.links.get(second.id)


def test_link_controls_round_trip_and_a_real_server_honours_them(
    xqr: XQR, live: LiveServer
) -> None:
    import httpx

    browser = {
        "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
    }
    link = xqr.links.create(
        "https://example.com/locked",
        password="open sesame",
        utm={"source": "qr", "campaign": "sdk"},
        preview={"title": "Locked page"},
        expired_url="https://example.com/over",
    )
    assert link.has_password is True and link.expired_url == "https://example.com/over"
    assert link.utm == {"source": "qr", "campaign": "sdk"}
    assert link.preview == {"title": "Locked page"}
    assert link.health is not None and link.health.status == "unknown"
    path = f"/{link.short_code}"
    with httpx.Client(base_url=live.url, timeout=30) as http:
        for _ in range(2):  # the second one is answered from the cache, by the fast path
            form = http.get(path, headers=browser)
            assert form.status_code == 200 and 'type="password"' in form.text
        for _ in range(2):
            right = http.get(path, headers={**browser, "X-Link-Password": "open sesame"})
            assert right.status_code == 302
            assert right.headers["location"] == (
                "https://example.com/locked?utm_source=qr&utm_campaign=sdk"
            )
        wrong = http.get(path, headers={**browser, "X-Link-Password": "nope"})
        assert wrong.status_code == 401
        crawler = http.get(path, headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
        assert crawler.status_code == 200 and "og:title" in crawler.text
        assert "example.com/locked" not in crawler.text
    updated = xqr.links.update(link.id, password=None, utm=None, preview=None)
    assert (updated.has_password, updated.utm, updated.preview) == (False, None, None)
    unknown = xqr.links.list(health="unknown", limit=100)
    assert link.id in {item.id for item in unknown.items}
    xqr.links.delete(link.id)
