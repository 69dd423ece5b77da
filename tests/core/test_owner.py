"""The owner (`tracking.server`): one sender per database whatever the console's caches do,
faults of the outbound server that keep deliveries pending until it is back, and write
conflicts that are retried instead of leaving a cursor in an aborted transaction."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
import streamlit as st

from tests.core.owner_support import (
    REPO, env_for, queue_sends, received, recording_server, states, wait_for,
)
from tests.tools.processes import free_ports
from tracking.config import load_settings
from tracking.errors import SenderBusy
from tracking.outbound.smtpd import AnnouncesDsn, LoopbackController
from tracking.outbox import Outbox
from tracking.server import Owner, stop_process_owners
from tracking.store import queries
from tracking.store.connection import open_database


def sender_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "suivi-outbox" and t.is_alive()]


def test_a_second_sender_is_refused_in_this_process_and_in_another(tmp_path):
    log = tmp_path / "received.jsonl"
    db_path = tmp_path / "suivi.duckdb"
    with recording_server(log) as port:
        settings = load_settings(env_for(port))
        owner = Owner(db_path, workers=("outbox",), settings=settings, transport="smtp").start()
        try:
            second = Outbox(owner.db, None, settings)
            with pytest.raises(SenderBusy):
                second.run_until_empty()
            other = subprocess.run(
                [sys.executable, "-c", "import sys; from tracking.outbox_journal import "
                 "OutboxJournal; OutboxJournal(sys.argv[1]).acquire()",
                 str(db_path) + ".outbox-journal"], cwd=REPO, capture_output=True, text=True)
            assert other.returncode != 0 and "another outbox sender" in other.stderr
        finally:
            owner.close()
        # the lock goes with its holder: a new sender may run now
        with open_database(db_path) as db:
            Outbox(db, None, settings).run_until_empty()


def test_clearing_every_streamlit_cache_mid_send_keeps_one_sender(tmp_path, monkeypatch):
    from ui import resources

    log = tmp_path / "received.jsonl"
    db_path = tmp_path / "suivi.duckdb"
    with open_database(db_path) as db:
        send_ids = queue_sends(db, 150)
    with recording_server(log, delay=0.01) as port:
        for name, value in env_for(port, db_path).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SUIVI_WORKERS", "1")
        try:
            owner = resources.owner()
            owner.wake()
            wait_for(lambda: len(received(log)) >= 10, 30, "the first messages")
            st.cache_resource.clear()
            st.cache_data.clear()
            assert resources.owner() is owner and resources.database() is owner.db
            assert len(sender_threads()) == 1
            wait_for(lambda: len(received(log)) >= 150, 60, "every message")
            db = owner.db
            wait_for(lambda: states(db) == {"sent": 150}, 10, "every outcome recorded")
        finally:
            stop_process_owners()
    counts = received(log)
    assert len(counts) == len(send_ids) and max(counts.values()) == 1  # none twice
    assert sender_threads() == []


def test_server_down_then_back_ends_every_delivery_sent_without_anyone(tmp_path):
    log = tmp_path / "received.jsonl"
    [port] = free_ports(1)
    settings = load_settings(env_for(port))
    owner = Owner(tmp_path / "suivi.duckdb", workers=("outbox",), settings=settings,
                  transport="smtp", poll_seconds=0.2)
    db = owner.open()
    send_ids = queue_sends(db, 30, ("a@example.test", "b@example.test"))
    owner.start()
    try:
        health = wait_for(lambda: owner.status().outbound.down and owner.status().outbound,
                          10, "the outage to show")
        assert health.fault == "unreachable" and health.since is not None
        wait_for(lambda: queries.outbound_waiting(db.cursor()) == 60, 10, "all deferred")
        assert states(db) == {"pending": 60}          # nobody refused anything
        reasons = {row[0] for row in db.cursor().execute(
            "SELECT reason FROM deliveries").fetchall()}
        assert all("cannot connect" in reason for reason in reasons)
        with recording_server(log, port=port):
            wait_for(lambda: states(db) == {"sent": 60}, 30, "every delivery sent")
            assert owner.status().outbound.state == "up"
        assert queries.outbound_waiting(db.cursor()) == 0
        queued = db.cursor().execute(
            "SELECT count(*) FROM sends WHERE outbox_state = 'queued'").fetchone()[0]
        assert queued == 0
        assert sum(received(log).values()) == 60 and max(received(log).values()) == 1
        assert len(send_ids) == 30
    finally:
        owner.close()


class Authenticating(AnnouncesDsn):
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok"


def test_refused_authentication_keeps_deliveries_pending_with_the_reason(tmp_path):
    def refuse(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535

    controller = LoopbackController(Authenticating(), authenticator=refuse,
                                    auth_require_tls=False)
    controller.start()
    try:
        settings = load_settings(env_for(controller.port, SUIVI_SMTP_USER="compta",
                                         SUIVI_SMTP_PASSWORD="wrong"))
        with open_database(tmp_path / "suivi.duckdb") as db:
            queue_sends(db, 3)
            from tracking.outbound.smtp import SmtpTransport
            with SmtpTransport(settings.smtp) as transport:
                outbox = Outbox(db, transport, settings)
                stats = outbox.run_until_empty()
            assert (stats.deferred, stats.refused) == (3, 0)
            assert states(db) == {"pending": 3}
            health = outbox.health.get()
            assert health.fault == "auth" and "535" in health.detail, health
    finally:
        controller.stop()


def test_a_write_conflict_is_rolled_back_and_retried(tmp_path):
    with open_database(tmp_path / "suivi.duckdb") as db:
        db.cursor().execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
        db.cursor().execute("INSERT INTO counter VALUES (1, 0)")
        holder = db._connection.cursor()   # another writer, in its own transaction
        holder.execute("BEGIN TRANSACTION")
        holder.execute("UPDATE counter SET value = 10 WHERE id = 1")
        calls = []

        def work(cursor):
            calls.append(1)
            if len(calls) == 1:
                threading.Timer(0.05, lambda: holder.execute("COMMIT")).start()
            cursor.execute("UPDATE counter SET value = value + 1 WHERE id = 1")

        db.retrying(work)
        assert len(calls) >= 2
        assert db.cursor().execute("SELECT value FROM counter").fetchone()[0] == 11
        # the loser's cursor is usable afterwards (no "Current transaction is aborted")
        with db.transaction() as cursor:
            cursor.execute("UPDATE counter SET value = 12 WHERE id = 1")


def test_sandbox_sender_and_mailbox_watcher_together_record_everything(tmp_path, caplog):
    """The console's own setup: DSNs come back within milliseconds and the watcher records them
    on rows the sender may still be recording, while the marks worker rewrites the marks —
    every writer retries a lost conflict instead of failing its batch."""
    env = {"SUIVI_TRANSPORT": "sandbox", "SUIVI_SANDBOX_MAILDIR": str(tmp_path / "mail"),
           "SUIVI_VERP_KEY": "owner-test-verp-key", "SUIVI_MESSAGE_DOMAIN": "owner.test"}
    owner = Owner(tmp_path / "suivi.duckdb", workers=("outbox", "mailbox", "marks"),
                  settings=load_settings(env), transport="sandbox", poll_seconds=0.2,
                  marks_every=0.05)
    db = owner.open()
    queue_sends(db, 300, ("client@example.test",))
    owner.start()
    try:
        owner.wake()
        wait_for(lambda: not states(db).get("pending"), 60, "every handoff recorded")
        status = owner.status()
        assert status.outbox_error is None and status.marks_error is None
        assert not [r for r in caplog.records if "batch failed" in r.getMessage()]
        assert sum(states(db).values()) == 300 and not states(db).get("not_sent")
    finally:
        owner.close()
