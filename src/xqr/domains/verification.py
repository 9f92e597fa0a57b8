"""Domain verification without DNS access: the server fetches
`http://HOST/.well-known/xqr-verify/<token>` and expects its own answer for that token.

The answer is an HMAC of the token under the server's secret, so only a host whose traffic
really reaches this server (or a server sharing its `XQR_SECRET_KEY`) answers it right. Every
request goes through the URL-safety guard: the host must resolve to public addresses (unless
private ones are allowed, `XQR_WEBHOOKS_ALLOW_PRIVATE`), and each redirect (a proxy sending
http to https, say) is checked again; at most `MAX_REDIRECTS` are followed.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urljoin, urlsplit

import httpx

from xqr import __version__
from xqr.core.netguard import UnsafeURLError, guarded_async_client

WELL_KNOWN_PREFIX = "/.well-known/xqr-verify/"
MAX_REDIRECTS = 3
MAX_ANSWER = 1024
TIMEOUT_SECONDS = 10.0
USER_AGENT = f"xQR-DomainVerify/{__version__}"
MAX_REASON = 255


def expected_answer(secret: bytes, token: str) -> str:
    """What this server answers at the verification path for `token`."""
    return hmac.new(secret, b"xqr-verify:" + token.encode(), hashlib.sha256).hexdigest()


class DomainVerifier:
    """Fetches verification answers; one per process part that verifies (API, worker)."""

    def __init__(self, *, secret: bytes, allow_private: bool, via: str = "") -> None:
        self.secret = secret
        self.allow_private = allow_private
        # `address:port` every first request connects to (the operator's choice, so exempt
        # from the private-address check); redirects are resolved and checked as usual.
        self.via = via.strip()
        exempt = frozenset({self.via.rsplit(":", 1)[0].strip("[]").lower()}) if self.via else None
        self.exempt = exempt or frozenset()

    async def check(self, hostname: str, token: str) -> str | None:
        """None when the host answered right, else the reason it did not (user-facing)."""
        path = WELL_KNOWN_PREFIX + token
        url = f"http://{hostname}{path}"
        first = f"http://{self.via}{path}" if self.via else url
        headers = {"user-agent": USER_AGENT, "host": hostname}
        try:
            async with guarded_async_client(
                allow_private=self.allow_private, timeout=TIMEOUT_SECONDS, exempt_hosts=self.exempt
            ) as client:
                response = await self._follow(client, first, url, headers)
        except UnsafeURLError as exc:
            return _short(f"Refused: {exc}")
        except httpx.HTTPError as exc:
            return _short(f"{url} could not be fetched: {str(exc) or type(exc).__name__}")
        if isinstance(response, str):
            return response
        status, body = response
        if status != 200:
            return _short(f"{url} answered HTTP {status}; is the host pointed at this server?")
        if body.strip() != expected_answer(self.secret, token):
            return _short(
                f"{url} answered, but not with this server's answer for the token; the host "
                "reaches another server."
            )
        return None

    async def _follow(
        self, client: httpx.AsyncClient, first: str, url: str, headers: dict[str, str]
    ) -> tuple[int, str] | str:
        target = first
        for _ in range(MAX_REDIRECTS + 1):
            async with client.stream("GET", target, headers=headers) as response:
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("location", "")
                    url = urljoin(url, location)
                    if urlsplit(url).scheme not in ("http", "https"):
                        return _short(f"The host redirected to {location!r}, which is not http(s).")
                    target = url
                    headers = {"user-agent": USER_AGENT}
                    continue
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER:
                        break
                return response.status_code, body[:MAX_ANSWER].decode("latin-1")
        return _short(f"The host redirected more than {MAX_REDIRECTS} times.")


def _short(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
