"""Rates over a period, and how they moved since the period before: pure computation.

Three figures an analyst asks for (issue 12), each with the denominator it is taken over, so a
rate is never shown without "out of how many":

- failure rate: failed recipients (`not_sent`, `not_delivered`) over every recipient of the
  online sends requested in the period;
- delivery rate: recipients reported `delivered` over the recipients of sends in the modes that
  can see a delivery (the relay modes, DESIGN §3) — the customer's own SMTP server reports
  nothing after the handoff, so counting its recipients would understate the rate;
- time to delivery: the 50th, 90th and 95th percentiles of the time from the send request to
  the delivery report, over the delivered recipients.

An empty denominator gives no rate (None), never 0 %: "nothing was sent" is not "nothing failed".
The previous period has the same length and ends where the chosen one starts. The counts come
from `tracking.store.rates`; this module only divides, compares and words them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracking.labels import NARROW_NBSP, number_text, percent_text

PERCENTILES = (0.5, 0.9, 0.95)


@dataclass(frozen=True)
class Period:
    """[since, until), naive UTC like the stored times."""

    since: datetime
    until: datetime

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.since - (self.until - self.since), self.since)


@dataclass(frozen=True)
class PeriodCounts:
    """What the store counts for one period (see the module docstring for each denominator)."""

    recipients: int = 0            # every recipient of the period's online sends
    failures: int = 0              # of those, not_sent or not_delivered
    tracked: int = 0               # recipients of sends in the relay modes
    delivered: int = 0             # of those, delivered
    delays: tuple[float, ...] | None = None   # seconds at PERCENTILES, None without deliveries


@dataclass(frozen=True)
class Rate:
    count: int
    out_of: int

    @property
    def value(self) -> float | None:
        return self.count / self.out_of if self.out_of else None


@dataclass(frozen=True)
class Delays:
    """Time to delivery, in seconds, at PERCENTILES; `out_of` delivered recipients."""

    seconds: tuple[float, ...] | None
    out_of: int

    def at(self, percentile: float) -> float | None:
        if self.seconds is None:
            return None
        return self.seconds[PERCENTILES.index(percentile)]


@dataclass(frozen=True)
class PeriodRates:
    period: Period
    failure: Rate
    delivery: Rate
    delays: Delays


def rates_of(period: Period, counts: PeriodCounts) -> PeriodRates:
    return PeriodRates(period, Rate(counts.failures, counts.recipients),
                       Rate(counts.delivered, counts.tracked),
                       Delays(counts.delays if counts.delivered else None, counts.delivered))


@dataclass(frozen=True)
class Change:
    """One figure now and in the previous period; `delta` is None when either is missing.
    For rates the delta is in percentage points (a difference of fractions)."""

    current: float | None
    previous: float | None

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class Comparison:
    current: PeriodRates
    previous: PeriodRates

    @property
    def failure(self) -> Change:
        return Change(self.current.failure.value, self.previous.failure.value)

    @property
    def delivery(self) -> Change:
        return Change(self.current.delivery.value, self.previous.delivery.value)

    def delay(self, percentile: float) -> Change:
        return Change(self.current.delays.at(percentile), self.previous.delays.at(percentile))


def compare(period: Period, current: PeriodCounts, previous: PeriodCounts) -> Comparison:
    return Comparison(rates_of(period, current), rates_of(period.previous(), previous))


def percentiles(values: Sequence[float], at: Sequence[float] = PERCENTILES
                ) -> tuple[float, ...] | None:
    """Linear-interpolation percentiles (as DuckDB's `quantile_cont` and numpy's default);
    None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    result = []
    for fraction in at:
        position = fraction * (len(ordered) - 1)
        low, high = math.floor(position), math.ceil(position)
        result.append(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
    return tuple(result)


# --- words and numbers, French by default ------------------------------------------------------

def format_count(count: int, language: str = "fr") -> str:
    return number_text(count, 0, language)


def format_percent(value: float | None, language: str = "fr", digits: int = 1) -> str:
    return "—" if value is None else percent_text(value, digits, language)


def points_unchanged(delta: float | None) -> bool:
    """A change of rate that shows as 0.0 point: said without a sign, and with no arrow."""
    return delta is not None and round(delta * 100, 1) == 0


def duration_unchanged(delta: float | None) -> bool:
    """A change of delay that shows as 0 s: said without a sign, and with no arrow."""
    return delta is not None and round(delta) == 0


def format_points(delta: float | None, language: str = "fr") -> str | None:
    """A change of rate in percentage points, signed; None when there is nothing to compare."""
    if delta is None:
        return None
    text = "0.0" if points_unchanged(delta) else f"{delta * 100:+.1f}"
    return f"{text} pts" if language == "en" else f"{text.replace('.', ',')}{NARROW_NBSP}pt"


def format_duration(seconds: float | None, language: str = "fr") -> str:
    """`42 s`, `3 min 05 s`, `2 h 10 min`, `1 j 4 h` (`d` in English)."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    day = "d" if language == "en" else "j"
    if whole < 60:
        return f"{sign}{whole} s"
    if whole < 3600:
        return f"{sign}{whole // 60} min {whole % 60:02d} s"
    if whole < 86400:
        return f"{sign}{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{sign}{whole // 86400} {day} {whole % 86400 // 3600} h"


def format_duration_change(delta: float | None, language: str = "fr") -> str | None:
    """A change of delay, signed ("+4 min 12 s", "-3 s"); "0 s" when it rounds to nothing."""
    if delta is None:
        return None
    return ("+" if round(delta) > 0 else "") + format_duration(delta, language)
