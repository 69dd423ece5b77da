"""The Parquet snapshot the analysts' notebooks read while the console holds the database.

DuckDB lets one process open the file (MAILSTACK.md §6), so the owning process writes the
tables the console queries read to Parquet — into a fresh directory, renamed into place, so a
reader never sees half a snapshot — and `open_snapshot` gives a notebook an in-memory DuckDB
connection whose views carry the tables' names: the same `console_queries` functions then run
on it unchanged. Raw returned messages stay out (large, and personal data); the rest is the
whole picture.

From PostgreSQL the same files are written by streaming each table in batches through the store's
cursor and writing them with pyarrow, the column types taken from the server's own (so a table
holding only NULLs in a column still gets its type): notebooks read either store's snapshot alike.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pyarrow.parquet as pq

from tracking.errors import StorageError
from tracking.store.connection import CHECKOUT_DATA, Database
from tracking.store.dialect import Engine, ddl, engine_of, is_postgres_url

TABLES = ("accounts", "users", "clients", "client_addresses", "documents", "sends",
          "deliveries", "events", "document_marks", "report_proposals",
          "delivery_counts")   # the rollup the failure and history reads count from
RETURNED_COLUMNS = ("id, received_at, source, size_bytes, ''::BLOB AS raw_zlib, truncated, "
                    "kind, detector, subject, defects, match_state, match_method, send_id, "
                    "document_id")
MANIFEST = "snapshot.json"
BATCH_ROWS = 50_000   # rows read from PostgreSQL per Arrow batch: bounded memory on any table
SNAPSHOT_DIR_ENV = "SUIVI_SNAPSHOT_DIR"


def default_directory(database_path: str | Path) -> Path:
    """`data/suivi.duckdb` -> `data/suivi.snapshot/`; a PostgreSQL database `suivi` -> the
    checkout's `data/suivi.snapshot/` (a URL names no place for files). SUIVI_SNAPSHOT_DIR, when
    set, is the place for either store (the console and the notebooks must agree on it)."""
    if os.environ.get(SNAPSHOT_DIR_ENV):
        return Path(os.environ[SNAPSHOT_DIR_ENV])
    if is_postgres_url(str(database_path)):
        name = urlsplit(str(database_path)).path.strip("/") or "suivi"
        return CHECKOUT_DATA / f"{name}.snapshot"
    path = Path(database_path)
    return path.with_name(path.stem + ".snapshot")


def write_snapshot(db: Database, directory: str | Path) -> Path:
    """Write every table to `directory/<table>.parquet`, atomically replacing the last one.

    One writer at a time per directory, across processes (an exclusive `flock` on a file
    beside it; the next waits, then writes a fresher one): on PostgreSQL several owners on one
    host — `serve` processes, console replicas — each write the snapshot, and two sharing the
    staging directory would delete or rename each other's half-written files."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.with_name(directory.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # released when the file closes (or the process dies)
        return _write_snapshot(db, directory)


def _write_snapshot(db: Database, directory: Path) -> Path:
    staging = directory.with_name(directory.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    cursor = db.cursor()
    if engine_of(cursor) is Engine.POSTGRES:
        counts = _write_from_postgres(cursor, staging)
    else:
        counts = _write_from_duckdb(cursor, staging)
    (staging / MANIFEST).write_text(json.dumps({
        "written_at": datetime.now(UTC).isoformat(), "database": str(db.path),
        "rows": counts}, indent=1))
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    staging.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return directory


def _write_from_duckdb(cursor, staging: Path) -> dict[str, int]:
    counts = {}
    # One read transaction: every file shows the same moment.
    cursor.execute("BEGIN TRANSACTION")
    try:
        for table in TABLES:
            target = str(staging / f"{table}.parquet")
            cursor.execute(f"COPY (SELECT * FROM {table}) TO '{_quoted(target)}' "
                           "(FORMAT parquet, COMPRESSION zstd)")
            counts[table] = cursor.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        target = str(staging / "returned_messages.parquet")
        cursor.execute(f"COPY (SELECT {RETURNED_COLUMNS} FROM returned_messages) "
                       f"TO '{_quoted(target)}' (FORMAT parquet, COMPRESSION zstd)")
    finally:
        cursor.execute("COMMIT")
    return counts


def _write_from_postgres(cursor, staging: Path) -> dict[str, int]:
    counts = {}
    # REPEATABLE READ: every file shows the same moment, as DuckDB's one transaction does.
    cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        for table in TABLES:
            counts[table] = _stream_to_parquet(cursor, f"SELECT * FROM {table}",
                                               staging / f"{table}.parquet")
        _stream_to_parquet(cursor, f"SELECT {ddl(RETURNED_COLUMNS, Engine.POSTGRES)} "
                                   "FROM returned_messages",
                           staging / "returned_messages.parquet")
    finally:
        cursor.execute("COMMIT")
    return counts


def _stream_to_parquet(cursor, sql: str, target: Path) -> int:
    """Write one query's rows to `target` batch by batch; how many rows it wrote."""
    schema, batches = cursor.stream_arrow(sql, BATCH_ROWS)
    rows = 0
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_table(batch)
            rows += batch.num_rows
        if rows == 0:
            writer.write_table(schema.empty_table())
    return rows


def _quoted(path: str) -> str:
    # Our own path, but a quote in a directory name must not end the SQL string.
    return path.replace("'", "''")


def open_snapshot(directory: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with one view per snapshot table, named like the table."""
    directory = Path(directory)
    if not (directory / MANIFEST).is_file():
        raise StorageError(f"no snapshot in {directory}")
    connection = duckdb.connect(":memory:")
    for file in sorted(directory.glob("*.parquet")):
        connection.execute(f'CREATE VIEW "{file.stem}" AS '
                           f"SELECT * FROM read_parquet('{_quoted(str(file))}')")
    return connection


def snapshot_manifest(directory: str | Path) -> dict:
    return json.loads((Path(directory) / MANIFEST).read_text())
