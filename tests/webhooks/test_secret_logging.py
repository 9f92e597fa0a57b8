"""A webhook whose insert fails in the database answers 500 and logs neither its signing
secret nor any value the statement was writing."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import Account, assert_error
from xqr.context import AppContext
from xqr.core.logging import configure_logging
from xqr.core.sealing import SEALED_PREFIX

API = "/api/v1/webhooks"
REFUSED = "a description the database refuses"
URL_MARKER = "bound-parameter-marker"
REASON = "the database refused this row"

SQLITE_TRIGGER = f"""
CREATE TRIGGER refuse_webhook BEFORE INSERT ON webhook_endpoints
WHEN NEW.description = '{REFUSED}'
BEGIN SELECT RAISE(ABORT, '{REASON}'); END
"""
POSTGRES_TRIGGER = [
    f"""
CREATE FUNCTION refuse_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.description = '{REFUSED}' THEN RAISE EXCEPTION '{REASON}'; END IF;
    RETURN NEW;
END $$
""",
    """
CREATE TRIGGER refuse_webhook BEFORE INSERT ON webhook_endpoints
FOR EACH ROW EXECUTE FUNCTION refuse_webhook()
""",
]


@pytest.fixture(autouse=True)
def _server_logging() -> Iterator[None]:
    """The logging set-up of `xqr serve`."""
    root = logging.getLogger()
    level = root.level
    configure_logging("INFO")
    yield
    root.setLevel(level)


async def refuse_some_inserts(ctx: AppContext) -> None:
    """A trigger that fails the insert of a webhook with the `REFUSED` description, as a
    database fails a statement it cannot store (PostgreSQL and a NUL character, a full
    disk, a constraint)."""
    statements = [SQLITE_TRIGGER] if ctx.settings.is_sqlite else POSTGRES_TRIGGER
    async with ctx.engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


async def test_a_failing_insert_logs_no_signing_secret_and_no_bound_parameters(
    client: httpx.AsyncClient, account: Account, ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    await refuse_some_inserts(ctx)
    caplog.set_level(logging.INFO)
    response = await client.post(
        API,
        json={
            "url": f"https://{URL_MARKER}.example.com/hook",
            "events": ["*"],
            "description": REFUSED,
        },
        headers=account.headers,
    )
    assert_error(response, 500, "INTERNAL_ERROR")
    log = caplog.text
    # The failed statement was logged, with the database's reason ...
    assert "INSERT INTO webhook_endpoints" in log and REASON in log
    # ... and without the secret or any value it was writing.
    assert "whsec_" not in log and SEALED_PREFIX not in log
    assert URL_MARKER not in log and REFUSED not in log
