"""Copy a whole store to another (DuckDB → PostgreSQL, or either way), then prove it arrived.

Every table the migrations created is copied in chunks (DuckDB reads them as Arrow batches;
PostgreSQL writes them with COPY), the event sequence is moved past the copied events, and each
table is checked on both sides: the same row count and the same checksum. The checksum is an
order-independent sum of a hash of each row's canonical text, computed in Python on what each
engine returns, so it compares the values themselves and not their storage. The source's side
is taken from the very rows written (read once, not twice: on the 100k demo reading and hashing
the source again was a quarter of the copy's time), the target's by reading it back after the
commit. A target that holds any data already is refused: merging two stores is not a copy.

A PostgreSQL target is vacuumed and analyzed at the end: until autovacuum gets there, its
planner has no statistics for the new rows and its index-only scans (the rates' partial index)
visit the heap for every row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa

from tracking.errors import StorageError
from tracking.store.dialect import Engine, engine_of

CHUNK_ROWS = 50_000
# Tables the migrations fill themselves (bookkeeping, not data), so an empty store has rows here.
_BOOKKEEPING = frozenset({"schema_version", "document_marks_progress"})
_MASK = (1 << 64) - 1
_PLAIN = (str, int, bool)


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str


class CopyRefused(StorageError):
    """The target already holds data, or its schema is not the source's."""


class CopyMismatch(StorageError):
    """A table arrived with another row count or checksum than the source's."""


def copy_store(source, target) -> list[TableCopy]:
    """Copy every table of `source` into `target` (both open, migrated `Database`s) and verify
    each one. Raises `CopyRefused` before writing anything when the target is not empty."""
    source_cursor, target_cursor = source.cursor(), target.cursor()
    tables = data_tables(target_cursor)
    if version(source_cursor) != version(target_cursor):
        raise CopyRefused("source and target are at different schema versions")
    filled = [t for t in tables if t not in _BOOKKEEPING and row_count(target_cursor, t)]
    if filled:
        raise CopyRefused(f"the target is not empty ({', '.join(filled)}); copy into a new database")
    # schema_version is each store's own history (when it was migrated), not copied data
    tables = [table for table in tables if table != "schema_version"]
    written: dict[str, TableCopy] = {}
    with target.transaction() as cursor:
        if engine_of(cursor) is Engine.POSTGRES:
            # Flushed at commit whatever the server's default: VACUUM below marks a page
            # all-visible only once its rows' commit is on disk (a server run with
            # synchronous_commit = off, as the tests' is, would leave the map empty).
            cursor.execute("SET LOCAL synchronous_commit = on")
        for table in tables:
            columns = table_columns(cursor, table)
            if table in _BOOKKEEPING:    # the source's own rows replace the fresh ones
                cursor.execute(f"DELETE FROM {table}")
            rows, total = 0, 0
            for batch in _read_chunks(source_cursor, table, columns):
                _write_chunk(cursor, table, columns, batch)
                rows, total = rows + len(batch), (total + _rows_sum(batch)) & _MASK
            written[table] = TableCopy(table, rows, f"{total:016x}")
        _advance_event_sequence(cursor)
    if engine_of(target_cursor) is Engine.POSTGRES:
        # Outside the transaction, as they must be; apart, because `VACUUM (ANALYZE)` left the
        # visibility map empty (PostgreSQL 15, tables just filled: relallvisible 0, where a
        # plain VACUUM sets every page).
        target_cursor.execute("VACUUM")
        target_cursor.execute("ANALYZE")
    return [verify_written(target_cursor, written[table]) for table in tables]


def verify_written(target_cursor, expected: TableCopy) -> TableCopy:
    """`expected` (the source's rows as written) against what the target holds now."""
    table = expected.table
    columns = table_columns(target_cursor, table)
    found = (row_count(target_cursor, table), table_checksum(target_cursor, table, columns))
    if (expected.rows, expected.checksum) != found:
        raise CopyMismatch(f"{table}: source has {expected.rows} rows (checksum "
                           f"{expected.checksum}), target {found[0]} rows (checksum {found[1]})")
    return expected


def data_tables(cursor) -> list[str]:
    """The store's tables (base tables of the current schema), in name order."""
    schema = "current_schema()" if engine_of(cursor) is Engine.POSTGRES else "'main'"
    return [row[0] for row in cursor.execute(
        f"""SELECT table_name FROM information_schema.tables
            WHERE table_schema = {schema} AND table_type = 'BASE TABLE'
            ORDER BY table_name""").fetchall()]


def table_columns(cursor, table: str) -> list[str]:
    schema = "current_schema()" if engine_of(cursor) is Engine.POSTGRES else "'main'"
    return [row[0] for row in cursor.execute(
        f"""SELECT column_name FROM information_schema.columns
            WHERE table_schema = {schema} AND table_name = ? ORDER BY ordinal_position""",
        [table]).fetchall()]


def row_count(cursor, table: str) -> int:
    return int(cursor.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def version(cursor) -> int:
    return int(cursor.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])


def table_checksum(cursor, table: str, columns: list[str]) -> str:
    """Sum (mod 2^64) of each row's 8-byte BLAKE2b, over canonical values."""
    total = 0
    for batch in _read_chunks(cursor, table, columns):
        total = (total + _rows_sum(batch)) & _MASK
    return f"{total:016x}"


def _rows_sum(rows: list[tuple]) -> int:
    """The sum (unbounded) of the rows' 8-byte BLAKE2b digests, as integers."""
    return sum(int.from_bytes(hashlib.blake2b(_canonical(row).encode(), digest_size=8).digest(),
                              "big") for row in rows)


def _canonical(row: tuple) -> str:
    # repr of plain values (text, numbers, booleans, None, lists of them) is deterministic
    return repr([value if value is None or type(value) in _PLAIN else _canonical_value(value)
                 for value in row])


def _canonical_value(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_canonical_value(item) for item in value]
    return str(value)


def _read_chunks(cursor, table: str, columns: list[str]) -> Iterator[list[tuple]]:
    """The table's rows as lists of tuples, `CHUNK_ROWS` at a time."""
    names = ", ".join(columns)
    if engine_of(cursor) is Engine.POSTGRES:
        yield from cursor.stream_rows(f"SELECT {names} FROM {table}", CHUNK_ROWS)
        return
    # its own cursor: DuckDB refuses other work on a connection while a result streams
    reader = cursor.cursor().sql(f"SELECT {names} FROM {table}").to_arrow_reader(CHUNK_ROWS)
    for batch in reader:
        yield list(zip(*(column.to_pylist() for column in batch.columns), strict=True)) \
            if batch.num_rows else []


def _write_chunk(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    if engine_of(cursor) is Engine.POSTGRES:
        cursor.copy_rows(table, columns, rows)
        return
    batch = pa.Table.from_pylist([dict(zip(columns, row, strict=True)) for row in rows])
    cursor.register("suivi_copy_chunk", batch)
    try:
        names = ", ".join(columns)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM suivi_copy_chunk")
    finally:
        cursor.unregister("suivi_copy_chunk")


def _advance_event_sequence(cursor) -> None:
    """New events must number after the copied ones."""
    top = int(cursor.execute("SELECT coalesce(max(seq), 0) FROM events").fetchall()[0][0])
    if top == 0:
        return
    if engine_of(cursor) is Engine.POSTGRES:
        cursor.execute("SELECT setval('event_seq', ?)", [top])
    else:   # DuckDB has no setval: draw the numbers the copied events already use
        cursor.execute("SELECT max(nextval('event_seq')) FROM range(?)", [top]).fetchall()
