"""`client.workspace`: the key's workspace, members and usage."""

from __future__ import annotations

from tests.support.live import LiveServer
from xqr.client import XQR, AsyncXQR, Member, Usage, Workspace


def test_workspace_members_and_usage(xqr: XQR, live: LiveServer) -> None:
    workspace = xqr.workspace.get()
    assert isinstance(workspace, Workspace)
    assert (workspace.id, workspace.plan) == (live.workspace_id, "enterprise")

    members = xqr.workspace.members()
    assert members.total == 1
    [owner] = members.items
    assert isinstance(owner, Member) and owner.role == "owner"
    assert [m.id for m in xqr.workspace.iter_members(page_size=1)] == [owner.id]

    before = xqr.workspace.usage()
    xqr.links.create("https://example.com/usage")
    after = xqr.workspace.usage()
    assert isinstance(after, Usage)
    assert after.plan == "enterprise"
    assert after.links is not None and before.links is not None
    assert after.links.used == before.links.used + 1
    assert after.links.limit is None  # unlimited on enterprise
    assert after.api_calls is not None and after.api_calls.used > 0


async def test_async_workspace(axqr: AsyncXQR, live: LiveServer) -> None:
    assert (await axqr.workspace.get()).id == live.workspace_id
    assert (await axqr.workspace.members()).total == 1
    assert (await axqr.workspace.usage()).plan == "enterprise"
