# Generated from _async_client.py by scripts/unasync.py: do not edit.
"""`XQR`: the client, its HTTP plumbing and its retries.

Generated from its asynchronous twin: edit that one, not this module (see `scripts/unasync.py`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from xqr import __version__
from xqr.client._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    RetryPolicy,
    resolve_api_key,
    resolve_api_url,
)
from xqr.client._errors import (
    RateLimitError,
    XQRConnectionError,
    XQRError,
    error_from_response,
)
from xqr.client._sync_resources import (
    AnalyticsResource,
    AssetsResource,
    BioResource,
    DomainsResource,
    LinksResource,
    QRResource,
    ReportsResource,
    WebhooksResource,
    WorkspaceResource,
)
from xqr.client._types import FilePath, ProgressCallback

UPLOAD_CHUNK = 64 * 1024


class XQR:
    """A client of one xQR server.

    `api_key` defaults to `XQR_API_KEY`; `base_url` (the server, e.g.
    `http://localhost:8000`; `/api/v1` is added) to `XQR_BASE_URL`. Pass `http_client`
    (an `httpx.Client` you own) or `transport` to control the HTTP layer, e.g. in
    tests. Close the client (or use it as a context manager) to free its connections.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.api_key = resolve_api_key(api_key)
        self.api_url = resolve_api_url(base_url)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False
        )
        self._headers = {"User-Agent": f"xqr-python/{__version__}", **(headers or {})}
        self.links = LinksResource(self)
        self.qr = QRResource(self)
        self.analytics = AnalyticsResource(self)
        self.bio = BioResource(self)
        self.assets = AssetsResource(self)
        self.webhooks = WebhooksResource(self)
        self.domains = DomainsResource(self)
        self.reports = ReportsResource(self)
        self.workspace = WorkspaceResource(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.api_url!r})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> XQR:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        accept: str = "application/json",
    ) -> httpx.Response:
        """Send an API request (path under `/api/v1`), retrying as the retry policy says.

        Returns the successful response; raises an `APIError` subclass for an error answer
        and `XQRConnectionError` when the server cannot be reached.
        """
        headers = {
            **self._headers,
            "Authorization": f"Bearer {self.api_key}",
            "Accept": accept,
        }
        return self._send(method, self.api_url + path, headers=headers, params=params, json=json)

    def put_file(
        self,
        url: str,
        path: FilePath,
        *,
        headers: Mapping[str, str],
        progress: ProgressCallback | None = None,
    ) -> httpx.Response:
        """PUT a file's bytes to a presigned URL, streaming it in chunks.

        The API key is not sent: the URL carries its own signature (and may be another host).
        """
        size = os.path.getsize(path)
        put_headers = {**self._headers, **headers, "Content-Length": str(size)}

        def chunks() -> Iterator[bytes]:
            sent = 0
            if progress is not None:
                progress(0, size)
            with open(path, "rb") as file:
                while chunk := file.read(UPLOAD_CHUNK):
                    sent += len(chunk)
                    yield chunk
                    if progress is not None:
                        progress(sent, size)

        return self._send("PUT", url, headers=put_headers, content=chunks)

    def _send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
    ) -> httpx.Response:
        policy = self.retry_policy
        attempt = 0
        while True:
            attempt += 1
            request = self._http.build_request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                content=content() if content is not None else None,
            )
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                delay = policy.delay_for_connection_error(method, attempt)
                if delay is None:
                    raise XQRConnectionError(
                        f"{method} {request.url} failed: {type(exc).__name__}: {exc}"
                    ) from exc
                time.sleep(delay)
                continue
            except httpx.HTTPError as exc:
                raise XQRError(f"{method} {request.url} failed: {exc}") from exc
            if response.is_success:
                return response
            error = error_from_response(response)
            retry_after = error.retry_after if isinstance(error, RateLimitError) else None
            delay = policy.delay_for_status(method, response.status_code, retry_after, attempt)
            if delay is None:
                raise error
            time.sleep(delay)
