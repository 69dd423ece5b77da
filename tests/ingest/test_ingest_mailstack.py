"""End to end through the real thing: documents sent by the outbox through a private Postfix,
real DSNs delivered by Dovecot into the bounce mailbox, read back over IMAP by `ingest`."""

from __future__ import annotations

import email
import json
from dataclasses import replace

from tests.ingest.conftest import RelayWorld, clear_inbox
from tests.mailstack import DOMAIN
from tracking.inbound.mailbox import ImapMailbox
from tracking.ingest import ingest_available
from tracking.verp import make_token
from tracking.store import inbound

ALICE, GHOST, FULL, TEMPFULL = (f"{user}@{DOMAIN}" for user in ("alice", "ghost", "full",
                                                                 "tempfull"))


def _ingest(relay: RelayWorld):
    source = ImapMailbox(relay.settings.imap)
    try:
        return ingest_available(relay.db, source, relay.policy)
    finally:
        source.close()


def _events(relay: RelayWorld, send_id: str) -> list[tuple]:
    return relay.db.cursor().execute(
        """SELECT type, recipient_idx, details FROM events
           WHERE send_id = ? AND type NOT IN ('send_requested', 'recipient_accepted')
           ORDER BY seq""", [send_id]).fetchall()


def test_each_recipient_gets_its_state_reason_and_diagnostic(relay: RelayWorld) -> None:
    alone = relay.send((0, (ALICE,), ()), (1, (GHOST,), ()), (2, (FULL,), ()),
                       (3, (TEMPFULL,), ()))
    [mixed] = relay.send((4, (ALICE, GHOST), (FULL, TEMPFULL)))
    try:
        # 4 + 4 reports: 2 delivered, 2 unknown, 2 over quota, 2 delayed.
        relay.stack.wait_for_messages("bounces", 8, timeout=30)
    finally:
        relay.stack.delete_queued()    # the tempfail recipients would be retried for days

    stats = _ingest(relay)
    assert stats.stored == 8 and stats.by_state == {"matched": 8}, stats

    for send_id, idx in ((alone[0], 0), (mixed, 0)):
        alice = relay.delivery(send_id, idx)
        assert (alice["state"], alice["status_code"]) == ("delivered", "2.0.0")
    for send_id, idx in ((alone[1], 0), (mixed, 1)):
        ghost = relay.delivery(send_id, idx)
        assert (ghost["state"], ghost["reason"], ghost["status_code"]) == (
            "not_delivered", "userunknown", "5.1.1")
        assert "5.1.1" in ghost["diagnostic"] and "doesn't exist" in ghost["diagnostic"]
        assert ghost["remote_mta"]
    for send_id, idx in ((alone[2], 0), (mixed, 2)):
        full = relay.delivery(send_id, idx)
        assert (full["state"], full["reason"], full["status_code"]) == (
            "not_delivered", "mailboxfull", "5.2.2")
        assert "Quota exceeded" in full["diagnostic"]
    for send_id, idx in ((alone[3], 0), (mixed, 3)):
        tempfull = relay.delivery(send_id, idx)
        assert (tempfull["state"], tempfull["status_code"]) == ("pending", "4.2.2")
        assert tempfull["reason"] == "mailboxfull"

    types = [(event_type, idx) for event_type, idx, _ in _events(relay, mixed)]
    assert sorted(types) == [("dsn_delayed", 3), ("dsn_delivered", 0), ("dsn_failed", 1),
                             ("dsn_failed", 2)]
    details = json.loads(_events(relay, alone[1])[0][2])
    assert details["match_method"] == "verp" and details["confidence"] == "high"

    # Read again: nothing new, nothing doubled.
    again = _ingest(relay)
    assert (again.messages, again.stored) == (0, 0)
    count = relay.db.cursor().execute("SELECT count(*) FROM returned_messages").fetchone()[0]
    assert count == 8


def test_late_failure_after_delivered_turns_not_delivered(relay: RelayWorld) -> None:
    [send_id] = relay.send((0, (ALICE,), ()))
    relay.stack.wait_for_messages("bounces", 1)
    _ingest(relay)
    assert relay.delivery(send_id, 0)["state"] == "delivered"
    # A late bounce to the same signed return path, as a remote server sends days later.
    token = make_token(relay.settings.require_verp_key(), send_id, 0)
    relay.stack.send(f"bounces+{token}@{DOMAIN}", {"late-ghost@localhost.test":
                                                   ("NOTIFY=FAILURE",)},
                     _original(send_id, "late-ghost@localhost.test"))
    relay.stack.wait_for_messages("bounces", 2)
    _ingest(relay)
    # The report names late-ghost, but the token names recipient 0: it is about alice's copy.
    alice = relay.delivery(send_id, 0)
    assert (alice["state"], alice["reason"]) == ("not_delivered", "userunknown")


def test_forged_or_altered_token_is_suspicious_and_changes_nothing(relay: RelayWorld) -> None:
    [send_id] = relay.send((0, (ALICE,), ()))
    relay.stack.wait_for_messages("bounces", 1)
    _ingest(relay)
    good = make_token(relay.settings.require_verp_key(), send_id, 0)
    altered = good[:-1] + ("a" if good[-1] != "a" else "b")       # one character of the MAC
    forged = make_token(b"someone else's key", send_id, 0)
    for token in (altered, forged):
        relay.stack.send(f"bounces+{token}@{DOMAIN}", {"ghost2@localhost.test":
                                                       ("NOTIFY=FAILURE",)},
                         _original(send_id, "ghost2@localhost.test"))
    relay.stack.wait_for_messages("bounces", 3)

    stats = _ingest(relay)
    assert stats.by_state == {"suspicious": 2}
    assert relay.delivery(send_id, 0)["state"] == "delivered"       # unchanged
    rows = relay.db.cursor().execute(
        "SELECT type FROM events WHERE type = 'bounce_suspicious'").fetchall()
    assert len(rows) == 2
    queue = inbound.unmatched_queue(relay.db.cursor())
    assert sorted(row["match_state"] for row in queue) == ["suspicious", "suspicious"]


def test_bounce_for_an_unknown_send_goes_to_the_unmatched_queue(relay: RelayWorld) -> None:
    # Correctly signed, but for a send this database never made; and one with no key at all.
    token = make_token(relay.settings.require_verp_key(), "0" * 32, 0)
    relay.stack.send(f"bounces+{token}@{DOMAIN}", {"ghost3@localhost.test": ("NOTIFY=FAILURE",)},
                     _original("0" * 32, "ghost3@localhost.test"))
    relay.stack.send(f"bounces@{DOMAIN}", ["ghost4@localhost.test"],
                     b"From: someone@elsewhere.test\nSubject: hello\n\nplain mail\n")
    relay.stack.wait_for_messages("bounces", 2)

    stats = _ingest(relay)
    assert stats.by_state == {"unmatched": 2}
    queue = inbound.unmatched_queue(relay.db.cursor())
    assert [row["kind"] for row in queue] == ["failure", "failure"]
    unmatched_events = relay.db.cursor().execute(
        "SELECT count(*) FROM events WHERE type = 'bounce_unmatched'").fetchone()[0]
    assert unmatched_events == 2


def test_uidvalidity_change_rescans_without_duplicates(relay: RelayWorld) -> None:
    [send_id] = relay.send((0, (GHOST,), ()))
    relay.stack.wait_for_messages("bounces", 1)
    _ingest(relay)
    source = relay.settings.imap
    name = ImapMailbox(source).name
    with relay.db.transaction() as cursor:  # as if the server had rebuilt its UIDs
        inbound.save_checkpoint(cursor, name, 1, 10**6)
    stats = _ingest(relay)
    assert (stats.messages, stats.stored, stats.duplicates) == (1, 0, 1)
    assert inbound.load_checkpoint(relay.db.cursor(), name).uidvalidity != 1
    assert relay.delivery(send_id, 0)["state"] == "not_delivered"
    events = relay.db.cursor().execute(
        "SELECT count(*) FROM events WHERE type = 'dsn_failed'").fetchone()[0]
    assert events == 1


def test_processed_folder_receives_messages_only_after_commit(relay: RelayWorld) -> None:
    relay.send((0, (GHOST,), ()), (1, (ALICE,), ()))
    relay.stack.wait_for_messages("bounces", 2)
    settings = replace(relay.settings.imap, processed_folder="Processed")
    source = ImapMailbox(settings)
    try:
        stats = ingest_available(relay.db, source, relay.policy)
    finally:
        source.close()
    assert stats.stored == 2
    assert relay.stack.uids("bounces") == []          # moved out of INBOX
    with relay.stack.imap("bounces") as connection:
        connection.select('"Processed"', readonly=True)
        status, data = connection.uid("SEARCH", None, "ALL")
        assert len(data[0].split()) == 2
    clear_inbox(relay.stack)


def _original(send_id: str, recipient: str) -> bytes:
    message = email.message_from_string(
        f"From: compta@atelier.test\nTo: {recipient}\nSubject: Facture\n"
        f"Message-ID: <suivi.{send_id}@atelier.test>\nX-Suivi-Tracking: {send_id}\n\nBonjour\n")
    return message.as_bytes()
