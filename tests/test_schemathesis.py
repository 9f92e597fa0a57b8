"""Schemathesis over every operation of the OpenAPI document, in process on SQLite.

Requests are generated from the document (valid and invalid ones), sent with a key holding
every scope, and each answer must not be a server error, must match the schema the document
gives for its status, and must be the envelope whose `meta.request_id` is the response's
`X-Request-ID`. Path ids are either generated or ones of real resources, so the answers of
existing resources are checked too.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import AccountFactory, make_settings
from xqr.app import API_PREFIX, create_app
from xqr.context import AppContext
from xqr.db.engine import make_engine
from xqr.db.migrate import upgrade

# Examples per operation: enough to reach every field's edges, small enough for two cores.
MAX_EXAMPLES = 15

# Ids of real resources by path parameter name, filled in by the `api` fixture: some for
# DELETE alone, so that the others stay for the operations that run after it.
REAL_IDS: dict[str, str] = {}
DELETABLE_IDS: dict[str, str] = {}


@schemathesis.check
def envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every JSON answer is `{data, meta}` or `{error, meta}`, with the request id."""
    if not response.headers.get("content-type", [""])[0].startswith("application/json"):
        return None
    body = json.loads(response.content)
    ok = 200 <= response.status_code < 300
    expected = {"data", "meta"} if ok else {"error", "meta"}
    assert set(body) == expected, f"{response.status_code}: keys {sorted(body)}"
    assert body["meta"].get("request_id") == response.headers["x-request-id"][0]
    if not ok:
        assert body["error"].get("status") == response.status_code
    return True


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Generated ids, or those of real resources."""
    ids = DELETABLE_IDS if context.operation.method.upper() == "DELETE" else REAL_IDS
    real = {name: ids[name] for name in path_parameters or {} if name in ids}
    if not real:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, **real}])


async def _seed_key(settings: Any) -> str:
    ctx = AppContext.from_settings(settings)
    try:
        return (await AccountFactory(ctx)(scopes="*")).key
    finally:
        await ctx.close()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _create(client: Any, headers: dict[str, str], path: str, body: dict[str, Any]) -> str:
    response = client.post(f"{API_PREFIX}{path}", json=body, headers=headers)
    assert response.status_code in (200, 201, 202), response.text
    return str(response.json()["data"]["id"])


def _seed_resources(client: asgi.ASGIClient, headers: dict[str, str]) -> None:
    for ids in (REAL_IDS, DELETABLE_IDS):
        ids["link_id"] = _create(client, headers, "/links", {"url": "https://example.com"})
        ids["template_id"] = _create(client, headers, "/qr/templates", {"name": "T"})
        ids["page_id"] = _create(client, headers, "/bio/pages", {"title": "Ada"})
        webhook = {"url": "https://127.0.0.1:9/hook", "events": ["*"]}
        ids["webhook_id"] = _create(client, headers, "/webhooks", webhook)
        presign = {"filename": "logo.png", "content_type": "image/png"}
        response = client.post(f"{API_PREFIX}/assets/presign", json=presign, headers=headers)
        ids["asset_id"] = response.json()["data"]["asset_id"]
        domain = {"hostname": f"seed-{len(ids)}-{id(ids)}.invalid"}
        ids["domain_id"] = _create(client, headers, "/domains", domain)
    delivery = f"/webhooks/{REAL_IDS['webhook_id']}/test"
    REAL_IDS["delivery_id"] = _create(client, headers, delivery, {})
    bulk = {"links": [{"url": "https://example.com/a"}, {"url": "ftp://refused"}]}
    response = client.post(f"{API_PREFIX}/links/bulk", json=bulk, headers=headers)
    REAL_IDS["batch_id"] = response.json()["data"]["batch_id"]


def _document() -> dict[str, Any]:
    """The OpenAPI document, made without a database (the operations are known at collection)."""
    with tempfile.TemporaryDirectory() as folder:
        app_settings = make_settings(f"sqlite+aiosqlite:///{folder}/unused.db", Path(folder))
        document: dict[str, Any] = create_app(app_settings).api.openapi()
    return document


schema = schemathesis.openapi.from_dict(_document())


@dataclass
class Api:
    client: asgi.ASGIClient  # sends to the app in process
    headers: dict[str, str]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An app on a fresh SQLite database with real resources, and a key with every scope."""
    folder = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite+aiosqlite:///{folder}/xqr.db"
    asyncio.run(_migrate(url))
    app_settings = make_settings(url, Path(folder) / "data")
    headers = {"Authorization": f"Bearer {asyncio.run(_seed_key(app_settings))}"}
    app = create_app(app_settings)
    with asgi.get_client(app) as client:
        _seed_resources(client, headers)
        yield Api(client, headers)
    asgi.shutdown_lifespans()
    REAL_IDS.clear()
    DELETABLE_IDS.clear()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented(case: Any, api: Api) -> None:
    case.call_and_validate(
        base_url="http://testserver",
        session=api.client,
        headers=api.headers,
        checks=[not_a_server_error, response_schema_conformance, envelope],
    )
