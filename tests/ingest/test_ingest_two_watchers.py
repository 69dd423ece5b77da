"""Two watchers on one IMAP mailbox and one PostgreSQL store apply each bounce once.

Real Postfix bounces (unknown users at the stack's domain) land in Dovecot's INBOX; two
watchers, each with its own connection to the store as two processes would have, read it at
once in batches of two. Both read the same UIDs past the same checkpoint; the lock per mailbox
makes the second one's batch find the first one's messages stored: each bounce is stored once,
each delivery failed once, and the checkpoint ends at the last UID.
"""

from __future__ import annotations

import imaplib
from dataclasses import replace

import pytest

from tests import pg
from tests.ingest.conftest import (
    RelayWorld, clear_inbox, seed_documents, stack_settings, wait_until,
)
from tests.mailstack import DOMAIN
from tracking.ingest import IngestPolicy
from tracking.ingest_watch import MailboxWatcher, configured_mailbox
from tracking.store.connection import open_database

pytestmark = pytest.mark.slow

BOUNCES = 12


def inbox_uids(relay: RelayWorld) -> list[int]:
    connection = imaplib.IMAP4("127.0.0.1", relay.stack.imap_port, timeout=10)
    try:
        connection.login(*relay.stack.imap_login())
        connection.select("INBOX", readonly=True)
        _, data = connection.uid("SEARCH", "ALL")
        return [int(uid) for uid in data[0].split()]
    finally:
        connection.logout()


def test_two_watchers_on_one_imap_mailbox_apply_each_bounce_once(
        ingest_stack, tmp_path, postgres_server, monkeypatch):
    clear_inbox(ingest_stack)
    monkeypatch.setenv("SUIVI_OUTBOX_JOURNALS", str(tmp_path / "journals"))
    url = postgres_server.create_database(template=pg.TEMPLATE)
    settings = stack_settings(ingest_stack, poll_seconds=0.3)
    databases = [open_database(url) for _ in range(3)]
    db = databases[0]
    try:
        relay = RelayWorld(db, settings, ingest_stack, seed_documents(db, BOUNCES))
        send_ids = relay.send(*[(n, (f"ghost-watch{n}@{DOMAIN}",), ()) for n in range(BOUNCES)])
        wait_until(lambda: len(inbox_uids(relay)) >= BOUNCES, 60, "the bounces in the INBOX")

        spec = configured_mailbox(settings)
        policy = replace(IngestPolicy.from_settings(settings), batch_size=2)
        watchers = [MailboxWatcher(database, spec, policy) for database in databases[1:]]
        try:
            for watcher in watchers:
                watcher.start()
            wait_until(lambda: sum(w.status().ingested for w in watchers) >= BOUNCES, 60,
                       "both watchers to store the bounces",
                       lambda: [w.status() for w in watchers])
            for watcher in watchers:   # one more full pass each: nothing new to apply
                assert watcher.wait_for_cycles(watcher.cycles + 2, timeout=15)
        finally:
            for watcher in watchers:
                watcher.stop()
        assert sum(w.status().ingested for w in watchers) == BOUNCES
        assert all(w.status().last_error is None for w in watchers)

        cursor = db.cursor()
        assert cursor.execute("SELECT count(*) FROM returned_messages").fetchone()[0] == BOUNCES
        failed = cursor.execute(
            "SELECT send_id, count(*) FROM events WHERE type = 'dsn_failed' GROUP BY send_id"
        ).fetchall()
        assert sorted(failed) == sorted((send_id, 1) for send_id in send_ids)
        states = cursor.execute("SELECT DISTINCT state FROM deliveries").fetchall()
        assert states == [("not_delivered",)]
        last_uid = cursor.execute("SELECT last_uid FROM mailbox_checkpoints WHERE source = ?",
                                  [spec.name]).fetchone()[0]
        assert last_uid == max(inbox_uids(relay))
    finally:
        for database in databases:
            database.close()
