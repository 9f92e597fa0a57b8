"""The writer's memory of stored visitor-days: only committed keys count, old days go."""

from __future__ import annotations

import uuid
from datetime import date

from xqr.scans.aggregate import VisitorKey, run_steps
from xqr.scans.visitors import KEYS_PER_STEP, VisitorMemory

LINK = uuid.uuid4()
WORKSPACE = uuid.uuid4()


def _unknown(memory: VisitorMemory, keys: list[VisitorKey]) -> list[VisitorKey]:
    found: list[VisitorKey] = []
    run_steps(memory.unknown(keys, found))
    return found


def test_only_keys_remembered_after_commit_are_skipped() -> None:
    memory = VisitorMemory()
    today = date(2026, 11, 27)
    keys = [(today, n, LINK, "link") for n in range(3 * KEYS_PER_STEP + 7)]
    assert _unknown(memory, keys) == keys
    memory.remember(keys[: KEYS_PER_STEP + 1])  # what one transaction stored
    assert _unknown(memory, keys) == keys[KEYS_PER_STEP + 1 :]
    # the same visitor in another scope, or of another kind, is another key
    other = [(today, 0, WORKSPACE, "link"), (today, 0, LINK, "bio")]
    assert _unknown(memory, other) == other
    assert len(memory) == KEYS_PER_STEP + 1


def test_a_long_lookup_yields_to_its_caller_between_slices() -> None:
    memory = VisitorMemory()
    keys = [(date(2026, 11, 27), n, LINK, "link") for n in range(5 * KEYS_PER_STEP)]
    found: list[VisitorKey] = []
    assert sum(1 for _ in memory.unknown(keys, found)) >= 5
    assert found == keys


def test_days_beyond_the_kept_ones_are_forgotten() -> None:
    memory = VisitorMemory(keep_days=2)
    days = [date(2026, 11, d) for d in (25, 26, 27)]
    for day in days:
        memory.remember([(day, 1, LINK, "link")])
    run_steps(memory.learn())
    assert _unknown(memory, [(d, 1, LINK, "link") for d in days]) == [(days[0], 1, LINK, "link")]
