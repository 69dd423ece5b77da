"""The console's process resources: get-or-start the process's owner (`tracking.server`).

The owner — database connection, outbox sender, mailbox watcher, marks and snapshot refreshes —
lives in a module-level registry of the core, not in `st.cache_resource`: clearing Streamlit's
caches (its own "Clear cache" does it) must never start a second sender. `SUIVI_WORKERS=0`
(AppTest sets it) opens the database without starting any worker.
"""

from __future__ import annotations

import atexit
import os

import streamlit as st

from tracking.runtime import database_path
from tracking.server import WORKERS, Owner, process_owner, stop_process_owners
from tracking.store.connection import Database

atexit.register(stop_process_owners)

_SECRETS_READ: list = [None]   # the `st.secrets` object last read (held: its id is not reused)


def secrets_into_environment() -> None:
    """Streamlit secrets named `SUIVI_*` (e.g. SUIVI_SMTP_PASSWORD, SUIVI_IMAP_PASSWORD,
    SUIVI_VERP_KEY in .streamlit/secrets.toml) become settings, as environment variables would;
    so does PGPASSWORD, the PostgreSQL store's password (libpq reads it), keeping it out of the
    SUIVI_DB URL. A variable already set in the environment wins. Values are never displayed or
    logged.

    Once per secrets object (Streamlit keeps one per process; AppTest brings its own): a
    variable, once set, is never changed by a later read anyway, and without a secrets file
    Streamlit looks for one again on every read (~30 ms, twice a page run). A name added to
    the file later takes a restart, like the settings the owner started with."""
    if _SECRETS_READ[0] is st.secrets:
        return
    _SECRETS_READ[0] = st.secrets
    try:
        items = list(st.secrets.items())
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return  # no secrets file: the environment alone configures the console
    for name, value in items:
        if (name.startswith("SUIVI_") or name == "PGPASSWORD") and isinstance(value, (str, int, float)):
            os.environ.setdefault(name, str(value))


def owner() -> Owner:
    """This process's owner of the configured database, started on first use."""
    secrets_into_environment()
    return _owner(str(database_path()))


def _owner(path: str) -> Owner:
    workers = () if os.environ.get("SUIVI_WORKERS", "1") == "0" else WORKERS
    return process_owner(path, workers=workers)


def database() -> Database:
    """The process's connection to the configured database file."""
    return owner().open()


def _database(path: str) -> Database:
    """The connection to `path` (the cached reads key on the path, not on a connection)."""
    return _owner(path).open()


def mailbox_watcher():
    """The mailbox watcher of this process (a `MailboxWatcher`), or None when workers are off
    (`SUIVI_WORKERS=0`) or no mailbox is configured (no IMAP, no sandbox)."""
    return owner().mailbox


def refresh_snapshot() -> str:
    """Write the snapshot now (the Settings page's button); returns its directory."""
    return str(owner().write_snapshot())
