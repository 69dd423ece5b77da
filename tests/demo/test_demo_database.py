"""The demo database looks like what the real code paths write, and is consistent with itself."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import defaultdict

import pytest

from tests.demo.conftest import DEMO_DOCUMENTS, DEMO_NOW
from tracking.clock import from_db
from tracking.demo import DEMO_VERP_KEY
from tracking.events import event_id
from tracking.inbound.parse import parse_message
from tracking.models import DeliveryState, EventType, Reason, SendingMode
from tracking import verp
from tracking.state import DeliveryStatus, fold
from tracking.store.connection import open_database
from tracking.store.facts import is_demo
from tracking.store.ledger import event_from_row
from tracking.store.migrations import MIGRATIONS, current_version

MAIN_REASONS = {"userunknown", "hostunknown", "mailboxfull", "blocked", "spamdetected",
                "expired", "rejected", "policyviolation"}


@pytest.fixture
def cursor(demo_db):
    path, _ = demo_db
    with open_database(path) as db:
        yield db.cursor()


def rows(cursor, sql: str, params=None) -> list[dict]:
    result = cursor.execute(sql, params or [])
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def all_events(cursor):
    return [event_from_row(row) for row in rows(cursor, """
        SELECT id, type, occurred_at, actor, account_id, document_id, send_id, recipient_idx,
               recipient, details FROM events ORDER BY seq""")]


def test_reopening_passes_the_migrations_check(demo_db):
    path, summary = demo_db
    with open_database(path) as db:
        assert current_version(db.cursor()) == MIGRATIONS[-1].version
        assert db.cursor().execute("SELECT count(*) FROM documents").fetchall()[0][0] \
            == DEMO_DOCUMENTS
    assert summary.counts["documents"] == DEMO_DOCUMENTS


def test_every_state_mode_zone_and_main_reason_is_there(cursor):
    states = {r[0] for r in cursor.execute("SELECT DISTINCT state FROM deliveries").fetchall()}
    assert states == {str(state) for state in DeliveryState}
    modes = {r[0] for r in cursor.execute("SELECT DISTINCT mode FROM sends").fetchall()}
    assert modes == {str(mode) for mode in SendingMode}
    zones = {r[0] for r in cursor.execute("SELECT time_zone FROM accounts").fetchall()}
    assert {"Europe/Paris", "America/New_York", "Asia/Tokyo", "Pacific/Auckland"} <= zones
    reasons = {r[0] for r in cursor.execute(
        "SELECT DISTINCT reason FROM deliveries WHERE state = 'not_delivered'").fetchall()}
    assert MAIN_REASONS <= reasons
    assert reasons <= {str(reason) for reason in Reason}
    types = {r[0] for r in cursor.execute("SELECT DISTINCT type FROM events").fetchall()}
    assert types >= {str(t) for t in EventType} - {
        "document_created", "bounce_suspicious", "bounce_unmatched", "bounce_attached",
        "account_settings_changed",
        # issue 9: token-less reports and support's decisions; the demo's reports are signed
        "bounce_proposed", "proposal_applied", "proposal_rejected", "bounce_dismissed"}
    flags = cursor.execute("""SELECT count(*) FILTER (WHERE complained),
                                     count(*) FILTER (WHERE state = 'not_sent'
                                                      AND smtp_reply LIKE '5%')
                              FROM deliveries""").fetchall()[0]
    assert flags[0] > 0 and flags[1] > 0


def test_folding_each_deliverys_events_gives_its_stored_state(cursor):
    by_delivery = defaultdict(list)
    for event in all_events(cursor):
        if event.send_id and event.recipient_idx is not None:
            by_delivery[(event.send_id, event.recipient_idx)].append(event)
    stored = rows(cursor, """SELECT send_id, idx, state, state_at, reason, status_code,
                                    smtp_reply, diagnostic, remote_mta, complained
                             FROM deliveries""")
    assert len(stored) == len(by_delivery)
    for row in stored:
        expected = DeliveryStatus(
            DeliveryState(row["state"]), from_db(row["state_at"]),
            *(row[k] for k in ("reason", "status_code", "smtp_reply", "diagnostic", "remote_mta")),
            row["complained"])
        assert fold(by_delivery[(row["send_id"], row["idx"])]) == expected, row


def test_event_ids_follow_the_real_scheme(cursor):
    events = all_events(cursor)
    assert len({event.id for event in events}) == len(events)
    for event in events:
        details = event.details
        identity = {
            EventType.SEND_REQUESTED: (event.send_id, event.recipient_idx),
            EventType.MARKED_SENT_MANUALLY: (event.send_id,),
            EventType.SEND_ATTEMPT_FAILED: (event.send_id, event.recipient_idx,
                                            getattr(details, "attempt", None)),
            EventType.RECIPIENT_ACCEPTED: (event.send_id, event.recipient_idx, None),
            EventType.RECIPIENT_REFUSED: (event.send_id, event.recipient_idx, None),
            EventType.SEND_INTERRUPTED: (event.send_id, event.recipient_idx, 1),
            EventType.SEND_DATE_CHANGED: (event.document_id, getattr(details, "old", None),
                                          getattr(details, "new", None), event.actor,
                                          event.occurred_at.isoformat()),
        }.get(event.type, (getattr(details, "returned_message_id", None), event.send_id,
                           event.recipient_idx))
        assert event.id == event_id(event.type, *identity), event


def test_details_are_json_as_events_write_it(cursor):
    for row in rows(cursor, "SELECT details FROM events"):
        details = row["details"]
        assert details == json.dumps(json.loads(details), ensure_ascii=False, sort_keys=True)


def test_send_dates_follow_sends_and_edits(cursor):
    documents = rows(cursor, """
        SELECT d.id, d.send_date, d.status,
               (SELECT max(requested_at) FROM sends s WHERE s.document_id = d.id) AS last_send,
               (SELECT arg_max(details, seq) FROM events e
                WHERE e.document_id = d.id AND e.type = 'send_date_changed') AS edit
        FROM documents d""")
    edited = 0
    for doc in documents:
        send_date, last_send = from_db(doc["send_date"]), from_db(doc["last_send"])
        if doc["edit"] is not None:
            edited += 1
            edit = json.loads(doc["edit"])
            assert send_date.isoformat() == edit["new"]
            assert edit["old"] == (last_send.isoformat() if last_send else None)
        else:
            assert send_date == last_send
        if last_send is not None:
            assert doc["status"] in ("sent", "paid", "cancelled")
    assert edited > 0
    # Online sends and manual marks: the send date is the moment of the request.
    manual = rows(cursor, """SELECT s.requested_at, e.details FROM sends s
                             JOIN events e ON e.send_id = s.id
                             WHERE e.type = 'marked_sent_manually'""")
    assert manual
    for row in manual:
        moment = from_db(row["requested_at"])
        assert json.loads(row["details"])["send_date"] == moment.isoformat()


def test_times_run_in_order_and_never_after_now(cursor):
    latest = cursor.execute("SELECT max(occurred_at) FROM events").fetchall()[0][0]
    assert from_db(latest) <= DEMO_NOW
    out_of_order = cursor.execute("""
        SELECT count(*) FROM events e JOIN sends s ON s.id = e.send_id
        WHERE e.occurred_at < s.requested_at""").fetchall()[0][0]
    assert out_of_order == 0
    dsn_before_smtp = cursor.execute("""
        SELECT count(*) FROM events d JOIN events a
          ON a.send_id = d.send_id AND a.recipient_idx = d.recipient_idx
         AND a.type = 'recipient_accepted'
        WHERE d.type LIKE 'dsn_%' AND d.occurred_at <= a.occurred_at""").fetchall()[0][0]
    assert dsn_before_smtp == 0


def test_sends_and_deliveries_are_stored_in_request_order_as_the_outbox_writes_them(cursor):
    """The reads that cut on the request moment rely on it (DuckDB skips row groups by their
    min/max): the demo must not be slower than a real database for a reason of its own."""
    for table in ("sends", "deliveries"):
        earlier_after_later = cursor.execute(f"""
            SELECT count(*) FROM (
                SELECT requested_at, lag(requested_at) OVER (ORDER BY rowid) AS stored_before
                FROM {table}) AS stored
            WHERE requested_at < stored_before""").fetchall()[0][0]
        assert earlier_after_later == 0, table


def test_verp_tokens_are_signed_with_the_demo_key(cursor):
    tokens = rows(cursor, """SELECT d.send_id, d.idx, d.verp_token, s.mode
                             FROM deliveries d JOIN sends s ON s.id = d.send_id""")
    for row in tokens:
        if row["mode"] in ("relay", "relay_own_address"):
            assert row["verp_token"] == verp.make_token(DEMO_VERP_KEY, row["send_id"], row["idx"])
        else:
            assert row["verp_token"] is None


def test_returned_messages_are_real_messages_about_their_delivery(cursor):
    stored = rows(cursor, """
        SELECT r.id, r.raw_zlib, r.size_bytes, r.kind, r.send_id, e.recipient, e.details,
               d.verp_token
        FROM returned_messages r
        JOIN events e ON json_extract_string(e.details, '$.returned_message_id') = r.id
        JOIN deliveries d ON d.send_id = e.send_id AND d.idx = e.recipient_idx""")
    assert stored and {row["kind"] for row in stored} == {
        "failure", "delay", "success", "autoreply", "complaint"}
    for row in stored:
        raw = zlib.decompress(row["raw_zlib"])
        assert hashlib.sha256(raw).hexdigest() == row["id"]
        assert len(raw) == row["size_bytes"]
        # The project's own parser reads it back: same kind, same correlation keys.
        result = parse_message(raw)
        assert str(result.kind) == row["kind"]
        assert result.correlation.verp_token == row["verp_token"]
        if row["kind"] in ("failure", "delay", "success"):
            details = json.loads(row["details"])
            assert result.correlation.envelope_id == row["send_id"]
            assert result.recipients[0].recipient == row["recipient"]
            assert result.recipients[0].status == details["status_code"]


def test_a_generated_demo_database_says_it_is_one(demo_db, tmp_path):
    path, _ = demo_db
    with open_database(path) as db:
        assert is_demo(db.cursor())
    with open_database(tmp_path / "plain.duckdb") as db:
        assert not is_demo(db.cursor())
