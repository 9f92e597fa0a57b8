"""`/v1/domains`: custom domains, their verification, and the TLS `ask` answer for proxies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from xqr.context import Ctx, DbSession, ReadSession
from xqr.core.envelope import Envelope, ListEnvelope, no_content
from xqr.core.errors import ApiError
from xqr.core.openapi import error_responses
from xqr.core.pagination import Pagination
from xqr.domains import service
from xqr.domains.auth import DomainsRead, DomainsWrite
from xqr.domains.schemas import DomainCreate, DomainOut, DomainUpdate, TlsAskOut

router = APIRouter(prefix="/domains", tags=["Domains"])


@router.post("", summary="Add domain", status_code=201, responses=error_responses(409))
async def create_domain(
    request: Request, body: DomainCreate, principal: DomainsWrite, session: DbSession, ctx: Ctx
) -> Envelope[DomainOut]:
    """Add a host name to the workspace, `pending` until verified. Scope: `domains:write`.

    Point the host at this server (a CNAME or A record to the proxy in front of it), then
    call `POST /domains/{id}/verify`. A host belongs to one workspace on the whole server
    (409 CONFLICT otherwise). Counts against the plan's `domains` limit.
    """
    domain = await service.create_domain(
        session,
        principal.tenant,
        service.DomainRules.from_settings(ctx.settings),
        hostname=body.hostname,
        purpose=body.purpose,
        default=body.default,
        not_found_url=body.not_found_url,
        root_url=body.root_url,
    )
    data = service.domain_view(domain)
    await session.commit()
    return Envelope[DomainOut].of(request, data)


@router.get("", summary="List domains")
async def list_domains(
    request: Request, principal: DomainsRead, session: DbSession, pagination: Pagination
) -> ListEnvelope[DomainOut]:
    """The workspace's custom domains, newest first. Scope: `domains:read`."""
    rows, total = await service.list_domains(
        session, principal.workspace_id, limit=pagination.limit, offset=pagination.offset
    )
    return ListEnvelope[DomainOut].of(
        request,
        [service.domain_view(d) for d in rows],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.get("/tls-ask", summary="TLS certificate check for proxies", include_in_schema=True)
async def tls_ask(
    request: Request,
    session: ReadSession,
    domain: Annotated[str, Query(description="The host name the proxy wants a certificate for.")],
) -> Envelope[TlsAskOut]:
    """200 when `domain` is a verified custom domain (so the proxy may get a certificate for
    it), 404 otherwise. No API key: this is Caddy's on-demand TLS `ask` endpoint; answer it
    only to your proxy (see docs/domains.md)."""
    if not await service.serves_tls(session, domain):
        raise ApiError("RESOURCE_NOT_FOUND", "No verified custom domain has that host name.")
    return Envelope[TlsAskOut].of(request, TlsAskOut(domain=domain.lower(), allowed=True))


@router.get("/{domain_id}", summary="Get domain")
async def get_domain(
    request: Request, domain_id: str, principal: DomainsRead, session: DbSession
) -> Envelope[DomainOut]:
    """One custom domain with its verification state. Scope: `domains:read`."""
    domain = await service.get_domain(session, principal.workspace_id, domain_id)
    return Envelope[DomainOut].of(request, service.domain_view(domain))


@router.patch("/{domain_id}", summary="Update domain")
async def update_domain(
    request: Request,
    domain_id: str,
    body: DomainUpdate,
    principal: DomainsWrite,
    session: DbSession,
    ctx: Ctx,
) -> Envelope[DomainOut]:
    """Change `purpose`, `default`, `not_found_url` or `root_url`. Scope: `domains:write`.

    The host name never changes: add the new one and move links to it.
    """
    domain = await service.update_domain(
        session,
        principal.workspace_id,
        service.DomainRules.from_settings(ctx.settings),
        domain_id,
        body.model_dump(exclude_unset=True),
    )
    data = service.domain_view(domain)
    await session.commit()
    return Envelope[DomainOut].of(request, data)


@router.delete(
    "/{domain_id}", summary="Delete domain", status_code=204, responses=error_responses(409)
)
async def delete_domain(domain_id: str, principal: DomainsWrite, session: DbSession) -> Response:
    """Delete a domain; 409 CONFLICT while links still use it. Scope: `domains:write`."""
    await service.delete_domain(session, principal.workspace_id, domain_id)
    await session.commit()
    return no_content()


@router.post("/{domain_id}/verify", summary="Verify domain")
async def verify_domain(
    request: Request, domain_id: str, principal: DomainsWrite, session: DbSession, ctx: Ctx
) -> Envelope[DomainOut]:
    """Fetch `http://HOST/.well-known/xqr-verify/{token}` now and expect this server's
    answer. Scope: `domains:write`.

    Right: `status` becomes `verified`. Wrong: a pending domain stays `pending` and a
    verified one becomes `failed`; `verification.last_error` says why.
    """
    domain = await service.verify_domain(
        session,
        principal.workspace_id,
        service.DomainRules.from_settings(ctx.settings),
        domain_id,
    )
    data = service.domain_view(domain)
    await session.commit()
    return Envelope[DomainOut].of(request, data)
