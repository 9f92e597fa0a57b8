"""Failed authentications per client address: past a limit, the address is answered 429.

Guessing keys, or presenting made-up prefixes so each costs a database lookup, then stops
early: after `limit` failed authentications within `window` seconds an address is refused
for `window` seconds. A refused address may still use a key this process holds verified in
memory (someone else behind the same proxy must not lock a real user out); anything that
would need the database, or fails, is answered 429 with Retry-After. Each server process
keeps its own counts, like the burst buckets.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from xqr.core.errors import ApiError
from xqr.core.memo import BoundedMemo
from xqr.scans.enrichment import client_ip, parse_trusted_proxies

# Addresses tracked at once; past it, the ones with nothing current are forgotten first.
MAX_ADDRESSES = 100_000
# One IPv6 subscriber usually holds a whole /64, so its addresses are counted together.
IPV6_GROUP_PREFIX = 64


@dataclass
class _Address:
    window_start: float
    failures: int = 0
    refused_until: float = 0.0
    # Prefixes being looked up for this address now → how many requests wait on each.
    lookups: dict[str, int] = field(default_factory=dict)


class FailedAuthentications:
    """In-process counts of failed authentications per client address (0 `limit`: off)."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        trusted_proxies: str = "",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.trusted = parse_trusted_proxies(trusted_proxies)
        self._clock = monotonic
        self._addresses: BoundedMemo[str, _Address] = BoundedMemo(
            MAX_ADDRESSES, keep=self._still_current
        )

    def address(self, connection: Mapping[str, Any]) -> str:
        """The client address of an ASGI connection, as the redirect path works it out
        (`X-Forwarded-For` believed from `XQR_TRUSTED_PROXIES` only), IPv6 as its /64."""
        client = connection.get("client")
        peer = client[0] if client else ""
        ip = peer
        if self.trusted:
            forwarded = b",".join(
                value for name, value in connection.get("headers", ()) if name == b"x-forwarded-for"
            )
            if forwarded:
                ip = client_ip(peer, forwarded.decode("latin-1"), self.trusted)
        if ":" in ip:
            try:
                network = ipaddress.IPv6Network(f"{ip}/{IPV6_GROUP_PREFIX}", strict=False)
            except ValueError:
                return ip
            return str(network)
        return ip

    def refused_for(self, address: str) -> int:
        """Seconds until `address` is served again; 0 when it is not refused."""
        if self.limit <= 0:
            return 0
        entry = self._addresses.get(address)
        if entry is None:
            return 0
        left = entry.refused_until - self._clock()
        return max(1, math.ceil(left)) if left > 0 else 0

    def failed(self, address: str) -> None:
        """Count one failed authentication; the one that reaches the limit starts the refusal."""
        if self.limit <= 0:
            return
        now = self._clock()
        entry = self._current(address, now)
        entry.failures += 1
        if entry.failures >= self.limit:
            entry.refused_until = now + self.window

    @contextmanager
    def lookup(self, address: str, prefix: str) -> Iterator[None]:
        """Around a database lookup of `prefix` for `address`: refused (ApiError 429) while the
        address is, or while its failures and the other prefixes it is looking up reach the
        limit, so concurrent requests cannot start more lookups than sequential ones."""
        if self.limit <= 0:
            yield
            return
        now = self._clock()
        entry = self._current(address, now)
        if entry.refused_until > now:
            raise refusal(max(1, math.ceil(entry.refused_until - now)))
        others = len(entry.lookups) - (prefix in entry.lookups)
        if entry.failures + others >= self.limit:
            raise refusal(1)
        entry.lookups[prefix] = entry.lookups.get(prefix, 0) + 1
        try:
            yield
        finally:
            waiting = entry.lookups.get(prefix, 1) - 1
            if waiting:
                entry.lookups[prefix] = waiting
            else:
                entry.lookups.pop(prefix, None)

    def _current(self, address: str, now: float) -> _Address:
        entry = self._addresses.get(address)
        if entry is None:
            entry = self._addresses[address] = _Address(window_start=now)
        elif entry.refused_until <= now and now - entry.window_start >= self.window:
            entry.window_start, entry.failures, entry.refused_until = now, 0, 0.0
        return entry

    def _still_current(self, _address: str, entry: _Address) -> bool:
        """Whether an address's entry still matters: a lookup, a refusal or failures within
        the window."""
        now = self._clock()
        return bool(
            entry.lookups
            or entry.refused_until > now
            or (entry.failures and now - entry.window_start < self.window)
        )


def refusal(retry_after: int) -> ApiError:
    return ApiError(
        "BURST_LIMIT_EXCEEDED",
        "Too many failed authentications from this address. "
        f"Retry after {retry_after} s with a valid API key.",
        headers={"Retry-After": str(retry_after)},
    )


class AddressGuard:
    """One request's side of FailedAuthentications; its address is worked out once, and only
    when needed (a cached, valid key never needs it)."""

    def __init__(self, failures: FailedAuthentications, connection: Mapping[str, Any]) -> None:
        self.failures = failures
        self.connection = connection
        self._address: str | None = None

    @property
    def address(self) -> str:
        if self._address is None:
            self._address = self.failures.address(self.connection)
        return self._address

    def lookup(self, prefix: str) -> AbstractContextManager[None]:
        return self.failures.lookup(self.address, prefix)

    def failed(self) -> None:
        """Count this request's failure; raises the 429 instead when the address is refused."""
        retry_after = self.failures.refused_for(self.address)
        if retry_after:
            raise refusal(retry_after)
        self.failures.failed(self.address)
