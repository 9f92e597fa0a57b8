"""Links and bio pages on custom domains: codes unique per domain, `(host, code)` resolution,
unverified hosts, `not_found_url` / `root_url`, workspace isolation, the TLS `ask` answer."""

from __future__ import annotations

import httpx

from tests.conftest import Account, AccountFactory, assert_error
from tests.domains.conftest import add_domain, add_verified_domain, create_link


async def test_two_workspaces_with_the_same_code_on_their_own_domains(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Globex")
    await add_verified_domain(client, account, "go.acme.test")
    await add_verified_domain(client, other, "go.globex.test")
    acme = await create_link(
        client,
        account,
        url="https://acme.example/spring",
        custom_slug="spring",
        domain="go.acme.test",
    )
    globex = await create_link(
        client,
        other,
        url="https://globex.example/spring",
        custom_slug="spring",
        domain="GO.Globex.test",
    )
    assert acme["short_url"] == "https://go.acme.test/spring"
    assert acme["domain"] == "go.acme.test"
    assert globex["short_url"] == "https://go.globex.test/spring"
    # And the server's base may have its own `spring` too.
    base = await create_link(client, account, url="https://base.example/", custom_slug="spring")
    assert base["short_url"] == "http://testserver/spring"
    assert base["domain"] is None
    for host, destination in (
        ("go.acme.test", "https://acme.example/spring"),
        ("go.globex.test", "https://globex.example/spring"),
        ("go.acme.test:443", "https://acme.example/spring"),
        ("go.acme.test:8443", "https://acme.example/spring"),  # a proxy on another port
        ("testserver", "https://base.example/"),
    ):
        response = await client.get(f"http://{host}/spring?qr=1")
        assert response.status_code == 302, (host, response.text)
        assert response.headers["location"] == destination
    # Lookalikes are per domain too: `Spring` on the same domain is taken.
    taken = await client.post(
        "/api/v1/links",
        json={"url": "https://acme.example/x", "custom_slug": "Spring", "domain": "go.acme.test"},
        headers=account.headers,
    )
    assert "on go.acme.test" in assert_error(taken, 409, "SLUG_TAKEN")["message"]


async def test_an_unverified_domain_serves_nothing(
    client: httpx.AsyncClient, account: Account
) -> None:
    domain = await add_domain(client, account, "go.acme.test", root_url="https://acme.example/")
    await create_link(client, account, url="https://base.example/", custom_slug="spring")
    refused = await client.post(
        "/api/v1/links",
        json={"url": "https://acme.example/x", "domain": "go.acme.test"},
        headers=account.headers,
    )
    error = assert_error(refused, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "domain"
    assert "not verified yet" in error["message"]
    for path in ("/spring", "/", "/anything/else"):
        response = await client.get(f"http://go.acme.test{path}")
        assert response.status_code == 404, path
        assert "location" not in response.headers
    # The base code is not served through the pending host either.
    assert domain["status"] == "pending"


async def test_not_found_url_and_root_url(client: httpx.AsyncClient, account: Account) -> None:
    domain = await add_verified_domain(
        client,
        account,
        "go.acme.test",
        not_found_url="https://acme.example/oops",
        root_url="https://acme.example/",
    )
    await create_link(client, account, url="https://base.example/", custom_slug="basecode")
    root = await client.get("http://go.acme.test/")
    assert root.status_code == 302
    assert root.headers["location"] == "https://acme.example/"
    for path in ("/nothing-here", "/basecode", "/a/b/c"):
        missing = await client.get(f"http://go.acme.test{path}")
        assert missing.status_code == 302, path
        assert missing.headers["location"] == "https://acme.example/oops"
    # Cleared: our 404 page again, and the cache follows at once.
    await client.patch(
        f"/api/v1/domains/{domain['id']}",
        json={"not_found_url": None, "root_url": None},
        headers=account.headers,
    )
    assert (await client.get("http://go.acme.test/nothing-here")).status_code == 404
    assert (await client.get("http://go.acme.test/")).status_code == 404


async def test_links_created_without_a_domain_keep_working_as_before(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/plain")
    assert link["short_url"] == f"http://testserver/{link['short_code']}"
    assert link["domain"] is None
    response = await client.get(f"/{link['short_code']}")
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/plain"
    # A domain added later (not default) changes nothing for them.
    await add_verified_domain(client, account, "go.acme.test")
    again = await client.get(f"/api/v1/links/{link['id']}", headers=account.headers)
    assert again.json()["data"]["short_url"] == link["short_url"]
    assert (await client.get(f"/{link['short_code']}")).status_code == 302
    # Codes on the base stay unique on the base.
    taken = await client.post(
        "/api/v1/links",
        json={"url": "https://example.com/x", "custom_slug": link["short_code"].upper()},
        headers=account.headers,
    )
    assert_error(taken, 409, "SLUG_TAKEN")


async def test_new_links_go_on_the_workspaces_default_domain(
    client: httpx.AsyncClient, account: Account
) -> None:
    pending = await add_domain(client, account, "later.acme.test", default=True)
    before = await create_link(client, account, url="https://example.com/a")
    assert before["domain"] is None  # a default that is not verified yet is not used
    await client.patch(
        f"/api/v1/domains/{pending['id']}", json={"default": False}, headers=account.headers
    )
    await add_verified_domain(client, account, "go.acme.test", default=True)
    link = await create_link(client, account, url="https://example.com/b", custom_slug="deal")
    assert link["short_url"] == "https://go.acme.test/deal"
    base = await create_link(client, account, url="https://example.com/c", domain=None)
    assert base["domain"] is None
    assert (await client.get("http://go.acme.test/deal")).status_code == 302
    # The base host does not serve a domain's link.
    assert (await client.get("http://testserver/deal")).status_code == 404


async def test_moving_a_link_between_domains_moves_its_address(
    client: httpx.AsyncClient, account: Account
) -> None:
    await add_verified_domain(client, account, "go.acme.test")
    link = await create_link(client, account, url="https://example.com/m", custom_slug="moving")
    moved = await client.patch(
        f"/api/v1/links/{link['id']}", json={"domain": "go.acme.test"}, headers=account.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["short_url"] == "https://go.acme.test/moving"
    assert (await client.get("http://testserver/moving")).status_code == 404
    assert (await client.get("http://go.acme.test/moving")).status_code == 302


async def test_cross_workspace_domains_and_links_are_isolated(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Globex")
    await add_verified_domain(client, account, "go.acme.test")
    await add_verified_domain(client, other, "go.globex.test")
    await create_link(
        client,
        other,
        url="https://globex.example/only",
        custom_slug="only",
        domain="go.globex.test",
    )
    # Acme cannot put a link on Globex's domain...
    refused = await client.post(
        "/api/v1/links",
        json={"url": "https://acme.example/x", "domain": "go.globex.test"},
        headers=account.headers,
    )
    assert (
        "not a domain of this workspace"
        in assert_error(refused, 400, "VALIDATION_ERROR")["message"]
    )
    # ...and Globex's code does not answer on Acme's host or on the base.
    assert (await client.get("http://go.acme.test/only")).status_code == 404
    assert (await client.get("http://testserver/only")).status_code == 404
    assert (await client.get("http://go.globex.test/only")).status_code == 302


async def test_bio_pages_on_a_bio_domain(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    await add_verified_domain(client, account, "me.acme.test", purpose="bio")
    page = await client.post(
        "/api/v1/bio/pages",
        json={
            "slug": "acme-team",
            "title": "Acme team",
            "links": [{"title": "Site", "url": "https://acme.example/"}],
        },
        headers=account.headers,
    )
    assert page.status_code == 201, page.text
    page_id = page.json()["data"]["id"]
    assert (await client.get("http://me.acme.test/acme-team")).status_code == 404  # draft
    await client.post(f"/api/v1/bio/pages/{page_id}/publish", headers=account.headers)
    served = await client.get("http://me.acme.test/acme-team")
    assert served.status_code == 200
    assert "Acme team" in served.text
    link_id = page.json()["data"]["links"][0]["id"]
    click = await client.get(f"http://me.acme.test/acme-team/l/{link_id}")
    assert click.status_code == 302
    assert click.headers["location"] == "https://acme.example/"
    # Another workspace's published page is not served on Acme's domain.
    other = await make_account(name="Globex")
    theirs = await client.post(
        "/api/v1/bio/pages", json={"slug": "globex", "title": "Globex"}, headers=other.headers
    )
    await client.post(
        f"/api/v1/bio/pages/{theirs.json()['data']['id']}/publish", headers=other.headers
    )
    assert (await client.get("http://testserver/bio/globex")).status_code == 200
    assert (await client.get("http://me.acme.test/globex")).status_code == 404
    # A bio-only domain takes no links.
    refused = await client.post(
        "/api/v1/links",
        json={"url": "https://acme.example/x", "domain": "me.acme.test"},
        headers=account.headers,
    )
    assert_error(refused, 400, "VALIDATION_ERROR")


async def test_the_tls_ask_endpoint_answers_200_only_for_verified_hosts(
    client: httpx.AsyncClient, account: Account
) -> None:
    verified = await add_verified_domain(client, account, "go.acme.test")
    await add_domain(client, account, "pending.acme.test")
    ok = await client.get("/api/v1/domains/tls-ask", params={"domain": "GO.acme.test"})
    assert ok.status_code == 200
    assert ok.json()["data"] == {"domain": "go.acme.test", "allowed": True}
    for host in ("pending.acme.test", "unknown.example.com", "testserver", "bad host", ""):
        response = await client.get("/api/v1/domains/tls-ask", params={"domain": host})
        assert response.status_code in (400, 404), host
        assert "error" in response.json()
    missing = await client.get("/api/v1/domains/tls-ask")
    assert_error(missing, 400, "VALIDATION_ERROR")
    # A deleted domain gets no certificate any more.
    await client.delete(f"/api/v1/domains/{verified['id']}", headers=account.headers)
    gone = await client.get("/api/v1/domains/tls-ask", params={"domain": "go.acme.test"})
    assert_error(gone, 404, "RESOURCE_NOT_FOUND")


async def test_a_domain_links_qr_code_encodes_its_domain_address(
    client: httpx.AsyncClient, account: Account
) -> None:
    from tests.qr.conftest import decoded

    await add_verified_domain(client, account, "go.acme.test")
    link = await create_link(
        client, account, url="https://acme.example/qr", custom_slug="qr-code", domain="go.acme.test"
    )
    for _ in range(2):  # the second answer is the remembered image
        image = await client.get(f"/api/v1/links/{link['id']}/qr", headers=account.headers)
        assert image.status_code == 200
        assert decoded(image) == "https://go.acme.test/qr-code?qr=1"


async def test_a_password_protected_link_on_a_domain_takes_its_form_there(
    client: httpx.AsyncClient, account: Account
) -> None:
    import re

    await add_verified_domain(client, account, "go.acme.test")
    await create_link(client, account, url="https://base.example/open", custom_slug="vault")
    await create_link(
        client,
        account,
        url="https://acme.example/vault",
        custom_slug="vault",
        domain="go.acme.test",
        password="correct horse battery",
    )
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
    form = await client.get("http://go.acme.test/vault", headers=browser)
    assert form.status_code in (200, 401), form.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert csrf is not None
    cookies = {"cookie": form.headers.get("set-cookie", "").split(";", 1)[0]}
    unlocked = await client.post(
        "http://go.acme.test/vault",
        data={"password": "correct horse battery", "csrf": csrf.group(1)},
        headers={**browser, **cookies},
    )
    assert unlocked.status_code == 303, unlocked.text
    assert unlocked.headers["location"] == "https://acme.example/vault"
    # The base's `vault` has no password and is untouched.
    assert (await client.get("http://testserver/vault")).headers["location"] == (
        "https://base.example/open"
    )


async def test_strict_hosts_serve_no_links_on_a_foreign_host(
    db_url: str, tmp_path: object, host_server: object
) -> None:
    from pathlib import Path

    from tests.links.linkkit import quiet_settings, running

    assert isinstance(tmp_path, Path)
    loose = quiet_settings(db_url, tmp_path / "loose")
    async with running(loose) as (app, http):
        owner = await AccountFactory(app.ctx)()
        await create_link(http, owner, url="https://example.com/plain", custom_slug="plain")
        # Off (the default): a host nobody registered serves the server's own links.
        assert (await http.get("http://elsewhere.example/plain")).status_code == 302
    strict = quiet_settings(db_url, tmp_path / "strict", domains_strict_hosts=True)
    async with running(strict) as (app, http):
        assert (await http.get("http://elsewhere.example/plain")).status_code == 404
        assert (await http.get("http://testserver/plain")).status_code == 302
        assert (await http.get("http://localhost/plain")).status_code == 302
        # The API still answers there; only short codes are refused.
        assert (await http.get("http://elsewhere.example/healthz")).status_code == 200


async def test_with_the_database_away_a_domain_host_never_gets_the_bases_link(
    client: httpx.AsyncClient, account: Account, app: object, tmp_path: object
) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from xqr.app import XqrApp
    from xqr.db.engine import make_engine

    assert isinstance(app, XqrApp)
    await add_verified_domain(client, account, "go.acme.test")
    await create_link(client, account, url="https://base.example/", custom_slug="spring")
    assert (await client.get("http://testserver/spring")).status_code == 302
    gone = (
        f"sqlite+aiosqlite:///{tmp_path}/missing/folder/xqr.db"
        if app.ctx.settings.is_sqlite
        else "postgresql+asyncpg://xqr@127.0.0.1:9/none"
    )
    broken = make_engine(gone)
    await app.ctx.engine.dispose()
    await app.ctx.read_engine.dispose()
    app.ctx.engine = app.ctx.read_engine = broken
    app.ctx.parts.link_cache.engine = broken
    app.ctx.sessionmaker = app.ctx.read_sessionmaker = async_sessionmaker(broken)
    try:
        answer = await client.get("http://go.acme.test/spring")
        assert answer.status_code == 503
        assert "location" not in answer.headers
    finally:
        await broken.dispose()
