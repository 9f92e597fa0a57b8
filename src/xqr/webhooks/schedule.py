"""When the next delivery attempt is due (pure: the schedule and a random source are inputs)."""

from __future__ import annotations

import random
from collections.abc import Sequence

# Each delay is stretched by up to this fraction, so retries of many deliveries that failed
# together (an endpoint outage) do not all arrive in the same second.
JITTER = 0.10


def retry_delay(
    schedule: Sequence[float], attempts_made: int, rng: random.Random | None = None
) -> float | None:
    """Seconds until attempt `attempts_made + 1`, or None when the series is used up.

    `schedule[i]` is the delay before attempt `i + 1` (the first is normally 0: immediate).
    """
    if attempts_made >= len(schedule):
        return None
    base = max(0.0, float(schedule[attempts_made]))
    if base == 0:
        return 0.0
    return base * (1 + (rng or random).uniform(0, JITTER))
