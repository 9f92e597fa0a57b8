"""What the databases cannot store is refused at the edge, naming the field: text with NUL
or lone surrogates, and list offsets beyond their integers.

The cases come from the app's own OpenAPI document — every string a JSON body accepts, every
string query parameter, every list endpoint — so a new endpoint or field is covered without
editing this file.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import Account, assert_error, make_settings
from xqr.app import create_app
from xqr.core.pagination import MAX_OFFSET

# What a JSON client sends (`"\u0000"`, `"\ud800"`) and, for query strings, how those code
# points look percent-encoded (a lone surrogate has no UTF-8 form; this is its WTF-8 bytes).
BAD_TEXT = {"nul": "\u0000", "surrogate": "\ud800"}
BAD_QUERY = {name: quote(text.encode("utf-8", "surrogatepass")) for name, text in BAD_TEXT.items()}
REASON = {"nul": "NUL", "surrogate": "surrogate"}
SOME_ID = "0190a4f0-0000-7000-8000-000000000000"
# Bodies whose items the service validates one by one (see tests/links/test_bulk.py).
VALIDATED_ALONE = {("POST", "/api/v1/links/bulk")}


def _openapi() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        app = create_app(make_settings(f"sqlite+aiosqlite:///{root}/x.db", root / "data"))
        return app.api.openapi()


SPEC = _openapi()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def string_places(schema: dict[str, Any], at: tuple[str | int, ...] = ()) -> Iterator[tuple]:
    """Every place in a body where the schema accepts a string."""
    schema = _resolve(schema)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        seen: set[tuple] = set()
        for option in options:
            for place in string_places(option, at):
                if place not in seen:
                    seen.add(place)
                    yield place
        return
    kind = schema.get("type")
    if kind == "string" or not schema:  # `{}` accepts anything, strings included
        yield at
    elif kind == "array":
        yield from string_places(schema.get("items", {}), (*at, 0))
    elif kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from string_places(sub, (*at, name))


def body_with(at: tuple, value: Any) -> Any:
    for step in reversed(at):
        value = [value] if isinstance(step, int) else {step: value}
    return value


def field_name(at: tuple) -> str:
    name = ""
    for step in at:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else step)
    return name


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


BODY_CASES = [
    pytest.param(method, path, operation, id=f"{method} {path}")
    for method, path, operation in _operations()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
    and (method, path) not in VALIDATED_ALONE
]
QUERY_CASES = [
    pytest.param(method, path, parameter["name"], id=f"{method} {path}?{parameter['name']}")
    for method, path, operation in _operations()
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "query" and any(True for _ in string_places(parameter["schema"]))
]

LIST_CASES = [
    pytest.param(path, id=f"GET {path}")
    for method, path, operation in _operations()
    if method == "GET" and any(p["name"] == "offset" for p in operation.get("parameters", []))
]


def concrete(path: str) -> str:
    """The path with every `{parameter}` filled (validation answers before any lookup)."""
    parts = path.split("/")
    return "/".join(SOME_ID if p.startswith("{") else p for p in parts)


def test_the_cases_cover_the_api() -> None:
    bodies = {case.id for case in BODY_CASES}
    queries = {case.id for case in QUERY_CASES}
    assert {"POST /api/v1/links", "PATCH /api/v1/links/{link_id}", "POST /api/v1/bio/pages"} <= (
        bodies
    )
    assert {"GET /api/v1/links?search", "GET /api/v1/links?label"} <= queries
    assert len(bodies) >= 10 and len(queries) >= 10
    assert {"GET /api/v1/links", "GET /api/v1/webhooks"} <= {case.id for case in LIST_CASES}


@pytest.mark.parametrize(("method", "path", "operation"), BODY_CASES)
async def test_every_body_string_refuses_nul_and_lone_surrogates_naming_the_field(
    client: httpx.AsyncClient, account: Account, method: str, path: str, operation: dict[str, Any]
) -> None:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    places = list(string_places(schema))
    assert places, f"{method} {path} takes no string"
    for kind, text in BAD_TEXT.items():
        for at in places:
            response = await client.request(
                method,
                concrete(path),
                # json.dumps escapes as a JSON client would: "\u0000", "\ud800"
                content=json.dumps(body_with(at, text)),
                headers={**account.headers, "Content-Type": "application/json"},
            )
            error = assert_error(response, 400, "VALIDATION_ERROR")
            fields = [detail["field"] for detail in error["details"]]
            assert field_name(at) in fields, (kind, at, error)
            detail = error["details"][fields.index(field_name(at))]
            assert REASON[kind] in detail["message"], (kind, at, error)


@pytest.mark.parametrize(("method", "path", "name"), QUERY_CASES)
async def test_every_string_query_parameter_refuses_nul_and_lone_surrogates(
    client: httpx.AsyncClient, account: Account, method: str, path: str, name: str
) -> None:
    for kind, encoded in BAD_QUERY.items():
        response = await client.request(
            method, f"{concrete(path)}?{name}={encoded}", headers=account.headers
        )
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == name, (kind, error)
        expected = "NUL" if kind == "nul" else "UTF-8"
        assert expected in error["details"][0]["message"], (kind, error)
        assert error["message"].startswith(f"{name}: ")


async def test_nested_places_are_named_by_their_path(
    client: httpx.AsyncClient, account: Account
) -> None:
    cases = [
        ({"url": "https://example.com", "labels": ["a", "b", "\ud800"]}, "labels[2]"),
        (
            {
                "url": "https://example.com",
                "routing_rules": [{"destination": "https://example.com/\u0000", "priority": 1}],
            },
            "routing_rules[0].destination",
        ),
        (
            {"url": "https://example.com", "routing_rules": [{"conditions": {"\ud800": 1}}]},
            "routing_rules[0].conditions",
        ),
        ({"url": "https://example.com", "\u0000": 1}, "body"),
    ]
    for body, field in cases:
        response = await client.post(
            "/api/v1/links",
            content=json.dumps(body),
            headers={**account.headers, "Content-Type": "application/json"},
        )
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"] == [{"field": field, "message": error["details"][0]["message"]}], (
            error
        )
        assert field == "body" or error["message"].startswith(f"{field}: ")
    listed = await client.get("/api/v1/links", headers=account.headers)
    assert listed.json()["meta"]["total"] == 0


async def test_deeply_nested_bodies_are_walked_without_running_out_of_stack(
    client: httpx.AsyncClient, account: Account
) -> None:
    for depth in (950, 2000):  # as deep as the JSON parser goes, and deeper
        rules = "[" * depth + json.dumps("\u0000") + "]" * depth
        response = await client.post(
            "/api/v1/links",
            content='{"url": "https://example.com", "routing_rules": ' + rules + "}",
            headers={**account.headers, "Content-Type": "application/json"},
        )
        assert_error(response, 400, "VALIDATION_ERROR")


async def test_ordinary_unicode_passes_the_edge(
    client: httpx.AsyncClient, account: Account
) -> None:
    body = {"url": "https://例え.jp/パス?q=ü", "labels": ["été", "🎉 launch", "שלום"]}
    created = await client.post("/api/v1/links", json=body, headers=account.headers)
    assert created.status_code == 201, created.text
    found = await client.get(
        "/api/v1/links", params={"label": "🎉 launch", "search": "パス"}, headers=account.headers
    )
    assert [link["labels"] for link in found.json()["data"]] == [body["labels"]]


@pytest.mark.parametrize("path", LIST_CASES)
async def test_every_list_refuses_an_offset_beyond_the_maximum_naming_it(
    client: httpx.AsyncClient, account: Account, path: str
) -> None:
    for offset in (2**63, 2**63 - 1, 2**64, MAX_OFFSET + 1):
        response = await client.get(
            concrete(path), params={"offset": offset}, headers=account.headers
        )
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert [detail["field"] for detail in error["details"]] == ["offset"], error
    # The maximum itself is a valid (empty) page, or the parent's 404 for a made-up id.
    response = await client.get(
        concrete(path), params={"offset": MAX_OFFSET}, headers=account.headers
    )
    if "{" in path:
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    else:
        assert response.status_code == 200, response.text
        assert response.json()["meta"]["offset"] == MAX_OFFSET
        assert response.json()["data"] == []
