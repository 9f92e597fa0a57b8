"""`AsyncXQR`: the client, its HTTP plumbing and its retries.

Edit this module, not its generated synchronous twin (see `scripts/unasync.py`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from xqr import __version__
from xqr.client._async_resources import (
    AsyncAnalyticsResource,
    AsyncAssetsResource,
    AsyncBioResource,
    AsyncDomainsResource,
    AsyncLinksResource,
    AsyncQRResource,
    AsyncReportsResource,
    AsyncWebhooksResource,
    AsyncWorkspaceResource,
)
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
from xqr.client._types import FilePath, ProgressCallback

UPLOAD_CHUNK = 64 * 1024


class AsyncXQR:
    """A client of one xQR server.

    `api_key` defaults to `XQR_API_KEY`; `base_url` (the server, e.g.
    `http://localhost:8000`; `/api/v1` is added) to `XQR_BASE_URL`. Pass `http_client`
    (an `httpx.AsyncClient` you own) or `transport` to control the HTTP layer, e.g. in
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
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.api_key = resolve_api_key(api_key)
        self.api_url = resolve_api_url(base_url)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=False
        )
        self._headers = {"User-Agent": f"xqr-python/{__version__}", **(headers or {})}
        self.links = AsyncLinksResource(self)
        self.qr = AsyncQRResource(self)
        self.analytics = AsyncAnalyticsResource(self)
        self.bio = AsyncBioResource(self)
        self.assets = AsyncAssetsResource(self)
        self.webhooks = AsyncWebhooksResource(self)
        self.domains = AsyncDomainsResource(self)
        self.reports = AsyncReportsResource(self)
        self.workspace = AsyncWorkspaceResource(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.api_url!r})"

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncXQR:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def request(
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
        return await self._send(
            method, self.api_url + path, headers=headers, params=params, json=json
        )

    async def put_file(
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

        async def chunks() -> AsyncIterator[bytes]:
            sent = 0
            if progress is not None:
                progress(0, size)
            with open(path, "rb") as file:
                while chunk := file.read(UPLOAD_CHUNK):
                    sent += len(chunk)
                    yield chunk
                    if progress is not None:
                        progress(sent, size)

        return await self._send("PUT", url, headers=put_headers, content=chunks)

    async def _send(
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
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                delay = policy.delay_for_connection_error(method, attempt)
                if delay is None:
                    raise XQRConnectionError(
                        f"{method} {request.url} failed: {type(exc).__name__}: {exc}"
                    ) from exc
                await asyncio.sleep(delay)
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
            await asyncio.sleep(delay)
