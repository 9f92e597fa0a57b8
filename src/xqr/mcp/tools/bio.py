"""Bio tools: list_bio_pages, get_bio_page, create_bio_page, update_bio_page,
publish_bio_page."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from xqr.client import NOT_GIVEN, AsyncXQR
from xqr.mcp.hints import CREATE, PUBLISH, READ, UPDATE
from xqr.mcp.results import page_result, respond
from xqr.mcp.schemas import BioLinks, Id, Limit, Offset, Slug, Theme, Url, given

PageId = Annotated[Id, Field(description="The bio page's id.")]
Title = Annotated[str, Field(min_length=1, max_length=100, description="Page title.")]
BioText = Annotated[str, Field(max_length=500, description="Bio text under the title.")]
AvatarUrl = Annotated[Url, Field(description="Avatar image URL (e.g. a published asset).")]


def _links(links: BioLinks | None) -> list[dict[str, object]] | object:
    if links is None:
        return NOT_GIVEN
    return [link.model_dump(exclude_none=True) for link in links]


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="List bio pages",
        description="List the workspace's link-in-bio pages, newest first, with whether each "
        "is published. Paginated: pass the returned next_offset as offset for the next page.",
        annotations=READ,
    )
    async def list_bio_pages(limit: Limit = 50, offset: Offset = 0) -> CallToolResult:
        return await respond(client.bio.pages.list(limit=limit, offset=offset), page_result)

    @server.tool(
        title="Get bio page",
        description="One link-in-bio page: title, slug, bio, avatar, theme, links, published "
        "state and public URL.",
        annotations=READ,
    )
    async def get_bio_page(page_id: PageId) -> CallToolResult:
        return await respond(client.bio.pages.get(page_id))

    @server.tool(
        title="Create bio page",
        description="Create a link-in-bio page (a draft until publish_bio_page) with a title, "
        "optional slug (taken from the title when left out), bio text, avatar, theme and "
        "link buttons.",
        annotations=CREATE,
    )
    async def create_bio_page(
        title: Title,
        slug: Slug | None = None,
        bio: BioText | None = None,
        avatar_url: AvatarUrl | None = None,
        theme: Theme | None = None,
        links: BioLinks | None = None,
    ) -> CallToolResult:
        return await respond(
            client.bio.pages.create(
                title,
                slug=given(slug),
                bio=given(bio),
                avatar_url=given(avatar_url),
                theme=given(theme),
                links=_links(links),  # type: ignore[arg-type]
            )
        )

    @server.tool(
        title="Update bio page",
        description="Change a bio page: only the fields given change; links replaces the "
        "whole list of buttons. A published page shows the change at once.",
        annotations=UPDATE,
    )
    async def update_bio_page(
        page_id: PageId,
        title: Title | None = None,
        slug: Slug | None = None,
        bio: BioText | None = None,
        avatar_url: AvatarUrl | None = None,
        theme: Theme | None = None,
        links: BioLinks | None = None,
    ) -> CallToolResult:
        return await respond(
            client.bio.pages.update(
                page_id,
                title=given(title),
                slug=given(slug),
                bio=given(bio),
                avatar_url=given(avatar_url),
                theme=given(theme),
                links=_links(links),  # type: ignore[arg-type]
            )
        )

    @server.tool(
        title="Publish bio page",
        description="Make a bio page public at its public_url. Publishing again is a no-op.",
        annotations=PUBLISH,
    )
    async def publish_bio_page(page_id: PageId) -> CallToolResult:
        return await respond(client.bio.pages.publish(page_id))
