"""Delivery states derived from events (DESIGN §4) — pure rules, no I/O.

The store keeps a current-state row per delivery, updated in the same transaction as the event
that moved it; `fold` over a delivery's events gives the same answer from scratch.

The rules:
- a send request opens every delivery as `pending`;
- SMTP acceptance moves `pending` to `sent`; refusal (or exhausted retries) to `not_sent`;
- a delay DSN keeps or puts the delivery back in `pending`, with its reason, unless it is final;
- a success DSN moves `pending`/`sent` to `delivered`;
- a failure DSN moves `pending`/`sent`/`delivered` to `not_delivered` (late bounces happen);
- nothing leaves `not_sent` — only a new send (new deliveries) tries again;
- auto-replies, complaints (which only set the flag), suspicious and unmatched bounces never
  change the state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tracking.events import Event
from tracking.models import DeliveryState, EventType
from tracking.records import STATUS_DETAIL_FIELDS, DeliveryStatus

__all__ = ["MOVING_TYPES", "DeliveryStatus", "apply", "fold"]


# event type -> (states it may leave, state it enters)
_TRANSITIONS: dict[EventType, tuple[frozenset[DeliveryState], DeliveryState]] = {
    EventType.RECIPIENT_ACCEPTED: (frozenset({DeliveryState.PENDING}), DeliveryState.SENT),
    EventType.RECIPIENT_REFUSED: (frozenset({DeliveryState.PENDING}), DeliveryState.NOT_SENT),
    EventType.DSN_DELAYED: (
        frozenset({DeliveryState.PENDING, DeliveryState.SENT}), DeliveryState.PENDING),
    EventType.DSN_DELIVERED: (
        frozenset({DeliveryState.PENDING, DeliveryState.SENT}), DeliveryState.DELIVERED),
    EventType.DSN_FAILED: (
        frozenset({DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.DELIVERED}),
        DeliveryState.NOT_DELIVERED,
    ),
}

# The event types that can move a delivery from one state to another (others only open one,
# or change its details or flag).
MOVING_TYPES: frozenset[EventType] = frozenset(_TRANSITIONS)


def apply(current: DeliveryStatus | None, event: Event) -> DeliveryStatus | None:
    """The delivery's status after `event`, or None when the event does not change it."""
    if event.type is EventType.SEND_REQUESTED:
        if current is not None:
            return None  # a delivery opens once; a resend makes new deliveries
        return DeliveryStatus(DeliveryState.PENDING, event.occurred_at)
    if current is None:
        return None
    if event.type is EventType.COMPLAINT_RECEIVED:
        return None if current.complained else replace(current, complained=True)
    if (event.type in (EventType.SEND_ATTEMPT_FAILED, EventType.SEND_INTERRUPTED)
            and current.state is DeliveryState.PENDING):
        # still pending; keep the latest reason so support sees why
        return replace(current, **_details(event))
    transition = _TRANSITIONS.get(event.type)
    if transition is None:
        return None
    leaves, enters = transition
    if current.state not in leaves:
        return None
    return replace(current, state=enters, state_at=event.occurred_at, **_details(event))


def fold(events: Iterable[Event]) -> DeliveryStatus | None:
    """A delivery's status from its events alone, in log order."""
    status: DeliveryStatus | None = None
    for event in events:
        changed = apply(status, event)
        if changed is not None:
            status = changed
    return status


def _details(event: Event) -> dict[str, str | None]:
    """The status fields the event's payload carries (same names); absent ones are cleared."""
    return {name: _text(getattr(event.details, name, None)) for name in STATUS_DETAIL_FIELDS}


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)
