"""The DuckDB connection: one per process, a cursor per thread or unit of work.

DuckDB lets one process hold a database file read-write, and then no other process can open it
at all (MAILSTACK.md §6). The process that owns `data/suivi.duckdb` (normally the console server)
opens it once; the command line says clearly when someone else holds it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from tracking.errors import DatabaseLocked, StorageError
from tracking.store.dialect import is_postgres_url
from tracking.store.migrations import migrate
from tracking.store.postgres import PostgresDatabase

T = TypeVar("T")
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
        """BEGIN … COMMIT on this thread's cursor; ROLLBACK and re-raise on any error.

        The COMMIT is inside the guard too: DuckDB detects write-write conflicts (two threads
        updating the same rows) when the second one commits, and a failed COMMIT leaves the
        cursor in an aborted transaction ("Current transaction is aborted") until it is rolled
        back — every later use of this thread's cursor would fail.
        """
        cursor = self.cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            yield cursor
            cursor.execute("COMMIT")
        except BaseException:
            _rollback(cursor)
            raise

    def retrying(self, work: Callable[[duckdb.DuckDBPyConnection], T], *,
                 attempts: int = 5) -> T:
        """Run `work(cursor)` in a transaction, again (after a rollback) when DuckDB reports a
        write-write conflict with another thread — optimistic concurrency: the loser retries.
        `work` must be safe to run twice (it only sees its own rolled-back writes once)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as cursor:
                    return work(cursor)
            except duckdb.Error as err:
                if attempt == attempts or not is_conflict(err):
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_conflict(err: BaseException | None) -> bool:
    """DuckDB's optimistic concurrency: "Conflict on update!" / "write-write conflict".

    Looks down the exception chain: a statement run in a `finally` after the conflict (e.g.
    unregistering an Arrow batch) fails with "Current transaction is aborted" and hides it.
    """
    while err is not None:
        if isinstance(err, duckdb.TransactionException) and "conflict" in str(err).lower():
            return True
        err = err.__cause__ or err.__context__
    return False


def _rollback(cursor: duckdb.DuckDBPyConnection) -> None:
    try:
        cursor.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction left to roll back (DuckDB already ended it)


# This checkout's data/, wherever the process runs from (the console from the root, the notebook
# from notebooks/): the place for files of a store a URL names, since a URL names no folder.
CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "data"


def files_directory(database: str | Path) -> Path:
    """The folder for files kept beside a database (the demo's cookie secret): a file's own
    folder; for a PostgreSQL URL, this checkout's data/ (never a path made of the URL, which
    would write a folder named after the server, its user and port)."""
    if is_postgres_url(str(database)):
        return CHECKOUT_DATA
    return Path(database).parent


def open_database(path: str | Path, *, migrate_schema: bool = True) -> Database:
    """Open (creating if needed) and migrate the database file at `path`, or the PostgreSQL
    database a `postgresql://…` URL names (`tracking.store.postgres`).

    Raises `DatabaseLocked` when another process holds the file, `SchemaTooNew` when a newer
    Suivi wrote it, `MigrationFailed` when a step fails (that step is rolled back).
    """
    if is_postgres_url(path):
        return _open_postgres(str(path), migrate_schema=migrate_schema)
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


def _open_postgres(url: str, *, migrate_schema: bool) -> Database:
    database = PostgresDatabase(url)
    if migrate_schema:
        try:
            migrate(database.cursor())
        except BaseException:
            database.close()
            raise
    return database  # the same interface as `Database` (cursor, transaction, retrying, close)
