"""Rows looked up one key at a time, many keys per query.

DuckDB serves a lone equality on an indexed column (`id = ?`) by its index, but an
`= ANY(list)`, an `IN (subquery)` or a join by scanning the table: on a million rows, a few
milliseconds against half a second or more. So many keys are asked as a UNION ALL of single
equalities. It pays only for a few keys at a time: each arm costs its own lookup (≈2–3 ms for
an address's deliveries on the 1M demo), so thousands of keys are better read by a join.
PostgreSQL takes each arm by its index too.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

Cursor = duckdb.DuckDBPyConnection

LOOKUPS_PER_QUERY = 200


def rows_where_equal(cursor: Cursor, select: str, column: str,
                     keys: Iterable[object]) -> list[tuple]:
    """The rows of `select` (a SELECT of ours, no WHERE) whose `column` (ours) equals one of
    `keys`, each key looked up by equality."""
    ordered = sorted(set(keys))
    found: list[tuple] = []
    for start in range(0, len(ordered), LOOKUPS_PER_QUERY):
        chunk = ordered[start:start + LOOKUPS_PER_QUERY]
        sql = " UNION ALL ".join(f"({select} WHERE {column} = ?)" for _ in chunk)
        found.extend(cursor.execute(sql, chunk).fetchall())
    return found


def by_id(cursor: Cursor, select: str, keys: Iterable[str]) -> dict[str, tuple]:
    """{id: row} of `select` (ours; its first column the table's primary key `id`)."""
    return {row[0]: row for row in rows_where_equal(cursor, select, "id", keys)}
