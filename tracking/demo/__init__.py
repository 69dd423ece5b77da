"""The demo database: months of realistic activity, generated in bulk (`python -m tracking demo`).

Seven accounts in different zones and every sending mode, their users and back-office
operators, clients with one to three addresses (some dead, some mistyped), documents of every
kind over about eight months, sends in every mode with every delivery state and the main
bounce reasons, retries, delays, late failures, auto-replies, complaints, resends after a
failure, manual sends, send-date edits — and the raw returned messages behind every DSN.

The data looks exactly like what the real code paths write (same rows, event types, `details`
keys and id schemes), and the deliveries table is what folding each delivery's events with
`tracking.state.fold` gives. How it is built, without a Python loop per row:

1. `plan` — every decision as numpy columns from one seeded generator (`scenarios` for what
   happens to each recipient, `calendar` for office hours in each zone);
2. `rows`, `events` — the plan and the `catalogue` copied into temporary tables and turned into
   rows by a few `INSERT … SELECT` statements;
3. `returned`, `templates`, `deflate` — real messages from the project's own builders, filled
   in and zlib-compressed column-wise.

The file is built next to its destination and moved into place at the end, so an interrupted
run never leaves half a demo behind, and an existing file is only replaced on request.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tracking import runtime
from tracking.demo import catalogue as cat
from tracking.demo import events, returned, rows
from tracking.demo.calendar import Calendar
from tracking.demo.plan import make_plan
from tracking.demo.templates import build_templates
from tracking.demo.users import insert_demo_users
from tracking.errors import InvalidInput
from tracking.models import SendingMode
from tracking.store import bounced_addresses, delivery_counts, event_counts
from tracking.store.connection import open_database
from tracking.store.facts import mark_demo

DEFAULT_DOCUMENTS = 10_000
DEFAULT_SEED = 2026
# Signed with the key the sandbox runtime uses when none is configured, so that the console's
# correlation verifies the demo's VERP tokens like any other.
DEMO_VERP_KEY = runtime.DEMO_VERP_KEY.encode("utf-8")
_CALENDAR_MARGIN = 40          # days before the first document (sends after weekends, edits)
# DuckDB's buffer pool defaults to 80 % of RAM and, unchecked, keeps every temporary table of a
# big demo in memory (12 GB at a million documents). Capped, it spills them to disk instead.
DUCKDB_MEMORY_LIMIT = "2GB"


class DemoExists(InvalidInput):
    """The demo file is already there and replacing it was not asked for."""


@dataclass
class DemoSummary:
    path: Path
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        table = ", ".join(f"{name} {count:,}" for name, count in self.counts.items())
        states = ", ".join(f"{name} {count:,}" for name, count in self.states.items())
        modes = ", ".join(f"{name} {count:,}" for name, count in self.modes.items())
        return [f"demo database written to {self.path} in {self.seconds:.1f} s",
                f"  rows: {table}", f"  delivery states: {states}", f"  sends by mode: {modes}"]


def generate(path: str | Path, *, documents: int = DEFAULT_DOCUMENTS, seed: int = DEFAULT_SEED,
             now: datetime | None = None, force: bool = False,
             progress: Callable[[str], None] = lambda line: None) -> DemoSummary:
    """Write a demo database of `documents` documents to `path`.

    Deterministic for a given `seed` and `now` (default: the current minute). Refuses to
    replace an existing file unless `force`, and then writes nothing.
    """
    path = Path(path)
    if documents < 1:
        raise InvalidInput("a demo needs at least one document")
    if now is None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    elif now.tzinfo is None:
        raise InvalidInput("the demo's 'now' must carry a time zone")
    if path.exists() and not force:
        raise DemoExists(f"{path} already exists; use --force to replace it with a new demo")
    started = time.perf_counter()
    partial = path.with_name(path.name + ".partial")
    _remove_leftovers(partial)

    def step(label: str) -> None:
        progress(f"{time.perf_counter() - started:7.1f} s  {label}")

    try:
        summary = _build(partial, documents, seed, now, step)
        Path(f"{path}.wal").unlink(missing_ok=True)   # a stale log must not replay onto us
        os.replace(partial, path)
    except BaseException:
        _remove_leftovers(partial)
        raise
    shutil.rmtree(_spill_directory(partial), ignore_errors=True)
    summary.path = path
    summary.seconds = time.perf_counter() - started
    return summary


def _remove_leftovers(partial: Path) -> None:
    for leftover in (partial, Path(f"{partial}.wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(_spill_directory(partial), ignore_errors=True)


def _build(path: Path, documents: int, seed: int, now: datetime,
           step: Callable[[str], None]) -> DemoSummary:
    calendar = Calendar.build([a.time_zone for a in cat.ACCOUNTS], now,
                              cat.HISTORY_DAYS + _CALENDAR_MARGIN)
    plan = make_plan(documents, seed, calendar)
    step(f"planned {documents:,} documents, {len(plan.sends['send_no']):,} sends, "
         f"{len(plan.deliveries['send_no']):,} recipients")
    relay_accounts = [number for number, account in enumerate(cat.ACCOUNTS)
                      if account.mode in (SendingMode.RELAY, SendingMode.RELAY_OWN_ADDRESS)]
    templates = build_templates(relay_accounts)
    with open_database(path) as db:
        cursor = db.cursor()
        _limit_memory(cursor, _spill_directory(path))
        rows.register_catalogue(cursor)
        rows.register_plan(cursor, plan)
        del plan        # now in DuckDB, which spills to disk what its memory limit cannot hold
        events.create_macros(cursor)
        mark_demo(cursor)
        rows.insert_reference(cursor, calendar.now)
        insert_demo_users(cursor, calendar.now)
        rows.insert_clients(cursor, seed)
        rows.insert_addresses(cursor)
        rows.insert_documents(cursor, seed)
        step("accounts, users, clients and documents written")
        rows.insert_sends(cursor, seed)
        rows.create_deliveries(cursor, DEMO_VERP_KEY)
        events.create_step_texts(cursor)
        step("sends written, recipients and their events worded")
        total = returned.create_fields(cursor)
        stored = returned.insert_returned(cursor, templates, total, step)
        step(f"{stored:,} returned messages stored")
        events.create_events(cursor)
        count = events.insert_events(cursor)
        step(f"{count:,} events written")
        events.insert_deliveries(cursor)
        step("delivery states derived from the events")
        delivery_counts.rebuild(cursor)   # written in bulk above, past the per-write counting
        event_counts.rebuild(cursor)
        bounced_addresses.rebuild(cursor)   # the marks' companion; the marks come at first start
        step("delivery and event counts, bounced addresses rebuilt")
        summary = _summary(cursor, path)
        cursor.execute("CHECKPOINT")
    return summary


def _spill_directory(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _limit_memory(cursor, spill: Path) -> None:
    # Every statement that matters says ORDER BY, so DuckDB may stream the rest in any order.
    cursor.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    cursor.execute("SET preserve_insertion_order = false")
    quoted = str(spill).replace("'", "''")
    cursor.execute(f"SET temp_directory = '{quoted}'")


def _summary(cursor, path: Path) -> DemoSummary:
    counts = {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
              for table in ("accounts", "users", "clients", "documents", "sends", "deliveries",
                            "events", "returned_messages")}
    states = dict(cursor.execute(
        "SELECT state, count(*) FROM deliveries GROUP BY state ORDER BY count(*) DESC").fetchall())
    modes = dict(cursor.execute(
        "SELECT mode, count(*) FROM sends GROUP BY mode ORDER BY count(*) DESC").fetchall())
    return DemoSummary(path, 0.0, counts, states, modes)
