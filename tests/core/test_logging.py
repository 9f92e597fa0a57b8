"""Log redaction: every secret format xQR issues is removed from every log record, and
records keep their shape (uvicorn's access log reads its arguments itself)."""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter

from tests.support.server import ServerProcess, xqr_env
from xqr.assets.storage.filesystem import FilesystemStorage
from xqr.assets.storage.s3 import S3Storage
from xqr.auth.keys import generate_key
from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.core.logging import configure_logging, install_redaction, redact_text
from xqr.webhooks.signing import new_signing_secret


@pytest.fixture(autouse=True)
def _server_logging() -> Iterator[None]:
    """The logging set-up `xqr serve` and `xqr worker` use."""
    root = logging.getLogger()
    level = root.level
    configure_logging("INFO")
    yield
    root.setLevel(level)


# --- one redaction function, per format ------------------------------------------------------


def test_an_api_key_keeps_its_prefix_and_loses_its_secret() -> None:
    key = generate_key()
    cleaned = redact_text(f"GET /api/v1/links?api_key={key.full} HTTP/1.1")
    assert cleaned == f"GET /api/v1/links?api_key=xqr_pk_{key.prefix}.[redacted] HTTP/1.1"


def test_a_cut_short_api_key_loses_what_it_has_of_its_secret() -> None:
    key = generate_key()
    cleaned = redact_text(f"pasted {key.full[:30]}")
    assert cleaned == f"pasted xqr_pk_{key.prefix}.[redacted]"


def test_a_webhook_signing_secret_is_redacted() -> None:
    secret = new_signing_secret()
    cleaned = redact_text(f"[parameters: ('https://a.example/hook', '{secret}', 1)]")
    assert cleaned == "[parameters: ('https://a.example/hook', 'whsec_[redacted]', 1)]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.DEF-123_x", "Authorization: Bearer [redacted]"),
        ("(b'authorization', b'bearer tok3n')", "(b'authorization', b'bearer [redacted]')"),
        ("GET /x?auth=Bearer%20tok3n&y=1", "GET /x?auth=Bearer%20[redacted]&y=1"),
    ],
)
def test_a_bearer_token_is_redacted_whatever_it_holds(text: str, expected: str) -> None:
    assert redact_text(text) == expected


async def test_a_presigned_upload_url_loses_its_signature(tmp_path: Path) -> None:
    storage = FilesystemStorage(
        tmp_path,
        secret=b"server-secret",
        upload_base_url="https://xqr.example.com",
        public_base_url="https://xqr.example.com/cdn",
        max_file_bytes=1024,
    )
    asset_id = uuid.uuid4()
    presigned = await storage.presign_put(
        asset_id=asset_id,
        key="k",
        content_type="image/png",
        expires_at=utcnow() + timedelta(minutes=15),
    )
    [signature] = parse_qs(urlsplit(presigned.url).query)["signature"]
    cleaned = redact_text(f'PUT {presigned.url} HTTP/1.1" 200')
    assert signature not in cleaned
    assert f"/_uploads/{asset_id}?expires=" in cleaned
    assert "&signature=[redacted] HTTP/1.1" in cleaned


async def test_an_s3_presigned_url_loses_its_signature_and_session_token(tmp_path: Path) -> None:
    storage = S3Storage(
        Settings(
            data_dir=tmp_path,
            storage_backend="s3",
            s3_endpoint_url="http://127.0.0.1:9",
            s3_access_key_id="AKIDEXAMPLE",
            s3_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        )
    )
    presigned = await storage.presign_put(
        asset_id=uuid.uuid4(),
        key="w/a/logo.png",
        content_type="image/png",
        expires_at=utcnow() + timedelta(minutes=15),
    )
    token_url = presigned.url + "&X-Amz-Security-Token=FwoGZXIvYXdzEJr%2F%2Fsession"
    [signature] = parse_qs(urlsplit(presigned.url).query)["X-Amz-Signature"]
    cleaned = redact_text(token_url)
    assert signature not in cleaned and "FwoGZXIvYXdz" not in cleaned
    assert "X-Amz-Signature=[redacted]" in cleaned
    assert cleaned.endswith("X-Amz-Security-Token=[redacted]")


def test_a_password_in_a_url_is_redacted() -> None:
    cleaned = redact_text("connecting to postgresql+asyncpg://xqr:s3cr%40t@db.internal/xqr")
    assert cleaned == "connecting to postgresql+asyncpg://xqr:[redacted]@db.internal/xqr"


def test_text_without_secrets_is_left_alone() -> None:
    text = 'GET /api/v1/links?limit=5 HTTP/1.1" 200 https://example.com:8443/a@b whsec_ xqr_pk_'
    assert redact_text(text) == text


# --- every record, whoever logs it -----------------------------------------------------------


def test_a_secret_in_a_log_argument_is_redacted_and_the_record_keeps_its_arguments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = new_signing_secret()
    caplog.set_level(logging.INFO)
    logging.getLogger("xqr.test").info("endpoint %s signs with %s (%d)", "e1", secret, 7)
    [record] = caplog.records
    assert record.args == ("e1", "whsec_[redacted]", 7)
    assert record.getMessage() == "endpoint e1 signs with whsec_[redacted] (7)"
    assert secret not in caplog.text


def test_a_secret_in_an_exception_s_message_is_redacted_from_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = generate_key()
    secret = new_signing_secret()
    caplog.set_level(logging.INFO)
    try:
        raise RuntimeError(f"statement failed: [parameters: ('{secret}', '{key.full}')]")
    except RuntimeError:
        logging.getLogger("xqr.test").exception("request failed")
    assert "statement failed" in caplog.text and "Traceback" in caplog.text
    assert secret not in caplog.text
    assert key.secret not in caplog.text
    assert f"xqr_pk_{key.prefix}.[redacted]" in caplog.text


def test_a_malformed_call_is_reported_without_its_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = new_signing_secret()
    handler = logging.StreamHandler(io.StringIO())
    logger = logging.getLogger("xqr.test.malformed")
    logger.addHandler(handler)
    logger.propagate = False  # only this plain handler: logging reports its error on stderr
    try:
        logger.warning("two placeholders %s %s, one argument", secret)
    finally:
        logger.removeHandler(handler)
    report = capsys.readouterr().err
    assert "Logging error" in report and "whsec_[redacted]" in report
    assert secret not in report


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """uvicorn's access logger, writing through uvicorn's own access formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        AccessFormatter(LOGGING_CONFIG["formatters"]["access"]["fmt"], use_colors=False)
    )
    logger = logging.getLogger("uvicorn.access")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.handlers, logger.propagate = saved[0], saved[2]
        logger.setLevel(saved[1])


def test_the_access_log_line_of_a_request_with_a_key_in_its_path_is_written_redacted(
    access_log: io.StringIO,
) -> None:
    install_redaction()
    key = generate_key()
    # The call uvicorn's HTTP protocols make for every response.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:51234",
        "GET",
        f"/api/v1/workspace?api_key={key.full}",
        "1.1",
        401,
    )
    assert access_log.getvalue() == (
        f'INFO:     127.0.0.1:51234 - "GET /api/v1/workspace?api_key=xqr_pk_{key.prefix}.'
        '[redacted] HTTP/1.1" 401 Unauthorized\n'
    )


@pytest.mark.e2e
def test_a_running_server_logs_the_request_with_a_key_in_its_query_redacted(
    db_url: str, tmp_path: Path
) -> None:
    with ServerProcess(xqr_env(db_url, tmp_path / "data"), tmp_path) as server:
        key = generate_key()
        response = httpx.get(f"{server.url}/api/v1/workspace?api_key={key.full}")
        assert response.status_code == 401
        expected = f'"GET /api/v1/workspace?api_key=xqr_pk_{key.prefix}.[redacted] HTTP/1.1" 401'
        # uvicorn writes its access log to standard output, logging's own errors to stderr.
        deadline = time.monotonic() + 10
        while expected not in server.stdout() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = server.stdout() + server.stderr()
    assert expected in log
    assert key.secret not in log
    assert "Logging error" not in log
