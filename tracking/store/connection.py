"""The DuckDB connection: one per process, a cursor per thread or unit of work.

DuckDB lets one process hold a database file read-write, and then no other process can open it
at all (MAILSTACK.md §6). The process that owns `data/suivi.duckdb` (normally the console server)
opens it once; the command line says clearly when someone else holds it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tracking.errors import DatabaseLocked, StorageError
from tracking.store.migrations import migrate

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>.+?)(?:\.|$)")


class Database:
    """A migrated DuckDB file and the one connection this process holds on it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: str) -> None:
        self._connection = connection
        self.path = path
        self._local = threading.local()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB cursors must not be shared across threads)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT on this thread's cursor; ROLLBACK and re-raise on any error."""
        cursor = self.cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_database(path: str | Path, *, migrate_schema: bool = True) -> Database:
    """Open (creating if needed) and migrate the database file at `path`.

    Raises `DatabaseLocked` when another process holds the file, `SchemaTooNew` when a newer
    Suivi wrote it, `MigrationFailed` when a step fails (that step is rolled back).
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(path)
    except duckdb.IOException as err:
        message = str(err)
        if "lock" in message.lower():
            holder = _LOCK_HOLDER.search(message)
            who = f" ({holder.group('holder')})" if holder else ""
            raise DatabaseLocked(
                f"{path} is open in another process{who}; stop the console (or the other job) "
                "first — DuckDB allows one process per database file"
            ) from err
        raise StorageError(f"cannot open {path}: {message}") from err
    if migrate_schema:
        try:
            migrate(connection)
        except BaseException:
            connection.close()
            raise
    return Database(connection, path)
