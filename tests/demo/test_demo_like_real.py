"""The demo's events look exactly like the ones the real code paths write.

The real actions run on top of a small demo — an online send through the outbox to the
in-process sandbox SMTP server (accepted, refused at RCPT, deferred until the retries run out),
a manual send, a send-date edit — and each event type they write must carry the same `details`
keys as the demo's events of that type.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.actors import support
from tracking.demo import DEMO_VERP_KEY, generate
from tracking import verp
from tracking.outbox import Outbox
from tracking.runtime import outbound_transport, settings_for
from tracking.service import SendPolicy, SendRequest, mark_sent_manually, request_send, \
    set_send_date
from tracking.store.connection import open_database

NOW = datetime(2026, 6, 3, 16, 0, tzinfo=UTC)


@pytest.fixture
def demo_with_real_activity(tmp_path):
    path = tmp_path / "demo.duckdb"
    generate(path, documents=600, seed=3, now=NOW)
    settings = settings_for({"SUIVI_TRANSPORT": "sandbox",
                             "SUIVI_SANDBOX_MAILDIR": str(tmp_path / "mail"),
                             "SUIVI_RETRY_ATTEMPTS": "2", "SUIVI_RETRY_BASE_DELAY": "0",
                             "SUIVI_RETRY_MAX_DELAY": "0"})
    with open_database(path) as db:
        unsent = dict(db.cursor().execute("""
            SELECT a.sending_mode, arg_min(d.id, d.id) FROM documents d
            JOIN accounts a ON a.id = d.account_id
            WHERE d.send_date IS NULL GROUP BY a.sending_mode""").fetchall())
        policy = SendPolicy(message_domain="suivi.localhost", verp_key=DEMO_VERP_KEY)
        moment = datetime.now(UTC)
        receipt = request_send(db, SendRequest(
            unsent["relay"], to=("claire@client.example", "reject-x@client.example"),
            cc=("tempfail-y@client.example",), actor=support("m.lefevre")), policy, now=moment)
        with outbound_transport(settings, "sandbox", db=db) as transport:
            Outbox(db, transport, settings, sleep=lambda seconds: None).run_until_empty()
        manual = mark_sent_manually(db, unsent["smtp"], support("ops.claire"), note="sent by post")
        set_send_date(db, unsent["smtp"], moment - timedelta(days=1), support("ops.claire"))
        yield db, {receipt.send_id, manual}, moment - timedelta(seconds=1)


def test_real_events_carry_the_same_details_keys_as_the_demos(demo_with_real_activity):
    db, _, since = demo_with_real_activity
    rows = db.cursor().execute(
        "SELECT type, occurred_at >= ? AS real, details FROM events", [since.replace(tzinfo=None)]
    ).fetchall()
    real, demo = {}, {}
    for event_type, is_real, details in rows:
        (real if is_real else demo).setdefault(event_type, set()).add(
            tuple(sorted(json.loads(details))))
    assert set(real) >= {"send_requested", "recipient_accepted", "recipient_refused",
                         "send_attempt_failed", "marked_sent_manually", "send_date_changed"}
    for event_type, key_sets in real.items():
        assert demo.get(event_type) == key_sets, event_type


def test_real_and_demo_sends_share_their_id_conventions(demo_with_real_activity):
    db, real_sends, _ = demo_with_real_activity
    sends = db.cursor().execute("""
        SELECT s.id, s.mode, s.message_id, s.envelope_id, s.idempotency_key, s.outbox_state,
               list(d.verp_token ORDER BY d.idx), list(d.idx ORDER BY d.idx)
        FROM sends s LEFT JOIN deliveries d ON d.send_id = s.id
        GROUP BY ALL""").fetchall()
    seen = set()
    for send_id, mode, message_id, envelope_id, key, outbox_state, tokens, indexes in sends:
        shape = (len(send_id), key == send_id, outbox_state in ("done", "none", "queued"))
        assert shape == (32, True, True)
        if mode == "manual":
            assert (message_id, envelope_id, outbox_state) == (None, None, "none")
        else:
            assert message_id == f"<suivi.{send_id}@suivi.localhost>"
            assert envelope_id == send_id
        if mode in ("relay", "relay_own_address"):
            for token, idx in zip(tokens, indexes):
                assert verp.verify_token(DEMO_VERP_KEY, token) is verp.VerpCheck.VALID
                assert token == verp.make_token(DEMO_VERP_KEY, send_id, idx)
        seen.add(send_id in real_sends)
    assert seen == {True, False}
