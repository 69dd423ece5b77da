"""The PostgreSQL store: a psycopg 3 connection per thread behind the cursor API the store uses.

The store's SQL is written once with `?` placeholders (DuckDB's); this cursor numbers them
(`$1`, `$2`, … on a raw cursor, so `%` in SQL needs no escaping). Arrow batches the store
registers as views in DuckDB become temporary tables filled with `COPY` here. Sessions run in
UTC whatever the server's TimeZone: the schema stores naive UTC timestamps, and `now()` must
mean the same on both engines. PostgreSQL refuses NUL characters in text, which mail can carry:
they become U+FFFD. The password never appears in an error or a log line (`redact`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import errors as pg_errors

from tracking.errors import StorageError
from tracking.store.dialect import Engine

T = TypeVar("T")

NUL_REPLACEMENT = "\ufffd"
_PLACEHOLDER_OR_QUOTED = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?")

# PostgreSQL's answer to two transactions wanting the same rows: one of them retries.
_CONFLICTS = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected,
              pg_errors.UniqueViolation)


def redact(url: str) -> str:
    """The URL with its password (if any) replaced by `***`, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def numbered(sql: str) -> str:
    """`?` placeholders outside quoted text as `$1`, `$2`, … (PostgreSQL's own numbering)."""
    counter = iter(range(1, 10_000))

    def replace(match: re.Match) -> str:
        text = match.group(0)
        return f"${next(counter)}" if text == "?" else text

    return _PLACEHOLDER_OR_QUOTED.sub(replace, sql)


def without_nul(value: Any) -> Any:
    """Text with NUL characters replaced (PostgreSQL refuses them); lists element-wise."""
    if isinstance(value, str):
        return value.replace("\x00", NUL_REPLACEMENT) if "\x00" in value else value
    if isinstance(value, (list, tuple)):
        return [without_nul(item) for item in value]
    return value


_ARROW_TYPES: tuple[tuple[Callable[[pa.DataType], bool], str], ...] = (
    (pa.types.is_string, "TEXT"), (pa.types.is_large_string, "TEXT"),
    (pa.types.is_timestamp, "TIMESTAMP"), (pa.types.is_date, "DATE"),
    (pa.types.is_boolean, "BOOLEAN"), (pa.types.is_int8, "SMALLINT"),
    (pa.types.is_int16, "SMALLINT"), (pa.types.is_int32, "INTEGER"),
    (pa.types.is_int64, "BIGINT"), (pa.types.is_floating, "DOUBLE PRECISION"),
    (pa.types.is_decimal, "NUMERIC"), (pa.types.is_binary, "BYTEA"),
    (pa.types.is_large_binary, "BYTEA"), (pa.types.is_null, "TEXT"),
)


# PostgreSQL type names (as psycopg reports them) and the Arrow type DuckDB writes for them.
_ARROW_OF_POSTGRES = {
    "text": pa.string(), "varchar": pa.string(), "bpchar": pa.string(), "json": pa.string(),
    "jsonb": pa.string(), "bool": pa.bool_(), "int2": pa.int16(), "int4": pa.int32(),
    "int8": pa.int64(), "float4": pa.float32(), "float8": pa.float64(),
    "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(), "bytea": pa.binary(), "interval": pa.month_day_nano_interval(),
}


def _arrow_type(column) -> pa.DataType:
    """The Arrow type of a PostgreSQL result column (psycopg's `Column`)."""
    info = psycopg.adapters.types.get(column.type_code)
    if info is None:
        raise StorageError(f"no Parquet type for PostgreSQL column {column.name}")
    if info.array_oid == column.type_code:   # an array column: a list of its element type
        return pa.list_(_ARROW_OF_POSTGRES.get(info.name, pa.string()))
    if info.name == "numeric":
        return pa.decimal128(column.precision or 38, column.scale or 0)
    try:
        return _ARROW_OF_POSTGRES[info.name]
    except KeyError:
        raise StorageError(f"no Parquet type for PostgreSQL column {column.name} "
                           f"({info.name})") from None


def _column_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return _column_type(arrow_type.value_type) + "[]"
    for matches, name in _ARROW_TYPES:
        if matches(arrow_type):
            return name
    raise StorageError(f"no PostgreSQL column type for Arrow type {arrow_type}")


class PostgresCursor:
    """One psycopg connection (autocommit: the store says BEGIN/COMMIT itself) with the subset
    of DuckDB's cursor API the store uses: execute → fetchone/fetchall/df/description, and
    register/unregister of Arrow tables."""

    engine = Engine.POSTGRES

    def __init__(self, connection: psycopg.Connection, url: str) -> None:
        self._connection = connection
        self._cursor = psycopg.RawCursor(connection)
        self._url = url

    def execute(self, sql: str, parameters: list | tuple | None = None) -> PostgresCursor:
        params = None if parameters is None else [without_nul(p) for p in parameters]
        try:
            self._cursor.execute(numbered(sql), params)
        except psycopg.Error as err:
            raise _translated(err, self._url) from err
        return self

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    @property
    def description(self):
        return self._cursor.description

    def df(self) -> pd.DataFrame:
        names = [column.name for column in self._cursor.description or ()]
        return pd.DataFrame.from_records(self._cursor.fetchall(), columns=names)

    def stream_rows(self, sql: str, chunk: int) -> Iterator[list[tuple]]:
        """A large result `chunk` rows at a time, without holding it all in memory."""
        rows: list[tuple] = []
        try:
            for row in psycopg.RawCursor(self._connection).stream(numbered(sql), size=chunk):
                rows.append(row)
                if len(rows) == chunk:
                    yield rows
                    rows = []
        except psycopg.Error as err:
            raise _translated(err, self._url) from err
        if rows:
            yield rows

    def stream_arrow(self, sql: str, chunk: int) -> tuple[pa.Schema, Iterator[pa.Table]]:
        """A query's schema (from the server's column types, so a column of NULLs keeps its
        type) and its rows as Arrow tables of up to `chunk` rows."""
        self.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0")
        schema = pa.schema([(c.name, _arrow_type(c)) for c in self._cursor.description])

        def batches() -> Iterator[pa.Table]:
            for rows in self.stream_rows(sql, chunk):
                columns = zip(*rows)
                yield pa.Table.from_arrays(
                    [pa.array(values, type=f.type) for values, f in zip(columns, schema)],
                    schema=schema)

        return schema, batches()

    def register(self, name: str, table: pa.Table) -> None:
        """`table` as a temporary table `name` (names are the store's, never input), by COPY."""
        columns = ", ".join(f"{field.name} {_column_type(field.type)}" for field in table.schema)
        self.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
        self.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
        self.copy_rows(name, table.schema.names, table.to_pylist())

    def unregister(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")

    def copy_rows(self, table: str, columns: list[str], rows: list[dict] | list[tuple]) -> None:
        """Bulk-load rows (dicts by column name, or tuples in column order) with COPY."""
        names = ", ".join(columns)
        try:
            with self._cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    values = [row[c] for c in columns] if isinstance(row, dict) else row
                    copy.write_row([without_nul(value) for value in values])
        except psycopg.Error as err:
            raise _translated(err, self._url) from err

    def close(self) -> None:
        self._connection.close()


class PostgresDatabase:
    """A migrated PostgreSQL database and this process's connections to it, one per thread
    (a psycopg connection runs one transaction at a time)."""

    engine = Engine.POSTGRES

    def __init__(self, url: str) -> None:
        self._url = url
        self.path = redact(url)          # what messages and the console show
        self._local = threading.local()
        self._cursors: list[PostgresCursor] = []
        self._lock = threading.Lock()

    def cursor(self) -> PostgresCursor:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = PostgresCursor(connect(self._url), self._url)
            self._local.cursor = cursor
            with self._lock:
                self._cursors.append(cursor)
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[PostgresCursor]:
        cursor = self.cursor()
        cursor.execute("BEGIN")
        try:
            yield cursor
            cursor.execute("COMMIT")
        except BaseException:
            try:
                cursor.execute("ROLLBACK")
            except StorageError:
                pass  # the connection is gone; the server rolled the transaction back
            raise

    def retrying(self, work: Callable[[PostgresCursor], T], *, attempts: int = 5) -> T:
        """`work(cursor)` in a transaction, again after a serialization failure or deadlock."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as cursor:
                    return work(cursor)
            except StorageError as err:
                if attempt == attempts or not is_conflict(err):
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            cursors, self._cursors = self._cursors, []
        for cursor in cursors:
            cursor.close()
        self._local = threading.local()

    def __enter__(self) -> PostgresDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_conflict(err: BaseException | None) -> bool:
    while err is not None:
        if isinstance(err, _CONFLICTS):
            return True
        err = err.__cause__ or err.__context__
    return False


def connect(url: str) -> psycopg.Connection:
    """A connection in UTC, autocommit (transactions are explicit). The password comes from the
    URL, or from libpq's own sources (PGPASSWORD, ~/.pgpass) — never from a log line.

    JIT off: the console's aggregates over a million rows cross PostgreSQL's JIT cost threshold,
    and compiling them took ~200 ms of a sub-second budget for no gain (all-accounts rates on a
    1M demo: 3.2 s with JIT, 2.6 s without, same run)."""
    try:
        return psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC -c jit=off",
                               application_name="suivi")
    except psycopg.Error as err:
        raise _translated(err, url) from None   # the chained error could carry the conninfo


def _translated(err: psycopg.Error, url: str) -> StorageError:
    message = str(err).strip()
    password = urlsplit(url).password
    if password:
        message = message.replace(password, "***")
    return StorageError(f"PostgreSQL ({redact(url)}): {message}")
