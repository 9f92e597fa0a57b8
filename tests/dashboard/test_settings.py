"""Settings: Developers (API keys), Members, Workspace, Usage — and what each role may do."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import Account, AccountFactory, set_plan
from tests.dashboard.conftest import Dashboard, add_person, page, text_of
from xqr.auth import service as keys
from xqr.context import AppContext
from xqr.workspaces import service as workspaces


async def _keys(ctx: AppContext, workspace_id: str) -> list[keys.ApiKey]:
    async with ctx.read_sessionmaker() as session:
        return list(await keys.list_keys(session, uuid.UUID(workspace_id)))


async def _calls(ctx: AppContext, workspace_id: str) -> int:
    async with ctx.read_sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(workspace_id))
        usage = await workspaces.usage(session, workspace, ctx.plans[workspace.plan])
    return usage.api_calls.used


async def test_a_key_created_in_developers_works_once_shown_and_stops_when_revoked(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await browser.sign_in("maria@example.com")
    form = page(await browser.get("/dashboard/settings/developers"))
    boxes = form.find_all("input", attrs={"name": "scopes"})
    assert [b["value"] for b in boxes][:3] == ["*", "links:read", "links:write"]
    assert (
        form.find("input", attrs={"value": "workspace:read"})
        .find_parent("label")
        .find("code")
        .get_text()
        == "workspace:read"
    )
    created = await browser.post(
        "/dashboard/settings/developers/keys",
        {"name": "Website build", "scopes": ["workspace:read", "links:read"], "expires_at": ""},
    )
    assert created.status_code == 201
    shown = page(created).find(id="new-key")["value"]
    assert shown.startswith("xqr_pk_")
    answer = await client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {shown}"})
    assert answer.status_code == 200
    assert answer.json()["data"]["id"] == owner.workspace_id

    listed = await browser.get("/dashboard/settings/developers")
    assert shown not in listed.text  # shown once, never again
    row = next(tr for tr in page(listed).find_all("tr") if "Website build" in tr.get_text())
    assert shown.split(".")[0] in row.get_text()
    assert "links:read" in row.get_text() and "workspace:read" in row.get_text()

    key = next(k for k in await _keys(ctx, owner.workspace_id) if k.name == "Website build")
    assert key.scopes == ["links:read", "workspace:read"]
    confirm = await browser.get(f"/dashboard/settings/developers?revoke={key.id}")
    dialog = page(confirm).find("dialog", id=f"revoke-{key.id}")
    assert dialog.has_attr("open")  # the confirmation, without JavaScript
    revoked = await browser.post(f"/dashboard/settings/developers/keys/{key.id}/revoke")
    assert revoked.status_code == 303
    refused = await client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {shown}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "REVOKED_API_KEY"


async def test_a_key_with_an_expiry_date_ends_that_day_in_the_workspace_zone(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/settings/workspace")
    await browser.post(
        "/dashboard/settings/workspace", {"name": "Maria's Coffee", "timezone": "Asia/Tokyo"}
    )
    await browser.get("/dashboard/settings/developers")
    await browser.post(
        "/dashboard/settings/developers/keys",
        {"name": "Expiring", "scopes": "*", "expires_at": "2031-03-15"},
    )
    key = next(k for k in await _keys(ctx, owner.workspace_id) if k.name == "Expiring")
    assert key.expires_at is not None
    assert key.expires_at.isoformat() == "2031-03-15T14:59:59+00:00"
    listed = page(await browser.get("/dashboard/settings/developers"))
    row = next(tr for tr in listed.find_all("tr") if "Expiring" in tr.get_text())
    assert "15 Mar 2031, 23:59" in row.get_text()


async def test_key_form_errors_are_shown_next_to_their_fields_and_nothing_is_saved(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/settings/developers")
    before = len(await _keys(ctx, owner.workspace_id))
    no_scope = await browser.post(
        "/dashboard/settings/developers/keys", {"name": "Nothing", "expires_at": ""}
    )
    assert no_scope.status_code == 400
    assert page(no_scope).find(id="cb-scopes-error").get_text(strip=True) == (
        "At least one scope is required"
    )
    assert page(no_scope).find("input", attrs={"name": "name"})["value"] == "Nothing"
    past = await browser.post(
        "/dashboard/settings/developers/keys",
        {"name": "Old", "scopes": "*", "expires_at": "2001-01-01"},
    )
    assert past.status_code == 400
    assert page(past).find(id="f-expires_at-error").get_text(strip=True) == "Must be in the future"
    assert len(await _keys(ctx, owner.workspace_id)) == before


async def test_a_free_workspace_sees_why_it_cannot_create_keys(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await set_plan(ctx, owner.workspace_id, "free")
    await browser.sign_in("maria@example.com")
    shown = await browser.get("/dashboard/settings/developers")
    assert "The free plan has no API access" in text_of(shown)
    assert "The pro plan and above include the API" in text_of(shown)
    assert page(shown).find("button", string="Create API key") is None
    before = len(await _keys(ctx, owner.workspace_id))
    forced = await browser.post("/dashboard/settings/developers/keys", {"name": "x", "scopes": "*"})
    assert forced.status_code == 403
    assert "The free plan has no API access" in text_of(forced)
    assert len(await _keys(ctx, owner.workspace_id)) == before


async def test_a_viewer_reads_settings_but_cannot_create_a_key_even_by_posting_the_form(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await add_person(ctx, owner.workspace_id, "vic@example.com", "viewer")
    await browser.sign_in("vic@example.com")
    shown = await browser.get("/dashboard/settings/developers")
    assert shown.status_code == 200
    assert page(shown).find("button", string="Create API key") is None
    assert "Only admins and owners can create API keys." in text_of(shown)
    before = len(await _keys(ctx, owner.workspace_id))
    forced = await browser.post(
        "/dashboard/settings/developers/keys", {"name": "sneaky", "scopes": "*"}
    )
    assert forced.status_code == 403
    assert "Only admins and above can create API keys." in text_of(forced)
    key = (await _keys(ctx, owner.workspace_id))[0]
    revoke = await browser.post(f"/dashboard/settings/developers/keys/{key.id}/revoke")
    assert revoke.status_code == 403
    assert len(await _keys(ctx, owner.workspace_id)) == before
    assert all(k.revoked_at is None for k in await _keys(ctx, owner.workspace_id))


async def test_a_member_may_not_manage_keys_webhooks_or_members(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await add_person(ctx, owner.workspace_id, "mo@example.com", "member")
    await browser.sign_in("mo@example.com")
    await browser.get("/dashboard/settings/members")
    for path, form in [
        ("/dashboard/settings/developers/keys", {"name": "x", "scopes": "*"}),
        ("/dashboard/settings/webhooks", {"url": "https://example.com/h", "events": "*"}),
        ("/dashboard/settings/members", {"email": "new@example.com", "role": "viewer"}),
        ("/dashboard/settings/workspace", {"name": "Renamed", "timezone": "UTC"}),
        ("/dashboard/settings/workspace/plan", {"plan": "free"}),
    ]:
        response = await browser.post(path, form)
        assert response.status_code == 403, path
    async with ctx.read_sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(owner.workspace_id))
        members, _ = await workspaces.list_members(session, workspace.id, limit=10, offset=0)
    assert workspace.name == "Maria's Coffee" and workspace.plan == "enterprise"
    assert sorted(m.email for m in members) == ["maria@example.com", "mo@example.com"]


async def test_dashboard_actions_do_not_count_against_the_api_quota(
    browser: Dashboard, owner: Account, ctx: AppContext, client: httpx.AsyncClient
) -> None:
    await client.get("/api/v1/workspace", headers=owner.headers)
    before = await _calls(ctx, owner.workspace_id)
    await browser.sign_in("maria@example.com")
    for path in ["/dashboard/links", "/dashboard/settings/usage", "/dashboard/settings/developers"]:
        assert (await browser.get(path)).status_code == 200
    await browser.post("/dashboard/settings/developers/keys", {"name": "k", "scopes": "*"})
    assert await _calls(ctx, owner.workspace_id) == before


async def test_members_are_added_with_a_set_up_link_and_roles_follow_the_owner_rules(
    browser: Dashboard, other_browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await add_person(ctx, owner.workspace_id, "ada@example.com", "admin")
    await browser.sign_in("ada@example.com")
    await browser.get("/dashboard/settings/members")
    added = await browser.post(
        "/dashboard/settings/members", {"email": "Sam@Example.com", "role": "member"}
    )
    assert added.status_code == 201
    link = page(added).find(id="setup-link")["value"]
    assert link.startswith("http://testserver/dashboard/setup?token=")

    # the link works for the new person
    setup = await other_browser.get(link.removeprefix("http://testserver"))
    token = page(setup).find("input", attrs={"name": "token"})["value"]
    done = await other_browser.post(
        "/dashboard/setup",
        {
            "token": token,
            "email": "sam@example.com",
            "password": "sams-own-long-password",
            "password_again": "sams-own-long-password",
        },
    )
    assert done.status_code == 303
    assert (await other_browser.get("/dashboard/settings/members")).status_code == 200

    # an admin cannot make owners, nor touch the owner
    make_owner = await browser.post(
        "/dashboard/settings/members", {"email": "boss@example.com", "role": "owner"}
    )
    assert make_owner.status_code == 403
    members = {m.email: m for m in await _members(ctx, owner.workspace_id)}
    owner_id = members["maria@example.com"].id
    assert (await browser.post(f"/dashboard/settings/members/{owner_id}/remove")).status_code == 403
    demote = await browser.post(f"/dashboard/settings/members/{owner_id}/role", {"role": "viewer"})
    assert demote.status_code == 403
    sam = members["sam@example.com"]
    promoted = await browser.post(f"/dashboard/settings/members/{sam.id}/role", {"role": "viewer"})
    assert promoted.status_code == 303
    duplicate = await browser.post(
        "/dashboard/settings/members", {"email": "sam@example.com", "role": "member"}
    )
    assert duplicate.status_code == 400
    assert "already a member" in page(duplicate).find(id="f-email-error").get_text()
    roles = {m.email: m.role for m in await _members(ctx, owner.workspace_id)}
    assert roles == {
        "maria@example.com": "owner",
        "ada@example.com": "admin",
        "sam@example.com": "viewer",
    }


async def test_the_last_owner_cannot_leave_but_can_once_there_is_another(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/settings/members")
    maria = next(m for m in await _members(ctx, owner.workspace_id) if m.role == "owner")
    refused = await browser.post(f"/dashboard/settings/members/{maria.id}/remove")
    assert refused.status_code == 409
    assert "A workspace needs at least one owner" in text_of(refused)
    demote = await browser.post(f"/dashboard/settings/members/{maria.id}/role", {"role": "admin"})
    assert demote.status_code == 409
    await add_person(ctx, owner.workspace_id, "olga@example.com", "member")
    olga = next(m for m in await _members(ctx, owner.workspace_id) if m.email == "olga@example.com")
    await browser.get("/dashboard/settings/members")
    made = await browser.post(f"/dashboard/settings/members/{olga.id}/role", {"role": "owner"})
    assert made.status_code == 303
    await browser.get("/dashboard/settings/members")
    left = await browser.post(f"/dashboard/settings/members/{maria.id}/remove")
    assert left.status_code == 303
    assert [m.email for m in await _members(ctx, owner.workspace_id)] == ["olga@example.com"]


async def test_a_viewer_may_leave_a_workspace(
    browser: Dashboard, owner: Account, make_account: AccountFactory, ctx: AppContext
) -> None:
    await add_person(ctx, owner.workspace_id, "vic@example.com", "viewer")
    await browser.sign_in("vic@example.com")
    await browser.get("/dashboard/settings/members")
    vic = next(m for m in await _members(ctx, owner.workspace_id) if m.email == "vic@example.com")
    left = await browser.post(f"/dashboard/settings/members/{vic.id}/remove")
    assert left.status_code == 303
    gone = await browser.get("/dashboard/links")
    assert gone.status_code == 403
    assert "is not a member of any workspace" in text_of(gone)


async def _members(ctx: AppContext, workspace_id: str) -> list[workspaces.Member]:
    async with ctx.read_sessionmaker() as session:
        rows, _ = await workspaces.list_members(
            session, uuid.UUID(workspace_id), limit=100, offset=0
        )
    return list(rows)


async def test_workspace_settings_and_plan(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/settings/workspace")
    bad = await browser.post(
        "/dashboard/settings/workspace", {"name": "", "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 400
    assert page(bad).find(id="f-name-error") is not None or page(bad).find(id="f-timezone-error")
    saved = await browser.post(
        "/dashboard/settings/workspace", {"name": "Maria's Roastery", "timezone": "Europe/Berlin"}
    )
    assert saved.status_code == 303
    shown = await browser.get("/dashboard/settings/workspace")
    assert "Workspace settings saved." in text_of(shown)
    await browser.post("/dashboard/settings/workspace/plan", {"plan": "pro"})
    async with ctx.read_sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(owner.workspace_id))
    assert (workspace.name, workspace.timezone, workspace.plan) == (
        "Maria's Roastery",
        "Europe/Berlin",
        "pro",
    )


async def test_usage_shows_a_meter_for_every_limit_and_the_cycle(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await set_plan(ctx, owner.workspace_id, "pro")
    await browser.sign_in("maria@example.com")
    shown = await browser.get("/dashboard/settings/usage")
    meters = {m["aria-label"].split(":")[0]: m for m in page(shown).find_all("meter")}
    assert set(meters) == {
        "API calls",
        "API keys",
        "Links",
        "QR templates",
        "Bio pages",
        "Assets",
        "Asset storage",
        "Webhook endpoints",
        "Members",
        "Saved reports",
        "Custom domains",
    }
    assert meters["API keys"]["max"] == "2" and meters["API keys"]["value"] == "1"
    assert meters["Members"]["max"] == "3"
    assert "The cycle runs from" in text_of(shown)
