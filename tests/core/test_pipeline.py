"""Every failure in the envelope: validation, bad JSON, unknown routes, methods, size, crashes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from tests.conftest import Account, assert_error
from xqr.app import API_PREFIX, XqrApp
from xqr.auth.dependencies import Authenticator, Principal
from xqr.core.envelope import Envelope
from xqr.core.schemas import RequestModel

Anyone = Annotated[Principal, Depends(Authenticator(None))]


class Thing(RequestModel):
    name: str = Field(min_length=1, max_length=10)
    count: int = Field(default=1, ge=1)


def _probe_router() -> APIRouter:
    router = APIRouter(prefix="/probe")

    @router.post("", status_code=201)
    async def create(request: Request, body: Thing, principal: Anyone) -> Envelope[Thing]:
        return Envelope[Thing].of(request, body)

    @router.get("/crash")
    async def crash(principal: Anyone) -> Response:
        raise RuntimeError("database password is hunter2")

    return router


@pytest.fixture
async def probe(app: XqrApp) -> AsyncIterator[httpx.AsyncClient]:
    app.api.include_router(_probe_router(), prefix=API_PREFIX)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_a_valid_body_passes(probe: httpx.AsyncClient, account: Account) -> None:
    response = await probe.post("/api/v1/probe", json={"name": "ok"}, headers=account.headers)
    assert response.status_code == 201
    assert response.json()["data"] == {"name": "ok", "count": 1}


async def test_unknown_body_fields_are_a_validation_error(
    probe: httpx.AsyncClient, account: Account
) -> None:
    response = await probe.post(
        "/api/v1/probe", json={"name": "ok", "nmae": "typo"}, headers=account.headers
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "nmae", "message": "Unknown field."}]


async def test_wrong_types_and_missing_fields_name_the_field(
    probe: httpx.AsyncClient, account: Account
) -> None:
    response = await probe.post("/api/v1/probe", json={"count": 0}, headers=account.headers)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    fields = {d["field"] for d in error["details"]}
    assert fields == {"name", "count"}


async def test_malformed_json_is_a_validation_error(
    probe: httpx.AsyncClient, account: Account
) -> None:
    response = await probe.post(
        "/api/v1/probe",
        content=b'{"name": "ok",',
        headers={**account.headers, "Content-Type": "application/json"},
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["message"] == "Malformed JSON body."


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "offset=-1", "limit=abc", "offset=x"])
async def test_bad_pagination_is_a_validation_error(
    client: httpx.AsyncClient, account: Account, query: str
) -> None:
    response = await client.get(f"/api/v1/workspace/members?{query}", headers=account.headers)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] in ("limit", "offset")


async def test_pagination_meta(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.get(
        "/api/v1/workspace/members?limit=1&offset=0", headers=account.headers
    )
    meta = response.json()["meta"]
    assert (meta["total"], meta["limit"], meta["offset"]) == (1, 1, 0)


async def test_unknown_route_is_resource_not_found(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/no-such-thing"), 404, "RESOURCE_NOT_FOUND")


async def test_wrong_method_is_method_not_allowed(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.delete("/api/v1/workspace", headers=account.headers)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


async def test_bodies_over_one_mebibyte_are_payload_too_large(
    probe: httpx.AsyncClient, account: Account
) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = await probe.post(
        "/api/v1/probe",
        content=big,
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_streamed_bodies_over_the_cap_are_refused_too(
    probe: httpx.AsyncClient, account: Account
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = await probe.post(
        "/api/v1/probe",
        content=chunks(),
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_an_unexpected_error_is_a_500_without_internals(
    probe: httpx.AsyncClient, account: Account
) -> None:
    response = await probe.get("/api/v1/probe/crash", headers=account.headers)
    error = assert_error(response, 500, "INTERNAL_ERROR")
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] in error["message"]


async def test_a_sane_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/workspace", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    assert response.json()["meta"]["request_id"] == "trace-123"
    response = await client.get("/api/v1/workspace", headers={"X-Request-ID": "bad id\x01"})
    assert response.headers["x-request-id"].startswith("req_")


async def test_openapi_docs_and_healthz_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    operation = spec["paths"]["/api/v1/workspace"]["get"]
    assert operation["summary"] == "Get workspace"
    assert "workspace:read" in operation["description"]
    assert (await client.get("/api/docs")).status_code == 200
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
