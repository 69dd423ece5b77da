"""The demo's calendar: each account's local days, in UTC microseconds, for vectorised lookups.

People issue and send documents during office hours of *their* zone, so the generator works in
local days ("`d` days before today, at 09:40 in Auckland") and converts with a table of each
local day's midnight in UTC — one `zoneinfo` call per account and day, never per row. The
offset is taken at local noon: clocks change at night, so every office hour of a changeover
day has the noon offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

MICROS = 1_000_000
DAY = 86_400 * MICROS


def to_micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


@dataclass(frozen=True)
class Calendar:
    now: int                  # UTC microseconds
    midnights: np.ndarray     # [account, days back] -> UTC microseconds of that local midnight
    weekdays: np.ndarray      # [account, days back] -> 0 = Monday … 6 = Sunday
    today: np.ndarray         # [account] -> the local date now, numpy datetime64[D]

    @classmethod
    def build(cls, zones: list[str], now: datetime, days: int) -> Calendar:
        midnights = np.zeros((len(zones), days + 1), dtype=np.int64)
        weekdays = np.zeros((len(zones), days + 1), dtype=np.int8)
        today_dates = []
        for account, name in enumerate(zones):
            zone = ZoneInfo(name)
            today = now.astimezone(zone).date()
            today_dates.append(np.datetime64(today, "D"))
            for back in range(days + 1):
                day = today - timedelta(days=back)
                noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
                offset = noon.utcoffset() or timedelta(0)
                midnight_utc = datetime(day.year, day.month, day.day, tzinfo=UTC) - offset
                midnights[account, back] = to_micros(midnight_utc)
                weekdays[account, back] = day.weekday()
        return cls(to_micros(now), midnights, weekdays, np.array(today_dates))

    @property
    def days(self) -> int:
        return self.midnights.shape[1] - 1

    def at(self, accounts: np.ndarray, days_back: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """UTC microseconds of local time `seconds` after midnight, `days_back` days ago."""
        back = np.clip(days_back, 0, self.days)
        return self.midnights[accounts, back] + (seconds * MICROS).astype(np.int64)

    def days_back(self, accounts: np.ndarray, moments: np.ndarray) -> np.ndarray:
        """Which local day (counted back from today) each UTC moment falls on."""
        result = np.zeros(len(moments), dtype=np.int64)
        for account in np.unique(accounts):
            rows = accounts == account
            ascending = self.midnights[account, ::-1]
            position = np.searchsorted(ascending, moments[rows], side="right") - 1
            result[rows] = self.days - np.clip(position, 0, self.days)
        return result

    def local_dates(self, accounts: np.ndarray, days_back: np.ndarray) -> np.ndarray:
        return self.today[accounts] - days_back.astype("timedelta64[D]")

    def weekend_to_friday(self, accounts: np.ndarray, days_back: np.ndarray) -> np.ndarray:
        """Saturday and Sunday move back to the Friday before: offices are closed."""
        back = np.clip(days_back, 0, self.days)
        weekday = self.weekdays[accounts, back]
        shift = np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))
        return np.minimum(back + shift, self.days)
