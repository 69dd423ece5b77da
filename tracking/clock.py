"""Time in one place: aware UTC in the core, naive UTC in the database, zones for display.

The send date is stored in UTC and shown in the account's zone with the zone's abbreviation
(DESIGN §5); `zoneinfo` handles daylight saving.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracking.errors import InvalidInput


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_now_naive() -> datetime:
    return to_db(utc_now())


def to_db(moment: datetime) -> datetime:
    """Aware datetime -> naive UTC for storage; naive input is refused (its zone is unknown)."""
    if moment.tzinfo is None:
        raise InvalidInput(f"{moment.isoformat()} has no time zone; give an aware datetime")
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(stored: datetime | None) -> datetime | None:
    return None if stored is None else stored.replace(tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or `InvalidInput` with a clear message."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
        raise InvalidInput(f"unknown time zone {name!r} (expected an IANA name such as "
                           "'Europe/Paris')", code="unknown_zone", zone=name) from err


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """A wall-clock time in the account's zone -> aware UTC.

    In the repeated hour of a DST change `fold` picks the occurrence (0 = first, as zoneinfo
    does); a time in the skipped hour of a spring-forward gap does not exist and is refused.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    tz = zone(zone_name)
    aware = local.replace(tzinfo=tz)
    round_trip = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != local.replace(fold=0):
        raise InvalidInput(
            f"{local:%d/%m/%Y %H:%M} does not exist in {zone_name} (clocks jump forward then)",
            code="nonexistent_local_time", time=f"{local:%d/%m/%Y %H:%M}", zone=zone_name)
    return aware.astimezone(UTC)


def format_local(moment: datetime | None, zone_name: str) -> str:
    """`28/11/2026 14:32 CET` — the account's wall clock with the zone's abbreviation."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone(zone_name))
    return f"{local:%d/%m/%Y %H:%M} {local.tzname()}"


def parse_local(text: str) -> datetime:
    """`28/11/2026 14:32`, `2026-11-28 14:32` or ISO 8601 -> a naive wall-clock datetime
    (or aware, when the text carries an offset); anything else is `InvalidInput`."""
    text = text.strip()
    for pattern in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput(
            f"malformed date {text!r}; expected DD/MM/YYYY HH:MM or ISO 8601",
            code="malformed_date", text=text) from err
