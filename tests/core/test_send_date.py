"""Send-date rules, marking sent and the double-click guard, on a real DuckDB file: every
refusal carries its code and writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.actors import support
from tests.core.conftest import issued_on, send_dates, table_counts
from tracking.clock import (
    CLOCK_SKEW, Occurrence, format_local, occurrences, parse_local, send_date_bounds,
)
from tracking.errors import RefusedAction, RefusedDate, ResendTooSoon
from tracking.models import EventType, SendingMode
from tracking.service import SendRequest, mark_sent_manually, request_send, set_send_date
from tracking.store import queries

NOW = datetime(2026, 11, 28, 13, 32, tzinfo=UTC)


@pytest.mark.parametrize("value, code", [
    (datetime(1, 1, 1), "send_date_too_early"),                       # year 1: no overflow
    (datetime(1, 1, 1, tzinfo=UTC), "send_date_too_early"),
    (datetime(9999, 12, 31, 23, 59), "send_date_in_future"),          # year 9999 either
    (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), "send_date_in_future"),
    (parse_local("11/11/1111 11:11"), "send_date_too_early"),         # the string of ones
    (datetime(1900, 1, 1), "send_date_too_early"),
    (datetime(2026, 11, 1, 23, 59), "send_date_too_early"),           # the eve of the issue day
    (NOW.replace(tzinfo=None) + timedelta(hours=2), "send_date_in_future"),  # Paris is UTC+1
])
def test_send_dates_outside_the_documents_life_are_refused_with_a_code(db, seeded, value, code):
    document_id = seeded[SendingMode.RELAY][0]   # issued 02/11/2026, account in Europe/Paris
    before, dates = table_counts(db), send_dates(db)
    with pytest.raises(RefusedDate) as refused:
        set_send_date(db, document_id, value, support("carol"), now=NOW)
    assert refused.value.code == code
    assert set(refused.value.params) >= {"value"}
    assert table_counts(db) == before and send_dates(db) == dates


def test_the_bounds_are_the_issue_day_and_now_plus_the_clock_skew(db, seeded):
    document_id = seeded[SendingMode.RELAY][0]
    first = set_send_date(db, document_id, datetime(2026, 11, 2, 0, 0), support("c"), now=NOW)
    assert first.details.new == "2026-11-01T23:00:00+00:00"   # midnight in Paris
    skewed = NOW + CLOCK_SKEW
    last = set_send_date(db, document_id, skewed, support("c"), now=NOW)
    assert last.details.new == skewed.isoformat()
    with pytest.raises(RefusedDate, match="future"):
        set_send_date(db, document_id, skewed + timedelta(minutes=1), support("c"), now=NOW)


def test_an_unknown_issue_date_falls_back_to_the_year_2000():
    bounds = send_date_bounds(None, "Europe/Paris", NOW)
    assert bounds.local_days("Europe/Paris") == (date(2000, 1, 1), date(2026, 11, 28))
    assert bounds.latest == NOW + CLOCK_SKEW


def test_a_malformed_date_has_its_code():
    with pytest.raises(RefusedDate) as refused:
        parse_local("1111111111")
    assert (refused.value.code, refused.value.params) == ("malformed_date",
                                                          {"text": "1111111111"})


def test_the_repeated_hour_asks_which_one_and_clock_gives_both(db, seeded):
    document_id = seeded[SendingMode.RELAY][0]
    issued_on(db, document_id, date(2026, 10, 1))
    wall = datetime(2026, 10, 25, 2, 30)        # Paris: 02:30 CEST, then 02:30 CET
    first, second = occurrences(wall, "Europe/Paris")
    assert (first, second) == (datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                               datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    before = table_counts(db)
    with pytest.raises(RefusedDate) as refused:
        set_send_date(db, document_id, wall, support("c"), now=NOW)
    assert refused.value.code == "ambiguous_local_time"
    assert (refused.value.params["first"], refused.value.params["second"]) == (
        "25/10/2026 02:30 CEST", "25/10/2026 02:30 CET")
    assert table_counts(db) == before
    event = set_send_date(db, document_id, wall, support("c"), occurrence=Occurrence.SECOND,
                          now=NOW)
    assert event.details.new == second.isoformat()
    assert format_local(second, "Europe/Paris") == "25/10/2026 02:30 CET"


def test_the_skipped_hour_does_not_exist():
    assert occurrences(datetime(2026, 3, 29, 2, 30), "Europe/Paris") == ()
    assert len(occurrences(datetime(2026, 3, 29, 3, 0), "Europe/Paris")) == 1


def test_saving_the_same_date_again_writes_no_event(db, seeded):
    document_id = seeded[SendingMode.RELAY][0]
    set_send_date(db, document_id, datetime(2026, 11, 3, 9, 15), support("c"), now=NOW)
    before = table_counts(db)
    with pytest.raises(RefusedDate) as refused:   # the same minute, seconds aside
        set_send_date(db, document_id, datetime(2026, 11, 3, 9, 15, 40), support("c"),
                      now=NOW + timedelta(minutes=1))
    assert refused.value.code == "send_date_unchanged"
    assert refused.value.params == {"value": "03/11/2026 09:15 CET"}
    assert table_counts(db) == before


def test_marking_sent_twice_is_refused_the_second_time(db, seeded):
    document_id = seeded[SendingMode.MANUAL][0]
    mark_sent_manually(db, document_id, support("bob"), now=NOW, note="courrier")
    before, dates = table_counts(db), send_dates(db)
    with pytest.raises(RefusedAction) as refused:
        mark_sent_manually(db, document_id, support("eve"), now=NOW + timedelta(hours=1))
    assert refused.value.code == "already_marked_sent"
    assert refused.value.params["actor"] == "bob"
    assert refused.value.params["when"] == format_local(NOW, "Pacific/Auckland")
    assert table_counts(db) == before and send_dates(db) == dates
    marks = [e for e in queries.events_of_document(db.cursor(), document_id)
             if e.type is EventType.MARKED_SENT_MANUALLY]
    assert len(marks) == 1


def test_a_cancelled_document_cannot_be_marked_sent(db, seeded):
    document_id = seeded[SendingMode.MANUAL][1]
    db.cursor().execute("UPDATE documents SET status = 'cancelled' WHERE id = ?", [document_id])
    before, dates = table_counts(db), send_dates(db)
    with pytest.raises(RefusedAction) as refused:
        mark_sent_manually(db, document_id, support("bob"), now=NOW)
    assert refused.value.code == "document_cancelled"
    assert table_counts(db) == before and send_dates(db) == dates


def test_a_second_send_to_other_addresses_within_ten_seconds_is_not_a_double_click(
        db, seeded, policy):
    document_id = seeded[SendingMode.RELAY][0]
    first = request_send(db, SendRequest(document_id, ("a@b.test",), actor=support("al")),
                         policy, now=NOW)
    repeated = request_send(db, SendRequest(document_id, ("A@b.test ",), actor=support("al"),
                                            force=True), policy, now=NOW + timedelta(seconds=3))
    assert (repeated.send_id, repeated.created) == (first.send_id, False)   # a double click
    # other recipients: not a double click, so the resend window applies (and says so)
    with pytest.raises(ResendTooSoon):
        request_send(db, SendRequest(document_id, ("c@b.test",), actor=support("al")),
                     policy, now=NOW + timedelta(seconds=4))
    other = request_send(db, SendRequest(document_id, ("c@b.test",), actor=support("al"),
                                         force=True), policy, now=NOW + timedelta(seconds=5))
    assert other.created and other.send_id != first.send_id
    assert [d.address for d in queries.deliveries_of_send(db.cursor(), other.send_id)] == [
        "c@b.test"]
    assert table_counts(db)["sends"] == 2
