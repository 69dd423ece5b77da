"""The mailbox watcher: ingestion kept running, with a status the console's Mailbox page shows.

Loop: read everything past the checkpoint (`tracking.ingest.ingest_available`), then wait —
in IMAP IDLE when the mailbox has one (imaplib2; woken ≈0.5 s after delivery), else a poll —
and again. `poll_now()` cuts the wait short. Faults:
- connection refused, dropped, server restarted → reconnect with exponential backoff (1 s
  doubling to a minute); the checkpoint makes the re-read exact, nothing lost or doubled;
- login refused, TLS failure, missing folder → the error is shown and the watcher waits for
  `poll_now()` (or a long `refused_retry`) instead of hammering the server;
- an undecodable message is data (stored with its defect), never an error here;
- a DuckDB write-write conflict with the sender (both record events on the same deliveries),
  or a PostgreSQL deadlock or serialization failure → the pass was rolled back; read again at
  once.

Runs as a daemon thread in the process that owns the database (the console), or in the
foreground for `python -m tracking ingest --watch`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from tracking.clock import utc_now
from tracking.config import Settings
from tracking.errors import MailboxError, MailboxRefused, StorageError
from tracking.inbound.idle import IdleWatch
from tracking.inbound.mailbox import ImapMailbox, MailboxSource
from tracking.inbound.maildir import MaildirMailbox
from tracking.ingest import IngestPolicy, IngestStats, ingest_available
from tracking.store import inbound
from tracking.store.connection import Database, is_conflict
from tracking.store.postgres import is_conflict as is_pg_conflict

log = logging.getLogger(__name__)

MAILDIR_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class MailboxSpec:
    """Which mailbox this process reads, and how to open it."""

    name: str
    open_source: Callable[[], MailboxSource]
    open_idle: Callable[[], IdleWatch] | None
    poll_seconds: float


def configured_mailbox(settings: Settings, transport: str = "smtp") -> MailboxSpec | None:
    """The IMAP mailbox when one is configured; else the sandbox's Maildir when the sandbox
    transport is used; else none."""
    if settings.imap.configured:
        source = ImapMailbox(settings.imap)
        return MailboxSpec(source.name, lambda: ImapMailbox(settings.imap),
                           lambda: IdleWatch(settings.imap), settings.imap.poll_seconds)
    if transport == "sandbox":
        path = Path(settings.sandbox_maildir)
        return MailboxSpec(MaildirMailbox(path).name, lambda: MaildirMailbox(path), None,
                           MAILDIR_POLL_SECONDS)
    return None


@dataclass(frozen=True)
class MailboxStatus:
    source: str
    running: bool = False
    connected: bool = False
    idle: bool = False                     # parked in IMAP IDLE right now
    last_message_at: datetime | None = None  # the newest stored message from this mailbox
    last_check_at: datetime | None = None
    backlog: int | None = None             # messages waiting past the checkpoint
    ingested: int = 0                      # new messages stored since start
    last_error: str | None = None
    needs_attention: bool = False          # refused (login, TLS, folder): not retried in a loop
    next_attempt_at: datetime | None = None


class MailboxWatcher:
    def __init__(self, db: Database, spec: MailboxSpec, policy: IngestPolicy, *,
                 backoff_start: float = 1.0, backoff_max: float = 60.0,
                 refused_retry: float = 600.0) -> None:
        self.db = db
        self.spec = spec
        self.policy = policy
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max
        self.refused_retry = refused_retry
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._status = MailboxStatus(spec.name)
        self._thread: threading.Thread | None = None
        self.cycles = 0                     # completed read passes (tests wait on it)
        self._cycle_done = threading.Condition(self._lock)

    # -- control --------------------------------------------------------------------------------

    def start(self) -> MailboxWatcher:
        # running from here on, not from when the thread gets scheduled: a status read right
        # after start (`serve` prints one) must list the watcher
        self._update(running=True)
        self._thread = threading.Thread(target=self.run, name="suivi-mailbox", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def poll_now(self) -> None:
        self._wake.set()

    def status(self) -> MailboxStatus:
        with self._lock:
            return self._status

    def wait_for_cycles(self, count: int, timeout: float) -> bool:
        """Block until `count` read passes have completed (for tests and scripts)."""
        with self._cycle_done:
            return self._cycle_done.wait_for(lambda: self.cycles >= count, timeout)

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> None:
        self._update(running=True, last_message_at=self._last_message_at())
        source: MailboxSource | None = None
        idle: IdleWatch | None = None
        delay = self.backoff_start
        while not self._stop.is_set():
            try:
                source = source or self.spec.open_source()
                if self.spec.open_idle is not None:
                    idle = idle or self.spec.open_idle()
                    idle.prepare()
                ingest_available(self.db, source, self.policy, should_stop=self._stop.is_set,
                                 on_progress=self._progress)
                self._update(connected=True, last_error=None, needs_attention=False,
                             next_attempt_at=None, last_check_at=utc_now())
                self._cycle_finished()
                delay = self.backoff_start
                if idle is not None:
                    self._update(idle=True)
                    idle.wait(self.spec.poll_seconds, self._wake)
                    self._update(idle=False)
                else:
                    self._wake.wait(self.spec.poll_seconds)
                self._wake.clear()
            except MailboxRefused as err:
                source, idle = _close(source, idle)
                self._failed(err, self.refused_retry, attention=True)
                self._wake.wait(self.refused_retry)
                self._wake.clear()
            except (MailboxError, StorageError) as err:
                if is_pg_conflict(err):
                    # PostgreSQL's deadlock detector chose this pass (a sender locking the same
                    # deliveries in another order): rolled back, the checkpoint makes the
                    # re-read exact — go again at once, as for DuckDB's conflicts below
                    log.debug("mailbox pass lost a deadlock; again", exc_info=True)
                    continue
                source, idle = _close(source, idle)
                self._failed(err, delay, attention=False)
                self._wake.wait(delay)
                delay = min(delay * 2, self.backoff_max)
            except Exception as err:  # noqa: BLE001 - the thread must outlive one bad pass
                if is_conflict(err):
                    # Another writer (the sender recording the same deliveries) won a DuckDB
                    # write-write conflict; our transaction was rolled back and the checkpoint
                    # makes the re-read exact, so go again at once, without alarming anyone.
                    log.debug("mailbox pass lost a write conflict; again", exc_info=True)
                    continue
                log.exception("mailbox pass failed")
                source, idle = _close(source, idle)
                self._failed(err, delay, attention=False)
                self._wake.wait(delay)
                delay = min(delay * 2, self.backoff_max)
        _close(source, idle)
        self._update(running=False, connected=False, idle=False)

    def _progress(self, backlog: int, stats: IngestStats) -> None:
        with self._lock:
            status = self._status
            last = self._status.last_message_at
            if stats.stored:
                last = self._last_message_at_locked() or last
            self._status = replace(status, connected=True, backlog=backlog,
                                   ingested=status.ingested + stats.stored, last_message_at=last)

    def _failed(self, err: BaseException, retry_in: float, *, attention: bool) -> None:
        log.warning("mailbox %s: %s", self.spec.name, err)
        self._update(connected=False, idle=False, last_error=str(err) or type(err).__name__,
                     needs_attention=attention,
                     next_attempt_at=utc_now() + timedelta(seconds=retry_in),
                     last_check_at=utc_now())
        self._cycle_finished()

    def _update(self, **changes) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def _cycle_finished(self) -> None:
        with self._cycle_done:
            self.cycles += 1
            self._cycle_done.notify_all()

    def _last_message_at(self) -> datetime | None:
        try:
            return inbound.last_received_at(self.db.cursor(), self.spec.name)
        except Exception:  # noqa: BLE001 - status only; the loop reports real failures
            return None

    def _last_message_at_locked(self) -> datetime | None:
        return self._last_message_at()


def _close(source: MailboxSource | None, idle: IdleWatch | None) -> tuple[None, None]:
    for resource in (source, idle):
        if resource is not None:
            try:
                resource.close()
            except Exception:  # noqa: BLE001 - closing a broken link must not raise
                log.debug("close failed", exc_info=True)
    return None, None
