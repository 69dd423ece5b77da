"""Typed event payloads: one per event type, stored as JSON by the ledger only, read back typed;
events stored before the payloads existed (the DSN's bare code under `smtp_reply`) still read."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from tracking.events import (
    PAYLOADS, AccountSettingsChanged, BounceReport, Event, Payload, RecipientRefused, event_id,
)
from tests.actors import support
from tests.core.conftest import seed
from tracking.models import EventType, SendingMode
from tracking.records import STATUS_FIELDS, Delivery, DeliveryStatus
from tracking.service import SendRequest, request_send
from tracking.store import queries
from tracking.store.ledger import event_from_row, payload_json, record_events

# The store contract: every test here runs on DuckDB and on PostgreSQL.
pytestmark = pytest.mark.engines("duckdb", "postgres")

AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def sample_payload(cls: type[Payload]) -> Payload:
    """Every field set to a distinct, JSON-friendly value of its kind."""
    values = {}
    for number, field in enumerate(dataclasses.fields(cls)):
        kind = str(field.type)
        values[field.name] = (
            {"time_zone": f"Zone/{number}"} if kind.startswith("dict") else
            number % 2 == 0 if kind.startswith("bool") else
            number if kind.startswith("int") else
            number + 0.5 if kind.startswith("float") else f"{field.name}-{number}")
    return cls(**values)


def test_every_event_type_has_exactly_one_payload_class():
    assert set(PAYLOADS) == set(EventType)
    for payload in PAYLOADS.values():
        assert dataclasses.is_dataclass(payload) and payload.__dataclass_params__.frozen


def test_the_stored_json_is_every_field_with_sorted_keys():
    """`payload_json` (names sorted once per class, one reused encoder) writes what a plain
    `json.dumps` of every field with sorted keys writes — the text the demo writes too."""
    for cls in PAYLOADS.values():
        payload = sample_payload(cls)
        plain = json.dumps({f.name: getattr(payload, f.name) for f in dataclasses.fields(payload)},
                           ensure_ascii=False, sort_keys=True, default=str)
        assert payload_json(payload) == plain
    accented = AccountSettingsChanged(old={"z": "Île", "a": AT}, new={})
    assert payload_json(accented) == '{"new": {}, "old": {"a": "%s", "z": "Île"}}' % AT


@pytest.mark.parametrize("event_type", list(EventType))
def test_each_payload_survives_the_ledger_typed(db, event_type):
    payload = sample_payload(PAYLOADS[event_type])
    event = Event(event_id(event_type, "x"), event_type, AT, "alice", details=payload)
    with db.transaction() as cursor:
        assert record_events(cursor, [event]) == [event]
    frame = db.cursor().execute(
        """SELECT id, type, occurred_at, actor, account_id, document_id, send_id, recipient_idx,
                  recipient, details FROM events""").df()
    (back,) = [event_from_row(row) for row in frame.to_dict("records")]
    assert back == event and type(back.details) is PAYLOADS[event_type]


def test_a_mapping_becomes_the_typed_payload_and_an_unknown_key_fails_at_once():
    event = Event("e1", EventType.RECIPIENT_REFUSED, AT, "system",
                  details={"smtp_reply": "550 5.1.1 <a@b.example>: User unknown",
                           "reply_code": 550, "stage": "rcpt"})
    assert isinstance(event.details, RecipientRefused) and event.details.reply_code == 550
    with pytest.raises(TypeError, match="smtp_replyy"):
        Event("e2", EventType.RECIPIENT_REFUSED, AT, "system", details={"smtp_replyy": "550"})
    with pytest.raises(TypeError, match="carries RecipientRefused"):
        Event("e3", EventType.RECIPIENT_REFUSED, AT, "system", details=BounceReport())


def test_smtp_reply_is_always_a_full_reply_and_the_bare_code_has_its_own_field():
    # a DSN stored before typed events kept its bare code under `smtp_reply`
    old = {"id": "e1", "type": "dsn_failed", "occurred_at": AT.replace(tzinfo=None),
           "actor": "system", "account_id": None, "document_id": None, "send_id": "s",
           "recipient_idx": 0, "recipient": "a@b.example",
           "details": json.dumps({"smtp_reply": "550", "reason": "userunknown",
                                  "status_code": "5.1.1", "returned_message_id": "r1",
                                  "a_key_since_removed": 1})}
    details = event_from_row(old).details
    assert isinstance(details, BounceReport)
    assert (details.reply_code, details.reason, details.status_code) == ("550", "userunknown",
                                                                        "5.1.1")
    assert "smtp_reply" not in BounceReport.field_names()
    stored = json.loads(payload_json(details))
    assert stored["reply_code"] == "550" and "smtp_reply" not in stored


def test_a_delivery_is_its_status_plus_who_and_where(db):
    status_names = {f.name for f in dataclasses.fields(DeliveryStatus)}
    assert set(STATUS_FIELDS) == status_names
    assert status_names < {f.name for f in dataclasses.fields(Delivery)}
    columns = {row[0] for row in db.cursor().execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'deliveries'"
    ).fetchall()}
    assert status_names <= columns


def test_the_store_reads_a_delivery_with_the_same_status_it_folds(db, policy):
    documents = seed(db)
    receipt = request_send(db, SendRequest(documents[SendingMode.RELAY][0], to=("a@b.example",),
                                           actor=support("alice")), policy, now=AT)
    (delivery,) = queries.deliveries_of_send(db.cursor(), receipt.send_id)
    assert delivery.status == DeliveryStatus(delivery.state, AT)


def test_the_history_shows_a_dsns_code_as_reply_code_old_rows_too(db):
    from tracking.store.console_queries import history_page
    new = Event("new", EventType.DSN_FAILED, AT, "system",
                details=BounceReport(returned_message_id="r2", reply_code="551"))
    refused = Event("refused", EventType.RECIPIENT_REFUSED, AT, "system",
                    details=RecipientRefused(smtp_reply="550 5.1.1 no such user", reply_code=550))
    with db.transaction() as cursor:
        record_events(cursor, [new, refused])
        cursor.execute(  # as stored before typed events
            """INSERT INTO events (id, seq, type, occurred_at, actor, details)
               VALUES ('old', nextval('event_seq'), 'dsn_failed', ?, 'system', ?)""",
            [AT.replace(tzinfo=None), json.dumps({"smtp_reply": "550", "reason": "userunknown"})])
    frame = history_page(db.cursor(), since=AT.replace(tzinfo=None, year=2000),
                         until=AT.replace(tzinfo=None, year=2100))
    by_event = {row.type + ":" + str(row.reply_code): row.smtp_reply or None for row in
                frame.astype(object).where(frame.notna(), None).itertuples()}
    assert by_event == {"dsn_failed:551": None, "dsn_failed:550": None,
                        "recipient_refused:550": "550 5.1.1 no such user"}


def test_a_batch_keeps_each_new_fact_once_in_its_order_and_skips_the_stored_ones(db):
    """The ledger deduplicates a batch itself and leaves ids already stored to ON CONFLICT:
    the events written and returned are the first occurrence of each new id, in batch order
    (their `seq` follows it), with the first occurrence's payload."""
    def event(name: str, reply: str) -> Event:
        return Event(name, EventType.RECIPIENT_REFUSED, AT, "system",
                     details=RecipientRefused(smtp_reply=reply, reply_code=550))

    with db.transaction() as cursor:
        assert record_events(cursor, [event("stored", "550 first")]) == [event("stored",
                                                                               "550 first")]
    batch = [event("b", "550 b1"), event("stored", "550 again"), event("a", "550 a1"),
             event("b", "550 b2"), event("c", "550 c1"), event("a", "550 a2")]
    with db.transaction() as cursor:
        fresh = record_events(cursor, batch)
    assert [(e.id, e.details.smtp_reply) for e in fresh] == [
        ("b", "550 b1"), ("a", "550 a1"), ("c", "550 c1")]
    rows = db.cursor().execute("SELECT id, details FROM events ORDER BY seq").fetchall()
    assert [(row[0], json.loads(row[1])["smtp_reply"]) for row in rows] == [
        ("stored", "550 first"), ("b", "550 b1"), ("a", "550 a1"), ("c", "550 c1")]
    with db.transaction() as cursor:   # the whole batch again: nothing new
        assert record_events(cursor, batch) == []
