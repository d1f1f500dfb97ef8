"""What the app keeps between requests: one computed view per person, while it stands.

A person's dashboard, plan and report all start from the assessment of their stored
history, which takes tens of milliseconds for years of results; most page views come
between changes. The store's revision (`store.revision`) moves on with every change the
engine would see, so a view kept under (revision, day) is exactly the one a new reading
would give, in any worker process, on SQLite or PostgreSQL: the cache is checked with one
small query and never has to be told about a write.

Only the latest view of each person is kept, the least recently used people first out
when the cache is full. Two requests that miss together may both compute (the same
result); nothing is held locked while computing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

ViewT = TypeVar("ViewT")


class Kept(Generic[ViewT]):
    def __init__(self, most: int) -> None:
        if most < 1:
            raise ValueError(f"a cache must hold at least one view, not {most}")
        self._most = most
        self._views: OrderedDict[int, tuple[Hashable, ViewT]] = OrderedDict()
        self._lock = Lock()

    def get(self, person_id: int, key: Hashable, compute: Callable[[], ViewT]) -> ViewT:
        """The person's view under `key`, computed when the kept one is for another key."""
        with self._lock:
            kept = self._views.get(person_id)
            if kept is not None and kept[0] == key:
                self._views.move_to_end(person_id)
                return kept[1]
        view = compute()
        with self._lock:
            self._views[person_id] = (key, view)
            self._views.move_to_end(person_id)
            while len(self._views) > self._most:
                self._views.popitem(last=False)
        return view
