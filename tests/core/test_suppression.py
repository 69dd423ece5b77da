"""The suppression check: the rule (tracking.suppression), its reads (tracking.store.
suppressions) and the service refusing, or recording an explicit override, on a real DuckDB
file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.actors import support
from tests.core.conftest import table_counts
from tests.dsn_events import record_report
from ui.errors import wording
from tracking.errors import SuppressedAddress
from tracking.models import EventType, SendingMode
from tracking.service import SendRequest, request_send, request_sends
from tracking.store import suppressions
from tracking.store.marks import refresh_marks
from tracking.suppression import Outcome, blocking, is_suppressing

# The store contract: the check runs on every send, so on DuckDB and on PostgreSQL.
pytestmark = pytest.mark.engines("duckdb", "postgres")

NOW = datetime(2026, 11, 28, 13, 32, tzinfo=UTC)


@pytest.mark.parametrize(("state", "reason", "code", "expected"), [
    ("not_delivered", "userunknown", "5.1.1", True),
    ("not_delivered", "hostunknown", "5.4.4", True),
    ("not_sent", "hasmoved", "5.1.6", True),
    ("not_sent", "suppressed", "5.7.1", True),        # the provider's own list says so
    ("not_delivered", "notaccept", "5.1.10", True),
    ("not_delivered", "notaccept", "4.0.0", False),   # notaccept is hard only with a 5xx
    ("not_delivered", "mailboxfull", "5.2.2", False),  # soft: the mailbox exists
    ("not_delivered", "spamdetected", "5.7.1", False),  # our sending, not the address
    ("not_delivered", None, None, False),
    ("not_delivered", "550 User unknown", None, False),  # raw text from an older version
    ("delivered", "userunknown", "5.1.1", False),
    ("pending", "userunknown", "5.1.1", False),
])
def test_which_outcomes_suppress_an_address(state, reason, code, expected):
    assert is_suppressing(state, reason, code) is expected


def test_blocking_keeps_the_order_asked_and_ignores_case():
    at = NOW - timedelta(days=3)
    outcomes = [Outcome("b@x.test", "not_delivered", "userunknown", "5.1.1", at),
                Outcome("a@x.test", "not_delivered", "hostunknown", "5.4.4", at),
                Outcome("c@x.test", "delivered", None, None, at)]
    assert [s.address for s in blocking(["A@x.test", "c@x.test", "b@x.test"], outcomes)] == [
        "a@x.test", "b@x.test"]


@pytest.fixture
def bounced(db, seeded, policy):
    """billing@client.test hard-bounced (user unknown) on a relay document; boss@ delivered."""
    document_id = seeded[SendingMode.RELAY][0]
    receipt = request_send(db, SendRequest(document_id, ("billing@client.test",),
                                           ("boss@client.test",), support("alice")),
                           policy, now=NOW - timedelta(days=5))
    record_report(db, receipt.send_id, 0, document_id, "acct-relay", "billing@client.test",
           reason="userunknown", status="5.1.1", at=NOW - timedelta(days=5, hours=-1))
    record_report(db, receipt.send_id, 1, document_id, "acct-relay", "boss@client.test",
           reason="delivered", status="2.0.0", at=NOW - timedelta(days=5, hours=-1),
           kind=EventType.DSN_DELIVERED)
    return seeded[SendingMode.RELAY]


def test_sending_again_to_a_hard_bounced_address_is_refused_with_when_and_why(
        db, bounced, policy):
    before = table_counts(db)
    with pytest.raises(SuppressedAddress) as refused:
        request_send(db, SendRequest(bounced[1], ("boss@client.test", "Billing@Client.test"),
                                     actor=support("alice")), policy, now=NOW)
    assert table_counts(db) == before   # nothing written
    err = refused.value
    assert err.code == "suppressed"
    assert err.params["address"] == "billing@client.test"
    assert err.params["reason"] == "userunknown" and err.params["status_code"] == "5.1.1"
    assert err.params["bounced_at"].startswith("2026-11-23T14:32")
    assert err.params["bounced_on"] == NOW - timedelta(days=5, hours=-1)
    assert err.params["zone"] == "Europe/Paris"
    assert "--override-suppression" in str(err)
    sentence = wording(err.code, err.params, "fr")     # as the console says it
    assert "billing@client.test" in sentence
    assert "a déjà été rejetée définitivement le 23/11/2026 15:32 CET" in sentence  # local
    assert "L'adresse n'existe pas" in sentence
    assert "The address does not exist" in wording(err.code, err.params, "en")


def test_an_explicit_override_sends_and_is_recorded_in_the_send_event(db, bounced, policy):
    receipt = request_send(db, SendRequest(bounced[1], ("billing@client.test",),
                                           ("boss@client.test",), support("alice"),
                                           override_suppression=True), policy, now=NOW)
    rows = db.cursor().execute(
        """SELECT recipient, details FROM events WHERE send_id = ? AND type = 'send_requested'
           ORDER BY recipient_idx""", [receipt.send_id]).fetchall()
    details = {recipient: json.loads(text) for recipient, text in rows}
    assert details["billing@client.test"]["suppression_overridden"] is True
    assert details["billing@client.test"]["suppressed_reason"] == "userunknown"
    assert details["billing@client.test"]["suppressed_since"].startswith("2026-11-23T14:32")
    # the delivered address had nothing to override: the field says so
    assert details["boss@client.test"]["suppression_overridden"] is False


def test_the_suppression_belongs_to_the_account_and_a_later_success_lifts_it(
        db, bounced, seeded, policy):
    # another account may still send to the same address
    assert request_send(db, SendRequest(seeded[SendingMode.SMTP][0], ("billing@client.test",),
                                        actor=support("alice")), policy, now=NOW).created
    # a later delivery to it (an override that worked) lifts it in this account
    receipt = request_send(db, SendRequest(bounced[1], ("billing@client.test",),
                                           actor=support("alice"), override_suppression=True),
                           policy, now=NOW)
    record_report(db, receipt.send_id, 0, bounced[1], "acct-relay", "billing@client.test",
           reason="delivered", status="2.0.0", at=NOW + timedelta(hours=1),
           kind=EventType.DSN_DELIVERED)
    assert request_send(db, SendRequest(bounced[2], ("billing@client.test",),
                                        actor=support("alice")), policy,
                        now=NOW + timedelta(hours=2)).created


def test_a_soft_bounce_does_not_suppress(db, seeded, policy):
    document_id = seeded[SendingMode.RELAY][0]
    receipt = request_send(db, SendRequest(document_id, ("full@client.test",),
                                           actor=support("alice")), policy, now=NOW)
    record_report(db, receipt.send_id, 0, document_id, "acct-relay", "full@client.test",
           reason="mailboxfull", status="5.2.2", at=NOW + timedelta(minutes=5))
    assert request_send(db, SendRequest(seeded[SendingMode.RELAY][1], ("full@client.test",),
                                        actor=support("alice")), policy,
                        now=NOW + timedelta(hours=1)).created


def test_the_per_account_list_holds_only_addresses_still_suppressed(db, bounced, seeded, policy):
    refresh_marks(db)   # the list is kept with the document marks (tracking.store.bounced_addresses)
    listed = suppressions.suppressed_candidates(db.cursor())
    assert listed[["account_id", "address", "reason", "status_code"]].values.tolist() == [
        ["acct-relay", "billing@client.test", "userunknown", "5.1.1"]]
    assert listed.iloc[0]["document_number"] == "FV 2026/11/rel000"
    assert suppressions.suppressed_candidates(db.cursor(), scope=frozenset({"acct-smtp"})).empty
    assert suppressions.suppressed_candidates(db.cursor(), account_id="acct-smtp").empty


def test_a_bulk_send_is_checked_in_one_read_and_refused_whole(db, bounced, seeded, policy):
    before = table_counts(db)
    batch = [SendRequest(seeded[SendingMode.SMTP][0], ("billing@client.test",),
                         actor=support("alice")),            # other account: not suppressed
             SendRequest(bounced[1], ("new@client.test",), actor=support("alice")),
             SendRequest(bounced[2], ("billing@client.test",), actor=support("alice"))]
    with pytest.raises(SuppressedAddress):
        request_sends(db, batch, policy, now=NOW)
    assert table_counts(db) == before                       # all or none
    batch[2] = SendRequest(bounced[2], ("billing@client.test",), actor=support("alice"),
                           override_suppression=True)
    assert all(r.created for r in request_sends(db, batch, policy, now=NOW))


def test_only_addresses_that_ever_failed_for_a_suppressing_reason_are_read(db, bounced):
    """A client's usual address, delivered every time, cannot be suppressed: its history (the
    send of every invoice it ever received) is not read on each new send."""
    outcomes = suppressions.latest_outcomes(db.cursor(), "acct-relay",
                                            ["boss@client.test", "billing@client.test"])
    assert [(o.address, o.reason) for o in outcomes] == [("billing@client.test", "userunknown")]


# The list's definition in one step (how it was read before it was cut in three for a million
# documents): the latest final outcome of every address that ever had a suppressing reason,
# kept when it is a suppressing failure.
_ONE_STEP = """
    SELECT o.account_id, a.name AS account, a.time_zone, o.address, o.state, o.reason,
           o.status_code, o.state_at, o.document_number, o.document_id
    FROM (SELECT DISTINCT ON (s.account_id, x.address)
                 s.account_id, x.address, x.state, x.reason, x.status_code, x.state_at,
                 d.number AS document_number, d.id AS document_id
          FROM deliveries x JOIN sends s ON s.id = x.send_id
               JOIN documents d ON d.id = s.document_id
          WHERE x.state <> 'pending' AND (?::VARCHAR IS NULL OR s.account_id = ?)
            AND x.address IN (SELECT address FROM deliveries WHERE reason = ANY(?::VARCHAR[]))
          ORDER BY s.account_id, x.address, x.state_at DESC, s.requested_at DESC, x.idx) o
         JOIN accounts a ON a.id = o.account_id
    WHERE o.state = ANY(?::VARCHAR[]) AND o.reason = ANY(?::VARCHAR[])
    ORDER BY a.name, o.state_at DESC, o.address"""


def test_the_list_equals_its_one_step_definition_across_accounts_sharing_addresses(
        db, seeded, policy):
    # shared@ bounced in the relay account on day 1 and in the smtp account on day 3, then was
    # delivered in the relay account on day 2 (lifted there: the cut at day 1 must keep that
    # success) and in the smtp account on day 0 (before the cut: still suppressed there);
    # moved@ bounced then bounced again with a soft reason (not suppressed any more); both@
    # bounced in both accounts, the smtp one later (each account keeps its own).
    start = NOW - timedelta(days=10)
    steps = [  # (mode, document, address, day, reason, status, delivered?)
        (SendingMode.SMTP, 0, "shared@client.test", 0, "delivered", "2.0.0", True),
        (SendingMode.RELAY, 0, "shared@client.test", 1, "userunknown", "5.1.1", False),
        (SendingMode.RELAY, 1, "shared@client.test", 2, "delivered", "2.0.0", True),
        (SendingMode.SMTP, 1, "shared@client.test", 3, "hostunknown", "5.4.4", False),
        (SendingMode.RELAY, 2, "moved@client.test", 4, "hasmoved", "5.1.6", False),
        (SendingMode.RELAY, 0, "moved@client.test", 5, "mailboxfull", "5.2.2", False),
        (SendingMode.SMTP, 2, "gone@client.test", 6, "notaccept", "5.1.10", False),
        (SendingMode.RELAY, 1, "both@client.test", 7, "userunknown", "5.1.1", False),
        (SendingMode.SMTP, 0, "both@client.test", 8, "userunknown", "5.1.1", False),
    ]
    for mode, number, address, day, reason, status, delivered in steps:
        document_id, at = seeded[mode][number], start + timedelta(days=day)
        receipt = request_send(db, SendRequest(document_id, (address,), actor=support("alice"),
                                               override_suppression=True), policy, now=at)
        record_report(db, receipt.send_id, 0, document_id, f"acct-{mode}", address,
                      reason=reason, status=status, at=at + timedelta(hours=1),
                      kind=EventType.DSN_DELIVERED if delivered else EventType.DSN_FAILED)
    refresh_marks(db)   # the list is kept with the document marks (tracking.store.bounced_addresses)
    cursor = db.cursor()
    listed = suppressions.suppressed_candidates(cursor)
    assert sorted(map(tuple, listed[["account_id", "address"]].values.tolist())) == [
        ("acct-relay", "both@client.test"), ("acct-smtp", "both@client.test"),
        ("acct-smtp", "gone@client.test"), ("acct-smtp", "shared@client.test")]
    for account in (None, "acct-relay", "acct-smtp"):
        expected = cursor.execute(_ONE_STEP, [account, account, suppressions._REASONS,
                                              suppressions._FAILED, suppressions._REASONS]).df()
        actual = suppressions.suppressed_candidates(cursor, account_id=account)
        assert actual.to_dict("records") == expected.to_dict("records")
    scoped = suppressions.suppressed_candidates(cursor, scope=frozenset({"acct-smtp"}))
    assert scoped.to_dict("records") == listed[listed["account_id"] == "acct-smtp"].to_dict(
        "records")
