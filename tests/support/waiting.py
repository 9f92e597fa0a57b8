"""Waiting on something in the background without a fixed sleep.

    await eventually(lambda: writer.written == 10)            # polls until true, or fails
    await eventually(lambda: count(...), "scans counted")      # an async condition works too
    wait_until(lambda: "ready" in log.read_text())             # the same, for plain tests
    await loop_turns()                                         # woken tasks have run by now

A condition that never comes true fails the test at its deadline with what was awaited,
instead of hanging until the suite's timeout.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

DEADLINE = 10.0  # seconds


async def eventually(
    condition: Callable[[], Any | Awaitable[Any]],
    what: str = "the condition",
    *,
    timeout: float = DEADLINE,
    interval: float = 0.02,
) -> Any:
    """Poll `condition` (plain or async) until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come true within {timeout:g} s")
        await asyncio.sleep(interval)


def wait_until(
    condition: Callable[[], Any],
    what: str = "the condition",
    *,
    timeout: float = DEADLINE,
    interval: float = 0.05,
) -> Any:
    """`eventually` for tests that are not async."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come true within {timeout:g} s")
        time.sleep(interval)


async def loop_turns(turns: int = 50) -> None:
    """Let the event loop run `turns` times: a task woken before this has taken its next steps
    by the end (those that need no I/O), so what it would have done at once is visible."""
    for _ in range(turns):
        await asyncio.sleep(0)
