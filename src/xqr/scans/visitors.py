"""Which visitor-days this process has already stored (pure).

Most scans of a busy day come from visitors already seen that day; remembering them spares
the database a lookup per scan. The memory only ever holds keys whose transaction has
committed, so a key it knows is certainly stored (skipping it is always right); a key it does
not know may still be stored by another process or before a restart, which the repository
finds out (see `xqr.scans.repository.insert_visitors`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from xqr.scans.aggregate import VisitorKey

KEEP_DAYS = 2  # today and yesterday (UTC): older days only get late scans


class VisitorMemory:
    def __init__(self, keep_days: int = KEEP_DAYS) -> None:
        self.keep_days = keep_days
        # per day: (visitor, scope as an int, kind); uuid.UUID.int is a plain attribute,
        # hashing the UUID itself runs Python code
        self._days: dict[date, set[tuple[int, int, str]]] = {}

    def unknown(self, keys: Iterable[VisitorKey]) -> list[VisitorKey]:
        """The keys not known to be stored."""
        days = self._days
        return [key for key in keys if (key[1], key[2].int, key[3]) not in days.get(key[0], ())]

    def remember(self, keys: Iterable[VisitorKey]) -> None:
        """Call once the transaction that stored `keys` has committed."""
        days = self._days
        for day, visitor, scope, kind in keys:
            known = days.get(day)
            if known is None:
                known = days[day] = set()
            known.add((visitor, scope.int, kind))
        for day in sorted(days)[: -self.keep_days]:
            del days[day]

    def __len__(self) -> int:
        return sum(len(known) for known in self._days.values())
