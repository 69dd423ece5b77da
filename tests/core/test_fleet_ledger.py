"""Two processes recording events on one delivery (PostgreSQL): the log's order is the order
the delivery moved in, so folding the log gives the stored state.

A sender's recording transaction holds the delivery while a mailbox watcher, on its own
connection, records a delay report for it; then the sender records the acceptance and commits.
The watcher's event must be numbered after the acceptance it waited for — numbered before, a
fold of the log (delay, then acceptance: `sent`) would disagree with the state the two
transactions left (acceptance, then delay: `pending`), since these two moves do not commute.
"""

from __future__ import annotations

import threading

from tests import pg
from tests.actors import support
from tests.core.conftest import seed
from tests.core.owner_support import wait_for
from tracking.clock import utc_now
from tracking.events import Event, event_id
from tracking.models import SYSTEM_ACTOR, EventType, SendingMode
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.state import fold
from tracking.store import delivery_counts, event_counts, queries
from tracking.store.connection import open_database
from tracking.store.ledger import record_events


def test_events_are_numbered_in_the_order_they_move_a_delivery(postgres_server):
    url = postgres_server.create_database(template=pg.TEMPLATE)
    databases = [open_database(url) for _ in range(3)]
    db, sender, watcher = databases
    try:
        document = seed(db)[SendingMode.RELAY][0]
        receipt = request_send(db, SendRequest(document, ("defer-jean@client.example",),
                                               actor=support()),
                               SendPolicy(verp_key=b"ledger-test-key"))
        send = queries.get_send(db.cursor(), receipt.send_id)

        def event(event_type: EventType, details: dict, *identity: object) -> Event:
            return Event(event_id(event_type, *identity, send.id, 0), event_type, utc_now(),
                         SYSTEM_ACTOR, send.account_id, send.document_id, send.id, 0,
                         "defer-jean@client.example", details)

        accepted = event(EventType.RECIPIENT_ACCEPTED,
                         {"smtp_reply": "250 2.0.0 Ok: queued", "reply_code": 250,
                          "stage": "data"})
        delayed = event(EventType.DSN_DELAYED,
                        {"returned_message_id": "rm-1", "kind": "delay", "action": "delayed",
                         "reason": "greylisted", "diagnostic": "450 4.2.0 Greylisted"}, "rm-1")
        errors: list[BaseException] = []

        def watcher_records() -> None:
            try:
                watcher.retrying(lambda cursor: record_events(cursor, [delayed]))
            except BaseException as err:  # noqa: BLE001 - reported by the test thread
                errors.append(err)

        thread = threading.Thread(target=watcher_records)
        with sender.transaction() as cursor:
            # the sender's transaction holds the delivery (as an earlier statement would)
            cursor.execute("SELECT idx FROM deliveries WHERE send_id = ? FOR UPDATE", [send.id])
            thread.start()
            wait_for(lambda: db.cursor().execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()").fetchone()[0], 10, "the watcher to wait")
            assert record_events(cursor, [accepted]) == [accepted]
        thread.join(30)
        assert not thread.is_alive() and not errors, errors

        cursor = db.cursor()
        log = queries.events_of_delivery(cursor, send.id, 0)
        assert [e.type for e in log] == [EventType.SEND_REQUESTED, EventType.RECIPIENT_ACCEPTED,
                                         EventType.DSN_DELAYED]
        state, reason = cursor.execute(
            "SELECT state, reason FROM deliveries WHERE send_id = ?", [send.id]).fetchone()
        assert (state, reason) == ("pending", "greylisted")
        folded = fold(log)
        assert (str(folded.state), folded.reason) == (state, reason)
        assert delivery_counts.drift(cursor) == []
    finally:
        for database in databases:
            database.close()


def test_two_owners_folding_the_rollup_at_once_count_each_delivery_once(postgres_server):
    """Two owners (console replicas, `serve` processes) fold the delivery-counts rollup at the
    same moment: the second waits for the first, and the counts stay exact."""
    url = postgres_server.create_database(template=pg.TEMPLATE)
    databases = [open_database(url) for _ in range(3)]
    db, first, second = databases
    try:
        policy = SendPolicy(verp_key=b"ledger-test-key")
        for document in seed(db)[SendingMode.RELAY]:
            request_send(db, SendRequest(document, ("a@client.example", "b@client.example"),
                                         actor=support()), policy)
        assert delivery_counts.drift(db.cursor()) == []
        errors: list[BaseException] = []

        def second_folds() -> None:
            try:
                with second.transaction() as cursor:   # as the owner folds them
                    event_counts.compact(cursor)
                    delivery_counts.compact(cursor)
            except BaseException as err:  # noqa: BLE001 - reported by the test thread
                errors.append(err)

        thread = threading.Thread(target=second_folds)
        with first.transaction() as cursor:
            event_counts.compact(cursor)
            delivery_counts.compact(cursor)
            thread.start()
            wait_for(lambda: db.cursor().execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()").fetchone()[0], 10, "the second fold to wait")
        thread.join(30)
        assert not thread.is_alive() and not errors, errors
        assert delivery_counts.drift(db.cursor()) == []
        assert event_counts.drift(db.cursor()) == []
    finally:
        for database in databases:
            database.close()
