"""A way in for the first person: while nobody has a password, `xqr serve` prints a one-time
set-up link for the first owner (a new install, or one upgraded from before sign-in existed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.accounts import repository, service
from xqr.workspaces import service as workspaces

if TYPE_CHECKING:
    from xqr.context import AppContext

SETUP_PATH = "/dashboard/setup"


def setup_url(public_url: str, token: str) -> str:
    return f"{public_url}{SETUP_PATH}?token={token}"


async def first_owner_setup_link(ctx: AppContext) -> tuple[str, str] | None:
    """(email, set-up URL) for the first owner when no account has a password; else None."""
    async with ctx.sessionmaker() as session:
        if await repository.any_password_set(session):
            return None
        email = await workspaces.first_owner_email(session)
        if email is None:
            return None
        account = await service.ensure_account(session, email)
        token = await service.create_setup_link_token(session, account)
        await session.commit()
        return account.email, setup_url(ctx.settings.public_url, token)
