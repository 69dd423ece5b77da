"""Delivery reports recorded as the mailbox would record them (same event, same ledger path),
for tests that need a recipient delivered or bounced without running a mail server."""

from __future__ import annotations

from datetime import datetime

from tracking.events import BounceReport, Event, event_id
from tracking.models import EventType
from tracking.store.ledger import record_events


def record_report(db, send_id: str, idx: int, document_id: str, account_id: str, address: str,
                  *, reason: str, status: str, at: datetime,
                  kind: EventType = EventType.DSN_FAILED) -> None:
    """A DSN about recipient `idx` of `send_id`: failed (default) or delivered."""
    action = "failed" if kind is EventType.DSN_FAILED else "delivered"
    with db.transaction() as cursor:
        record_events(cursor, [Event(
            event_id(kind, send_id, idx, reason, at.isoformat()), kind, at, "system",
            account_id, document_id, send_id, idx, address,
            BounceReport(reason=reason, status_code=status, action=action), origin="system")])
