"""Send requests, manual sends, send-date edits and account settings against a real DuckDB
file."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.actors import admin, support
from tests.core.conftest import issued_on, send_dates, table_counts
from tracking.clock import Occurrence
from tracking.errors import (
    ConfigError, InvalidInput, NotFound, RefusedAction, RefusedDate, ResendTooSoon,
)
from tracking.events import AccountSettingsChanged
from tracking.models import DeliveryState, EventType, SendingMode
from tracking import verp
from tracking.service import (
    SendPolicy, SendRequest, change_account_settings, mark_sent_manually, request_send,
    request_sends,
    set_send_date,
)
from tracking.state import fold
from tracking.store import queries

# The store contract: every test here runs on DuckDB and on PostgreSQL.
pytestmark = pytest.mark.engines("duckdb", "postgres")

NOW = datetime(2026, 11, 28, 13, 32, tzinfo=UTC)


def test_send_request_records_pending_deliveries_and_the_send_date(db, seeded, policy):
    document_id = seeded[SendingMode.RELAY][0]
    receipt = request_send(db, SendRequest(document_id, ("Billing@Client.test",),
                                           ("boss@client.test",), support("alice")),
                           policy, now=NOW)
    cursor = db.cursor()
    deliveries = queries.deliveries_of_send(cursor, receipt.send_id)
    assert [(d.address, d.role, d.state) for d in deliveries] == [
        ("billing@client.test", "to", DeliveryState.PENDING),
        ("boss@client.test", "cc", DeliveryState.PENDING)]
    for delivery in deliveries:  # relay modes sign a VERP token per recipient
        assert verp.verify_token(policy.verp_key, delivery.verp_token) is verp.VerpCheck.VALID
        assert fold(queries.events_of_delivery(cursor, receipt.send_id, delivery.idx)).state \
            is DeliveryState.PENDING
    document = queries.get_document(cursor, document_id)
    assert document.send_date == NOW and document.status == "sent"
    send = queries.get_send(cursor, receipt.send_id)
    assert (send.actor, send.mode, send.requested_at) == ("alice", SendingMode.RELAY, NOW)


def test_smtp_mode_has_no_verp_token(db, seeded, policy):
    receipt = request_send(db, SendRequest(seeded[SendingMode.SMTP][0], ("a@b.test",),
                                           actor=support("alice")), policy, now=NOW)
    assert queries.deliveries_of_send(db.cursor(), receipt.send_id)[0].verp_token is None


def test_double_click_never_sends_twice_even_with_force(db, seeded, policy):
    request = SendRequest(seeded[SendingMode.RELAY][0], ("a@b.test",), actor=support("alice"))
    first = request_send(db, request, policy, now=NOW)
    forced = SendRequest(request.document_id, request.to, actor=support("alice"), force=True)
    again = request_send(db, forced, policy, now=NOW + timedelta(seconds=2))
    assert (again.send_id, again.created) == (first.send_id, False)
    assert table_counts(db)["sends"] == 1


def test_same_idempotency_key_returns_the_same_send(db, seeded, policy):
    request = SendRequest(seeded[SendingMode.RELAY][0], ("a@b.test",), actor=support("alice"),
                          idempotency_key="form-123")
    first = request_send(db, request, policy, now=NOW)
    later = request_send(db, request, policy, now=NOW + timedelta(days=5))
    assert later.send_id == first.send_id and not later.created


def test_resend_within_three_days_needs_force(db, seeded, policy):
    request = SendRequest(seeded[SendingMode.RELAY][0], ("a@b.test",), actor=support("alice"))
    request_send(db, request, policy, now=NOW)
    before = table_counts(db)
    with pytest.raises(ResendTooSoon, match="--force"):
        request_send(db, request, policy, now=NOW + timedelta(hours=2))
    assert table_counts(db) == before
    forced = SendRequest(request.document_id, request.to, actor=support("alice"), force=True)
    assert request_send(db, forced, policy, now=NOW + timedelta(hours=2)).created
    assert request_send(db, request, policy, now=NOW + timedelta(days=6)).created


@pytest.mark.parametrize("request_args, error", [
    (("no-such-doc", ("a@b.test",)), NotFound),
    ((None, ()), InvalidInput),
    ((None, ("not an address",)), InvalidInput),
    ((None, tuple(f"u{i}@b.test" for i in range(6))), InvalidInput),
])
def test_refused_send_writes_nothing(db, seeded, policy, request_args, error):
    document_id, to = request_args
    before, dates = table_counts(db), send_dates(db)
    with pytest.raises(error):
        request_send(db, SendRequest(document_id or seeded[SendingMode.RELAY][0], to,
                                     actor=support("alice")), policy, now=NOW)
    assert table_counts(db) == before and send_dates(db) == dates


def test_a_cancelled_document_cannot_be_sent_online_and_nothing_is_written(db, seeded, policy):
    sendable, cancelled = seeded[SendingMode.RELAY][:2]
    db.cursor().execute("UPDATE documents SET status = 'cancelled' WHERE id = ?", [cancelled])
    before, dates = table_counts(db), send_dates(db)
    with pytest.raises(RefusedAction) as refused:   # in a batch: none of it is written
        request_sends(db, [SendRequest(sendable, ("a@b.test",), actor=support("alice")),
                           SendRequest(cancelled, ("a@b.test",), actor=support("alice"))],
                      policy, now=NOW)
    assert refused.value.code == "document_cancelled"
    assert refused.value.params["number"]
    assert table_counts(db) == before and send_dates(db) == dates
    assert request_send(db, SendRequest(sendable, ("a@b.test",), actor=support("alice")),
                        policy, now=NOW).created


def test_manual_account_cannot_send_online_and_relay_needs_a_key(db, seeded, policy):
    with pytest.raises(InvalidInput, match="mark-sent"):
        request_send(db, SendRequest(seeded[SendingMode.MANUAL][0], ("a@b.test",),
                                     actor=support("a")),
                     policy, now=NOW)
    with pytest.raises(ConfigError, match="VERP"):
        request_send(db, SendRequest(seeded[SendingMode.RELAY][0], ("a@b.test",),
                                     actor=support("a")),
                     SendPolicy(verp_key=None), now=NOW)
    assert table_counts(db)["sends"] == 0


def test_mark_sent_manually_sets_the_send_date_to_the_action_time(db, seeded):
    document_id = seeded[SendingMode.MANUAL][0]
    send_id = mark_sent_manually(db, document_id, support("bob"), now=NOW, note="par courrier")
    cursor = db.cursor()
    send = queries.get_send(cursor, send_id)
    assert (send.mode, send.actor, send.requested_at) == (SendingMode.MANUAL, "bob", NOW)
    assert queries.deliveries_of_send(cursor, send_id) == []
    assert queries.get_document(cursor, document_id).send_date == NOW
    [event] = queries.events_of_document(cursor, document_id)
    assert event.type is EventType.MARKED_SENT_MANUALLY and event.details.note == "par courrier"


# (zone, wall-clock input around a DST change, which one when it happens twice, expected UTC)
DST_CASES = [
    ("Europe/Paris", datetime(2026, 3, 29, 1, 59), None, datetime(2026, 3, 29, 0, 59)),
    ("Europe/Paris", datetime(2026, 3, 29, 3, 0), None, datetime(2026, 3, 29, 1, 0)),
    ("Europe/Paris", datetime(2026, 10, 25, 2, 30), Occurrence.FIRST,
     datetime(2026, 10, 25, 0, 30)),
    ("Europe/Paris", datetime(2026, 10, 25, 2, 30), Occurrence.SECOND,
     datetime(2026, 10, 25, 1, 30)),
    ("America/New_York", datetime(2026, 3, 8, 3, 30), None, datetime(2026, 3, 8, 7, 30)),
    ("America/New_York", datetime(2026, 11, 1, 1, 30, fold=1), None,
     datetime(2026, 11, 1, 6, 30)),
    ("Asia/Tokyo", datetime(2026, 7, 1, 9, 0), None, datetime(2026, 7, 1, 0, 0)),
    ("Pacific/Auckland", datetime(2026, 4, 5, 2, 30), Occurrence.FIRST,
     datetime(2026, 4, 4, 13, 30)),
    ("Pacific/Auckland", datetime(2026, 9, 27, 3, 30), None, datetime(2026, 9, 26, 14, 30)),
]


@pytest.mark.parametrize("zone, local, occurrence, expected_utc", DST_CASES)
def test_send_date_edit_across_dst(db, seeded, zone, local, occurrence, expected_utc):
    document_id = seeded[SendingMode.RELAY][1]
    issued_on(db, document_id, date(2026, 1, 5))
    mark_sent_manually(db, document_id, support("bob"), now=NOW)
    event = set_send_date(db, document_id, local, support("carol"), zone_name=zone,
                          occurrence=occurrence, now=NOW)
    stored = queries.get_document(db.cursor(), document_id).send_date
    assert stored == expected_utc.replace(tzinfo=UTC)
    assert event.details.old == NOW.isoformat()
    assert event.details.new == stored.isoformat()
    assert (event.actor, event.occurred_at) == ("carol", NOW)


@pytest.mark.parametrize("zone, local", [
    ("Europe/Paris", datetime(2026, 3, 29, 2, 30)),        # skipped hour
    ("America/New_York", datetime(2026, 3, 8, 2, 15)),
    ("Pacific/Auckland", datetime(2026, 9, 27, 2, 30)),
])
def test_nonexistent_local_time_is_refused(db, seeded, zone, local):
    document_id = seeded[SendingMode.RELAY][1]
    issued_on(db, document_id, date(2026, 1, 5))
    with pytest.raises(RefusedDate, match="does not exist") as refused:
        set_send_date(db, document_id, local, support("carol"), zone_name=zone, now=NOW)
    assert refused.value.code == "nonexistent_local_time"
    assert table_counts(db)["events"] == 0


def test_send_date_edit_defaults_to_the_account_zone_and_never_touches_deliveries(
        db, seeded, policy):
    document_id = seeded[SendingMode.SMTP][0]  # account in Asia/Tokyo
    receipt = request_send(db, SendRequest(document_id, ("a@b.test",), actor=support("a")), policy,
                           now=NOW)
    deliveries_before = queries.deliveries_of_send(db.cursor(), receipt.send_id)
    set_send_date(db, document_id, datetime(2026, 11, 27, 9, 0), support("carol"), now=NOW)
    assert queries.get_document(db.cursor(), document_id).send_date == \
        datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert queries.deliveries_of_send(db.cursor(), receipt.send_id) == deliveries_before


@pytest.mark.parametrize("document_id, zone, error", [
    ("missing", None, NotFound),
    (None, "Mars/Olympus_Mons", InvalidInput),
])
def test_invalid_send_date_edit_writes_nothing(db, seeded, document_id, zone, error):
    before, dates = table_counts(db), send_dates(db)
    with pytest.raises(error):
        set_send_date(db, document_id or seeded[SendingMode.RELAY][0], datetime(2026, 11, 1, 9),
                      support("carol"), zone_name=zone, now=NOW)
    assert table_counts(db) == before and send_dates(db) == dates


def test_history_lists_events_newest_first_with_filters(db, seeded, policy):
    document_id = seeded[SendingMode.RELAY][0]
    request_send(db, SendRequest(document_id, ("a@b.test",), actor=support("alice")), policy,
                 now=NOW)
    set_send_date(db, document_id, datetime(2026, 11, 28, 10, 0), support("carol"),
                  now=NOW + timedelta(minutes=1))
    frame = queries.history(db.cursor(), document_id=document_id)
    assert list(frame["type"]) == ["send_date_changed", "send_requested"]
    only = queries.history(db.cursor(), actor="carol")
    assert list(only["type"]) == ["send_date_changed"]
    assert json.loads(only["details"][0])["zone"] == "Europe/Paris"


def account_rows(database) -> list:
    return database.cursor().execute(
        "SELECT id, time_zone, sending_mode FROM accounts ORDER BY id").fetchall()


def test_account_settings_change_records_old_and_new_and_moves_no_delivery(db, seeded, policy):
    document_id = seeded[SendingMode.RELAY][0]
    receipt = request_send(db, SendRequest(document_id, ("a@b.test",), actor=support("alice")),
                           policy,
                           now=NOW)
    dates = send_dates(db)
    event = change_account_settings(db, "acct-relay", time_zone="America/Sao_Paulo",
                                    sending_mode="smtp", actor=admin("carol"),
                                    now=NOW + timedelta(minutes=3))
    assert event.type is EventType.ACCOUNT_SETTINGS_CHANGED
    assert event.details == AccountSettingsChanged(
        old={"time_zone": "Europe/Paris", "sending_mode": "relay"},
        new={"time_zone": "America/Sao_Paulo", "sending_mode": "smtp"})
    account = queries.get_account(db.cursor(), "acct-relay")
    assert (account.time_zone, account.sending_mode) == ("America/Sao_Paulo", SendingMode.SMTP)
    # the stored send date stays UTC; only its display follows the zone
    assert send_dates(db) == dates
    assert queries.get_document(db.cursor(), document_id).send_date == NOW
    delivery = queries.deliveries_of_send(db.cursor(), receipt.send_id)[0]
    assert delivery.state is DeliveryState.PENDING
    assert queries.get_send(db.cursor(), receipt.send_id).mode is SendingMode.RELAY
    row = db.cursor().execute(
        "SELECT type, actor, account_id, document_id, send_id, details FROM events "
        "WHERE id = ?", [event.id]).fetchone()
    assert row[:5] == ("account_settings_changed", "carol", "acct-relay", None, None)
    assert json.loads(row[5])["new"]["time_zone"] == "America/Sao_Paulo"
    # the new mode applies to the next send: an smtp send has no VERP token
    later = request_send(db, SendRequest(seeded[SendingMode.RELAY][1], ("a@b.test",),
                                         actor=support("alice")), policy,
                         now=NOW + timedelta(hours=1))
    assert queries.get_send(db.cursor(), later.send_id).mode is SendingMode.SMTP


def test_account_settings_change_back_and_forth_is_two_distinct_events(db, seeded):
    first = change_account_settings(db, "acct-smtp", time_zone="Europe/Paris",
                                    sending_mode="smtp", actor=admin("carol"), now=NOW)
    back = change_account_settings(db, "acct-smtp", time_zone="Asia/Tokyo",
                                   sending_mode=SendingMode.SMTP, actor=admin("carol"),
                                   now=NOW + timedelta(minutes=1))
    again = change_account_settings(db, "acct-smtp", time_zone="Europe/Paris",
                                    sending_mode="smtp", actor=admin("carol"),
                                    now=NOW + timedelta(minutes=2))
    assert len({first.id, back.id, again.id}) == 3
    assert list(queries.history(db.cursor(), actor="carol")["type"]) == [
        "account_settings_changed"] * 3


@pytest.mark.parametrize("account_id, zone, mode, actor, error, message", [
    ("acct-missing", "Europe/Paris", "relay", "carol", NotFound, "unknown account"),
    ("acct-relay", "Mars/Olympus_Mons", "relay", "carol", InvalidInput, "unknown time zone"),
    ("acct-relay", "europe/paris", "relay", "carol", InvalidInput, "unknown time zone"),
    ("acct-relay", "", "relay", "carol", InvalidInput, "unknown time zone"),
    ("acct-relay", "Asia/Tokyo", "carrier_pigeon", "carol", InvalidInput, "sending mode"),
    ("acct-relay", "Asia/Tokyo", "relay", " ", InvalidInput, "actor"),
    ("acct-relay", "Europe/Paris", "relay", "carol", InvalidInput, "already has"),
])
def test_refused_account_settings_change_writes_nothing(db, seeded, account_id, zone, mode,
                                                         actor, error, message):
    before, accounts = table_counts(db), account_rows(db)
    with pytest.raises(error, match=message):
        change_account_settings(db, account_id, time_zone=zone, sending_mode=mode,
                                actor=admin(actor),
                                now=NOW)
    assert table_counts(db) == before and account_rows(db) == accounts
