"""The storage conversions give what `replace` gave (they are built by the constructor now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tracking.clock import from_db, to_db
from tracking.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")
MOMENTS = [
    datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
    datetime(2026, 12, 1, 12, 0, 0, 999_999, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2026, 10, 25, 2, 30, tzinfo=PARIS),             # the repeated hour, first
    datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS),     # and second
    datetime(1, 1, 2, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_to_db_is_the_naive_utc_moment(moment):
    stored = to_db(moment)
    expected = moment.astimezone(UTC).replace(tzinfo=None)
    assert stored == expected and stored.tzinfo is None and type(stored) is datetime
    assert stored.fold == expected.fold


@pytest.mark.parametrize("stored", [to_db(m) for m in MOMENTS] + [
    datetime(2026, 10, 25, 1, 30, fold=1), datetime(2026, 12, 1, 12, tzinfo=PARIS)])
def test_from_db_is_the_same_wall_time_in_utc(stored):
    moment = from_db(stored)
    expected = stored.replace(tzinfo=UTC)
    assert (moment, moment.tzinfo, moment.fold, type(moment)) == (
        expected, UTC, expected.fold, datetime)


def test_subclasses_keep_their_type_and_precision():
    stamp = pd.Timestamp("2026-12-01 12:00:00.000000001")
    assert from_db(stamp) == stamp.replace(tzinfo=UTC) and isinstance(from_db(stamp), pd.Timestamp)
    aware = pd.Timestamp("2026-12-01 13:00:00.000000001", tz="Europe/Paris")
    assert to_db(aware) == aware.astimezone(UTC).replace(tzinfo=None)
    assert to_db(aware).nanosecond == 1


def test_none_and_naive_input():
    assert from_db(None) is None
    with pytest.raises(InvalidInput):
        to_db(datetime(2026, 12, 1, 12, 0))
