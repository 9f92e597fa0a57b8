"""A failed statement is logged without the values it was writing: they may be secrets."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import DBAPIError

from tests.conftest import BACKEND
from xqr.core.logging import configure_logging
from xqr.db.engine import make_engine, make_sessionmaker
from xqr.webhooks.models import WebhookEndpoint
from xqr.webhooks.signing import new_signing_secret
from xqr.workspaces.service import create_workspace

MARKER = "bound-parameter-marker"


@pytest.fixture(autouse=True)
def _server_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    configure_logging("INFO")
    yield
    root.setLevel(level)


@pytest.mark.parametrize(
    "failure",
    [
        "a workspace that does not exist",
        pytest.param(
            "a NUL character",
            marks=pytest.mark.skipif(
                BACKEND != "postgres",
                reason="SQLite stores NUL characters; the foreign-key case fails there instead",
            ),
        ),
    ],
)
async def test_a_failed_insert_is_logged_without_its_bound_parameters(
    db_url: str, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    engine = make_engine(db_url)
    sessionmaker = make_sessionmaker(engine)
    secret = new_signing_secret()
    try:
        async with sessionmaker() as session:
            if failure == "a NUL character":
                workspace = await create_workspace(session, name="Acme", plan="enterprise")
                workspace_id, description = workspace.id, f"{MARKER}\x00"
            else:
                workspace_id, description = uuid.uuid4(), MARKER
            session.add(
                WebhookEndpoint(
                    workspace_id=workspace_id,
                    url=f"https://{MARKER}.example.com/hook",
                    events=["*"],
                    description=description,
                    secret=secret,
                    enabled=True,
                )
            )
            with pytest.raises(DBAPIError) as caught:
                await session.flush()
    finally:
        await engine.dispose()
    caplog.set_level(logging.INFO)
    # What the API's error handler does with an unexpected error.
    logging.getLogger("xqr.errors").exception("request failed", exc_info=caught.value)
    assert "INSERT INTO webhook_endpoints" in caplog.text
    assert secret not in caplog.text and "whsec_" not in caplog.text
    assert MARKER not in caplog.text
    assert "[parameters:" not in caplog.text
