"""Failed sign-ins counted per key (an email, a client address) over a sliding window.

Kept in the process's memory: enough for the laptop app and for one server process. Several
processes behind one PostgreSQL each count their own failures, so the limit is per process
there (a shared store, the database or a cache, would be the next step). Times come from
the app's clock, so tests need no waiting.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import deque
from dataclasses import dataclass, field


@dataclass
class FailureLimiter:
    """At most `limit` failures per key within `window`; then wait until the oldest ages out."""

    limit: int
    window: dt.timedelta
    _failures: dict[str, deque[dt.datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, key: str, now: dt.datetime) -> int | None:
        """Seconds to wait before the key may try again, or None when it may now."""
        with self._lock:
            recent = self._recent(key, now)
            if len(recent) < self.limit:
                return None
            wait = (recent[-self.limit] + self.window - now).total_seconds()
            return max(1, math.ceil(wait))

    def failed(self, key: str, now: dt.datetime) -> None:
        with self._lock:
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)

    def forget(self, key: str) -> None:
        """A success: the key's earlier failures no longer count."""
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        """The key's failures within the window; a key left with none is dropped."""
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times
