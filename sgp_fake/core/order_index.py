"""Records in creation order, with deletions, and the k-th live one in O(log n).

Tables keep one index over all their records and one per account (and per parent), so a page
of a list costs O(limit + log n) whatever the table's size.
"""

from __future__ import annotations

import bisect
from typing import Iterator

__all__ = ["OrderIndex"]


class OrderIndex:
    """Entries in creation order, with deletions, and the k-th live one in O(log n).

    A Fenwick tree over 0/1 "alive" flags; entries are only ever appended, each with a key (the
    store's global sequence number) that grows with every append.
    """

    __slots__ = ("_ids", "_keys", "_size", "_tree")

    def __init__(self) -> None:
        self._ids: list[str | None] = []
        self._keys: list[int] = []
        self._tree: list[int] = [0]
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, record_id: str, key: int) -> int:
        pos = len(self._ids)
        self._ids.append(record_id)
        self._keys.append(key)
        # Fenwick node i covers (i - lowbit(i), i]: its value starts as the live count of that
        # range, so the tree grows by appending.
        i = pos + 1
        total = 1
        j = i - 1
        stop = i - (i & -i)
        while j > stop:
            total += self._tree[j]
            j -= j & -j
        self._tree.append(total)
        self._size += 1
        return pos

    def remove(self, pos: int) -> None:
        if self._ids[pos] is None:
            return
        self._ids[pos] = None
        self._size -= 1
        i = pos + 1
        n = len(self._tree)
        while i < n:
            self._tree[i] -= 1
            i += i & -i

    def live_before(self, pos: int) -> int:
        """How many live entries sit at positions < ``pos``."""
        total = 0
        i = pos
        while i > 0:
            total += self._tree[i]
            i -= i & -i
        return total

    def live_before_key(self, key: int) -> int:
        """How many live entries have a key < ``key``."""
        return self.live_before(bisect.bisect_left(self._keys, key))

    def find(self, k: int) -> int:
        """Position of the k-th (0-based) live entry; ``k`` must be < len(self)."""
        pos = 0
        remaining = k + 1
        n = len(self._tree)
        step = 1 << n.bit_length()
        while step:
            nxt = pos + step
            if nxt < n and self._tree[nxt] < remaining:
                pos = nxt
                remaining -= self._tree[nxt]
            step >>= 1
        return pos

    def iter_from(self, pos: int) -> Iterator[tuple[int, str]]:
        """(key, id) of the live entries from position ``pos`` on."""
        ids, keys = self._ids, self._keys
        for p in range(pos, len(ids)):
            record_id = ids[p]
            if record_id is not None:
                yield keys[p], record_id

    def iter_from_key(self, key: int) -> Iterator[tuple[int, str]]:
        return self.iter_from(bisect.bisect_left(self._keys, key))
