"""Public bio pages: visibility, escaping, headers, size, tracked links, URL forms, caching."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from sqlalchemy import insert, update

from tests.bio.biokit import create_page, patch, publish, published_page
from tests.conftest import Account
from tests.links.linkkit import BROWSER, new_account, quiet_settings, running
from tests.support.pollers import change_poller
from xqr.app import XqrApp
from xqr.bio.cache import BioPageCache
from xqr.bio.icons import ICONS
from xqr.bio.models import BioChange, BioPage
from xqr.core.clock import utcnow
from xqr.db.engine import make_engine
from xqr.redirect.pages import NOT_FOUND as LINK_NOT_FOUND

PAGES = "/api/v1/bio/pages"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data: http://testserver/cdn/; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
XSS = '<script>alert("x")</script>'


def assert_html_404(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Page not found" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def hrefs(html: str) -> list[str]:
    return re.findall(r'<a class="link" href="([^"]+)"', html)


# --- visibility ------------------------------------------------------------------------------


async def test_a_page_is_public_only_while_published(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(client, account, slug="ada")
    assert_html_404(await client.get("/bio/ada"))  # draft
    await publish(client, account, page["id"])
    shown = await client.get("/bio/ada")
    assert shown.status_code == 200
    assert "<h1>Ada Lovelace</h1>" in shown.text
    await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
    assert_html_404(await client.get("/bio/ada"))  # unpublished
    await publish(client, account, page["id"])
    assert (await client.get("/bio/ada")).status_code == 200
    await client.delete(f"{PAGES}/{page['id']}", headers=account.headers)
    assert_html_404(await client.get("/bio/ada"))  # deleted


async def test_unknown_and_malformed_paths_get_the_404_page(client: httpx.AsyncClient) -> None:
    for path in (
        "/bio/nobody",
        "/bio",
        "/bio/",
        "/bio/-bad-",
        "/bio/a%20b",
        "/bio/" + "x" * 65,
        "/bio/ada/extra",
        "/bio/ada/l/x/y",
    ):
        assert_html_404(await client.get(path))
    head = await client.head("/bio/nobody")
    assert head.status_code == 404 and head.content == b""


async def test_slugs_are_matched_ignoring_case_and_a_trailing_slash_redirects(
    client: httpx.AsyncClient, account: Account
) -> None:
    await published_page(client, account, slug="AdaL")
    assert (await client.get("/bio/adal")).status_code == 200
    assert (await client.get("/bio/ADAL")).status_code == 200
    slash = await client.get("/bio/AdaL/?utm_source=qr")
    assert slash.status_code == 301
    assert slash.headers["location"] == "/bio/AdaL?utm_source=qr"


async def test_other_methods_fall_through_to_the_api(client: httpx.AsyncClient) -> None:
    response = await client.post("/bio/ada")
    assert response.status_code in (404, 405)
    assert response.headers["content-type"].startswith("application/json")


# --- content and escaping --------------------------------------------------------------------


async def test_everything_users_write_is_escaped(
    client: httpx.AsyncClient, account: Account
) -> None:
    await published_page(
        client,
        account,
        slug="xss",
        title=XSS,
        bio=f"{XSS}\n<img src=x onerror=alert(1)> & \"quotes\" 'too'",
        avatar_url='https://e.com/a.png?x="><script>alert(1)</script>',
        links=[{"title": XSS, "url": 'https://e.com/?q="><script>alert(2)</script>'}],
    )
    html = (await client.get("/bio/xss")).text
    assert "<script" not in html.lower()
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<h1>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</h1>" in html
    assert "&amp; &#34;quotes&#34; &#39;too&#39;" in html
    assert 'src="https://e.com/a.png?x=&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    # link URLs never appear in the page: buttons go through the tracked redirect
    assert "alert(2)" not in html
    assert f"<title>{'&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;'}</title>" in html


async def test_the_page_shows_title_bio_avatar_and_links_with_icons(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await published_page(
        client,
        account,
        slug="grace",
        title="Grace Hopper",
        bio="Admiral.\nPioneer.",
        avatar_url="https://cdn.example.com/grace.png",
        theme="midnight",
        links=[
            {"title": "Site", "url": "https://grace.example", "icon": "website"},
            {"title": "Mail", "url": "https://mail.example", "icon": "email"},
            {"title": "Plain", "url": "https://plain.example"},
        ],
    )
    html = (await client.get("/bio/grace")).text
    assert html.startswith('<!doctype html>\n<html lang="en">')
    assert '<p class="bio">Admiral.\nPioneer.</p>' in html
    avatar = (
        '<img class="avatar" src="https://cdn.example.com/grace.png" alt="Picture of Grace Hopper"'
    )
    assert avatar in html
    assert hrefs(html) == [f"grace/l/{link['id']}" for link in page["links"]]
    assert html.count("<symbol ") == 2  # each icon used is inlined once
    assert '<use href="#i-website"/>' in html and '<use href="#i-email"/>' in html
    assert "#0f1420" in html  # the midnight theme's background
    assert "<script" not in html and "javascript:" not in html
    assert '<nav aria-label="Links">' in html and "<main>" in html


async def test_open_graph_and_twitter_tags(client: httpx.AsyncClient, account: Account) -> None:
    await published_page(
        client,
        account,
        slug="ogp",
        title="Ada & Co",
        bio="Line one\nline two",
        avatar_url="https://cdn.example.com/a.png",
    )
    html = (await client.get("/bio/ogp")).text
    for tag in (
        '<meta property="og:title" content="Ada &amp; Co">',
        '<meta property="og:description" content="Line one line two">',
        '<meta property="og:url" content="http://testserver/bio/ogp">',
        '<meta property="og:image" content="https://cdn.example.com/a.png">',
        '<meta property="og:type" content="profile">',
        '<meta name="twitter:card" content="summary">',
        '<meta name="twitter:title" content="Ada &amp; Co">',
        '<meta name="twitter:description" content="Line one line two">',
        '<meta name="twitter:image" content="https://cdn.example.com/a.png">',
        '<meta name="description" content="Line one line two">',
        '<link rel="canonical" href="http://testserver/bio/ogp">',
    ):
        assert tag in html, tag
    await published_page(client, account, slug="plain", title="Plain")
    plain = (await client.get("/bio/plain")).text
    assert '<meta property="og:description" content="Links from Plain">' in plain
    assert "og:image" not in plain and "<img" not in plain


async def test_security_headers(client: httpx.AsyncClient, account: Account) -> None:
    await published_page(client, account, slug="headers")
    response = await client.get("/bio/headers")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "private, max-age=0"
    assert int(response.headers["content-length"]) == len(response.content)


async def test_an_http_avatar_elsewhere_is_allowed_by_the_pages_csp_and_nothing_else_is(
    client: httpx.AsyncClient, account: Account
) -> None:
    await published_page(client, account, slug="httpav", avatar_url="http://img.example:8080/a.png")
    csp = (await client.get("/bio/httpav")).headers["content-security-policy"]
    assert "img-src https: data: http://img.example:8080 http://testserver/cdn/;" in csp
    await published_page(client, account, slug="cdnav", avatar_url="http://testserver/cdn/x/a.png")
    assert (await client.get("/bio/cdnav")).headers["content-security-policy"] == CSP
    await published_page(client, account, slug="httpsav", avatar_url="https://img.example/a.png")
    assert (await client.get("/bio/httpsav")).headers["content-security-policy"] == CSP


async def test_a_full_page_stays_under_30_kb(client: httpx.AsyncClient, account: Account) -> None:
    icons = list(ICONS)
    await published_page(
        client,
        account,
        slug="full",
        title="T" * 100,
        bio="B" * 500,
        avatar_url="https://cdn.example.com/" + "a" * 200 + ".png",
        links=[
            {
                "title": "L" * 100,
                "url": "https://example.com/" + "u" * 1000,
                "icon": icons[n % len(icons)],
            }
            for n in range(50)
        ],
    )
    response = await client.get("/bio/full")
    assert response.status_code == 200
    assert len(response.content) < 30 * 1024, len(response.content)
    assert response.text.count("<symbol ") == len(icons)


# --- tracked links ---------------------------------------------------------------------------


async def test_a_link_goes_through_a_tracked_redirect(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await published_page(
        client,
        account,
        slug="track",
        links=[
            {"title": "One", "url": "https://one.example/path?a=1"},
            {"title": "Två", "url": "https://two.example/ö?q=a b".replace(" ", "%20")},
        ],
    )
    one, two = page["links"]
    response = await client.get(f"/bio/track/l/{one['id']}", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["location"] == "https://one.example/path?a=1"
    assert response.headers["cache-control"] == "private, max-age=0"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    response = await client.get(f"/bio/TRACK/l/{two['id'].upper()}", headers=BROWSER)
    assert response.headers["location"] == "https://two.example/%C3%B6?q=a%20b"
    head = await client.head(f"/bio/track/l/{one['id']}")
    assert head.status_code == 302


async def test_unknown_links_and_links_of_unpublished_pages_are_404(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await published_page(
        client, account, slug="mine", links=[{"title": "A", "url": "https://a.example"}]
    )
    other = await published_page(
        client, account, slug="theirs", links=[{"title": "B", "url": "https://b.example"}]
    )
    link_id = page["links"][0]["id"]
    assert_html_404(await client.get(f"/bio/mine/l/{uuid.uuid4()}"))
    assert_html_404(await client.get("/bio/mine/l/not-a-uuid"))
    assert_html_404(await client.get(f"/bio/theirs/l/{link_id}"))  # another page's link
    assert_html_404(await client.get(f"/bio/mine/x/{link_id}"))
    await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
    assert_html_404(await client.get(f"/bio/mine/l/{link_id}"))
    assert (await client.get(f"/bio/theirs/l/{other['links'][0]['id']}")).status_code == 302


# --- changes show at once --------------------------------------------------------------------


async def test_changes_to_a_published_page_show_at_once(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await published_page(
        client, account, slug="live", links=[{"title": "Old", "url": "https://old.example"}]
    )
    assert "Old" in (await client.get("/bio/live")).text
    link = page["links"][0]
    await patch(
        client,
        account,
        page["id"],
        title="Fresh title",
        links=[{**link, "title": "New", "url": "https://new.example"}],
    )
    html = (await client.get("/bio/live")).text
    assert "Fresh title" in html and ">New</a>" in html and "Old" not in html
    moved = await client.get(f"/bio/live/l/{link['id']}")
    assert moved.headers["location"] == "https://new.example"
    await patch(client, account, page["id"], slug="moved")
    assert_html_404(await client.get("/bio/live"))
    assert "Fresh title" in (await client.get("/bio/moved")).text


async def test_another_process_sees_changes_after_its_poll(
    client: httpx.AsyncClient, account: Account, app: XqrApp, db_url: str, tmp_path: Path
) -> None:
    page = await published_page(client, account, slug="shared", title="Before")
    settings = quiet_settings(db_url, tmp_path / "other", cache_poll_interval_ms=3_600_000)
    async with running(settings) as (other, other_client):
        # Standing in for another process: this process's commits do not reach its cache.
        BioPageCache._instances.discard(other.ctx.parts.bio_cache)
        assert "Before" in (await other_client.get("/bio/shared")).text
        await patch(client, account, page["id"], title="After")
        assert "Before" in (await other_client.get("/bio/shared")).text  # still cached
        poller = change_poller(other, "bio_changes")
        assert await poller.poll_once() >= 1
        assert "After" in (await other_client.get("/bio/shared")).text
        await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
        await poller.poll_once()
        assert_html_404(await other_client.get("/bio/shared"))
        assert await poller.poll_once() == 0


async def test_a_change_committed_late_with_a_lower_id_is_still_applied(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    await published_page(client, account, slug="late", title="Before")
    poller = change_poller(app, "bio_changes")
    # A change with a high id commits first ...
    async with app.ctx.engine.begin() as conn:
        await conn.execute(insert(BioChange).values(id=1000, slug_lower="x", changed_at=utcnow()))
    await poller.poll_once()
    assert poller.last_id == 1000
    assert "Before" in (await client.get("/bio/late")).text
    # ... then one whose id was drawn earlier (PostgreSQL sequences allow it).
    async with app.ctx.engine.begin() as conn:
        await conn.execute(update(BioPage).where(BioPage.slug == "late").values(title="After"))
        await conn.execute(insert(BioChange).values(id=500, slug_lower="late", changed_at=utcnow()))
    assert "Before" in (await client.get("/bio/late")).text
    assert await poller.poll_once() == 1
    assert "After" in (await client.get("/bio/late")).text
    assert await poller.poll_once() == 0


async def test_a_cached_page_costs_no_query(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    await published_page(client, account, slug="cached")
    assert (await client.get("/bio/cached")).status_code == 200
    assert (await client.get("/bio/unknown-slug")).status_code == 404
    # with the database gone, cached answers (pages and "no such page") still come back
    await app.ctx.read_engine.dispose()
    broken = make_engine("sqlite+aiosqlite:////nonexistent/dir/db.sqlite")
    cache = app.ctx.parts.bio_cache
    real_engine, cache.engine = cache.engine, broken
    try:
        assert (await client.get("/bio/cached")).status_code == 200
        assert (await client.get("/bio/unknown-slug")).status_code == 404
    finally:
        cache.engine = real_engine
        await broken.dispose()


# --- public URL forms ------------------------------------------------------------------------


async def test_a_bare_bio_host_serves_pages_at_the_root(db_url: str, tmp_path: Path) -> None:
    settings = quiet_settings(db_url, tmp_path / "data", bio_url_base="https://xqr.bio")
    async with running(settings) as (app, client):
        account = await new_account(app)
        page = await published_page(
            client, account, slug="ada", links=[{"title": "A", "url": "https://a.example"}]
        )
        assert page["public_url"] == "https://xqr.bio/ada"
        bio_host = {"Host": "xqr.bio"}
        shown = await client.get("/ada", headers=bio_host)
        assert shown.status_code == 200
        assert '<link rel="canonical" href="https://xqr.bio/ada">' in shown.text
        assert hrefs(shown.text) == [f"ada/l/{page['links'][0]['id']}"]
        click = await client.get(f"/ada/l/{page['links'][0]['id']}", headers=bio_host)
        assert click.status_code == 302 and click.headers["location"] == "https://a.example"
        assert_html_404(await client.get("/", headers=bio_host))
        assert_html_404(await client.get("/nobody", headers=bio_host))
        assert_html_404(await client.get("/favicon.ico", headers={"Host": "XQR.bio:443"}))
        assert (await client.get("/healthz", headers=bio_host)).status_code == 200
        # the /bio path still works on the main host; /{slug} there is a short link
        assert (await client.get("/bio/ada")).status_code == 200
        short = await client.get("/ada")
        assert short.status_code == 404 and short.content == LINK_NOT_FOUND


async def test_a_bio_base_on_the_main_host_takes_only_published_slugs(
    db_url: str, tmp_path: Path
) -> None:
    settings = quiet_settings(db_url, tmp_path / "data", bio_url_base="http://testserver")
    async with running(settings) as (app, client):
        account = await new_account(app)
        await published_page(client, account, slug="ada")
        link = await client.post(
            "/api/v1/links",
            json={"url": "https://example.com", "custom_slug": "promo"},
            headers=account.headers,
        )
        assert link.status_code == 201
        assert (await client.get("/ada")).status_code == 200
        assert (await client.get("/promo")).status_code == 302  # short links still work
        assert (await client.get("/api/v1/bio/themes", headers=account.headers)).status_code == 200


async def test_a_bio_base_with_a_path_serves_that_prefix_too(db_url: str, tmp_path: Path) -> None:
    settings = quiet_settings(db_url, tmp_path / "data", bio_url_base="https://links.example/p")
    async with running(settings) as (app, client):
        account = await new_account(app)
        page = await published_page(client, account, slug="ada")
        assert page["public_url"] == "https://links.example/p/ada"
        assert (await client.get("/p/ada")).status_code == 200
        assert (await client.get("/bio/ada")).status_code == 200
        assert_html_404(await client.get("/p/nobody"))
        slash = await client.get("/p/ada/")
        assert slash.headers["location"] == "/p/ada"
