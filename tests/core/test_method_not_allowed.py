"""405 answers name every method the path takes, however many routes share it."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account, assert_error

ANY_ID = "01a217ff-ef0e-7457-8105-15aadae3c5e7"


def allowed(response: httpx.Response) -> set[str]:
    return {method.strip() for method in response.headers["allow"].split(",")}


@pytest.mark.parametrize(
    ("method", "path", "methods"),
    [
        ("PUT", f"/api/v1/links/{ANY_ID}", {"GET", "PATCH", "DELETE"}),
        ("POST", f"/api/v1/qr/templates/{ANY_ID}", {"GET", "PATCH", "DELETE"}),
        ("DELETE", "/api/v1/qr/templates", {"GET", "POST"}),
        ("PUT", "/api/v1/links", {"GET", "POST"}),
    ],
)
async def test_allow_lists_the_methods_of_every_route_of_the_path(
    client: httpx.AsyncClient, account: Account, method: str, path: str, methods: set[str]
) -> None:
    response = await client.request(method, path, headers=account.headers)
    error = assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert error["message"] == f"{method} is not allowed on {path}."
    assert allowed(response) == methods


async def test_a_path_of_one_route_keeps_its_methods(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.put("/api/v1/qr/generate", headers=account.headers)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert allowed(response) == {"POST"}
