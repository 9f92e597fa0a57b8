"""The SDK as a library: configuration, the public `__all__`, the drawn exception hierarchy,
models that keep unknown fields, and the generated synchronous twin being current."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import xqr.client
from xqr.client import (
    XQR,
    APIError,
    AsyncXQR,
    AuthenticationError,
    ConflictError,
    Link,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    XQRConnectionError,
    XQRError,
)

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_comes_from_arguments_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XQR_API_KEY", "from-env")
    monkeypatch.setenv("XQR_BASE_URL", "https://xqr.example.com/")
    client = XQR()
    assert (client.api_key, client.api_url) == ("from-env", "https://xqr.example.com/api/v1")
    explicit = AsyncXQR(api_key="arg", base_url="http://localhost:9000/api/v1")
    assert (explicit.api_key, explicit.api_url) == ("arg", "http://localhost:9000/api/v1")
    monkeypatch.delenv("XQR_BASE_URL")
    assert XQR().api_url == "http://localhost:8000/api/v1"
    monkeypatch.delenv("XQR_API_KEY")
    with pytest.raises(XQRError, match="XQR_API_KEY"):
        XQR()
    with pytest.raises(XQRError, match="http"):
        XQR(api_key="k", base_url="localhost:8000")


def test_all_lists_exactly_the_public_names() -> None:
    exported = set(xqr.client.__all__)
    assert len(exported) == len(xqr.client.__all__)
    for name in exported:
        assert hasattr(xqr.client, name), name
    public = {
        name
        for name, value in vars(xqr.client).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == exported
    # the implementation lives in private modules
    for name in exported - {"NOT_GIVEN"}:
        module = getattr(getattr(xqr.client, name), "__module__", "")
        assert module.startswith(("xqr.client._", "xqr.webhooks.signing")), (name, module)
    assert sorted(
        name for name in dir(xqr.client) if inspect.ismodule(getattr(xqr.client, name))
    ) == sorted(
        name
        for name in dir(xqr.client)
        if (inspect.ismodule(getattr(xqr.client, name)) and name.startswith("_")) or name == "cli"
    )


def test_the_docstring_draws_the_exception_hierarchy() -> None:
    doc = xqr.client.__doc__ or ""
    hierarchy = {
        XQRConnectionError: XQRError,
        APIError: XQRError,
        ValidationError: APIError,
        AuthenticationError: APIError,
        PermissionDeniedError: APIError,
        NotFoundError: APIError,
        ConflictError: APIError,
        RateLimitError: APIError,
        ServerError: APIError,
    }
    for cls, parent in hierarchy.items():
        assert cls.__bases__ == (parent,)
        assert cls.__name__ in doc
    assert doc.index("XQRError") < doc.index("APIError") < doc.index("ServerError")


def test_models_keep_fields_they_do_not_know() -> None:
    link = Link.model_validate(
        {
            "id": "l",
            "short_url": "https://s/abc",
            "short_code": "abc",
            "destination": "https://example.com",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "qr_scan_count": 7,
        }
    )
    assert link.qr_scan_count == 7  # type: ignore[attr-defined]
    assert link.to_dict()["qr_scan_count"] == 7
    assert link.to_dict()["created_at"] == "2026-01-01T00:00:00Z"


def test_sync_modules_are_generated_from_the_async_ones() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
