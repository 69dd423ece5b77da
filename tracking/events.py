"""Events: immutable, timestamped facts — the activity history.

An event's id is derived from what makes the fact unique (its type and identity keys), never from
a random number, so recording the same fact twice (a resumed outbox, a re-read mailbox) inserts
nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracking.models import EventType


def event_id(event_type: EventType, *identity: object) -> str:
    """A stable 32-hex-digit id from the event type and the values that make the fact unique."""
    material = "\x1f".join([str(event_type), *("" if part is None else str(part) for part in identity)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: EventType
    occurred_at: datetime          # aware UTC
    actor: str
    account_id: str | None = None
    document_id: str | None = None
    send_id: str | None = None
    recipient_idx: int | None = None
    recipient: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def details_json(self) -> str:
        return json.dumps(self.details, ensure_ascii=False, sort_keys=True, default=str)
