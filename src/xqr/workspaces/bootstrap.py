"""First start: an empty database gets a default enterprise workspace and a full-scope key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.auth import service as keys
from xqr.workspaces import repository, service

if TYPE_CHECKING:
    from xqr.context import AppContext

DEFAULT_WORKSPACE = "Default workspace"


async def bootstrap(ctx: AppContext) -> dict[str, str] | None:
    """Create the first workspace and key when there is no workspace; None otherwise."""
    async with ctx.sessionmaker() as session:
        if await repository.count_all(session) > 0:
            return None
        workspace = await service.create_workspace(
            session, name=DEFAULT_WORKSPACE, plan="enterprise", owner_email="owner@localhost"
        )
        created = await keys.create_key(
            session, service.tenant_for(workspace, ctx.plans), scopes="*", name="bootstrap"
        )
        await session.commit()
        return {
            "workspace_id": str(workspace.id),
            "workspace_name": workspace.name,
            "key": created.plaintext,
        }
