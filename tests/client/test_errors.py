"""Every exception class, raised from real error answers, carrying code, status, message and
request id."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.live import LiveServer
from tests.support.receiver import Receiver, Reply
from tests.support.server import free_port
from xqr.client import (
    XQR,
    APIError,
    AsyncXQR,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ValidationError,
    XQRConnectionError,
    XQRError,
)

REQUEST_ID = re.compile(r"^req_[0-9a-f]+$")


def _check(error: APIError, cls: type[APIError], status: int, code: str) -> None:
    assert type(error) is cls
    assert (error.status, error.code) == (status, code)
    assert error.message and error.message in str(error) and code in str(error)
    assert error.request_id and REQUEST_ID.match(error.request_id)


def test_unknown_and_revoked_keys_raise_authentication_error(live: LiveServer) -> None:
    with (
        XQR(api_key="xqr_pk_00000000." + "a" * 64, base_url=live.url) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.workspace.get()
    _check(caught.value, AuthenticationError, 401, "INVALID_API_KEY")

    key = live.make_key("*")
    live.revoke_key(key)
    with (
        XQR(api_key=key, base_url=live.url) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.links.list()
    _check(caught.value, AuthenticationError, 401, "REVOKED_API_KEY")


def test_missing_scope_raises_permission_denied(live: LiveServer) -> None:
    with XQR(api_key=live.make_key("links:read"), base_url=live.url) as client:
        assert client.links.list().total >= 0
        with pytest.raises(PermissionDeniedError) as caught:
            client.links.create("https://example.com")
    _check(caught.value, PermissionDeniedError, 403, "INSUFFICIENT_SCOPE")
    assert "links:write" in caught.value.message


def test_not_found_validation_and_conflict(xqr: XQR) -> None:
    with pytest.raises(NotFoundError) as missing:
        xqr.links.get(str(uuid.uuid4()))
    _check(missing.value, NotFoundError, 404, "RESOURCE_NOT_FOUND")

    with pytest.raises(ValidationError) as invalid:
        xqr.links.create("ftp://example.com")
    _check(invalid.value, ValidationError, 400, "VALIDATION_ERROR")
    assert [d["field"] for d in invalid.value.details] == ["url"]

    slug = f"taken-{uuid.uuid4().hex[:6]}"
    xqr.links.create("https://example.com", custom_slug=slug)
    with pytest.raises(ConflictError) as conflict:
        xqr.links.create("https://example.com", custom_slug=slug)
    _check(conflict.value, ConflictError, 409, "SLUG_TAKEN")


def test_other_statuses_raise_api_error_itself(xqr: XQR) -> None:
    with pytest.raises(APIError) as caught:
        xqr.request("PUT", "/links")
    _check(caught.value, APIError, 405, "METHOD_NOT_ALLOWED")


def test_server_errors_raise_server_error() -> None:
    body = (
        b'{"error":{"code":"INTERNAL_ERROR","message":"Unexpected error.","status":500},'
        b'"meta":{"request_id":"req_1234"}}'
    )
    with (
        Receiver([Reply(500, body=body, headers={"Content-Type": "application/json"})]) as stub,
        XQR(api_key="k", base_url=stub.url.rsplit("/", 1)[0], max_retries=0) as client,
        pytest.raises(ServerError) as caught,
    ):
        client.workspace.get()
    _check(caught.value, ServerError, 500, "INTERNAL_ERROR")


def test_a_non_envelope_error_still_maps_by_status() -> None:
    with (
        Receiver([Reply(502, body=b"<html>bad gateway</html>")]) as stub,
        XQR(api_key="k", base_url=stub.url.rsplit("/", 1)[0], max_retries=0) as client,
        pytest.raises(ServerError) as caught,
    ):
        client.links.list()
    assert (caught.value.status, caught.value.code) == (502, "HTTP_502")


def test_unreachable_server_raises_connection_error() -> None:
    with (
        XQR(api_key="k", base_url=f"http://127.0.0.1:{free_port()}", max_retries=0) as client,
        pytest.raises(XQRConnectionError) as caught,
    ):
        client.workspace.get()
    assert isinstance(caught.value, XQRError) and not isinstance(caught.value, APIError)


async def test_async_client_raises_the_same_classes(live: LiveServer) -> None:
    async with AsyncXQR(api_key="xqr_pk_nope", base_url=live.url) as client:
        with pytest.raises(AuthenticationError):
            await client.workspace.get()
    async with AsyncXQR(api_key=live.key, base_url=live.url) as client:
        with pytest.raises(NotFoundError):
            await client.bio.pages.get("not-a-uuid")
