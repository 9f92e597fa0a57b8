"""Where the client's API key and base URL come from, and how it retries."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

from xqr.client._errors import XQRError

DEFAULT_BASE_URL = "http://localhost:8000"
API_PATH = "/api/v1"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
# Methods that may be sent twice without changing the result. POST and PATCH are not
# retried after a 5xx or a dropped connection: the first attempt may have taken effect.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def resolve_api_key(api_key: str | None) -> str:
    key = api_key or os.environ.get("XQR_API_KEY")
    if not key:
        raise XQRError("No API key: pass api_key=... or set XQR_API_KEY.")
    return key


def resolve_api_url(base_url: str | None) -> str:
    """The API root: the server's base URL (argument, XQR_BASE_URL, default) plus /api/v1."""
    url = (base_url or os.environ.get("XQR_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise XQRError(f"The base URL must start with http:// or https://, got {url!r}.")
    return url if url.endswith(API_PATH) else url + API_PATH


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before sending a request again.

    A 429 is retried whatever the method (the server refused it before doing anything),
    waiting what `Retry-After` says, unless that is longer than `max_retry_after` (a spent
    monthly quota says "next month": the error is raised at once). 5xx answers and
    connection errors are retried only for idempotent methods, with exponential backoff
    and jitter.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def backoff_delay(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1-based) of a 5xx or connection error."""
        delay: float = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return delay * (0.75 + random.random() / 2)

    def delay_for_status(
        self, method: str, status: int, retry_after: float | None, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying an answer with `status`, or None to give up."""
        if attempt > self.max_retries:
            return None
        if status == 429:
            if retry_after is None:
                return self.backoff_delay(attempt)
            return retry_after if retry_after <= self.max_retry_after else None
        if status >= 500 and method in IDEMPOTENT_METHODS:
            if retry_after is not None and retry_after <= self.max_retry_after:
                return max(retry_after, self.backoff_delay(attempt))
            return self.backoff_delay(attempt)
        return None

    def delay_for_connection_error(self, method: str, attempt: int) -> float | None:
        if attempt > self.max_retries or method not in IDEMPOTENT_METHODS:
            return None
        return self.backoff_delay(attempt)
