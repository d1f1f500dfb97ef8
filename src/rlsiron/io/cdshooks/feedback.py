"""What clinicians did with the cards (the feedback endpoint), kept through a small store.

The specification's feedback says, per card, whether it was accepted or overridden, why, and
when. A store only appends and lists; the service holds one. Two come with it: in memory (the
default, and for tests) and a JSON Lines file (one record a line, appended under a lock, so
that a crash loses at most the line being written). A database store is a third class with
the same two methods.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from rlsiron.io.cdshooks.models import FeedbackItem

Outcome = Literal["accepted", "overridden"]


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One feedback item for one card of one service."""

    service: str
    card: str
    outcome: Outcome
    outcome_time: dt.datetime  # UTC
    accepted_suggestions: tuple[str, ...] = ()
    reason_system: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None
    user_comment: str | None = None

    @classmethod
    def of(cls, service: str, item: FeedbackItem) -> FeedbackRecord:
        override = item.override_reason
        reason = override.reason if override is not None else None
        return cls(
            service=service,
            card=item.card,
            outcome=item.outcome,
            outcome_time=item.outcome_timestamp,
            accepted_suggestions=tuple(s.id for s in item.accepted_suggestions or ()),
            reason_system=reason.system if reason is not None else None,
            reason_code=reason.code if reason is not None else None,
            reason_display=reason.display if reason is not None else None,
            user_comment=override.user_comment if override is not None else None,
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome_time"] = self.outcome_time.isoformat()
        data["accepted_suggestions"] = list(self.accepted_suggestions)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeedbackRecord:
        return cls(
            **{
                **data,
                "outcome_time": dt.datetime.fromisoformat(data["outcome_time"]),
                "accepted_suggestions": tuple(data["accepted_suggestions"]),
            }
        )


class FeedbackStore(Protocol):
    def add(self, records: Sequence[FeedbackRecord]) -> None: ...

    def records(self) -> tuple[FeedbackRecord, ...]: ...


class InMemoryFeedbackStore:
    """Kept for the life of the process."""

    def __init__(self) -> None:
        self._records: list[FeedbackRecord] = []
        self._lock = threading.Lock()

    def add(self, records: Sequence[FeedbackRecord]) -> None:
        with self._lock:
            self._records += records

    def records(self) -> tuple[FeedbackRecord, ...]:
        with self._lock:
            return tuple(self._records)


class JsonlFeedbackStore:
    """Appended to a JSON Lines file, one record a line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, records: Sequence[FeedbackRecord]) -> None:
        lines = "".join(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in records)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(lines)

    def records(self) -> tuple[FeedbackRecord, ...]:
        with self._lock:
            if not self.path.exists():
                return ()
            text = self.path.read_text(encoding="utf-8")
        return tuple(
            FeedbackRecord.from_json(json.loads(line)) for line in text.splitlines() if line
        )
