"""The owner: the one object per process that opens the database and runs its workers.

Workers: the outbox sender (`tracking.outbox`), the mailbox watcher (`tracking.ingest_watch`),
the document-marks refresh (`tracking.store.marks`) and the notebooks' Parquet snapshot
(`tracking.store.snapshot`). `start`, `stop`, `status`, `wake`. It runs headless as
`python -m tracking serve`, and inside the console, which gets it through `process_owner` —
a module-level registry, so whatever Streamlit's caches do (a "Clear cache" re-runs every cached
factory), a process never holds two owners of one database. Across processes, on DuckDB, the
outbox journal's `flock` refuses a second sender (`SenderBusy`), and DuckDB itself refuses a
second process on the file; on PostgreSQL, owners in many processes share the work (claims
`SKIP LOCKED`, a lock per mailbox batch, the marks refresh under a lock — `tests/core/
test_fleet.py`).

Reads never write: the console's pages only read; the marks a filter needs are brought up to
date here, by the marks worker (every `marks_every` seconds, or at once on `wake()`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from tracking.config import Settings
from tracking.errors import DemoDatabase, SuiviError
from tracking.ingest_watch import MailboxStatus, MailboxWatcher, configured_mailbox
from tracking.outbound.health import OutboundHealth
from tracking.outbox import Outbox, OutboxThread
from tracking.runtime import open_store, outbound_transport, settings_for, transport_kind
from tracking.store import delivery_counts, event_counts
from tracking.store.connection import Database
from tracking.store.marks import refresh_marks
from tracking.store.postgres import redact
from tracking.store.snapshot import default_directory, write_snapshot

log = logging.getLogger(__name__)

WORKERS = ("outbox", "mailbox", "marks", "snapshot")


@dataclass(frozen=True)
class OwnerStatus:
    database: str
    running: tuple[str, ...]            # the workers alive right now
    outbound: OutboundHealth            # the outbound server, as the sender last saw it
    mailbox: MailboxStatus | None       # None when no mailbox is read here
    outbox_error: str | None = None     # the last failed outbox pass (database trouble…)
    marks_error: str | None = None
    snapshot_error: str | None = None


class Owner:
    """Opens `path` and, once started, runs the `workers` named (all by default)."""

    def __init__(self, path: str | Path, *, workers: tuple[str, ...] = WORKERS,
                 settings: Settings | None = None, transport: str | None = None,
                 poll_seconds: float = 5.0, marks_every: float = 2.0,
                 compact_every: float = 60.0,
                 snapshot_every: float = 15 * 60, snapshot_delay: float = 60.0) -> None:
        unknown = set(workers) - set(WORKERS)
        if unknown:
            raise ValueError(f"unknown workers: {', '.join(sorted(unknown))}")
        self.path = str(path)
        self.workers = tuple(w for w in WORKERS if w in workers)
        self.settings = settings or settings_for()
        self._transport_kind = transport or transport_kind()
        self.poll_seconds = poll_seconds
        self.marks_every = marks_every
        self.compact_every = compact_every
        self._counts_checked = float("-inf")       # monotonic time of the last growth check
        self._counts_rows: int | None = None       # rollup rows after the last fold (or at start)
        self.snapshot_every = snapshot_every
        self.snapshot_delay = snapshot_delay
        self.db: Database | None = None
        self.outbox: OutboxThread | None = None
        self.mailbox: MailboxWatcher | None = None
        self._resources = ExitStack()
        self._stop = threading.Event()
        self._marks_wake = threading.Event()
        self._marks_lock = threading.Lock()   # one refresh at a time: two would conflict
        self._threads: list[threading.Thread] = []
        self._errors: dict[str, str | None] = {"outbox": None, "marks": None, "snapshot": None}
        self._lifecycle = threading.RLock()
        self.started = False

    # -- control ---------------------------------------------------------------------------------

    def open(self) -> Database:
        """The database, opened (and migrated) once."""
        with self._lifecycle:
            if self.db is None:
                self.db = open_store(self.path)
            return self.db

    def start(self) -> Owner:
        """Open the database, bring the marks up to date, start the workers. Idempotent."""
        db = self.open()
        with self._lifecycle:
            if self.started:
                return self
            self._stop.clear()
            self.refresh_marks()   # so the first page's filters are right
            try:
                if "outbox" in self.workers:
                    self._start_outbox(db)
                if "mailbox" in self.workers:
                    spec = configured_mailbox(self.settings, self._transport_kind)
                    if spec is not None:
                        from tracking.ingest import IngestPolicy
                        self.mailbox = MailboxWatcher(
                            db, spec, IngestPolicy.from_settings(self.settings)).start()
                if "marks" in self.workers:
                    self._spawn("suivi-marks", self._marks_loop)
                if "snapshot" in self.workers:
                    self._spawn("suivi-snapshot", self._snapshot_loop)
            except BaseException:
                self._stop_workers(timeout=10)
                raise
            self.started = True
        log.info("owner of %s started: %s", redact(self.path),
                 ", ".join(self.status().running) or "-")
        return self

    def _start_outbox(self, db: Database) -> None:
        try:
            transport = self._resources.enter_context(
                outbound_transport(self.settings, self._transport_kind, db=db))
        except DemoDatabase as err:
            # a real SMTP server and a generated demo database: the sends stay queued, and
            # the status says why nothing goes
            self._errors["outbox"] = str(err)
            log.warning("outbox not started: %s", err)
            return
        self.outbox = OutboxThread(Outbox(db, transport, self.settings),
                                   poll_seconds=self.poll_seconds).start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every worker: the sender finishes the SMTP transaction in flight and records it
        (the rest of its batch goes back to the queue), then the transport closes. The database
        stays open (`close` closes it)."""
        with self._lifecycle:
            self._stop_workers(timeout)
            self.started = False

    def close(self) -> None:
        self.stop()
        with self._lifecycle:
            if self.db is not None:
                self.db.close()
                self.db = None

    def wake(self) -> None:
        """Something was just queued or changed: send now, refresh the marks now."""
        if self.outbox is not None:
            self.outbox.wake()
        if "marks" in self.workers and self.started:
            self._marks_wake.set()
        elif self.db is not None:
            self.refresh_marks()   # no marks worker here (e.g. the console under test)

    def status(self) -> OwnerStatus:
        running = []
        if self.outbox is not None and self.outbox.running:
            running.append("outbox")
        if self.mailbox is not None and self.mailbox.status().running:
            running.append("mailbox")
        running += [t.name.removeprefix("suivi-") for t in self._threads if t.is_alive()]
        outbox = self.outbox.outbox if self.outbox is not None else None
        return OwnerStatus(
            database=redact(self.path), running=tuple(running),   # shown: no password
            outbound=outbox.health.get() if outbox is not None else OutboundHealth(),
            mailbox=self.mailbox.status() if self.mailbox is not None else None,
            outbox_error=self.outbox.last_error if self.outbox is not None
            else self._errors["outbox"],
            marks_error=self._errors["marks"], snapshot_error=self._errors["snapshot"])

    # -- work the console asks for ---------------------------------------------------------------

    def refresh_marks(self) -> None:
        with self._marks_lock:
            refresh_marks(self.open())

    def compact_counts(self) -> bool:
        """Fold the `delivery_counts` rollup's signed rows when they have grown enough since
        the last fold (`delivery_counts.needs_compacting`): every write appends rows, and the
        failures, history and rates panels sum them all. Checked at most every `compact_every`
        seconds; returns whether it folded."""
        if time.monotonic() - self._counts_checked < self.compact_every:
            return False
        self._counts_checked = time.monotonic()
        db = self.open()
        rows = delivery_counts.row_count(db.cursor())
        if self._counts_rows is None or not delivery_counts.needs_compacting(
                rows, self._counts_rows):
            self._counts_rows = rows if self._counts_rows is None else self._counts_rows
            return False
        with db.transaction() as cursor:
            # event_counts first: the order writers take them in (`record_events` adds its
            # events' counts, then moves the deliveries), so the folds' locks (PostgreSQL)
            # and a writer's cannot wait on each other in a cycle
            event_counts.compact(cursor)   # grows with the same writes, more slowly
            self._counts_rows = delivery_counts.compact(cursor)
        log.info("delivery counts folded: %d rows to %d", rows, self._counts_rows)
        return True

    def write_snapshot(self) -> Path:
        return write_snapshot(self.open(), default_directory(self.path))

    # -- the periodic workers --------------------------------------------------------------------

    def _spawn(self, name: str, loop: Callable[[], None]) -> None:
        thread = threading.Thread(target=loop, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _marks_loop(self) -> None:
        while not self._stop.is_set():
            self._guarded("marks", self._marks_pass)
            self._marks_wake.wait(self.marks_every)
            self._marks_wake.clear()

    def _marks_pass(self) -> None:
        self.refresh_marks()
        self.compact_counts()   # the same small upkeep of the console's read tables

    def _snapshot_loop(self) -> None:
        self._stop.wait(self.snapshot_delay)   # let the console start first
        while not self._stop.is_set():
            self._guarded("snapshot", self.write_snapshot)
            self._stop.wait(self.snapshot_every)

    def _guarded(self, name: str, work: Callable[[], object]) -> None:
        try:
            work()
            self._errors[name] = None
        except (SuiviError, OSError) as err:
            self._errors[name] = str(err)
            log.warning("%s failed: %s", name, err)
        except Exception as err:  # noqa: BLE001 - a periodic worker outlives one bad pass
            self._errors[name] = str(err)
            log.exception("%s failed", name)

    def _stop_workers(self, timeout: float) -> None:
        self._stop.set()
        self._marks_wake.set()
        if self.outbox is not None:
            self.outbox.stop(timeout)
        if self.mailbox is not None:
            self.mailbox.stop(timeout)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self._resources.close()
        self._resources = ExitStack()
        self.outbox = None
        self.mailbox = None


# -- one owner per database per process ----------------------------------------------------------

_OWNERS: dict[str, Owner] = {}
_OWNERS_LOCK = threading.Lock()


def process_owner(path: str | Path, *, workers: tuple[str, ...] = WORKERS) -> Owner:
    """This process's owner of `path`, started on first use and reused ever after — the
    process-level guard the console relies on (not a Streamlit cache, which anyone can clear)."""
    key = str(Path(path).resolve()) if str(path) != ":memory:" else ":memory:"
    with _OWNERS_LOCK:
        owner = _OWNERS.get(key)
        if owner is None:
            owner = Owner(path, workers=workers)
            _OWNERS[key] = owner
    return owner.start()


def stop_process_owners() -> None:
    """Stop and close every owner of this process (at exit, and between tests)."""
    with _OWNERS_LOCK:
        owners = list(_OWNERS.values())
        _OWNERS.clear()
    for owner in owners:
        owner.close()
