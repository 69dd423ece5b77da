"""The health tracker moves only the time of the last answer while the server keeps answering:
what a reader sees must be what rebuilding the snapshot at every handoff gave."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tracking.outbound import health as health_module
from tracking.outbound.health import HealthTracker


@pytest.fixture
def clock(monkeypatch):
    now = [datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)]

    def tick() -> datetime:
        now[0] += timedelta(seconds=1)
        return now[0]

    monkeypatch.setattr(health_module, "utc_now", tick)
    return now


def test_a_run_of_answers_shows_its_start_and_its_last_answer(clock) -> None:
    tracker = HealthTracker()
    assert tracker.get().state == "unknown"
    tracker.answered()
    first = clock[0]
    tracker.answered()
    tracker.answered()
    seen = tracker.get()
    assert (seen.state, seen.since, seen.checked_at) == ("up", first, clock[0])
    tracker.set_waiting(3)
    tracker.answered()
    seen = tracker.get()
    assert (seen.since, seen.checked_at, seen.waiting) == (first, clock[0], 3)


def test_a_failure_after_answers_and_back(clock) -> None:
    tracker = HealthTracker()
    tracker.answered()
    tracker.answered()
    tracker.failed("unreachable", "connection refused")
    down_at = clock[0]
    tracker.failed("unreachable", "connection refused")
    seen = tracker.get()
    assert (seen.state, seen.since, seen.checked_at, seen.fault) == (
        "down", down_at, clock[0], "unreachable")
    tracker.answered()
    up_at = clock[0]
    tracker.answered()
    seen = tracker.get()
    assert (seen.state, seen.since, seen.checked_at, seen.fault, seen.detail) == (
        "up", up_at, clock[0], None, None)
