"""Which visitor-days this process has already stored (pure).

Most scans of a busy day come from visitors already seen that day; remembering them spares
the database a lookup per scan. The memory only ever holds keys whose transaction has
committed, so a key it knows is certainly stored (skipping it is always right); a key it does
not know may still be stored by another process or before a restart, which the repository
finds out (see `xqr.scans.repository.insert_visitors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from xqr.scans.aggregate import Steps, StoredVisitors, VisitorKey

KEEP_DAYS = 2  # today and yesterday (UTC): older days only get late scans
DEFAULT_VISITOR_KEYS = 200_000  # visitor-days remembered at most (`XQR_SCAN_VISITOR_MEMORY`)
KEYS_PER_STEP = 1000  # keys looked up or learnt between two points where a caller may yield


class VisitorMemory:
    """Stored visitor-days, by day. Its work is stepped (see `xqr.scans.aggregate.Steps`):
    a large batch holds a hundred thousand keys, and the writer shares the event loop.

    It holds at most about `max_keys` keys: past that, the oldest day is forgotten, then the
    current one is emptied (as `xqr.core.memo.BoundedMemo` does: forgetting is always safe,
    it only costs the repository a lookup), so a day of many visitors cannot hold the
    process's memory until the day rolls over."""

    def __init__(self, keep_days: int = KEEP_DAYS, max_keys: int = DEFAULT_VISITOR_KEYS) -> None:
        self.keep_days = keep_days
        self.max_keys = max_keys
        # per day: (visitor, scope as an int, kind); uuid.UUID.int is a plain attribute,
        # hashing the UUID itself runs Python code
        self._days: dict[date, set[tuple[int, int, str]]] = {}
        # Committed, not yet indexed: `remember` runs in a commit hook, which cannot yield.
        self._committed: list[Sequence[VisitorKey]] = []

    @property
    def stored(self) -> StoredVisitors:
        """The visitor-days known to be stored, as indexed so far (see `learn`)."""
        return self._days

    def unknown(self, keys: Sequence[VisitorKey], into: list[VisitorKey]) -> Steps:
        """Add to `into` the keys not known to be stored."""
        yield from self.learn()
        days = self._days
        for start in range(0, len(keys), KEYS_PER_STEP):
            into.extend(
                key
                for key in keys[start : start + KEYS_PER_STEP]
                if (key[1], key[2].int, key[3]) not in days.get(key[0], ())
            )
            yield

    def remember(self, keys: Sequence[VisitorKey]) -> None:
        """Call once the transaction that stored `keys` has committed (they are indexed by
        the next `unknown` or `learn`)."""
        self._committed.append(keys)

    def learn(self) -> Steps:
        """Index the keys remembered since the last time."""
        days = self._days
        while self._committed:
            keys = self._committed.pop(0)
            for start in range(0, len(keys), KEYS_PER_STEP):
                for day, visitor, scope, kind in keys[start : start + KEYS_PER_STEP]:
                    known = days.get(day)
                    if known is None:
                        known = days[day] = set()
                    known.add((visitor, scope.int, kind))
                self._bound()
                yield
        for day in sorted(days)[: -self.keep_days]:
            del days[day]

    def _bound(self) -> None:
        days = self._days
        while sum(len(known) for known in days.values()) > self.max_keys:
            oldest = min(days)
            if len(days) > 1:
                del days[oldest]
            else:
                days[oldest].clear()

    def __len__(self) -> int:
        return sum(len(known) for known in self._days.values()) + sum(
            len(keys) for keys in self._committed
        )
