"""The state rules of DESIGN §4, checked over random event sequences (hypothesis) and examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tracking.events import PAYLOADS, Event
from tracking.models import DeliveryState, EventType
from tracking.state import apply, fold

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LATER_EVENTS = [t for t in EventType if t is not EventType.SEND_REQUESTED]
NEUTRAL = {EventType.AUTOREPLY_RECEIVED, EventType.COMPLAINT_RECEIVED,
           EventType.BOUNCE_SUSPICIOUS, EventType.BOUNCE_UNMATCHED, EventType.BOUNCE_ATTACHED,
           EventType.MARKED_SENT_MANUALLY, EventType.SEND_DATE_CHANGED,
           EventType.DOCUMENT_CREATED, EventType.ACCOUNT_SETTINGS_CHANGED}


def event(kind: EventType, minute: int, **details) -> Event:
    """An event of `kind` with those of `details` its payload has (a reason for every type)."""
    known = PAYLOADS[kind].field_names()
    return Event(f"e{minute}-{kind}", kind, T0 + timedelta(minutes=minute), "system",
                 send_id="s", recipient_idx=0,
                 details={key: value for key, value in details.items() if key in known})


sequences = st.lists(st.sampled_from(LATER_EVENTS), max_size=25)


@settings(max_examples=400, deadline=None)
@given(sequences)
def test_every_step_obeys_the_rules(kinds):
    status = apply(None, event(EventType.SEND_REQUESTED, 0))
    assert status.state is DeliveryState.PENDING
    for minute, kind in enumerate(kinds, start=1):
        before = status
        after = apply(before, event(kind, minute, reason=f"r{minute}"))
        now = before if after is None else after
        if kind in NEUTRAL:
            assert now.state is before.state, "auto-replies, complaints… never change the state"
        if before.state is DeliveryState.NOT_SENT:
            assert now.state is DeliveryState.NOT_SENT, "nothing leaves not_sent"
        if kind is EventType.DSN_FAILED and before.state is not DeliveryState.NOT_SENT:
            assert now.state is DeliveryState.NOT_DELIVERED, "a failure DSN always lands"
        if kind is EventType.RECIPIENT_ACCEPTED and before.state is DeliveryState.PENDING:
            assert now.state is DeliveryState.SENT
        if now.state is DeliveryState.DELIVERED:
            assert before.state in (DeliveryState.PENDING, DeliveryState.SENT,
                                    DeliveryState.DELIVERED)
        if kind is EventType.COMPLAINT_RECEIVED:
            assert now.complained
        status = now


@settings(max_examples=200, deadline=None)
@given(sequences)
def test_fold_equals_stepwise_application(kinds):
    events = [event(EventType.SEND_REQUESTED, 0)] + [
        event(kind, minute) for minute, kind in enumerate(kinds, start=1)]
    status = None
    for item in events:
        status = apply(status, item) or status
    assert fold(events) == status


def test_late_failure_overrides_delivered_and_keeps_the_reason():
    events = [event(EventType.SEND_REQUESTED, 0), event(EventType.RECIPIENT_ACCEPTED, 1),
              event(EventType.DSN_DELIVERED, 2),
              event(EventType.DSN_FAILED, 3, reason="mailboxfull", status_code="5.2.2")]
    status = fold(events)
    assert status.state is DeliveryState.NOT_DELIVERED
    assert (status.reason, status.status_code) == ("mailboxfull", "5.2.2")
    assert status.state_at == T0 + timedelta(minutes=3)


def test_delay_keeps_pending_with_reason_then_delivery_lands():
    events = [event(EventType.SEND_REQUESTED, 0), event(EventType.RECIPIENT_ACCEPTED, 1),
              event(EventType.DSN_DELAYED, 2, reason="mailboxfull")]
    assert fold(events).state is DeliveryState.PENDING
    assert fold(events).reason == "mailboxfull"
    events.append(event(EventType.DSN_DELIVERED, 3))
    assert fold(events).state is DeliveryState.DELIVERED


def test_only_a_new_send_follows_not_sent():
    events = [event(EventType.SEND_REQUESTED, 0),
              event(EventType.RECIPIENT_REFUSED, 1, smtp_reply="550 5.1.1 unknown")]
    for kind in LATER_EVENTS:
        assert apply(fold(events), event(kind, 9)) is None or \
            apply(fold(events), event(kind, 9)).state is DeliveryState.NOT_SENT
