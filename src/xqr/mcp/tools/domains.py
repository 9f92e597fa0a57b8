"""Custom domain tools: list_domains, create_domain, verify_domain."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from xqr.client import AsyncXQR
from xqr.mcp.hints import CREATE, PUBLISH, READ
from xqr.mcp.results import page_result, respond
from xqr.mcp.schemas import Id, Limit, Offset

DomainId = Annotated[Id, Field(description="The domain's id (from create_domain/list_domains).")]
Url = Annotated[str | None, Field(max_length=2048, pattern=r"^https?://")]


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="List domains",
        description="The workspace's custom domains (host names for branded short links and "
        "bio pages) with their status: pending, verified, or failed (a verified host that "
        "stopped answering; it keeps serving). Paginated: pass next_offset as offset.",
        annotations=READ,
    )
    async def list_domains(limit: Limit = 50, offset: Offset = 0) -> CallToolResult:
        return await respond(client.domains.list(limit=limit, offset=offset), page_result)

    @server.tool(
        title="Create domain",
        description="Add a host name (e.g. go.example.com) to the workspace. It stays pending "
        "until the host points at this server and verify_domain succeeds; the answer's "
        "verification.url is what verification fetches.",
        annotations=CREATE,
    )
    async def create_domain(
        hostname: Annotated[
            str, Field(max_length=253, description="Bare host name: no scheme, path or port.")
        ],
        purpose: Annotated[
            Literal["links", "bio", "both"], Field(description="What the host serves.")
        ] = "links",
        default: Annotated[
            bool, Field(description="New links go on this domain once it is verified.")
        ] = False,
        not_found_url: Annotated[
            Url, Field(description="Where unknown codes on the host redirect.")
        ] = None,
        root_url: Annotated[Url, Field(description="Where the bare host redirects.")] = None,
    ) -> CallToolResult:
        return await respond(
            client.domains.create(
                hostname,
                purpose=purpose,
                default=default,
                not_found_url=not_found_url,
                root_url=root_url,
            )
        )

    @server.tool(
        title="Verify domain",
        description="Check the host now: the server fetches its verification URL and expects "
        "its own answer. The result's status says verified, or pending/failed with "
        "verification.last_error saying why.",
        annotations=PUBLISH,
    )
    async def verify_domain(domain_id: DomainId) -> CallToolResult:
        return await respond(client.domains.verify(domain_id))
