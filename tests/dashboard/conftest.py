"""The dashboard over ASGI, as a browser without JavaScript uses it: cookies kept, forms
posted with the CSRF token the last page carried."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.conftest import Account, AccountFactory, make_settings
from xqr.accounts import service as accounts
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.context import AppContext
from xqr.workspaces import service as workspaces

PASSWORD = "plum-orchard-lantern-42"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def page(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text_of(response: httpx.Response) -> str:
    return " ".join(page(response).get_text(" ").split())


class Dashboard:
    """One browser: its cookie jar, and the CSRF token of the last page it saw."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    def _remember(self, response: httpx.Response) -> httpx.Response:
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._remember(await self.http.get(path, **kwargs))

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return self._remember(await self.http.post(path, data=form, **kwargs))

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/dashboard/signin")
        response = await self.post(
            "/dashboard/signin", {"email": email, "password": password, "next": "/dashboard"}
        )
        assert response.status_code == 303, text_of(response)
        return response


async def add_person(
    ctx: AppContext, workspace_id: str, email: str, role: str, password: str | None = PASSWORD
) -> None:
    """`email` as `role` of the workspace, with a password to sign in with."""
    async with ctx.sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(workspace_id))
        if await workspaces.role_of(session, workspace.id, email) is None:
            await workspaces.add_member(
                session, workspaces.tenant_for(workspace, ctx.plans), email=email, role=role
            )
        account = await accounts.ensure_account(session, email)
        if password is not None:
            await accounts.set_password(session, account, password)
        await session.commit()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The test server's settings, with the visitor's country taken from `CF-IPCountry`."""
    return make_settings(db_url, tmp_path / "data", country_header="CF-IPCountry")


@pytest.fixture
async def owner(make_account: AccountFactory, ctx: AppContext) -> Account:
    """A workspace (with a full-scope API key) whose owner maria@example.com has a password."""
    created = await make_account(owner="maria@example.com", name="Maria's Coffee")
    await add_person(ctx, created.workspace_id, "maria@example.com", "owner")
    return created


def _browser(app: XqrApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def browser(app: XqrApp) -> AsyncIterator[Dashboard]:
    async with _browser(app) as http:
        yield Dashboard(http)


@pytest.fixture
async def other_browser(app: XqrApp) -> AsyncIterator[Dashboard]:
    async with _browser(app) as http:
        yield Dashboard(http)
