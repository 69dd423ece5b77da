"""Two mailbox watchers on one PostgreSQL reading the same mailbox never apply a message twice.

The sandbox first writes a backlog of returned messages (delivery reports, bounces, delays,
auto-replies, complaints) for 210 sends; then two watchers, each with its own connection as
two processes would have, start on it together in small batches, so they keep reading the
same messages and committing batches that overlap. Each message must be stored once, with one
checkpoint entry, and its events recorded once; the deliveries end as their recipients'
behaviour says, and their stored state is the fold of their events.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest

from tests import pg
from tests.actors import support
from tests.core.conftest import seed
from tests.core.test_fleet import BEHAVIOURS, behaviour_of, fold_mismatches, recipients_of
from tracking.config import load_settings
from tracking.ingest import IngestPolicy
from tracking.ingest_watch import MailboxSpec, MailboxWatcher
from tracking.inbound.maildir import MaildirMailbox
from tracking.models import SendingMode
from tracking.outbound.sandbox import SandboxServer
from tracking.outbound.smtp import SmtpTransport
from tracking.outbox import Outbox
from tracking.service import SendPolicy, SendRequest, request_sends
from tracking.store import delivery_counts
from tracking.store.connection import open_database

pytestmark = pytest.mark.slow

SENDS = 210
VERP_KEY = "watchers-test-verp-key"


def test_two_watchers_on_one_mailbox_apply_each_message_once(tmp_path, postgres_server,
                                                             monkeypatch):
    monkeypatch.setenv("SUIVI_OUTBOX_JOURNALS", str(tmp_path / "journals"))
    url = postgres_server.create_database(template=pg.TEMPLATE)
    maildir = tmp_path / "returned"
    settings = load_settings({"SUIVI_VERP_KEY": VERP_KEY, "SUIVI_SMTP_TLS": "none",
                              "SUIVI_SMTP_HOST": "127.0.0.1",
                              "SUIVI_BOUNCE_DOMAIN": "bounces.watchers.test"})
    with open_database(url) as db:
        documents = seed(db, documents_per_account=SENDS)[SendingMode.RELAY]
        request_sends(db, [SendRequest(document, recipients_of(n), actor=support("alice"))
                           for n, document in enumerate(documents)],
                      SendPolicy.from_settings(settings))
        with SandboxServer(maildir, bounce_domain=settings.bounce_domain) as server:
            smtp = replace(settings.smtp, port=server.port)
            with SmtpTransport(smtp) as transport:
                Outbox(db, transport, replace(settings, smtp=smtp)).run_until_empty()
    files = {p.name.split(":", 1)[0] for p in (maildir / "new").iterdir()}
    assert len(files) == sum(BEHAVIOURS[behaviour_of(recipients_of(n)[-1])][1]
                             for n in range(SENDS))

    spec = MailboxSpec(MaildirMailbox(maildir).name, lambda: MaildirMailbox(maildir), None, 0.2)
    policy = replace(IngestPolicy.from_settings(settings), batch_size=8)
    databases = [open_database(url), open_database(url)]   # one connection each
    watchers = [MailboxWatcher(db, spec, policy) for db in databases]
    try:
        for watcher in watchers:
            watcher.start()
        deadline = time.monotonic() + 60
        while sum(w.status().ingested for w in watchers) < len(files):
            assert time.monotonic() < deadline, [w.status() for w in watchers]
            time.sleep(0.05)
        for watcher in watchers:   # one more full pass each: nothing new to apply
            assert watcher.wait_for_cycles(watcher.cycles + 2, timeout=15)
    finally:
        for watcher in watchers:
            watcher.stop()
        for db in databases:
            db.close()

    stored = [w.status().ingested for w in watchers]
    assert sum(stored) == len(files)              # each message stored by one watcher only
    assert all(stored), stored                    # and both really took part
    assert all(w.status().last_error is None for w in watchers)
    with open_database(url) as db:
        cursor = db.cursor()
        entries = [row[0] for row in cursor.execute("SELECT entry FROM maildir_entries")
                   .fetchall()]
        returned = cursor.execute("SELECT count(*) FROM returned_messages "
                                  "WHERE match_state = 'matched'").fetchone()[0]
        per_report = Counter(cursor.execute(
            """SELECT send_id, recipient_idx, type FROM events
               WHERE type IN ('dsn_delivered', 'dsn_failed', 'dsn_delayed',
                              'autoreply_received', 'complaint_received')""").fetchall())
        deliveries = cursor.execute(
            "SELECT send_id, idx, address, state, reason, complained, in_flight FROM deliveries"
        ).fetchall()
        wrong_fold = fold_mismatches(cursor, deliveries)
        drift = delivery_counts.drift(cursor)
    assert sorted(entries) == sorted(files) and returned == len(files)
    assert max(per_report.values()) == 1          # no report applied twice
    assert {(address, state) for _, _, address, state, *_ in deliveries} == {
        (address, str(BEHAVIOURS[behaviour_of(address)][0])) for _, _, address, *_ in deliveries}
    assert wrong_fold == [] and drift == []
