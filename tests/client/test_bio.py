"""`client.bio`: link-in-bio pages on a real server."""

from __future__ import annotations

import uuid

import httpx
import pytest

from xqr.client import XQR, AsyncXQR, BioPage, BioPageStats, NotFoundError


def test_page_lifecycle_publish_and_stats(xqr: XQR) -> None:
    slug = f"ada-{uuid.uuid4().hex[:6]}"
    page = xqr.bio.pages.create(
        "Ada's links",
        slug=slug,
        bio="Engineer",
        theme="ocean",
        links=[{"title": "Shop", "url": "https://shop.example.com", "icon": "shop"}],
    )
    assert isinstance(page, BioPage)
    assert (page.slug, page.theme, page.status, page.is_published) == (
        slug,
        "ocean",
        "draft",
        False,
    )
    [shop] = page.links
    assert (shop.title, shop.icon) == ("Shop", "shop") and shop.id

    updated = xqr.bio.pages.update(
        page.id,
        bio=None,
        links=[
            {"id": shop.id, "title": "Shop", "url": "https://shop.example.com"},
            {"title": "GitHub", "url": "https://github.com/example", "icon": "github"},
        ],
    )
    assert updated.bio is None
    assert [link.title for link in updated.links] == ["Shop", "GitHub"]
    assert updated.links[0].id == shop.id  # kept by sending its id back

    published = xqr.bio.pages.publish(page.id)
    assert published.is_published and published.published_at is not None
    assert published.public_url
    public = httpx.get(published.public_url)
    assert public.status_code == 200 and "Engineer" not in public.text

    stats = xqr.bio.pages.stats(page.id, period="7d")
    assert isinstance(stats, BioPageStats)
    assert (stats.page_id, stats.period) == (page.id, "7d")
    assert {link.id for link in stats.links} == {link.id for link in updated.links}

    assert xqr.bio.pages.unpublish(page.id).status == "draft"
    assert httpx.get(published.public_url).status_code == 404
    assert xqr.bio.pages.get(page.id).title == "Ada's links"
    assert page.id in {p.id for p in xqr.bio.pages.list().items}
    assert page.id in {p.id for p in xqr.bio.pages.iter(page_size=1)}

    xqr.bio.pages.delete(page.id)
    with pytest.raises(NotFoundError):
        xqr.bio.pages.get(page.id)


def test_themes_and_icons_list_what_pages_may_name(xqr: XQR) -> None:
    themes = {theme.name for theme in xqr.bio.themes()}
    assert {"classic", "ocean"} <= themes and len(themes) >= 6
    assert "github" in {icon.name for icon in xqr.bio.icons()}


async def test_async_bio_pages(axqr: AsyncXQR) -> None:
    page = await axqr.bio.pages.create("Async page")
    assert page.slug  # made from the title
    assert (await axqr.bio.pages.publish(page.id)).is_published
    assert (await axqr.bio.pages.stats(page.id)).views == 0
    await axqr.bio.pages.delete(page.id)
