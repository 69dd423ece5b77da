"""Which engine a store runs on, and the few places where DuckDB and PostgreSQL SQL differ.

Most store SQL is written in the subset both engines agree on (checked on both: `ON CONFLICT DO
NOTHING`, `DISTINCT ON`, window functions in subqueries, `= ANY(?::VARCHAR[])`, `FILTER`,
`array_agg(… ORDER BY …)`). What is left differs per engine: column types of the DDL, list
literals, and a few statements tuned for one engine's planner. Those variants live here or
beside the statement, chosen by `engine_of(cursor)`.
"""

from __future__ import annotations

from enum import StrEnum


class Engine(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: object) -> bool:
    """A `postgresql://…` URL (as opposed to a DuckDB file path or `:memory:`)."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def engine_of(cursor: object) -> Engine:
    """The engine behind a store cursor: the PostgreSQL cursor says so, a DuckDB one is itself."""
    return getattr(cursor, "engine", Engine.DUCKDB)


# DDL words that differ: DuckDB's BLOB is PostgreSQL's BYTEA; a list literal is `[x]` in DuckDB
# and `ARRAY[x]` in PostgreSQL (DuckDB accepts both, but the shipped migrations keep their text).
_DDL_REWRITES = {
    Engine.POSTGRES: (("BLOB", "BYTEA"), ("THEN NULL ELSE [account_id] END",
                                          "THEN NULL ELSE ARRAY[account_id] END")),
    Engine.DUCKDB: (),
}


# A migration statement that starts with this runs on PostgreSQL only: an index its planner needs
# where DuckDB's zone maps already skip the row groups (and an ART index would cost DuckDB memory
# and bulk-load time for nothing).
POSTGRES_ONLY = "-- postgres only\n"
# And this one on DuckDB only: the same change spelled for DuckDB's speed (e.g. by rowid).
DUCKDB_ONLY = "-- duckdb only\n"


def ddl(statement: str, engine: Engine) -> str | None:
    """A migration statement as `engine` accepts it (migrations are written in DuckDB's words),
    or None when it is not for `engine`."""
    if statement.startswith(POSTGRES_ONLY):
        if engine is not Engine.POSTGRES:
            return None
        statement = statement.removeprefix(POSTGRES_ONLY)
    elif statement.startswith(DUCKDB_ONLY):
        if engine is not Engine.DUCKDB:
            return None
        statement = statement.removeprefix(DUCKDB_ONLY)
    for old, new in _DDL_REWRITES[engine]:
        statement = statement.replace(old, new)
    return statement
