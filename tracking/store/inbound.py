"""SQL of mailbox ingestion: checkpoints, returned messages, the unmatched queue, candidates.

Every writer takes the cursor of an open transaction; `tracking.ingest` commits a batch's
returned messages, events and checkpoint together, which is what makes ingestion exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from tracking.clock import from_db, to_db, utc_now_naive
from tracking.inbound.correlate import Candidates, LookupKeys, SendCandidate
from tracking.inbound.mailbox import Checkpoint
from tracking.store.dialect import Engine, engine_of

Cursor = duckdb.DuckDBPyConnection

RETURNED_SCHEMA = pa.schema([
    ("id", pa.string()), ("received_at", pa.timestamp("us")), ("source", pa.string()),
    ("size_bytes", pa.int32()), ("raw_zlib", pa.binary()), ("truncated", pa.bool_()),
    ("kind", pa.string()), ("detector", pa.string()), ("subject", pa.string()),
    ("defects", pa.string()), ("match_state", pa.string()), ("match_method", pa.string()),
    ("send_id", pa.string()), ("document_id", pa.string()),
])
_COLUMNS = ", ".join(RETURNED_SCHEMA.names)


# -- checkpoints --------------------------------------------------------------------------------

# pg_advisory_xact_lock(namespace, key): the namespace keeps mailbox locks apart from others.
_MAILBOX_LOCKS = 5_101


def lock_mailbox(cursor: Cursor, source: str) -> None:
    """Hold the mailbox `source` until this transaction ends (PostgreSQL: several watchers may
    read one mailbox; the second waits, then sees the first's returned messages as already
    stored). DuckDB has one process per database: nothing to do."""
    if engine_of(cursor) is Engine.POSTGRES:
        cursor.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", [_MAILBOX_LOCKS, source])


def load_checkpoint(cursor: Cursor, source: str) -> Checkpoint | None:
    rows = cursor.execute("SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE source = ?",
                          [source]).fetchall()
    return Checkpoint(rows[0][0], rows[0][1]) if rows else None


def save_checkpoint(cursor: Cursor, source: str, uidvalidity: int, last_uid: int) -> None:
    # The stored row's columns named with their table: PostgreSQL refuses a bare `last_uid`
    # beside `excluded.last_uid` as ambiguous (DuckDB guessed the stored one).
    cursor.execute(
        """INSERT INTO mailbox_checkpoints VALUES (?, ?, ?, ?)
           ON CONFLICT (source) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                  last_uid = CASE WHEN mailbox_checkpoints.uidvalidity = excluded.uidvalidity
                                  THEN greatest(mailbox_checkpoints.last_uid, excluded.last_uid)
                                  ELSE excluded.last_uid END,
                  updated_at = excluded.updated_at""",
        [source, uidvalidity, last_uid, utc_now_naive()])


def known_entries(cursor: Cursor, source: str, entries: list[str]) -> set[str]:
    if not entries:
        return set()
    rows = cursor.execute(
        """SELECT entry FROM maildir_entries
           WHERE source = ? AND entry IN (SELECT unnest(?::VARCHAR[]))""",
        [source, entries]).fetchall()
    return {row[0] for row in rows}


def add_entries(cursor: Cursor, source: str, entries: list[tuple[str, str]]) -> None:
    if entries:
        table = pa.table({"source": [source] * len(entries),
                          "entry": [entry for entry, _ in entries],
                          "returned_message_id": [rm_id for _, rm_id in entries]})
        _with(cursor, "suivi_entries", table,
              """INSERT INTO maildir_entries (source, entry, returned_message_id)
                 SELECT source, entry, returned_message_id FROM suivi_entries
                 ON CONFLICT DO NOTHING""")


# -- returned messages --------------------------------------------------------------------------

def existing_returned_ids(cursor: Cursor, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = cursor.execute(
        "SELECT id FROM returned_messages WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [ids]).fetchall()
    return {row[0] for row in rows}


def insert_returned(cursor: Cursor, rows: list[dict]) -> None:
    """Store returned messages; one already there (same bytes, same id) is left untouched."""
    if rows:
        _with(cursor, "suivi_returned", pa.Table.from_pylist(rows, schema=RETURNED_SCHEMA),
              f"""INSERT INTO returned_messages ({_COLUMNS})
                  SELECT {_COLUMNS} FROM suivi_returned
                  WHERE id NOT IN (SELECT id FROM returned_messages)
                  ON CONFLICT (id) DO NOTHING""")


@dataclass(frozen=True, slots=True)
class StoredReturn:
    id: str
    received_at: datetime
    raw_zlib: bytes
    truncated: bool
    kind: str
    match_state: str
    send_id: str | None
    document_id: str | None


def get_returned(cursor: Cursor, returned_id: str) -> StoredReturn | None:
    rows = cursor.execute(
        """SELECT id, received_at, raw_zlib, truncated, kind, match_state, send_id, document_id
           FROM returned_messages WHERE id = ?""", [returned_id]).fetchall()
    if not rows:
        return None
    row = rows[0]
    return StoredReturn(row[0], from_db(row[1]), *row[2:8])


def settle_returned(cursor: Cursor, returned_id: str, *, match_state: str, match_method: str | None,
                    send_id: str | None, document_id: str | None, action: str, actor: str,
                    note: str = "") -> None:
    """A human attached or dismissed a message: its new match, and who did it."""
    cursor.execute(
        """UPDATE returned_messages SET match_state = ?, match_method = ?, send_id = ?,
                  document_id = ? WHERE id = ?""",
        [match_state, match_method, send_id, document_id, returned_id])
    cursor.execute(
        """INSERT INTO returned_message_handling VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (returned_message_id) DO UPDATE SET action = excluded.action,
                  actor = excluded.actor, handled_at = excluded.handled_at, note = excluded.note""",
        [returned_id, action, actor, utc_now_naive(), note or None])


def unmatched_queue(cursor: Cursor, *, limit: int = 200) -> list[dict]:
    """What waits for a human: unmatched, suspicious and undecodable messages, newest first."""
    result = cursor.execute(
        """SELECT id, received_at, kind, match_state, subject, detector, defects, source, send_id
           FROM returned_messages
           WHERE match_state IN ('unmatched', 'suspicious')
              OR (kind = 'undecodable' AND match_state <> 'ignored')
           ORDER BY received_at DESC, id LIMIT ?""", [limit])
    names = [column[0] for column in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def last_received_at(cursor: Cursor, source: str) -> datetime | None:
    row = cursor.execute("SELECT max(received_at) FROM returned_messages WHERE source = ?",
                         [source]).fetchone()
    return from_db(row[0]) if row and row[0] else None


# -- correlation candidates ---------------------------------------------------------------------

def candidates_for(cursor: Cursor, keys: LookupKeys, *, since: datetime) -> Candidates:
    """Sends named by a batch's keys, and recent sends to its reported addresses, in 3 queries."""
    by_message_id: dict[str, str] = {}
    if keys.message_ids:
        by_message_id = dict(cursor.execute(
            "SELECT message_id, id FROM sends WHERE message_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(keys.message_ids)]).fetchall())
    by_address: dict[str, list[tuple[str, datetime]]] = {}
    if keys.addresses:
        for address, send_id, requested_at in cursor.execute(
                """SELECT lower(d.address), s.id, s.requested_at
                   FROM deliveries d JOIN sends s ON s.id = d.send_id
                   WHERE lower(d.address) IN (SELECT unnest(?::VARCHAR[]))
                     AND s.requested_at >= ?""",
                [sorted(keys.addresses), to_db(since)]).fetchall():
            by_address.setdefault(address, []).append((send_id, from_db(requested_at)))
    wanted = sorted(keys.send_ids | set(by_message_id.values())
                    | {send_id for sends in by_address.values() for send_id, _ in sends})
    sends: dict[str, SendCandidate] = {}
    if wanted:
        for send_id, envelope_id, document_id, account_id, requested_at, addresses in cursor.execute(
                """SELECT s.id, s.envelope_id, s.document_id, s.account_id, s.requested_at,
                          array_agg(lower(d.address) ORDER BY d.idx)
                   FROM sends s JOIN deliveries d ON d.send_id = s.id
                   WHERE s.id IN (SELECT unnest(?::VARCHAR[]))
                      OR s.envelope_id IN (SELECT unnest(?::VARCHAR[]))
                   GROUP BY s.id, s.envelope_id, s.document_id, s.account_id,
                            s.requested_at""", [wanted, wanted]).fetchall():
            candidate = SendCandidate(send_id, document_id, account_id, from_db(requested_at),
                                      tuple(addresses))
            sends[send_id] = candidate
            if envelope_id:
                sends.setdefault(envelope_id, candidate)
    return Candidates(sends, by_message_id,
                      {address: tuple(found) for address, found in by_address.items()})


def _with(cursor: Cursor, name: str, table: pa.Table, sql: str) -> None:
    cursor.register(name, table)
    try:
        cursor.execute(sql)
    finally:
        cursor.unregister(name)
