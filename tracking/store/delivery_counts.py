"""Delivery counts: recipients counted per UTC day of their send, account, mode, domain, state,
reason and time-to-delivery bucket (migration 9).

The failures and history aggregates read this rollup instead of joining a million deliveries to
their sends: a 90-day period is a few thousand rows here. It is kept exact by the writes
themselves, in the transaction that moves the deliveries: `insert_deliveries` counts the new
recipients, and `record_events` uncounts each changed delivery's old key before its update and
counts the new one after. So the counts and the deliveries never disagree, not even for a
moment; `drift` recounts everything and lists any difference (the tests', and an operator's,
check), and `rebuild` recounts from scratch (the demo builder, which writes deliveries in bulk).

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


_DELAY_BUCKET = ("CASE WHEN x.state <> 'delivered' THEN 0 ELSE "
                 + delay_bucket("EXTRACT(EPOCH FROM (x.state_at - s.requested_at))") + " END")

KEY_COLUMNS = ("day", "account_id", "mode", "domain", "state", "reason", "delay_bucket")

# The key of one delivery row `x` of send `s`: reason '' for none (key columns are NOT NULL).
_KEY_OF = f"""date_trunc('day', s.requested_at), s.account_id, s.mode,
              lower(split_part(x.address, '@', 2)), x.state, coalesce(x.reason, ''),
              {_DELAY_BUCKET}"""

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
RECOUNT = f"""SELECT {_KEY_OF}, count(*)
              FROM deliveries x JOIN sends s ON s.id = x.send_id
              GROUP BY {_GROUP_ALL_KEYS}"""

# Written in day order (DuckDB keeps the insertion order): a period's reads then skip the row
# groups of other days by their min/max. In hash order every row group held every day, and the
# failure summary read all 616,000 rows of the 1M demo for its 91 days (≈230,000).
FILL = f"INSERT INTO delivery_counts ({_KEYS}, deliveries) {RECOUNT} ORDER BY 1"


def add_rows(cursor: Cursor, batch: str, sign: int) -> None:
    """Count (+1) or uncount (-1) the deliveries listed in the registered relation `batch`
    (columns send_id, idx), as they are now. `batch` is a name of ours, never input."""
    if sign not in (1, -1):
        raise ValueError("sign is +1 or -1")
    # The batch's sends named one placeholder each: DuckDB then filters deliveries and sends
    # while scanning them and PostgreSQL looks them up by key, where a join with the batch
    # alone read both tables whole on every write (≈1.2 s a call on a million documents).
    sends = [row[0] for row in cursor.execute(f"SELECT DISTINCT send_id FROM {batch}").fetchall()]
    if not sends:
        return
    listed = ", ".join("?" * len(sends))
    cursor.execute(
        f"""INSERT INTO delivery_counts ({_KEYS}, deliveries)
            SELECT {_KEY_OF}, {sign} * count(*)
            FROM {batch} b JOIN deliveries x ON x.send_id = b.send_id AND x.idx = b.idx
            JOIN sends s ON s.id = x.send_id
            WHERE x.send_id IN ({listed}) AND s.id IN ({listed})
            GROUP BY {_GROUP_ALL_KEYS}""", [*sends, *sends])


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
