"""`BoundedMemo`: a dict of remembered answers that cannot grow without bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(dict[K, V]):
    """A dict holding at most `max_entries`: a new key stored into a full memo empties it first.

    For answers that can be worked out again (parsed headers, hashes, formatted times, loaded
    rows) on paths where a hit must cost a dict lookup and nothing more: reading is the dict's
    own `get`, `[]` and `in`, untouched. Emptying, rather than evicting the least recently
    used key, keeps hits free of bookkeeping (an LRU moves the key on every hit); the price is
    a refill once in `max_entries` new keys, so size a memo to hold its working set.

    `keep(key, value)`, when given, is asked first when the memo is full: the entries it keeps
    stay, and the memo is emptied only if they alone still fill it (for entries that expire).

    Only storing with `memo[key] = value` is bounded; `update` and `setdefault` are the plain
    dict's.
    """

    __slots__ = ("keep", "max_entries")

    def __init__(self, max_entries: int, keep: Callable[[K, V], bool] | None = None) -> None:
        super().__init__()
        self.max_entries = max_entries
        self.keep = keep

    def __setitem__(self, key: K, value: V) -> None:
        if len(self) >= self.max_entries and key not in self:
            self._make_room()
        super().__setitem__(key, value)

    def _make_room(self) -> None:
        keep = self.keep
        if keep is not None:
            kept = [(key, value) for key, value in self.items() if keep(key, value)]
            if len(kept) < self.max_entries:
                self.clear()
                self.update(kept)
                return
        self.clear()
