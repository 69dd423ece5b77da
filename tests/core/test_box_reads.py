"""The tracking box's store reads on a hand-made document, on both engines: every send newest
first with its kind and recipients, every recipient once (compared lower-case) in the order it
was first sent to, with its latest send's state and how many sends included it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.core.conftest import seed
from tracking.models import DeliveryState, RecipientRole, SendingMode
from tracking.records import Delivery, Send
from tracking.store import box, writes

pytestmark = pytest.mark.engines("duckdb", "postgres")

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _send(cursor, send_id: str, document_id: str, mode: SendingMode, at: datetime,
          recipients: list[tuple[str, DeliveryState]], details: dict | None = None) -> None:
    send = Send(send_id, document_id, "acct-relay", mode, at, "user-relay", None, None, send_id,
                "done")
    writes.insert_send(cursor, send)
    writes.insert_deliveries(cursor, [
        Delivery(send_id=send_id, idx=i, address=address, role=RecipientRole.TO,
                 verp_token=None, state=state, state_at=at + timedelta(minutes=1))
        for i, (address, state) in enumerate(recipients)], [send])
    cursor.execute(
        """INSERT INTO events (id, type, occurred_at, actor, document_id, send_id, details)
           VALUES (?, 'send_requested', ?, 'user-relay', ?, ?, ?)""",
        [f"ev-{send_id}", at.replace(tzinfo=None), document_id, send_id,
         json.dumps(details or {})])


@pytest.fixture
def document(db) -> tuple[object, str]:
    document_id = seed(db)[SendingMode.RELAY][0]
    delivered, failed = DeliveryState.DELIVERED, DeliveryState.NOT_DELIVERED
    with db.transaction() as c:
        # Requested out of id order on purpose: time decides, the id only breaks ties.
        _send(c, "s-b", document_id, SendingMode.RELAY, T0,
              [("Ann@Client.test", failed), ("bob@client.test", delivered)])
        _send(c, "s-a", document_id, SendingMode.MANUAL, T0 + timedelta(hours=1), [])
        _send(c, "s-c", document_id, SendingMode.RELAY, T0 + timedelta(hours=2),
              [("carl@client.test", DeliveryState.PENDING), ("ann@client.test", delivered)],
              {"corrects": "Ann@Client.test", "suppression_overridden": True})
    return db, document_id


def test_send_history_is_newest_first_with_kinds_recipients_and_the_request_details(document):
    db, document_id = document
    sends = box.send_history(db.cursor(), document_id)
    assert sends["id"].tolist() == ["s-c", "s-a", "s-b"]
    assert sends["kind"].tolist() == ["resend", "manual", "online"]
    assert [list(r) for r in sends["recipients"]] == [
        ["carl@client.test", "ann@client.test"], [], ["Ann@Client.test", "bob@client.test"]]
    assert sends["overrode_suppression"].tolist() == [True, False, False]
    assert sends["corrects"].tolist()[0] == "Ann@Client.test"
    assert sends["corrects"].isna().tolist() == [False, True, True]
    assert sends["actor_name"].tolist() == ["Alice"] * 3


def test_every_recipient_once_in_first_sent_order_with_its_latest_state(document):
    db, document_id = document
    rows = box.every_recipient(db.cursor(), document_id)
    assert rows["address"].tolist() == ["ann@client.test", "bob@client.test", "carl@client.test"]
    assert rows["send_id"].tolist() == ["s-c", "s-b", "s-c"]
    assert rows["state"].tolist() == ["delivered", "delivered", "pending"]
    assert rows["sends"].tolist() == [2, 1, 1]
    assert rows["idx"].tolist() == [1, 1, 0]


def test_a_document_never_sent_has_an_empty_box_with_its_columns(db):
    document_id = seed(db)[SendingMode.RELAY][1]
    assert box.send_history(db.cursor(), document_id).empty
    recipients = box.every_recipient(db.cursor(), document_id)
    assert recipients.empty and "state" in recipients.columns
