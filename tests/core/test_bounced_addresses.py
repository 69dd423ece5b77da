"""The bounced addresses (tracking.store.bounced_addresses), kept with the document marks: after
each refresh the table is what a derivation from the deliveries says, and the Failures page's
list (`suppressed_candidates`) is what a plain Python reading of the deliveries says — on random
sends, refusals, reports (failed, delayed, delivered) and acceptances, late ones included, over
addresses shared by two accounts, on both engines."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.actors import support
from tests.core.conftest import seed
from tracking.events import BounceReport, Event, RecipientAccepted, RecipientRefused, event_id
from tracking.models import EventType, SendingMode
from tracking.service import SendRequest, request_send
from tracking.store import bounced_addresses, suppressions
from tracking.store.ledger import record_events
from tracking.store.marks import refresh_marks
from tracking.suppression import FAILED, SUPPRESSING_REASONS

pytestmark = pytest.mark.engines("duckdb", "postgres")

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
ADDRESSES = [f"{name}@client{n % 2}.test" for n, name in enumerate(
    ("billing", "boss", "compta", "jean", "marie", "paul"))]
REASONS = [("userunknown", "5.1.1"), ("hostunknown", "5.4.4"), ("mailboxfull", "5.2.2"),
           ("notaccept", "5.1.10"), ("notaccept", "4.0.0"), ("hasmoved", "5.1.6"),
           ("blocked", "5.7.1")]


@dataclass(frozen=True)
class _Send:
    send_id: str
    account_id: str
    document_id: str


def _event(kind: EventType, send, idx: int, address: str | None, at: datetime,
           rng: random.Random) -> Event:
    reason, code = rng.choice(REASONS)
    if kind is EventType.RECIPIENT_ACCEPTED:
        details = RecipientAccepted(smtp_reply="250 2.0.0 Ok", reply_code=250, stage="data")
    elif kind is EventType.RECIPIENT_REFUSED:
        details = RecipientRefused(smtp_reply=f"550 {code} refused", reply_code=550,
                                   stage="rcpt", reason=reason, status_code=code)
    else:
        action = {EventType.DSN_DELAYED: "delayed", EventType.DSN_DELIVERED: "delivered",
                  EventType.DSN_FAILED: "failed"}[kind]
        details = BounceReport(reason="delivered" if action == "delivered" else reason,
                               status_code="2.0.0" if action == "delivered" else code,
                               action=action)
    return Event(event_id(kind, send.send_id, idx, at.isoformat(), rng.random()), kind, at,
                 "system", send.account_id, send.document_id, send.send_id, idx, address,
                 details, origin="system")


def _plain_list(db) -> list[tuple]:
    """(account, address, state, reason, code) of every address whose latest final delivery
    is a failure that can suppress, read the long way: every delivery, in Python."""
    rows = db.cursor().execute(
        """SELECT account_id, address, state, reason, status_code, state_at, requested_at, idx,
                  send_id FROM deliveries""").fetchall()
    latest: dict[tuple[str, str], tuple] = {}
    for row in rows:
        if row[2] == "pending":
            continue
        rank = (row[5], row[6], -row[7], row[8])
        pair = (row[0], row[1])
        if pair not in latest or rank > latest[pair][0]:
            latest[pair] = (rank, row)
    failed = {str(state) for state in FAILED}
    reasons = {str(reason) for reason in SUPPRESSING_REASONS}
    return sorted(row[:5] for _, row in latest.values()
                  if row[2] in failed and row[3] in reasons)


# Each seed with either way of reading the addresses' deliveries (one by one, or one scan).
@pytest.mark.parametrize(("seed_number", "alone_up_to"), [(3, 0), (7, 100)])
def test_the_list_follows_every_kind_of_move_refresh_after_refresh(db, policy, seed_number,
                                                                    alone_up_to, monkeypatch):
    # Without the margin each refresh sees only the events since the last one (the commits
    # here are sequential, so none is missed): what the incremental path must get right.
    monkeypatch.setattr("tracking.store.marks.RESCAN_MARGIN", 0)
    monkeypatch.setattr("tracking.store.bounced_addresses._ALONE_UP_TO", alone_up_to)
    rng = random.Random(seed_number)
    documents = seed(db, documents_per_account=4)
    accounts = {SendingMode.RELAY: "acct-relay", SendingMode.SMTP: "acct-smtp"}
    sends = []
    checks = 0
    at = START
    for step in range(150):
        at += timedelta(minutes=rng.randint(1, 30))
        if not sends or rng.random() < 0.3:
            mode = rng.choice(list(accounts))
            chosen = tuple(rng.sample(ADDRESSES, rng.randint(1, 3)))
            receipt = request_send(db, SendRequest(
                rng.choice(documents[mode]), chosen, actor=support("alice"), force=True,
                override_suppression=True), policy, now=at)
            if receipt.created:
                sends.append((receipt, accounts[mode], chosen))
        else:
            receipt, account_id, chosen = rng.choice(sends)
            idx = rng.randrange(len(chosen))
            kind = rng.choice([EventType.RECIPIENT_ACCEPTED, EventType.RECIPIENT_ACCEPTED,
                               EventType.RECIPIENT_REFUSED, EventType.DSN_DELAYED,
                               EventType.DSN_DELIVERED, EventType.DSN_DELIVERED,
                               EventType.DSN_FAILED])
            # some reports arrive dated before later facts; some events do not name the address
            when = at - timedelta(minutes=rng.choice([0, 0, 0, 45]))
            address = chosen[idx] if rng.random() < 0.8 else None
            send = _Send(receipt.send_id, account_id, _document_of(db, receipt.send_id))
            with db.transaction() as cursor:
                record_events(cursor, [_event(kind, send, idx, address, when, rng)])
        if step % 3 == 2:
            refresh_marks(db)
            checks += 1
            assert bounced_addresses.drift(db.cursor()) == []
            listed = suppressions.suppressed_candidates(db.cursor())
            assert sorted(map(tuple, listed[["account_id", "address", "state", "reason",
                                             "status_code"]].values.tolist())) == _plain_list(db)
    assert checks >= 40
    assert _plain_list(db), "the random walk never left an address to correct: test nothing"


def _document_of(db, send_id: str) -> str:
    return db.cursor().execute("SELECT document_id FROM sends WHERE id = ?",
                               [send_id]).fetchall()[0][0]


def test_a_migrated_database_starts_with_the_derived_rows(db, policy):
    """Migration 17 derives the rows of an existing database; a full rebuild gives the same."""
    documents = seed(db, documents_per_account=1)
    receipt = request_send(db, SendRequest(documents[SendingMode.RELAY][0], ("gone@x.test",),
                                           actor=support("alice")), policy, now=START)
    rng = random.Random(1)
    send = _Send(receipt.send_id, "acct-relay", documents[SendingMode.RELAY][0])
    with db.transaction() as cursor:
        record_events(cursor, [_event(EventType.DSN_FAILED, send, 0, "gone@x.test",
                                      START + timedelta(minutes=5), rng)])
        cursor.execute("DELETE FROM bounced_addresses")
        cursor.execute(bounced_addresses.FILL)
    assert bounced_addresses.drift(db.cursor()) == []
    assert db.cursor().execute("SELECT count(*) FROM bounced_addresses").fetchall()[0][0] == \
        (1 if _plain_list(db) else 0)


def test_a_delay_report_bares_an_older_failure_and_lists_the_address_again(db, policy,
                                                                            monkeypatch):
    """gone@ bounced; a later send to it was accepted (the list lets it go); then a delay report
    puts that delivery back to pending: its latest final outcome is the old bounce again."""
    monkeypatch.setattr("tracking.store.marks.RESCAN_MARGIN", 0)
    documents = seed(db, documents_per_account=2)[SendingMode.RELAY]
    rng = random.Random(5)
    sends = []
    for n, document_id in enumerate(documents):
        receipt = request_send(db, SendRequest(document_id, ("gone@x.test",),
                                               actor=support("alice"), force=True,
                                               override_suppression=True),
                               policy, now=START + timedelta(hours=n))
        sends.append(_Send(receipt.send_id, "acct-relay", document_id))

    def record(kind: EventType, send: _Send, minutes: int) -> None:
        event = _event(kind, send, 0, "gone@x.test", START + timedelta(minutes=minutes), rng)
        if kind is EventType.DSN_FAILED:   # a hard bounce for sure
            event = Event(event.id, kind, event.occurred_at, "system", send.account_id,
                          send.document_id, send.send_id, 0, "gone@x.test",
                          BounceReport(reason="userunknown", status_code="5.1.1",
                                       action="failed"), origin="system")
        with db.transaction() as cursor:
            record_events(cursor, [event])
        refresh_marks(db)
        assert bounced_addresses.drift(db.cursor()) == []

    def listed() -> list[str]:
        return suppressions.suppressed_candidates(db.cursor())["address"].tolist()

    record(EventType.DSN_FAILED, sends[0], 10)
    assert listed() == ["gone@x.test"]
    record(EventType.RECIPIENT_ACCEPTED, sends[1], 70)
    assert listed() == []
    record(EventType.DSN_DELAYED, sends[1], 90)
    assert listed() == ["gone@x.test"]


@pytest.mark.engines("duckdb")   # two transactions of one process, as DuckDB's writers are
def test_a_bounce_committed_after_a_refresh_passed_its_number_is_still_listed(db, policy):
    """A long transaction (an outbox batch) draws its events' numbers, then commits after
    another writer's later-numbered events were refreshed: the next refresh must still see it
    (the log now holds more events numbered up to the last refresh than it did)."""
    documents = seed(db, documents_per_account=2)[SendingMode.RELAY]
    sends = []
    for n, (document_id, address) in enumerate(zip(documents, ("late@x.test", "soon@x.test"))):
        receipt = request_send(db, SendRequest(document_id, (address,), actor=support("alice")),
                               policy, now=START + timedelta(minutes=n))
        sends.append((_Send(receipt.send_id, "acct-relay", document_id), address))
    refresh_marks(db)
    bounce = BounceReport(reason="userunknown", status_code="5.1.1", action="failed")
    first, second = db._connection.cursor(), db._connection.cursor()
    first.execute("BEGIN TRANSACTION")
    for cursor, (send, address) in ((first, sends[0]), (second, sends[1])):
        at = START + timedelta(hours=1)
        record_events(cursor, [Event(event_id(EventType.DSN_FAILED, send.send_id),
                                     EventType.DSN_FAILED, at, "system", send.account_id,
                                     send.document_id, send.send_id, 0, address, bounce,
                                     origin="system")])
    refresh_marks(db)                     # sees soon@ (committed), numbered after late@
    assert suppressions.suppressed_candidates(db.cursor())["address"].tolist() == ["soon@x.test"]
    first.execute("COMMIT")
    refresh_marks(db)
    assert sorted(suppressions.suppressed_candidates(db.cursor())["address"]) == [
        "late@x.test", "soon@x.test"]
    assert bounced_addresses.drift(db.cursor()) == []
