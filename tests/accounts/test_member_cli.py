"""`xqr admin member add|set-password|setup-link`, run as the real command."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.server import run_xqr, xqr_env
from xqr.accounts import service as accounts
from xqr.config import Settings
from xqr.context import AppContext

LINK = re.compile(r"http://testserver/dashboard/setup\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return xqr_env(db_url, tmp_path / "data", XQR_PUBLIC_URL="http://testserver")


@pytest.fixture
def workspace_id(env: dict[str, str]) -> str:
    created = run_xqr(
        env,
        "admin",
        "workspace",
        "create",
        "--name",
        "Acme",
        "--owner",
        "owner@acme.test",
        "--plan",
        "pro",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    return str(json.loads(created.stdout)["id"])


@pytest.fixture
async def ctx(settings: Settings) -> AsyncIterator[AppContext]:
    """The database the commands wrote to, read without a running app."""
    context = AppContext.from_settings(settings)
    yield context
    await context.close()


async def _can_sign_in(ctx: AppContext, email: str, password: str) -> bool:
    async with ctx.sessionmaker() as session:
        try:
            await accounts.sign_in(session, email, password, "192.0.2.1")
        except accounts.SignInRefused:
            return False
        finally:
            await session.commit()
    return True


async def test_member_add_with_a_password_from_stdin(
    env: dict[str, str], workspace_id: str, ctx: AppContext
) -> None:
    added = run_xqr(
        env,
        *("admin", "member", "add", "--workspace", workspace_id),
        *("--email", "Ada@Example.com", "--role", "admin", "--password-stdin"),
        input="ada-chooses-this-one\n",
    )
    assert added.returncode == 0, added.stderr
    assert "setup?token=" not in added.stdout
    assert "ada-chooses-this-one" not in added.stdout + added.stderr
    assert await _can_sign_in(ctx, "ada@example.com", "ada-chooses-this-one")


async def test_member_add_without_a_password_prints_a_set_up_link(
    env: dict[str, str], workspace_id: str, ctx: AppContext
) -> None:
    added = run_xqr(
        env, "admin", "member", "add", "--workspace", workspace_id, "--email", "sam@x.io"
    )
    assert added.returncode == 0, added.stderr
    token = LINK.search(added.stdout)
    assert token is not None
    async with ctx.read_sessionmaker() as session:
        found = await accounts.account_of_setup_token(session, token.group(1))
    assert found is not None and found.email == "sam@x.io" and found.password_hash is None


async def test_set_password_and_setup_link_for_members_only(
    env: dict[str, str], workspace_id: str, ctx: AppContext
) -> None:
    weak = run_xqr(
        env,
        "admin",
        "member",
        "set-password",
        "owner@acme.test",
        "--password-stdin",
        input="short\n",
    )
    assert weak.returncode == 1
    assert "at least 10 characters" in weak.stderr
    done = run_xqr(
        env,
        *("admin", "member", "set-password", "owner@acme.test", "--password-stdin"),
        input="the-owners-password\n",
    )
    assert done.returncode == 0, done.stderr
    assert await _can_sign_in(ctx, "owner@acme.test", "the-owners-password")

    stranger = run_xqr(
        env, "admin", "member", "set-password", "who@x.io", "--password-stdin", input="x" * 12
    )
    assert stranger.returncode == 1
    assert "not a member of any workspace" in stranger.stderr

    link = run_xqr(env, "admin", "member", "setup-link", "owner@acme.test")
    assert link.returncode == 0, link.stderr
    assert LINK.fullmatch(link.stdout.strip())
