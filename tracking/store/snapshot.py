"""The Parquet snapshot the analysts' notebooks read while the console holds the database.

DuckDB lets one process open the file (MAILSTACK.md §6), so the owning process writes the
tables the console queries read to Parquet — into a fresh directory, renamed into place, so a
reader never sees half a snapshot — and `open_snapshot` gives a notebook an in-memory DuckDB
connection whose views carry the tables' names: the same `console_queries` functions then run
on it unchanged. Raw returned messages stay out (large, and personal data); the rest is the
whole picture.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tracking.errors import StorageError
from tracking.store.connection import Database

TABLES = ("accounts", "users", "clients", "client_addresses", "documents", "sends",
          "deliveries", "events", "document_marks", "report_proposals")
RETURNED_COLUMNS = ("id, received_at, source, size_bytes, ''::BLOB AS raw_zlib, truncated, "
                    "kind, detector, subject, defects, match_state, match_method, send_id, "
                    "document_id")
MANIFEST = "snapshot.json"


def default_directory(database_path: str | Path) -> Path:
    """`data/suivi.duckdb` -> `data/suivi.snapshot/`."""
    path = Path(database_path)
    return path.with_name(path.stem + ".snapshot")


def write_snapshot(db: Database, directory: str | Path) -> Path:
    """Write every table to `directory/<table>.parquet`, atomically replacing the last one."""
    directory = Path(directory)
    staging = directory.with_name(directory.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    cursor = db.cursor()
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
