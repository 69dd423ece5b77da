"""Process-wide resources of the console: the database connection and the outbox worker.

The console process owns the DuckDB file (one connection, a cursor per script run). Unless
`SUIVI_WORKERS=0` (AppTest sets it), the outbox worker runs as a thread beside it, over the
configured transport (`SUIVI_TRANSPORT=sandbox` for the demo).
"""

from __future__ import annotations

import atexit
import os
from contextlib import ExitStack

import streamlit as st

from tracking.outbox import Outbox, OutboxThread
from tracking.runtime import database_path, open_store, outbound_transport, settings_for
from tracking.store.connection import Database


def database() -> Database:
    """The process's connection to the configured database file."""
    return _database(str(database_path()))


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    db = open_store(path)
    atexit.register(db.close)
    return db


def outbox_worker() -> OutboxThread | None:
    if os.environ.get("SUIVI_WORKERS", "1") == "0":
        return None
    return _outbox_worker(str(database_path()))


@st.cache_resource(show_spinner=False)
def _outbox_worker(path: str) -> OutboxThread:
    settings = settings_for()
    resources = ExitStack()
    transport = resources.enter_context(outbound_transport(settings))
    worker = OutboxThread(Outbox(_database(path), transport, settings)).start()

    def shutdown() -> None:
        worker.stop()
        resources.close()

    atexit.register(shutdown)
    return worker
