"""Who uses a published asset: domains that point at assets by URL register a finder here.

Bio pages (avatars) and QR templates (logos) name the asset by its public URL; deleting it
would break them silently, so the assets service asks every finder before it deletes.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

# (session, workspace id, public URL) -> descriptions such as "bio page “Ada” (avatar)"
AssetUserFinder = Callable[[AsyncSession, uuid.UUID, str], Awaitable[list[str]]]
_FINDERS: list[AssetUserFinder] = []


def register_asset_user(finder: AssetUserFinder) -> None:
    if finder not in _FINDERS:
        _FINDERS.append(finder)


async def users_of(session: AsyncSession, workspace_id: uuid.UUID, url: str) -> list[str]:
    """Every place of the workspace that shows the asset at `url`."""
    found: list[str] = []
    for finder in _FINDERS:
        found.extend(await finder(session, workspace_id, url))
    return found
