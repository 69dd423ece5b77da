"""Rates: hand-computed small datasets — the pure division and comparison, and the store's
counts on a real DuckDB file and on PostgreSQL (both periods, empty denominators, the raw-reply
drill-down)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.core.conftest import seed
from tracking.labels import REASON_MISSING, REASON_OTHER
from tracking.models import DeliveryState, RecipientRole, SendingMode
from tracking.rates import (
    Period, PeriodCounts, compare, duration_unchanged, format_count, format_duration,
    format_duration_change, format_percent, format_points, percentiles, points_unchanged,
)
from tracking.records import Delivery, Send
from tracking.store import rates as store_rates
from tracking.store import writes
from tracking.store.migrations import MIGRATIONS, migrate

# The store's counts on both engines (issue 11); the pure tests take no store and run once.
pytestmark = pytest.mark.engines("duckdb", "postgres")

NOV = Period(datetime(2026, 11, 1), datetime(2026, 11, 11))   # 10 days


# --- pure ---------------------------------------------------------------------------------------

def test_the_previous_period_has_the_same_length_and_ends_where_the_chosen_one_starts():
    assert NOV.previous() == Period(datetime(2026, 10, 22), datetime(2026, 11, 1))


def test_rates_and_their_change_in_points():
    comparison = compare(NOV, PeriodCounts(recipients=40, failures=6, tracked=30, delivered=24,
                                           delays=(60.0, 300.0, 600.0)),
                         PeriodCounts(recipients=50, failures=5, tracked=20, delivered=18,
                                      delays=(90.0, 200.0, 900.0)))
    assert comparison.current.failure.value == pytest.approx(0.15)
    assert comparison.previous.failure.value == pytest.approx(0.10)
    assert comparison.failure.delta == pytest.approx(0.05)            # +5 points
    assert comparison.delivery.current == pytest.approx(0.8)
    assert comparison.delivery.delta == pytest.approx(0.8 - 0.9)
    assert comparison.delay(0.5).delta == pytest.approx(-30.0)
    assert comparison.delay(0.95).delta == pytest.approx(-300.0)
    assert comparison.current.delays.out_of == 24
    assert comparison.previous.period == NOV.previous()


def test_an_empty_denominator_gives_no_rate_and_no_change():
    comparison = compare(NOV, PeriodCounts(recipients=10, failures=0, tracked=0, delivered=0),
                         PeriodCounts())
    assert comparison.current.failure.value == 0.0          # nothing failed out of 10
    assert comparison.current.delivery.value is None        # nobody could be tracked
    assert comparison.previous.failure.value is None        # nothing was sent before
    assert comparison.failure.delta is None
    assert comparison.delay(0.9).current is None and comparison.delay(0.9).delta is None


def test_percentiles_interpolate_linearly():
    # 5 values: positions 0.5*4=2, 0.9*4=3.6, 0.95*4=3.8
    assert percentiles([300, 60, 180, 120, 240]) == pytest.approx((180, 276, 288))
    assert percentiles([42]) == (42, 42, 42)
    assert percentiles([]) is None


def test_french_and_english_numbers():
    assert format_count(2096) == "2\u202f096" and format_count(2096, "en") == "2,096"
    assert format_percent(0.1079) == "10,8\u202f%" and format_percent(0.1079, "en") == "10.8%"
    assert format_percent(None) == "—"
    assert format_points(0.05) == "+5,0\u202fpt" and format_points(None) is None
    assert format_duration_change(252) == "+4 min 12 s" and format_duration_change(-3) == "-3 s"
    assert format_duration(42) == "42 s"
    assert format_duration(185) == "3 min 05 s"
    assert format_duration(7800) == "2 h 10 min"
    assert format_duration(100_800) == "1 j 4 h" and format_duration(100_800, "en") == "1 d 4 h"


def test_a_change_that_rounds_to_nothing_has_no_sign():
    """"0 s" came out unsigned for a 0.3 s improvement and "+0 s" for none, both drawn by
    Streamlit as a red ↑ (slower): an unchanged value is said without a sign and flagged so the
    page draws it without an arrow or colour."""
    for delta in (0, 0.3, -0.3):
        assert format_duration_change(delta) == "0 s" and duration_unchanged(delta)
    assert not duration_unchanged(0.6) and not duration_unchanged(None)
    for delta in (0, 0.0004, -0.0004):
        assert format_points(delta) == "0,0\u202fpt" and points_unchanged(delta)
        assert format_points(delta, "en") == "0.0 pts"
    assert format_points(-0.005) == "-0,5\u202fpt" and not points_unchanged(-0.005)


# --- store --------------------------------------------------------------------------------------

def _send(cursor, send_id: str, document_id: str, mode: SendingMode, at: datetime,
          outcomes: list[tuple[DeliveryState, float | None, str | None, str | None]]) -> None:
    """A send at `at` whose recipients end in (state, seconds after the request, reason, reply)."""
    send = Send(send_id, document_id, f"acct-{mode}", mode, at.replace(tzinfo=UTC), "tester",
                None, None, send_id, "done")
    writes.insert_send(cursor, send)
    writes.insert_deliveries(cursor, [
        Delivery(send_id=send_id, idx=i, address=f"r{i}@client.test", role=RecipientRole.TO,
                 verp_token=None, state=state,
                 state_at=(at + timedelta(seconds=after or 0)).replace(tzinfo=UTC))
        for i, (state, after, _, _) in enumerate(outcomes)], [send])
    for i, (_, _, reason, reply) in enumerate(outcomes):
        # The ledger sets these from events; a fixture sets them directly.
        cursor.execute("UPDATE deliveries SET reason = ?, diagnostic = ? "
                       "WHERE send_id = ? AND idx = ?", [reason, reply, send_id, i])


@pytest.fixture
def periods_db(db):
    docs = seed(db)
    delivered, failed = DeliveryState.DELIVERED, DeliveryState.NOT_DELIVERED
    with db.transaction() as c:
        relay, smtp = SendingMode.RELAY, SendingMode.SMTP
        # The chosen period: 5 relay recipients delivered after 60..300 s, 2 relay failures,
        # 3 smtp recipients (1 refused): 10 recipients, 3 failures, 7 tracked, 5 delivered.
        _send(c, "s1", docs[relay][0], relay, datetime(2026, 11, 2, 9), [
            (delivered, 60, "delivered", None), (delivered, 120, "delivered", None),
            (delivered, 180, "delivered", None)])
        _send(c, "s2", docs[relay][1], relay, datetime(2026, 11, 5, 9), [
            (delivered, 240, "delivered", None), (delivered, 300, "delivered", None),
            (failed, 30, "userunknown", "550 5.1.1 no such user"),
            (failed, 40, "550 legacy raw reply kept as a reason", "550 legacy")])
        _send(c, "s3", docs[smtp][0], smtp, datetime(2026, 11, 10, 23, 59), [
            (DeliveryState.SENT, 1, None, None), (DeliveryState.SENT, 1, None, None),
            (DeliveryState.NOT_SENT, 1, None, "554 refused")])
        # The previous period: 4 relay recipients, 1 failure, 3 delivered after 600 s.
        _send(c, "s4", docs[relay][2], relay, datetime(2026, 10, 25, 9), [
            (delivered, 600, "delivered", None), (delivered, 600, "delivered", None),
            (delivered, 600, "delivered", None), (failed, 10, "userunknown", "550 5.1.1 gone")])
        # Outside both (the chosen period ends exclusive at 11/11 00:00).
        _send(c, "s5", docs[relay][2], relay, datetime(2026, 11, 11, 0, 0), [
            (failed, 10, "mailboxfull", "552 full")])
    return db


def test_the_store_counts_both_periods_in_one_pass(periods_db):
    current, previous = store_rates.period_counts(periods_db.cursor(), NOV)
    assert (current.recipients, current.failures, current.tracked, current.delivered) == (
        10, 3, 7, 5)
    assert current.delays == pytest.approx(percentiles([60, 120, 180, 240, 300]))
    assert (previous.recipients, previous.failures, previous.tracked, previous.delivered) == (
        4, 1, 4, 3)
    assert previous.delays == pytest.approx((600, 600, 600))
    comparison = compare(NOV, current, previous)
    assert comparison.failure.delta == pytest.approx(3 / 10 - 1 / 4)
    assert comparison.delivery.current == pytest.approx(5 / 7)


def test_the_store_gives_empty_counts_for_an_empty_period_and_respects_the_scope(periods_db):
    empty = Period(datetime(2025, 1, 1), datetime(2025, 1, 2))
    current, previous = store_rates.period_counts(periods_db.cursor(), empty)
    assert current == previous == PeriodCounts()
    assert compare(empty, current, previous).current.failure.value is None
    scoped, _ = store_rates.period_counts(periods_db.cursor(), NOV,
                                          scope=frozenset({"acct-smtp"}))
    assert (scoped.recipients, scoped.failures, scoped.tracked) == (3, 1, 0)


def test_server_replies_by_reason_family_one_page_at_a_time(periods_db):
    cursor = periods_db.cursor()
    rows, total = store_rates.server_replies(cursor, NOV, "userunknown")
    assert total == 1 and rows["reply"].tolist() == ["550 5.1.1 no such user"]
    rows, total = store_rates.server_replies(cursor, NOV, REASON_OTHER)
    assert total == 1 and rows["reason"].tolist() == ["550 legacy raw reply kept as a reason"]
    rows, total = store_rates.server_replies(cursor, NOV, REASON_MISSING)
    assert total == 1 and rows["reply"].tolist() == ["554 refused"]
    rows, total = store_rates.server_replies(cursor, NOV, "userunknown", page=1, page_size=1)
    assert rows.empty and total == 1


def test_a_period_off_whole_days_is_counted_from_the_deliveries(periods_db):
    # Half an hour later than NOV: the rollup's days cannot answer it, the deliveries do, and
    # s5 (11/11 00:00) now falls in the chosen period.
    shifted = Period(datetime(2026, 11, 1, 0, 30), datetime(2026, 11, 11, 0, 30))
    current, previous = store_rates.period_counts(periods_db.cursor(), shifted)
    assert (current.recipients, current.failures, current.tracked, current.delivered) == (
        11, 4, 8, 5)
    assert current.delays == pytest.approx(percentiles([60, 120, 180, 240, 300]))
    assert (previous.recipients, previous.failures, previous.tracked, previous.delivered) == (
        4, 1, 4, 3)
    assert previous.delays == pytest.approx((600, 600, 600))
    scoped, _ = store_rates.period_counts(periods_db.cursor(), shifted,
                                          scope=frozenset({"acct-smtp"}))
    assert (scoped.recipients, scoped.failures, scoped.tracked, scoped.delays) == (3, 1, 0, None)


def _carried_against_sends(cursor) -> tuple[int, int]:
    """(deliveries, those whose request moment, mode and account equal their send's)."""
    return tuple(cursor.execute(
        """SELECT count(*),
                  count(*) FILTER (WHERE x.requested_at = s.requested_at AND x.mode = s.mode
                                     AND x.account_id = s.account_id)
           FROM deliveries x JOIN sends s ON s.id = x.send_id""").fetchone())


def test_each_delivery_carries_its_sends_request_moment_mode_and_account(periods_db):
    # What lets the percentiles read the deliveries alone (migration 14).
    assert _carried_against_sends(periods_db.cursor()) == (15, 15)


def test_migration_14_fills_an_existing_databases_deliveries_and_the_rates_stay_the_same(
        periods_db):
    cursor = periods_db.cursor()
    before = store_rates.period_counts(cursor, NOV)
    shifted = Period(datetime(2026, 11, 1, 0, 30), datetime(2026, 11, 11, 0, 30))
    before_shifted = store_rates.period_counts(cursor, shifted)
    # As written before version 14 (DuckDB drops no column of a table with indexes: they go
    # for the while; PostgreSQL drops migration 14's own index with its columns).
    indexes = {"deliveries_send": "send_id", "deliveries_address": "address"}
    for index in indexes:
        cursor.execute(f"DROP INDEX {index}")
    for column in ("requested_at", "mode", "account_id"):
        cursor.execute(f"ALTER TABLE deliveries DROP COLUMN {column}")
    for index, column in indexes.items():
        cursor.execute(f"CREATE INDEX {index} ON deliveries ({column})")
    cursor.execute("DELETE FROM schema_version WHERE version >= 14")
    assert migrate(cursor, tuple(m for m in MIGRATIONS if m.version <= 14)) == 14
    assert _carried_against_sends(cursor) == (15, 15)
    assert store_rates.period_counts(cursor, NOV) == before
    assert store_rates.period_counts(cursor, shifted) == before_shifted
    assert before[0].delays is not None
