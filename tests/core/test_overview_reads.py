"""The Overview page's reads say what a plain recount says, on both engines: the documents whose
latest send has a failed recipient (`overview`, which ranks only the documents with a failed
send), and the newest events with their joined names (`history`, which chooses the events before
joining), with a scope, filters and ties on the time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.core.conftest import seed
from tracking.events import Event, event_id
from tracking.models import DeliveryState, EventType, RecipientRole, SendingMode
from tracking.records import Delivery, Send
from tracking.store import ledger, queries, writes

pytestmark = pytest.mark.engines("duckdb", "postgres")

START = datetime(2026, 11, 1, tzinfo=UTC)
FAILED = {DeliveryState.NOT_SENT, DeliveryState.NOT_DELIVERED}
MODES = (SendingMode.RELAY, SendingMode.RELAY_OWN_ADDRESS, SendingMode.SMTP)


@pytest.fixture
def sent_db(db):
    """~120 sends over a few documents (several per document, some at the same moment), each
    recipient in a random state; document events at random moments, ties included."""
    documents = seed(db, documents_per_account=6)
    rng = random.Random(7)
    with db.transaction() as cursor:
        for n in range(120):
            mode = rng.choice(MODES)
            # Few distinct moments: documents get sends at the same time (ties on the id).
            at = START + timedelta(hours=rng.randrange(30))
            send_id = f"send-{n:03d}"
            send = Send(send_id, rng.choice(documents[mode]), f"acct-{mode}", mode, at,
                        "tester", None, None, send_id, "done")
            writes.insert_send(cursor, send)
            writes.insert_deliveries(cursor, [
                Delivery(send_id=send_id, idx=idx, address=f"r{idx}@x.test",
                         role=RecipientRole.TO, verp_token=None,
                         state=rng.choice(list(DeliveryState)), state_at=at)
                for idx in range(rng.randint(1, 3))], [send])
        events = []
        for n in range(80):
            mode = rng.choice(MODES)
            document = rng.choice(documents[mode])
            events.append(Event(event_id(EventType.DOCUMENT_CREATED, document, n),
                                EventType.DOCUMENT_CREATED,
                                START + timedelta(minutes=rng.randrange(40)),
                                rng.choice(["user-relay", "someone", "system"]),
                                account_id=f"acct-{mode}", document_id=document, details={}))
        ledger.record_events(cursor, events)
    return db


def _failing_documents(cursor, scope=None) -> int:
    sends = cursor.execute("SELECT id, document_id, account_id, requested_at FROM sends"
                           ).fetchall()
    failed = {row[0] for row in cursor.execute(
        "SELECT send_id FROM deliveries WHERE state IN ('not_sent', 'not_delivered')"
    ).fetchall()}
    latest: dict[str, tuple] = {}
    for send_id, document_id, account_id, at in sends:
        if scope is not None and account_id not in scope:
            continue
        if document_id not in latest or (at, send_id) > latest[document_id]:
            latest[document_id] = (at, send_id)
    return sum(1 for _, send_id in latest.values() if send_id in failed)


@pytest.mark.parametrize("scope", [None, frozenset({"acct-relay", "acct-smtp"})])
def test_failing_documents_are_those_whose_latest_send_failed(sent_db, scope):
    cursor = sent_db.cursor()
    expected = _failing_documents(cursor, scope)
    assert 0 < expected < _failing_documents(cursor) or scope is None
    assert queries.overview(cursor, scope=scope).failing_documents == expected


def _newest(cursor, limit: int, scope=None, actor=None, account_id=None) -> list[tuple]:
    rows = cursor.execute(
        """SELECT e.occurred_at, e.seq, e.id, e.actor, e.account_id, d.number, a.time_zone,
                  u.name
           FROM events e LEFT JOIN documents d ON d.id = e.document_id
           LEFT JOIN accounts a ON a.id = e.account_id
           LEFT JOIN users u ON u.login = e.actor""").fetchall()
    kept = [row for row in rows if (scope is None or row[4] in scope)
            and actor in (None, row[3]) and account_id in (None, row[4])]
    kept.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [(row[2], row[5], row[6], row[7] or row[3]) for row in kept[:limit]]


@pytest.mark.parametrize("limit, filters", [
    (20, {}), (7, {"scope": frozenset({"acct-relay"})}), (500, {}),
    (5, {"actor": "user-relay"}), (9, {"account_id": "acct-smtp"})])
def test_newest_events_are_chosen_then_named(sent_db, limit, filters):
    cursor = sent_db.cursor()
    expected = _newest(cursor, limit, **filters)
    assert expected
    frame = queries.history(cursor, limit=limit, **filters)
    got = list(zip(frame["id"], frame["document_number"], frame["time_zone"],
                   frame["actor_name"]))
    assert got == expected
