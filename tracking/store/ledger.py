"""The event log and the current-state table it drives, written together.

`record_events` appends events (skipping any whose deterministic id is already there) and, in the
same transaction, moves each touched delivery by the rules of `tracking.state`. It works in bulk
(Arrow batches, one statement per table) because the outbox and the mailbox record thousands of
events at a time; a single event goes through the same path.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from tracking.clock import from_db, to_db
from tracking.events import PAYLOADS, Event, Payload
from tracking.models import DeliveryState, EventType
from tracking.records import STATUS_FIELDS, DeliveryStatus
from tracking.store import delivery_counts, event_counts
from tracking.store.dialect import Engine, engine_of
from tracking.state import apply

_EVENT_SCHEMA = pa.schema([
    ("id", pa.string()), ("type", pa.string()), ("occurred_at", pa.timestamp("us")),
    ("actor", pa.string()), ("account_id", pa.string()), ("document_id", pa.string()),
    ("send_id", pa.string()), ("recipient_idx", pa.int32()), ("recipient", pa.string()),
    ("details", pa.string()), ("origin", pa.string()), ("ord", pa.int32()),
])

_STATUS_TYPES = {"state_at": pa.timestamp("us"), "complained": pa.bool_()}  # others: text
_STATUS_SCHEMA = pa.schema([("send_id", pa.string()), ("idx", pa.int32())] + [
    (name, _STATUS_TYPES.get(name, pa.string())) for name in STATUS_FIELDS])


def record_events(cursor: duckdb.DuckDBPyConnection, events: list[Event]) -> list[Event]:
    """Append `events`; update the deliveries they move. Returns the events actually inserted.

    Call inside a transaction (`Database.transaction()`), so the log and the state table never
    disagree. `ON CONFLICT DO NOTHING` covers another process inserting the same deterministic
    id concurrently (PostgreSQL waits for it, then skips the row): each fact lands once.
    """
    if not events:
        return []
    # The deliveries these events may move, read (and on PostgreSQL locked) BEFORE the events
    # draw their `seq`: another process's events on the same delivery then wait, and are
    # numbered after these — the log's order is the order the state moved in, so a fold of
    # the log gives the stored state even for moves that do not commute (an acceptance and a
    # delay report recorded at once by a sender and a watcher).
    keys = sorted({(e.send_id, e.recipient_idx) for e in events if _may_move(e)})
    current = load_statuses(cursor, keys)
    # A batch that repeats an id keeps its first occurrence (deduplicated here: a window over
    # the batch in SQL cost a third of the INSERT); an id already stored is skipped by
    # ON CONFLICT, which RETURNING then leaves out on both engines.
    seen: set[str] = set()
    firsts = [e for e in events if not (e.id in seen or seen.add(e.id))]
    batch = pa.Table.from_pylist([_event_row(event, ord_) for ord_, event in enumerate(firsts)],
                                 schema=_EVENT_SCHEMA)
    cursor.register("suivi_event_batch", batch)
    try:
        inserted_ids = {row[0] for row in cursor.execute(
            """INSERT INTO events (id, type, occurred_at, actor, account_id, document_id, send_id,
                                   recipient_idx, recipient, details, origin)
               SELECT id, type, occurred_at, actor, account_id, document_id, send_id,
                      recipient_idx, recipient, details, origin
               FROM suivi_event_batch
               ORDER BY ord
               ON CONFLICT (id) DO NOTHING
               RETURNING id"""
        ).fetchall()}
    finally:
        cursor.unregister("suivi_event_batch")
    fresh = [event for event in firsts if event.id in inserted_ids]
    event_counts.add_events(cursor, fresh)   # the activity rollup, in this same transaction
    _advance_deliveries(cursor, [e for e in fresh if _may_move(e)], current)
    return fresh


def _may_move(event: Event) -> bool:
    """Whether `event` can move a stored delivery. A send request opens a delivery that
    `insert_deliveries` has just written, in the same transaction (unseen by anyone else, so
    nothing to lock either): it never moves an existing row (`state.apply`), and the bulk send
    request read every new delivery's status back for nothing."""
    return (bool(event.send_id) and event.recipient_idx is not None
            and event.type is not EventType.SEND_REQUESTED)


def _advance_deliveries(cursor: duckdb.DuckDBPyConnection, events: list[Event],
                        current: dict[tuple[str, int], Stored]) -> None:
    if not events:
        return
    changed: dict[tuple[str, int], DeliveryStatus] = {}
    for event in events:
        key = (event.send_id, event.recipient_idx)
        stored = current.get(key)
        status = changed.get(key, stored.status if stored else None)
        moved = apply(status, event)
        if moved is not None:
            changed[key] = moved
    rows = [_status_row(key, status) for key, status in changed.items() if key in current]
    if not rows:
        return
    # The rollup follows the move in this same transaction: old keys out, new keys in — from
    # the rows as read (locked on PostgreSQL) and as written, so it reads nothing again.
    counted = []
    for row in rows:
        stored = current[(row["send_id"], row["idx"])]
        counted.append((-1, *stored.placed, *stored.counted))
        counted.append((+1, *stored.placed, row["state"], row["reason"], row["state_at"]))
    delivery_counts.add(cursor, counted)
    cursor.register("suivi_status_batch", pa.Table.from_pylist(rows, schema=_STATUS_SCHEMA))
    try:
        assignments = ", ".join(f"{name} = s.{name}" for name in STATUS_FIELDS)
        cursor.execute(
            f"""UPDATE deliveries AS d SET {assignments}
                FROM suivi_status_batch s WHERE d.send_id = s.send_id AND d.idx = s.idx"""
        )
    finally:
        cursor.unregister("suivi_status_batch")


# PostgreSQL: the statuses are read to be moved, so they are locked until the transaction
# ends — several processes record events on the same deliveries (a sender its acceptance, a
# mailbox watcher the delivery report that can arrive first), and without the lock each would
# move the status it read before the other committed, the last UPDATE erasing the other's move
# (and the rollup counting both). Locked in key order, so two recorders cannot deadlock here
# (events with one id are about one delivery, so their inserts come after the same lock);
# FOR UPDATE under READ COMMITTED returns the row as the other left it. DuckDB: one process,
# whose writers conflict and retry instead.
_LOCKED = {Engine.POSTGRES: "ORDER BY d.send_id, d.idx FOR UPDATE OF d"}


@dataclass(frozen=True)
class Stored:
    """A delivery as read before its move: its status, and its `delivery_counts` key parts
    (`placed`: the send's request moment, account and mode as copied on the delivery, and the
    address; `counted`: state, reason and state moment as stored)."""

    status: DeliveryStatus
    placed: tuple
    counted: tuple


_PLACED = ("requested_at", "account_id", "mode", "address")


def load_statuses(
    cursor: duckdb.DuckDBPyConnection, keys: list[tuple[str, int]]
) -> dict[tuple[str, int], Stored]:
    if not keys:
        return {}
    wanted = pa.Table.from_pylist([{"send_id": s, "idx": i} for s, i in keys],
                                  schema=pa.schema([("send_id", pa.string()), ("idx", pa.int32())]))
    cursor.register("suivi_wanted", wanted)
    try:
        columns = ", ".join(f"d.{name}" for name in (*STATUS_FIELDS, *_PLACED))
        rows = cursor.execute(
            f"""SELECT d.send_id, d.idx, {columns}
                FROM deliveries d JOIN suivi_wanted w ON d.send_id = w.send_id AND d.idx = w.idx
                {_LOCKED.get(engine_of(cursor), "")}"""
        ).fetchall()
    finally:
        cursor.unregister("suivi_wanted")
    found = {}
    for row in rows:
        values = dict(zip((*STATUS_FIELDS, *_PLACED), row[2:], strict=True))
        found[(row[0], row[1])] = Stored(
            status_from_row(values), tuple(values[name] for name in _PLACED),
            (values["state"], values["reason"], values["state_at"]))
    return found


def status_from_row(row: dict[str, object]) -> DeliveryStatus:
    """The status columns of a `deliveries` row (by name) as a `DeliveryStatus`."""
    values = {name: row[name] for name in STATUS_FIELDS}
    values["state"] = DeliveryState(values["state"])
    values["state_at"] = from_db(values["state_at"])
    return DeliveryStatus(**values)


def _event_row(event: Event, ord_: int) -> dict[str, object]:
    return {
        "id": event.id, "type": str(event.type), "occurred_at": to_db(event.occurred_at),
        "actor": event.actor, "account_id": event.account_id, "document_id": event.document_id,
        "send_id": event.send_id, "recipient_idx": event.recipient_idx,
        "recipient": event.recipient, "details": payload_json(event.details),
        "origin": None if event.origin is None else str(event.origin), "ord": ord_,
    }


def _status_row(key: tuple[str, int], status: DeliveryStatus) -> dict[str, object]:
    row: dict[str, object] = {"send_id": key[0], "idx": key[1]}
    row.update((name, getattr(status, name)) for name in STATUS_FIELDS)
    row["state"], row["state_at"] = str(status.state), to_db(status.state_at)
    return row


def payload_json(payload: Payload) -> str:
    """The stored form of a payload: every field, sorted keys (the demo writes the same)."""
    names = _SORTED_FIELDS.get(type(payload))
    if names is None:
        names = _SORTED_FIELDS[type(payload)] = sorted(f.name for f in dataclasses.fields(payload))
    return _PAYLOAD_ENCODER.encode({name: getattr(payload, name) for name in names})


# `json.dumps` with options builds an encoder per call, and `dataclasses.fields` walks the
# class each time: with the names sorted once per class, the same text at half the cost (the
# ledger writes one per event, thousands per outbox or mailbox batch).
_PAYLOAD_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)
_SORTED_FIELDS: dict[type, list[str]] = {}


def payload_from_json(event_type: EventType, text: str | None) -> Payload:
    """A stored `details` JSON back into the payload of its event type (older keys renamed)."""
    return PAYLOADS[event_type].from_stored(json.loads(text) if text else {})


def event_from_row(row: dict[str, object]) -> Event:
    """An `events` table row (as a dict) back into an `Event` with its typed payload."""
    event_type = EventType(row["type"])
    return Event(
        id=row["id"], type=event_type, occurred_at=from_db(row["occurred_at"]),
        actor=row["actor"], account_id=row["account_id"], document_id=row["document_id"],
        send_id=row["send_id"], recipient_idx=_int_or_none(row["recipient_idx"]),
        recipient=row["recipient"], details=payload_from_json(event_type, row["details"]),
    )


def _int_or_none(value: object) -> int | None:
    # rows read through pandas carry a missing index as NaN
    return None if value is None or value != value else int(value)
