"""Delivery counts: recipients counted per UTC day of their send, account, mode, domain, state,
reason and time-to-delivery bucket (migration 9).

The failures and history aggregates read this rollup instead of joining a million deliveries to
their sends: a 90-day period is a few thousand rows here. It is kept exact by the writes
themselves, in the transaction that moves the deliveries: `insert_deliveries` counts the new
recipients, and `record_events` uncounts each changed delivery's old key and counts its new
one (`add`, from the values the writer holds). So the counts and the deliveries never disagree,
not even for a moment; `drift` recounts everything and lists any difference (the tests', and an
operator's, check), and `rebuild` recounts from scratch (the demo builder, which writes
deliveries in bulk).

Why signed rows appended, not one row per key updated in place: the outbox, the mailbox watcher
and the console write in concurrent transactions, and two of them moving deliveries of the same
day, account and domain would update the same row — a write-write conflict in DuckDB, and a
refused console action. Appends never conflict. A key's count is the sum of its rows; `compact`
folds them (the owner's marks loop does, once they have grown: tracking.server; safe any time:
rows appended meanwhile by others are not in its snapshot and stay).

Only day-aligned periods can be answered from it (the console's are: whole UTC days); the
queries fall back to the deliveries for any other period.

The SQL sticks to what PostgreSQL accepts too (EXTRACT(EPOCH …), CASE, plain INSERT … SELECT):
the rollup must move to the other store unchanged.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from tracking.store.dialect import Engine, engine_of

Cursor = duckdb.DuckDBPyConnection

# Seconds from the request to a `delivered` state, upper bounds of buckets 1..6; 7 is beyond
# the last; 0 means "not delivered". The console's delay chart labels these same buckets.
DELAY_BOUNDS = (60, 300, 900, 3600, 6 * 3600, 86400)


def delay_bucket(seconds: str) -> str:
    """SQL for the 1-based bucket of `seconds` (an expression of ours): one more than the
    bounds it reached."""
    steps = " ".join(f"WHEN {seconds} < {bound} THEN {number}"
                     for number, bound in enumerate(DELAY_BOUNDS, 1))
    return f"CASE {steps} ELSE {len(DELAY_BOUNDS) + 1} END"


def _key_of(delivery: str, send: str) -> str:
    """SQL for the key of one delivery row (alias `delivery`: address, state, reason, state_at)
    of its send (alias `send`: requested_at, account_id, mode); reason '' for none (key columns
    are NOT NULL). One definition for the recount and for the writes' batches, so both group a
    row the same way on each engine (`lower` included)."""
    d, s = delivery, send
    bucket = delay_bucket(f"EXTRACT(EPOCH FROM ({d}.state_at - {s}.requested_at))")
    return f"""date_trunc('day', {s}.requested_at), {s}.account_id, {s}.mode,
              lower(split_part({d}.address, '@', 2)), {d}.state, coalesce({d}.reason, ''),
              CASE WHEN {d}.state <> 'delivered' THEN 0 ELSE {bucket} END"""


KEY_COLUMNS = ("day", "account_id", "mode", "domain", "state", "reason", "delay_bucket")

CREATE_TABLE = """CREATE TABLE delivery_counts (
        day TIMESTAMP NOT NULL,          -- UTC day of the send's request
        account_id VARCHAR NOT NULL,
        mode VARCHAR NOT NULL,
        domain VARCHAR NOT NULL,         -- lower-cased part after the @
        state VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,         -- '' when none
        delay_bucket SMALLINT NOT NULL,  -- 0: not delivered; 1..7 time-to-delivery bucket
        deliveries BIGINT NOT NULL       -- signed: a key's count is the sum of its rows
    )"""

_KEYS = ", ".join(KEY_COLUMNS)
_GROUP_ALL_KEYS = ", ".join(str(n) for n in range(1, len(KEY_COLUMNS) + 1))

# A full recount, shared by the migration (existing databases), `rebuild` and `drift`.
RECOUNT = f"""SELECT {_key_of('x', 's')}, count(*)
              FROM deliveries x JOIN sends s ON s.id = x.send_id
              GROUP BY {_GROUP_ALL_KEYS}"""

# Written in day order (DuckDB keeps the insertion order): a period's reads then skip the row
# groups of other days by their min/max. In hash order every row group held every day, and the
# failure summary read all 616,000 rows of the 1M demo for its 91 days (≈230,000).
FILL = f"INSERT INTO delivery_counts ({_KEYS}, deliveries) {RECOUNT} ORDER BY 1"


# One row of a write's batch: +1 counts a delivery under its key, -1 uncounts it. The key's
# parts as stored: the send's request moment (naive UTC), account and mode (a delivery carries
# copies of them, migration 14), the delivery's address, state, reason and state moment.
ROW_SCHEMA = pa.schema([
    ("sign", pa.int64()), ("requested_at", pa.timestamp("us")), ("account_id", pa.string()),
    ("mode", pa.string()), ("address", pa.string()), ("state", pa.string()),
    ("reason", pa.string()), ("state_at", pa.timestamp("us")),
])


def add(cursor: Cursor, rows: list[tuple]) -> None:
    """Count (+1) or uncount (-1) deliveries in the caller's transaction; `rows` as ROW_SCHEMA
    (sign, requested_at, account_id, mode, address, state, reason, state_at).

    The writer already holds every part of the key, so the rollup reads no table: reading the
    moved deliveries back and joining their sends cost ≈30 ms of CPU per 500-delivery batch on
    a 2,000-document database (both counts of an outbox batch: ≈190 µs of the ≈1.4 ms a tracked
    message cost), and grows with the tables. A batch's rows with one key are summed first."""
    if not rows:
        return
    cursor.register("suivi_count_batch", pa.Table.from_arrays(
        [pa.array(column, type=field.type) for column, field in zip(zip(*rows), ROW_SCHEMA)],
        schema=ROW_SCHEMA))
    try:
        cursor.execute(
            f"""INSERT INTO delivery_counts ({_KEYS}, deliveries)
                SELECT {_key_of('b', 'b')}, sum(b.sign)
                FROM suivi_count_batch b
                GROUP BY {_GROUP_ALL_KEYS} HAVING sum(b.sign) <> 0""")
    finally:
        cursor.unregister("suivi_count_batch")


def rebuild(cursor: Cursor) -> int:
    """Recount everything (call inside a transaction, or on a database nobody else writes).
    Returns the number of rows."""
    cursor.execute("DELETE FROM delivery_counts")
    cursor.execute(FILL)
    return int(cursor.execute("SELECT count(*) FROM delivery_counts").fetchall()[0][0])


def compact(cursor: Cursor) -> int:
    """Fold each key's rows into one, dropping keys that sum to zero (call inside a
    transaction). Returns the number of rows left.

    PostgreSQL: the table is locked against writers and other folds first (writers wait for
    the fold, a second of a million documents' keys, and it is rare). Each statement of a
    READ COMMITTED transaction sees the latest commits, so without the lock the DELETE would
    also remove rows committed after the sums were taken (counts lost), and two owners folding
    at once would both insert their sums (counts doubled). DuckDB's transaction sees one
    snapshot, and one process writes it."""
    if engine_of(cursor) is Engine.POSTGRES:
        cursor.execute("LOCK TABLE delivery_counts IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(f"""CREATE TEMP TABLE suivi_compacted AS
                       SELECT {_KEYS}, sum(deliveries) AS deliveries FROM delivery_counts
                       GROUP BY {_GROUP_ALL_KEYS} HAVING sum(deliveries) <> 0""")
    try:
        cursor.execute("DELETE FROM delivery_counts")
        cursor.execute(f"INSERT INTO delivery_counts ({_KEYS}, deliveries) "
                       f"SELECT {_KEYS}, deliveries FROM suivi_compacted ORDER BY day")
    finally:
        cursor.execute("DROP TABLE suivi_compacted")
    return row_count(cursor)


# The owner's marks loop folds the rollup when it has grown by half since the last fold and is
# big enough to matter: a fold reads every row (≈1 s on a million documents' keys), the check
# is one count.
COMPACT_GROWTH = 1.5
COMPACT_MIN_ROWS = 50_000


def row_count(cursor: Cursor) -> int:
    return int(cursor.execute("SELECT count(*) FROM delivery_counts").fetchall()[0][0])


def needs_compacting(rows: int, rows_after_last_fold: int) -> bool:
    """Whether `rows` signed rows are worth folding, `rows_after_last_fold` being what the
    last fold left (or what there was when the owner started)."""
    return rows >= COMPACT_MIN_ROWS and rows >= rows_after_last_fold * COMPACT_GROWTH


def drift(cursor: Cursor) -> list[tuple]:
    """Every key whose stored count differs from a recount: (key…, stored, recounted).
    Empty when the rollup is exact."""
    on = " AND ".join(f"c.{name} = r.{name}" for name in KEY_COLUMNS)
    keys = ", ".join(f"coalesce(c.{name}, r.{name})" for name in KEY_COLUMNS)
    return cursor.execute(
        f"""WITH r ({_KEYS}, deliveries) AS ({RECOUNT}),
            c AS (SELECT {_KEYS}, sum(deliveries) AS deliveries FROM delivery_counts
                  GROUP BY {_GROUP_ALL_KEYS})
            SELECT {keys}, coalesce(c.deliveries, 0), coalesce(r.deliveries, 0)
            FROM c FULL OUTER JOIN r ON {on}
            WHERE coalesce(c.deliveries, 0) <> coalesce(r.deliveries, 0)
            ORDER BY 1, 2, 3, 4, 5, 6, 7""").fetchall()


def is_day_aligned(*moments) -> bool:
    """Whether every moment is a UTC midnight: the rollup answers only whole days."""
    return all(m.hour == m.minute == m.second == m.microsecond == 0 for m in moments)
