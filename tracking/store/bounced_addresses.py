"""Bounced addresses (migration 17): per account, the addresses whose latest final outcome is a
failure for a reason that can suppress them — the rows of the Failures page's "Adresses à
corriger", kept ready instead of derived on every read.

An address's latest final outcome in an account is its delivery that is not `pending` and comes
first by newest state moment, newest request, first listed, then greater send id (a last
tie-break, so there is one answer). `tracking.suppression.is_suppressing` still has the last
word on each row (the `notaccept` code).

Derived on each read, the list took 0.8–3.9 s of the page on the 1M demo (load 2–18): every
delivery of every once-bounced address (411,000) is read behind their failures. Here it is a derived table
like the document marks (`tracking.store.marks`), refreshed in the same transaction as they
are, from the same window of the event log (with the same margin for late commits), by the
owner's marks loop: no writer of deliveries writes it, so it adds nothing to sending and no
write-write conflict. Like the marks' filters, the list can lag the log by a refresh (2 s).

Which addresses a window of events can change: only a refusal, a failure report or a delay
report can make an address's latest outcome a failure (the delay puts a `sent` delivery back to
`pending`, which can bare an older failure); and any move of a listed address's deliveries can
end its listing. Those addresses are derived again from their deliveries, in every account. (A
success recorded with a moment older than the acceptance it follows could in principle bare an
older failure too; event moments are when Suivi recorded them, so it is not looked for.)
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from tracking.models import EventType
from tracking.store.lookups import by_id, rows_where_equal
from tracking.store.writes import insert_rows
from tracking.state import MOVING_TYPES
from tracking.suppression import FAILED, SUPPRESSING_REASONS

Cursor = duckdb.DuckDBPyConnection

CREATE_TABLE = """CREATE TABLE bounced_addresses (
        account_id VARCHAR NOT NULL,
        address VARCHAR NOT NULL,        -- as the deliveries store it (lower-cased)
        send_id VARCHAR NOT NULL,        -- the delivery of the latest final outcome
        idx INTEGER NOT NULL,
        state VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        status_code VARCHAR,
        state_at TIMESTAMP NOT NULL,
        document_id VARCHAR NOT NULL,    -- the send's document, and its number (never changed
        document_number VARCHAR NOT NULL,  -- once issued): the list shows both
        PRIMARY KEY (account_id, address)
    )"""

COLUMNS = ("account_id", "address", "send_id", "idx", "state", "reason", "status_code",
           "state_at", "document_id", "document_number")
_SCHEMA = pa.schema([(name, pa.int32() if name == "idx" else
                      pa.timestamp("us") if name == "state_at" else pa.string())
                     for name in COLUMNS])
_NAMES = ", ".join(COLUMNS)
_FAILED = [str(state) for state in FAILED]
_REASONS = [str(reason) for reason in SUPPRESSING_REASONS]


def _words(values: list[str]) -> str:
    """A closed vocabulary of ours (enum values) as an SQL list: the derivation also runs as a
    migration statement, which takes no parameters."""
    assert all(value.replace("_", "").isalnum() for value in values)
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"

# The event types after which an address may have to be listed (see the module docstring), and
# every type that moves a delivery (after which a listed address may leave the list).
_MAY_LIST = {str(EventType.RECIPIENT_REFUSED), str(EventType.DSN_FAILED),
             str(EventType.DSN_DELAYED)}
_MOVING = sorted(str(kind) for kind in MOVING_TYPES)

# Every row, derived in three steps that each read little:
#  1. `since`: per address, how far back its outcomes matter: the oldest, over its accounts, of
#     each account's latest suppressing failure. An outcome older than that cannot be the
#     latest of an account whose latest is such a failure (it is outranked by that failure,
#     the order being newest state first; `state_at` is NOT NULL).
#  2. `recent`: the final outcomes from there on; the latest per (account, address) among them
#     is the true latest when it is such a failure, and is not such a failure otherwise.
#  3. those that are such a failure, with their documents.
# Both steps read the deliveries alone (each carries its send's account and request moment,
# migration 14); joined to their sends, each step hashed a million sends. On PostgreSQL,
# migration 16's indexes serve both steps.
_DERIVED = """
    WITH failed AS (
        SELECT x.account_id, x.address, max(x.state_at) AS latest
        FROM deliveries x
        WHERE x.state IN {failed} AND x.reason IN {reasons}
        GROUP BY x.account_id, x.address),
    since AS (
        SELECT address, min(latest) AS since
        FROM failed GROUP BY address),
    recent AS (
        SELECT DISTINCT ON (x.account_id, x.address)
               x.account_id, x.address, x.send_id, x.idx, x.state, x.reason, x.status_code,
               x.state_at
        FROM deliveries x JOIN since c ON c.address = x.address
        WHERE x.state <> 'pending' AND x.state_at >= c.since
        ORDER BY x.account_id, x.address,
                 x.state_at DESC, x.requested_at DESC, x.idx, x.send_id DESC)
    SELECT o.*, d.id AS document_id, d.number AS document_number
    FROM recent o JOIN sends s ON s.id = o.send_id JOIN documents d ON d.id = s.document_id
    WHERE o.state IN {failed} AND o.reason IN {reasons}""".format(
    failed=_words(_FAILED), reasons=_words(_REASONS))

FILL = f"INSERT INTO bounced_addresses ({_NAMES}) {_DERIVED}"


def rebuild(cursor: Cursor) -> int:
    """Derive every row again (the marks' full rebuild, the demo builder's bulk writes).
    Returns the number of rows."""
    cursor.execute("DELETE FROM bounced_addresses")
    cursor.execute(FILL)
    return int(cursor.execute("SELECT count(*) FROM bounced_addresses").fetchall()[0][0])


def refresh(cursor: Cursor, since_seq: int) -> int:
    """Derive again the addresses the events after `since_seq` may have changed (in the
    caller's transaction: the marks refresh's). Returns how many addresses were looked at."""
    moves = cursor.execute(
        """SELECT type, send_id, recipient_idx, lower(recipient) FROM events
           WHERE seq > ? AND send_id IS NOT NULL AND recipient_idx IS NOT NULL
             AND type = ANY(?::VARCHAR[])""", [since_seq, _MOVING]).fetchall()
    unnamed = {(send_id, idx) for _, send_id, idx, address in moves if address is None}
    named = _addresses_of(cursor, unnamed) if unnamed else {}
    may_list, others = set(), set()
    for kind, send_id, idx, address in moves:
        address = address or named.get((send_id, idx))
        if address:
            (may_list if kind in _MAY_LIST else others).add(address)
    others -= may_list
    listed = {row[0] for row in cursor.execute(
        "SELECT DISTINCT address FROM bounced_addresses WHERE address = ANY(?::VARCHAR[])",
        [sorted(others)]).fetchall()} if others else set()
    addresses = sorted(may_list | listed)
    if addresses:
        rederive(cursor, addresses)
    return len(addresses)


def _addresses_of(cursor: Cursor, deliveries: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The addresses of deliveries whose events do not name them (the events of Suivi's own
    writers all do), by their sends' keys."""
    rows = rows_where_equal(cursor, "SELECT send_id, idx, address FROM deliveries", "send_id",
                            {send_id for send_id, _ in deliveries})
    return {(send_id, idx): address.lower() for send_id, idx, address in rows}


def rederive(cursor: Cursor, addresses: list[str]) -> None:
    """These addresses' rows, in every account, from their deliveries. Pending ones are
    dropped here: any second condition makes DuckDB leave the address index for a scan."""
    latest: dict[tuple[str, str], tuple] = {}
    for row in _deliveries_of(cursor, addresses):
        if row[4] == "pending":
            continue
        pair = (row[0], row[1])
        if pair not in latest or _rank(row) > _rank(latest[pair]):
            latest[pair] = row
    listed = [row for row in latest.values() if row[4] in _FAILED and row[5] in _REASONS]
    sends = by_id(cursor, "SELECT id, document_id FROM sends", {row[2] for row in listed})
    numbers = by_id(cursor, "SELECT id, number FROM documents",
                    {send[1] for send in sends.values()})
    cursor.execute("DELETE FROM bounced_addresses WHERE address = ANY(?::VARCHAR[])",
                   [sorted(set(addresses))])
    rows = []
    for row in listed:
        document_id = sends[row[2]][1]
        rows.append(dict(zip(COLUMNS, (*row[:8], document_id, numbers[document_id][1]),
                             strict=True)))
    insert_rows(cursor, "bounced_addresses", _SCHEMA, rows)


_READ = ("account_id", "address", "send_id", "idx", "state", "reason", "status_code",
         "state_at", "requested_at")
_DELIVERIES = f"SELECT {', '.join(_READ)} FROM deliveries"
_DELIVERIES_LISTED = (f"SELECT {', '.join('x.' + name for name in _READ)} FROM deliveries x "
                      "JOIN suivi_addresses w ON w.address = x.address")

# Up to this many addresses, each is looked up alone by the address index (`lookups`); past it,
# one scan joined to the list. On the 1M demo (load ≈18) an address took 3–100 ms by its index
# (the margin's addresses are busy ones, ~300 deliveries each: fetched row by row), and the scan
# 0.6–1.6 s for 10 to 200 addresses (arms: 1.1 s for 10, 9 s for 200).
_ALONE_UP_TO = 4


def _deliveries_of(cursor: Cursor, addresses: list[str]) -> list[tuple]:
    if len(addresses) <= _ALONE_UP_TO:
        return rows_where_equal(cursor, _DELIVERIES, "address", addresses)
    cursor.register("suivi_addresses", pa.table({"address": sorted(set(addresses))}))
    try:
        return cursor.execute(_DELIVERIES_LISTED).fetchall()
    finally:
        cursor.unregister("suivi_addresses")


def _rank(row: tuple) -> tuple:
    """Greater is later (a row of `rederive`'s read): newest state moment, newest request,
    first listed, greater send id."""
    return (row[7], row[8], -row[3], row[2])


def drift(cursor: Cursor) -> list[tuple]:
    """Rows that differ between the table and a fresh derivation (each side's, tagged); empty
    when the table is exact: the tests' check, and an operator's."""
    stored = set(cursor.execute(f"SELECT {_NAMES} FROM bounced_addresses").fetchall())
    derived = set(cursor.execute(f"SELECT {_NAMES} FROM ({_DERIVED}) AS d").fetchall())
    return sorted([("stored", *row) for row in stored - derived]
                  + [("derived", *row) for row in derived - stored], key=str)
