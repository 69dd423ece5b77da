"""Process-wide resources of the console: the database connection and the outbox worker.

The console process owns the DuckDB file (one connection, a cursor per script run). Unless
`SUIVI_WORKERS=0` (AppTest sets it), the outbox worker runs as a thread beside it, over the
configured transport (`SUIVI_TRANSPORT=sandbox` for the demo).
"""

from __future__ import annotations

import atexit
import os
import threading
from contextlib import ExitStack

import duckdb
import streamlit as st

from tracking.outbox import Outbox, OutboxThread
from tracking.runtime import database_path, open_store, outbound_transport, settings_for
from tracking.errors import DemoDatabase, SuiviError
from tracking.store.connection import Database
from tracking.store.marks import refresh_marks
from tracking.store.snapshot import default_directory, write_snapshot


def secrets_into_environment() -> None:
    """Streamlit secrets named `SUIVI_*` (e.g. SUIVI_SMTP_PASSWORD, SUIVI_IMAP_PASSWORD,
    SUIVI_VERP_KEY in .streamlit/secrets.toml) become settings, as environment variables would;
    a variable already set in the environment wins. Values are never displayed or logged."""
    try:
        items = list(st.secrets.items())
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return  # no secrets file: the environment alone configures the console
    for name, value in items:
        if name.startswith("SUIVI_") and isinstance(value, (str, int, float)):
            os.environ.setdefault(name, str(value))


def database() -> Database:
    """The process's connection to the configured database file."""
    secrets_into_environment()
    return _database(str(database_path()))


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    db = open_store(path)
    atexit.register(db.close)
    return db


def outbox_worker() -> OutboxThread | None:
    if os.environ.get("SUIVI_WORKERS", "1") == "0":
        return None
    try:
        return _outbox_worker(str(database_path()))
    except DemoDatabase as err:  # a real SMTP server and a demo database: sends stay pending
        print(f"suivi: outbox worker not started: {err}")
        return None


@st.cache_resource(show_spinner=False)
def _outbox_worker(path: str) -> OutboxThread:
    settings = settings_for()
    resources = ExitStack()
    transport = resources.enter_context(outbound_transport(settings, db=_database(path)))
    worker = OutboxThread(Outbox(_database(path), transport, settings)).start()

    def shutdown() -> None:
        worker.stop()
        resources.close()

    atexit.register(shutdown)
    return worker


@st.cache_resource(show_spinner=False)
def _marks_lock(path: str) -> threading.Lock:
    return threading.Lock()


def refresh_document_marks() -> None:
    """Bring the derived document marks up to date (cheap when nothing happened); one refresh
    at a time per process, since two would conflict on the same rows."""
    path = str(database_path())
    with _marks_lock(path):
        refresh_marks(_database(path))


SNAPSHOT_EVERY_SECONDS = 15 * 60


def snapshot_refresher() -> threading.Thread | None:
    """Rewrites the notebooks' Parquet snapshot every SNAPSHOT_EVERY_SECONDS (and at start)."""
    if os.environ.get("SUIVI_WORKERS", "1") == "0":
        return None
    return _snapshot_refresher(str(database_path()))


@st.cache_resource(show_spinner=False)
def _snapshot_refresher(path: str) -> threading.Thread:
    stop = threading.Event()

    def loop() -> None:
        stop.wait(60)  # let the console start first; the button writes one at once
        while not stop.is_set():
            try:
                write_snapshot(_database(path), default_directory(path))
            except SuiviError as err:  # reported on the Settings page's next refresh
                print(f"suivi: snapshot failed: {err}")
            except duckdb.Error as err:
                print(f"suivi: snapshot failed: {err}")
            stop.wait(SNAPSHOT_EVERY_SECONDS)

    thread = threading.Thread(target=loop, name="suivi-snapshot", daemon=True)
    thread.start()
    atexit.register(stop.set)
    return thread


def refresh_snapshot() -> str:
    """Write the snapshot now (the Settings page's button); returns its directory."""
    path = str(database_path())
    return str(write_snapshot(_database(path), default_directory(path)))


def mailbox_watcher():
    """The mailbox watcher of this process (a `MailboxWatcher`), or None when workers are off
    (`SUIVI_WORKERS=0`) or no mailbox is configured (no IMAP, no sandbox)."""
    if os.environ.get("SUIVI_WORKERS", "1") == "0":
        return None
    return _mailbox_watcher(str(database_path()))


@st.cache_resource(show_spinner=False)
def _mailbox_watcher(path: str):
    from tracking.ingest import IngestPolicy
    from tracking.ingest_watch import MailboxWatcher, configured_mailbox
    from tracking.runtime import transport_kind

    settings = settings_for()
    spec = configured_mailbox(settings, transport_kind())
    if spec is None:
        return None
    watcher = MailboxWatcher(_database(path), spec, IngestPolicy.from_settings(settings)).start()
    atexit.register(watcher.stop)
    return watcher
