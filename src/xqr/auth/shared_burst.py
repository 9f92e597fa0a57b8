"""Burst limiting shared by every process through Redis: GCRA in one atomic script.

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time
(TAT) of the next request; a request is allowed when taking it would not put the TAT more than
one second's worth of requests (the plan's rate) ahead of now. That is the same bucket as
`ratelimit.BurstLimiter` (`rate` at once, then `rate` a second), exact across processes and
machines: the script runs atomically in Redis, on Redis's clock, in one round trip.

When Redis does not answer within `XQR_REDIS_TIMEOUT_MS`, or is known to be away, the request
is limited by this process's own buckets instead; it is never refused because Redis is away.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from xqr.auth.ratelimit import BurstDecision, BurstLimiter
from xqr.cluster.link import RedisLink

KEY_PREFIX = "xqr:burst:"
# KEYS[1]: the key's TAT in microseconds. ARGV[1]: requests per second; ARGV[2]: 1 to take a
# request, 0 to look only. Answers {allowed (0|1), remaining, microseconds to wait}.
GCRA = """
local rate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = math.floor(1000000 / rate)
local window = interval * rate
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if ARGV[2] ~= '1' then
  return {1, math.floor((now + window - tat) / interval), 0}
end
local next_tat = tat + interval
if next_tat - now > window then
  return {0, 0, next_tat - now - window}
end
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX',
  math.ceil((next_tat - now) / 1000) + 1000)
return {1, math.floor((now + window - next_tat) / interval), 0}
"""


class SharedBurstLimiter:
    """`take`/`peek` like BurstLimiter, against Redis; `local()` is the fallback."""

    def __init__(self, link: RedisLink, local: Callable[[], BurstLimiter]) -> None:
        self.link = link
        self.local = local
        self._script = link.client.register_script(GCRA)

    async def take(self, key: str, rate: int) -> BurstDecision:
        return await self._decide(key, rate, take=True)

    async def peek(self, key: str, rate: int) -> BurstDecision:
        return await self._decide(key, rate, take=False)

    async def _decide(self, key: str, rate: int, *, take: bool) -> BurstDecision:
        local = self.local()
        if not self.link.up or rate <= 0:
            return local.take(key, rate) if take else local.peek(key, rate)
        try:
            allowed, remaining, wait_us = await self._script(
                keys=[KEY_PREFIX + key], args=[rate, 1 if take else 0]
            )
        except Exception as exc:  # never refuse a request because Redis is away
            self.link.failed(exc)
            return local.take(key, rate) if take else local.peek(key, rate)
        if allowed:
            return BurstDecision(True, max(0, int(remaining)), 0)
        return BurstDecision(False, 0, max(1, math.ceil(int(wait_us) / 1_000_000)))
