"""The `delivery_counts` rollup (migration 9) stays equal to a recount of the deliveries through
sends, SMTP outcomes, delivery reports (late failures included), resends and manual marks, and
the failures aggregates read from it say what the deliveries say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.actors import support
from tests.core.conftest import seed
from tracking.events import Event, event_id
from tracking.models import DeliveryState, EventType, RecipientRole, SendingMode
from tracking.records import Delivery, Send
from tracking.service import SendRequest, mark_sent_manually, request_send
from tracking.store import console_queries as q
from tracking.store import delivery_counts, event_counts, writes
from tracking.store.connection import open_database
from tracking.store.ledger import record_events
from tracking.store.migrations import MIGRATIONS, migrate

NOW = datetime(2026, 11, 28, 13, 32, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 28)
FAILED = {"not_sent", "not_delivered"}


def outcome(kind: EventType, send_id: str, idx: int, minutes: int, **details) -> Event:
    return Event(event_id(kind, send_id, idx, minutes), kind, NOW + timedelta(minutes=minutes),
                 "system", send_id=send_id, recipient_idx=idx, details=details)


def stored(db) -> dict[tuple, int]:
    rows = db.cursor().execute(
        "SELECT state, reason, delay_bucket, sum(deliveries) FROM delivery_counts "
        "GROUP BY ALL HAVING sum(deliveries) <> 0").fetchall()
    return {tuple(row[:3]): row[3] for row in rows}


def test_counts_follow_sends_reports_resends_and_manual_marks(db, policy):
    documents = seed(db, documents_per_account=2)
    relay = documents[SendingMode.RELAY]
    first = request_send(db, SendRequest(relay[0], ("billing@client.test",),
                                         ("Boss@Client.TEST",), support()), policy, now=NOW)
    other = request_send(db, SendRequest(relay[1], ("a@gmial.com",), actor=support()),
                         policy, now=NOW)
    assert stored(db) == {("pending", "", 0): 3}
    with db.transaction() as cursor:
        record_events(cursor, [
            outcome(EventType.RECIPIENT_ACCEPTED, first.send_id, 0, 1),
            outcome(EventType.RECIPIENT_ACCEPTED, first.send_id, 1, 1),
            outcome(EventType.RECIPIENT_REFUSED, other.send_id, 0, 1, reason="hostunknown"),
            outcome(EventType.DSN_DELIVERED, first.send_id, 0, 3),
            outcome(EventType.DSN_DELIVERED, first.send_id, 1, 30),
        ])
    assert stored(db) == {("delivered", "", 2): 1, ("delivered", "", 4): 1,
                          ("not_sent", "hostunknown", 0): 1}
    with db.transaction() as cursor:   # a late failure takes a delivered recipient back
        record_events(cursor, [outcome(EventType.DSN_FAILED, first.send_id, 1, 90,
                                       reason="userunknown")])
    resent = request_send(db, SendRequest(relay[1], ("a@gmail.com",), actor=support(),
                                          force=True), policy, now=NOW + timedelta(hours=2))
    mark_sent_manually(db, documents[SendingMode.MANUAL][0], support(),
                       now=NOW + timedelta(hours=3))
    assert resent.created
    assert stored(db) == {("delivered", "", 2): 1, ("not_delivered", "userunknown", 0): 1,
                          ("not_sent", "hostunknown", 0): 1, ("pending", "", 0): 1}
    assert delivery_counts.drift(db.cursor()) == []
    domains = {row[0] for row in db.cursor().execute(
        "SELECT domain FROM delivery_counts WHERE deliveries > 0").fetchall()}
    assert domains == {"client.test", "gmial.com", "gmail.com"}


@pytest.mark.engines("duckdb", "postgres")
def test_the_writes_count_each_delivery_under_the_key_a_recount_gives(db, policy):
    """The writes count from the values they hold (no table read back): the counts equal a
    recount on each engine, whatever the address looks like (upper case, two @, none, not
    ASCII) and at each delay bucket's bounds (a report just before, at and after them)."""
    documents = seed(db, documents_per_account=1)
    relay = documents[SendingMode.RELAY][0]
    addresses = ["A@Client.TEST", "x@b@c.test", "nobody", "é@DOMAÏNE.test", "z@DOMAINE.test",
                 *(f"r{n}@client.test" for n in range(10))]
    requested = NOW - timedelta(days=1, hours=23)     # the request's day is not the reports'
    send = Send("send-keys", relay, "acct-relay", SendingMode.RELAY, requested, "tester",
                None, None, "send-keys", "queued")
    with db.transaction() as cursor:
        writes.insert_send(cursor, send)
        writes.insert_deliveries(cursor, [
            Delivery(send_id=send.id, idx=i, address=address, role=RecipientRole.TO,
                     verp_token=None, state=DeliveryState.PENDING, state_at=requested)
            for i, address in enumerate(addresses)], [send])
    assert delivery_counts.drift(db.cursor()) == []
    delays = [59, 60, 299, 300, 3600, 86399, 86400, 90000]
    with db.transaction() as cursor:
        record_events(cursor, [
            Event(event_id(EventType.RECIPIENT_ACCEPTED, send.id, i), EventType.RECIPIENT_ACCEPTED,
                  requested + timedelta(seconds=1), "system", send_id=send.id, recipient_idx=i,
                  details={}) for i in range(len(addresses))])
    with db.transaction() as cursor:
        record_events(cursor, [
            Event(event_id(EventType.DSN_DELIVERED, send.id, i), EventType.DSN_DELIVERED,
                  requested + timedelta(seconds=delay, microseconds=i % 2), "system",
                  send_id=send.id, recipient_idx=i, details={})
            for i, delay in enumerate(delays)] + [
            outcome(EventType.DSN_FAILED, send.id, len(delays), 5, reason="userunknown")])
    assert delivery_counts.drift(db.cursor()) == []
    buckets = {row[0]: row[1] for row in db.cursor().execute(
        "SELECT delay_bucket, sum(deliveries) FROM delivery_counts WHERE state = 'delivered' "
        "GROUP BY delay_bucket HAVING sum(deliveries) <> 0").fetchall()}
    assert buckets == {1: 1, 2: 2, 3: 1, 5: 1, 6: 1, 7: 2}


def test_a_replayed_report_counts_nothing_twice(db, policy):
    documents = seed(db, documents_per_account=1)
    receipt = request_send(db, SendRequest(documents[SendingMode.RELAY][0], ("a@b.test",),
                                           actor=support()), policy, now=NOW)
    report = outcome(EventType.DSN_FAILED, receipt.send_id, 0, 5, reason="mailboxfull")
    for _ in range(2):   # the same report read twice: the second insert is skipped
        with db.transaction() as cursor:
            record_events(cursor, [report, report])
    assert stored(db) == {("not_delivered", "mailboxfull", 0): 1}
    assert delivery_counts.drift(db.cursor()) == []


def test_drift_names_a_count_written_behind_the_rollup_and_rebuild_repairs_it(db, policy):
    documents = seed(db, documents_per_account=1)
    request_send(db, SendRequest(documents[SendingMode.SMTP][0], ("a@b.test",),
                                 actor=support()), policy, now=NOW)
    cursor = db.cursor()
    cursor.execute("UPDATE deliveries SET state = 'delivered'")   # past the write path
    drifted = delivery_counts.drift(cursor)
    assert sorted((row[4], row[7], row[8]) for row in drifted) == [
        ("delivered", 0, 1), ("pending", 1, 0)]
    delivery_counts.rebuild(cursor)
    assert delivery_counts.drift(cursor) == []


def test_migration_counts_the_deliveries_of_an_existing_database(tmp_path, policy):
    path = tmp_path / "old.duckdb"
    with open_database(path) as db:
        documents = seed(db, documents_per_account=1)
        request_send(db, SendRequest(documents[SendingMode.RELAY][0], ("a@b.test", "c@d.test"),
                                     actor=support()), policy, now=NOW)
        cursor = db.cursor()
        cursor.execute("DROP TABLE delivery_counts")      # as written before version 9
        cursor.execute("DROP INDEX returned_messages_document")
        cursor.execute("DROP INDEX client_addresses_client")
        cursor.execute("DELETE FROM schema_version WHERE version >= 9")
        up_to_nine = tuple(m for m in MIGRATIONS if m.version <= 9)
        assert migrate(cursor, up_to_nine) == 9
        assert stored(db) == {("pending", "", 0): 2}


def test_failure_summary_from_the_rollup_equals_the_one_from_the_deliveries(db, policy):
    documents = seed(db, documents_per_account=3)
    receipts = [request_send(db, SendRequest(document_id, ("x@one.test", "y@two.test"),
                                             actor=support()), policy, now=NOW)
                for document_id in documents[SendingMode.RELAY] + documents[SendingMode.SMTP]]
    with db.transaction() as cursor:
        record_events(cursor, [
            outcome(EventType.DSN_FAILED, receipts[0].send_id, 0, 4, reason="userunknown"),
            outcome(EventType.RECIPIENT_REFUSED, receipts[3].send_id, 1, 1, reason="blocked"),
            outcome(EventType.DSN_DELIVERED, receipts[1].send_id, 1, 2),
        ])
    cursor = db.cursor()
    whole_days = q.failure_summary(cursor, MIDNIGHT, MIDNIGHT + timedelta(days=1))
    # A period that is not whole days reads the deliveries; this one covers the same sends.
    raw = q.failure_summary(cursor, MIDNIGHT + timedelta(seconds=1), MIDNIGHT + timedelta(days=1))
    assert (whole_days.total, whole_days.failures) == (raw.total, raw.failures) == (12, 2)
    for part in ("by_reason", "by_domain", "by_mode", "by_account", "by_day", "by_group"):
        left, right = getattr(whole_days, part), getattr(raw, part)
        assert left.to_dict("records") == right.to_dict("records"), part
    charts = q.history_charts(cursor, MIDNIGHT, MIDNIGHT + timedelta(days=1))
    charts_raw = q.history_charts(cursor, MIDNIGHT + timedelta(seconds=1),
                                  MIDNIGHT + timedelta(days=1))
    assert charts.failure_rate.to_dict("records") == charts_raw.failure_rate.to_dict("records")
    assert charts.delivery_delay.to_dict("records") == \
        charts_raw.delivery_delay.to_dict("records")
    assert charts.delivery_delay["deliveries"].sum() == 1


def test_concurrent_writers_counting_the_same_key_both_commit(db, policy):
    """The outbox, the mailbox watcher and the console write in parallel transactions: counting
    the same day, account, domain and state in both must not be a write-write conflict."""
    documents = seed(db, documents_per_account=2)
    relay = documents[SendingMode.RELAY]
    receipts = [request_send(db, SendRequest(document_id, ("a@same.test",), actor=support()),
                             policy, now=NOW) for document_id in relay]
    first, second = db._connection.cursor(), db._connection.cursor()   # two "threads"
    first.execute("BEGIN TRANSACTION")
    second.execute("BEGIN TRANSACTION")
    record_events(first, [outcome(EventType.RECIPIENT_ACCEPTED, receipts[0].send_id, 0, 1)])
    record_events(second, [outcome(EventType.RECIPIENT_ACCEPTED, receipts[1].send_id, 0, 1)])
    first.execute("COMMIT")
    second.execute("COMMIT")
    assert stored(db) == {("sent", "", 0): 2}
    assert delivery_counts.drift(db.cursor()) == []


def test_compact_folds_each_key_into_one_row_and_keeps_the_sums(db, policy):
    documents = seed(db, documents_per_account=1)
    receipt = request_send(db, SendRequest(documents[SendingMode.RELAY][0], ("a@b.test",),
                                           actor=support()), policy, now=NOW)
    with db.transaction() as cursor:
        record_events(cursor, [outcome(EventType.RECIPIENT_ACCEPTED, receipt.send_id, 0, 1)])
    before = stored(db)
    with db.transaction() as cursor:
        assert delivery_counts.compact(cursor) == 1        # pending +1 -1 folded away
    assert stored(db) == before == {("sent", "", 0): 1}
    assert delivery_counts.drift(db.cursor()) == []


def test_a_rebuild_and_a_fold_write_the_rollup_in_day_order(db, policy):
    """A period's reads skip the other days' row groups by their min/max (DuckDB keeps the
    insertion order); counted in hash order, every row group would hold every day."""
    documents = seed(db, documents_per_account=3)
    for n, document_id in enumerate(documents[SendingMode.RELAY] + documents[SendingMode.SMTP]):
        request_send(db, SendRequest(document_id, (f"a@d{n}.test", f"b@e{n}.test"),
                                     actor=support()), policy,
                     now=NOW - timedelta(days=(n * 7) % 5))   # days out of order

    def days_out_of_order() -> int:
        return db.cursor().execute(
            """SELECT count(*) FROM (SELECT day, lag(day) OVER (ORDER BY rowid) AS stored_before
                                     FROM delivery_counts) AS stored
               WHERE day < stored_before""").fetchone()[0]

    assert days_out_of_order() > 0   # appended as the sends came
    with db.transaction() as cursor:
        delivery_counts.compact(cursor)
    assert days_out_of_order() == 0
    with db.transaction() as cursor:
        delivery_counts.rebuild(cursor)
    assert days_out_of_order() == 0
    assert delivery_counts.drift(db.cursor()) == []


def test_the_owner_folds_the_rollup_once_it_has_grown_by_half(tmp_path, policy, monkeypatch):
    from tracking.server import Owner

    monkeypatch.setattr(delivery_counts, "COMPACT_MIN_ROWS", 4)
    owner = Owner(tmp_path / "suivi.duckdb", workers=(), compact_every=0.0)
    try:
        db = owner.open()
        documents = seed(db, documents_per_account=1)
        receipt = request_send(db, SendRequest(documents[SendingMode.RELAY][0], tuple(
            f"r@d{n}.test" for n in range(4)), actor=support()), policy, now=NOW)
        assert delivery_counts.row_count(db.cursor()) == 4   # one key per domain
        assert not owner.compact_counts()          # the first look only notes the size
        with db.transaction() as cursor:           # 4 pending -1, 4 sent +1: 12 rows
            record_events(cursor, [outcome(EventType.RECIPIENT_ACCEPTED, receipt.send_id, n, 1)
                                   for n in range(4)])
        before = stored(db)
        assert owner.compact_counts()
        assert delivery_counts.row_count(db.cursor()) == 4 and stored(db) == before
        assert delivery_counts.drift(db.cursor()) == []
        assert not owner.compact_counts()          # nothing grew since the fold
    finally:
        owner.close()


@pytest.mark.engines("duckdb", "postgres")
def test_event_counts_follow_the_log_and_answer_the_history(db, policy):
    """Migration 13: the `event_counts` rollup equals a recount of the log after sends and
    replayed reports, and the History page's chart and list read from it say what the events
    say (whole days, with and without filters)."""
    documents = seed(db, documents_per_account=2)
    receipt = request_send(db, SendRequest(documents[SendingMode.RELAY][0],
                                           ("a@b.test", "c@d.test"), actor=support()),
                           policy, now=NOW)
    mark_sent_manually(db, documents[SendingMode.MANUAL][0], support(),
                       now=NOW + timedelta(days=1))
    report = outcome(EventType.DSN_FAILED, receipt.send_id, 0, 5, reason="mailboxfull")
    for _ in range(2):   # read twice: counted once
        with db.transaction() as cursor:
            record_events(cursor, [report, report,
                                   outcome(EventType.DSN_DELIVERED, receipt.send_id, 1, 7)])
    cursor = db.cursor()
    assert event_counts.drift(cursor) == []
    assert int(cursor.execute("SELECT sum(events) FROM event_counts").fetchall()[0][0]) == \
        int(cursor.execute("SELECT count(*) FROM events").fetchall()[0][0])
    since, until = MIDNIGHT - timedelta(days=3), MIDNIGHT + timedelta(days=3)
    activity = q.history_charts(cursor, since, until).activity
    plain = cursor.execute(
        """SELECT date_trunc('day', occurred_at) AS day, type, count(*) AS events FROM events
           WHERE occurred_at >= ? AND occurred_at < ? GROUP BY 1, 2 ORDER BY 1, 2""",
        [since, until]).fetchall()
    assert [(r.day.to_pydatetime(), r.type, r.events) for r in activity.itertuples()] == plain
    assert {r.type for r in activity.itertuples()} >= {"dsn_failed", "dsn_delivered"}
    # the list, narrowed by the rollup, equals the plain newest-first slice
    for filters in ({}, {"event_types": ["dsn_failed", "dsn_delivered"]},
                    {"account_id": "acct-relay"}):
        for limit in (1, 2, 3, 50):
            shown = q.history_page(cursor, since=since, until=until, limit=limit, **filters)
            types = filters.get("event_types")
            expected = cursor.execute(
                """SELECT id FROM events WHERE occurred_at >= ? AND occurred_at < ?
                     AND (?::VARCHAR[] IS NULL OR type = ANY(?::VARCHAR[]))
                     AND (?::VARCHAR IS NULL OR account_id = ?)
                   ORDER BY occurred_at DESC, seq DESC LIMIT ?""",
                [since, until, types, types, filters.get("account_id"),
                 filters.get("account_id"), limit]).fetchall()
            assert len(shown) == len(expected) and len(shown) > 0, (filters, limit)
            assert list(shown["occurred_at"]) == [
                cursor.execute("SELECT occurred_at FROM events WHERE id = ?",
                               [row[0]]).fetchall()[0][0] for row in expected], (filters, limit)
    keys = cursor.execute("""SELECT count(*) FROM (SELECT DISTINCT date_trunc('day', occurred_at),
                                    account_id, type FROM events) AS k""").fetchall()[0][0]
    assert event_counts.row_count(cursor) >= keys   # a row per key per batch, before folding
    with db.transaction() as cursor:
        assert event_counts.compact(cursor) == keys
    assert event_counts.drift(db.cursor()) == []
