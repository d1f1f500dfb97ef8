"""What the store refuses, besides the engine's own problems (`RlsironError`)."""

from __future__ import annotations

from rlsiron.errors import RlsironError


class NotFoundError(LookupError):
    """No such record among this person's records.

    A record that does not exist and a record of another person look the same, so the API
    answers both with 404 and never confirms that someone else's record exists.
    """

    def __init__(self, kind: str, record_id: int) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"no {kind} {record_id}")


class EmailTakenError(RlsironError):
    """An account with this email address exists already (one problem, at `email`)."""
