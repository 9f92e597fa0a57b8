"""Links tools: create_link, list_links, get_link, update_link, delete_link,
bulk_create_links, get_link_qr."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeVar

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from xqr.client import NOT_GIVEN, AsyncXQR, NotGiven
from xqr.mcp.hints import CREATE, DELETE, READ, RENDER, UPDATE
from xqr.mcp.results import deleted_result, image_result, page_result, respond
from xqr.mcp.schemas import (
    MAX_BULK,
    BulkLink,
    Colour,
    ExpiredUrl,
    Id,
    ImageFormat,
    Labels,
    Limit,
    LinkId,
    LinkPassword,
    Offset,
    Preview,
    RoutingRules,
    Size,
    Slug,
    Url,
    Utm,
    given,
)

T = TypeVar("T")

ExpiresAt = Annotated[
    datetime, Field(description="ISO 8601 date-time when the link stops redirecting (future).")
]


def _or_clear(value: T | None, clear: bool) -> T | NotGiven | None:
    """The value given; else None (remove it) when asked to clear; else not given."""
    if value is not None:
        return value
    return None if clear else NOT_GIVEN


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="Create short link",
        description="Create a short link to a destination URL, optionally with a custom slug, "
        "labels, conditional routing rules (by country, device, OS, language, hours, "
        "percentage), an expiry with a fallback URL, a password, UTM parameters and a social "
        "preview. Returns the link with its short_url.",
        annotations=CREATE,
    )
    async def create_link(
        url: Annotated[Url, Field(description="Destination URL (http or https).")],
        custom_slug: Slug | None = None,
        labels: Labels | None = None,
        routing_rules: RoutingRules | None = None,
        expires_at: ExpiresAt | None = None,
        expired_url: ExpiredUrl | None = None,
        password: LinkPassword | None = None,
        utm: Utm | None = None,
        preview: Preview | None = None,
        domain: Annotated[
            str | None,
            Field(
                max_length=253,
                description="Host name of a verified custom domain of the workspace (see "
                "list_domains); left out: the workspace's default domain, else the server's.",
            ),
        ] = None,
    ) -> CallToolResult:
        return await respond(
            client.links.create(
                url,
                custom_slug=given(custom_slug),
                labels=given(labels),
                routing_rules=(
                    [r.model_dump(exclude_none=True, mode="json") for r in routing_rules]
                    if routing_rules is not None
                    else NOT_GIVEN
                ),
                expires_at=given(expires_at),
                expired_url=given(expired_url),
                password=given(password),
                utm=utm.model_dump(exclude_none=True) if utm is not None else NOT_GIVEN,
                preview=preview.model_dump(exclude_none=True) if preview is not None else NOT_GIVEN,
                domain=given(domain),
            )
        )

    @server.tool(
        title="List short links",
        description="List the workspace's short links, newest first, filtered by label, by a "
        "substring of the destination URL or by destination health (health=broken: links "
        "whose destination failed its last check). Paginated: pass the returned next_offset "
        "as offset for the next page.",
        annotations=READ,
    )
    async def list_links(
        label: Annotated[str | None, Field(description="Only links with this label.")] = None,
        search: Annotated[
            str | None, Field(max_length=2048, description="Substring of the destination URL.")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        health: Annotated[
            Literal["ok", "broken", "unknown"] | None,
            Field(description="Only links whose destination health is this."),
        ] = None,
    ) -> CallToolResult:
        return await respond(
            client.links.list(
                label=label, search=search, limit=limit, offset=offset, health=health
            ),
            page_result,
        )

    @server.tool(
        title="Get short link",
        description="One short link by id: destination, labels, routing rules, enabled, expiry "
        "and expired_url, has_password, utm, preview, health (ok / broken / unknown), "
        "scan_count and last_scan_at.",
        annotations=READ,
    )
    async def get_link(link_id: LinkId) -> CallToolResult:
        return await respond(client.links.get(link_id))

    @server.tool(
        title="Update short link",
        description="Change a short link: only the fields given change. Changing url or "
        "routing_rules redirects new scans at once; enabled=false stops redirects; a new "
        "custom_slug frees the old one; clear_expiry=true removes the expiry; "
        "clear_password, clear_expired_url, clear_utm and clear_preview remove those.",
        annotations=UPDATE,
    )
    async def update_link(
        link_id: LinkId,
        url: Url | None = None,
        custom_slug: Slug | None = None,
        labels: Labels | None = None,
        routing_rules: RoutingRules | None = None,
        enabled: Annotated[bool | None, Field(description="false disables redirects.")] = None,
        expires_at: ExpiresAt | None = None,
        clear_expiry: Annotated[
            bool, Field(description="Remove the link's expiry (ignored with expires_at).")
        ] = False,
        expired_url: ExpiredUrl | None = None,
        clear_expired_url: Annotated[bool, Field(description="Remove the fallback URL.")] = False,
        password: LinkPassword | None = None,
        clear_password: Annotated[bool, Field(description="Remove the password.")] = False,
        utm: Utm | None = None,
        clear_utm: Annotated[bool, Field(description="Remove the UTM parameters.")] = False,
        preview: Preview | None = None,
        clear_preview: Annotated[bool, Field(description="Remove the social preview.")] = False,
    ) -> CallToolResult:
        expiry = expires_at if expires_at is not None else (None if clear_expiry else NOT_GIVEN)
        return await respond(
            client.links.update(
                link_id,
                url=given(url),
                custom_slug=given(custom_slug),
                labels=given(labels),
                routing_rules=(
                    [r.model_dump(exclude_none=True, mode="json") for r in routing_rules]
                    if routing_rules is not None
                    else NOT_GIVEN
                ),
                enabled=given(enabled),
                expires_at=expiry,
                expired_url=_or_clear(expired_url, clear_expired_url),
                password=_or_clear(password, clear_password),
                utm=_or_clear(utm.model_dump(exclude_none=True) if utm else None, clear_utm),
                preview=_or_clear(
                    preview.model_dump(exclude_none=True) if preview else None, clear_preview
                ),
            )
        )

    @server.tool(
        title="Delete short link",
        description="Delete a short link permanently; its short URL stops redirecting at once. "
        "Cannot be undone.",
        annotations=DELETE,
    )
    async def delete_link(link_id: LinkId) -> CallToolResult:
        return await respond(
            client.links.delete(link_id), lambda _: deleted_result("link", link_id)
        )

    @server.tool(
        title="Bulk create short links",
        description=f"Create up to {MAX_BULK} short links at once. Each item is validated on "
        "its own: valid ones are created, the others are listed in errors with their index, "
        "code and message.",
        annotations=CREATE,
    )
    async def bulk_create_links(
        links: Annotated[
            list[BulkLink],
            Field(min_length=1, max_length=MAX_BULK, description="The links to create."),
        ],
    ) -> CallToolResult:
        items = [link.model_dump(exclude_none=True) for link in links]
        return await respond(client.links.bulk_create(items))

    @server.tool(
        title="Get a link's QR code",
        description="The QR code image of a short link (it encodes the short URL with ?qr=1, "
        "so scans count as QR scans). PNG or SVG; optional colours or a saved QR template.",
        annotations=RENDER,
    )
    async def get_link_qr(
        link_id: LinkId,
        format: ImageFormat = "png",
        size: Size = 10,
        foreground: Colour | None = None,
        background: Colour | None = None,
        template_id: Annotated[
            Id | None, Field(description="Design the code with this QR template.")
        ] = None,
    ) -> CallToolResult:
        return await respond(
            client.links.qr(
                link_id,
                format=format,
                size=size,
                foreground=foreground,
                background=background,
                template_id=template_id,
            ),
            lambda image: image_result(image, format, f"QR code of link {link_id}"),
        )
