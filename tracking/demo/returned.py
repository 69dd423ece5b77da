"""The returned messages of the demo: one real message per DSN, auto-reply and complaint.

Each stored message is its template (`tracking.demo.templates`) filled with this delivery's
recipient, VERP address, envelope id, document number and dates, zlib-compressed by splicing
(`tracking.demo.deflate`), and keyed by the SHA-256 of its bytes like the mailbox reader keys
what it stores. Work goes template by template over sorted batches, so every operation is on
whole Arrow columns.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracking.demo import catalogue as cat
from tracking.demo.templates import DETECTORS, MessageTemplate

Cursor = duckdb.DuckDBPyConnection
# Each batch is rendered in Python memory (about 4 kB of text per message, and its zlib form):
# small enough to keep a big demo's peak low, large enough for whole-column work to pay off.
BATCH_ROWS = 50_000
PROGRESS_ROWS = 200_000
RETURNED_TYPES = ("dsn_failed", "dsn_delayed", "dsn_delivered", "autoreply_received",
                  "complaint_received")


def create_fields(cursor: Cursor) -> int:
    """One row per returned message: its template key and every field a template may use."""
    types = ", ".join(f"'{t}'" for t in RETURNED_TYPES)
    fold = ("CASE WHEN length({0}) > 78 THEN replace({0}, ', ', ',' || chr(10) || ' ') "
            "ELSE {0} END")
    cursor.execute(f"""
        CREATE TEMP TABLE demo_rm_fields AS
        WITH lines AS (
            SELECT send_id,
                   'To: ' || string_agg(address, ', ' ORDER BY idx) FILTER (WHERE role = 'to')
                       AS to_line,
                   'Cc: ' || string_agg(address, ', ' ORDER BY idx) FILTER (WHERE role = 'cc')
                       AS cc_line
            FROM demo_delivery WHERE verp_token IS NOT NULL GROUP BY send_id),
        accepted AS (
            SELECT send_no, idx, occurred AS accepted_at FROM plan_step
            WHERE type = 'recipient_accepted'),
        fields AS (
            SELECT st.send_no, st.idx, st.ord, st.type, st.occurred, st.send_id, st.document_id,
                   CASE st.type WHEN 'dsn_failed' THEN 'failure' WHEN 'dsn_delayed' THEN 'delay'
                        WHEN 'dsn_delivered' THEN 'success'
                        WHEN 'autoreply_received' THEN 'autoreply' ELSE 'complaint' END
                   || '|' || st.account_no || '|' || st.kind_no || '|'
                   || CASE WHEN st.type IN ('dsn_failed', 'dsn_delayed') THEN st.remote::INT
                           ELSE 1 END AS tkey,
                   'bounces+' || st.verp_token || '@{cat.BOUNCE_DOMAIN}' AS verp,
                   rfc_date(st.occurred) AS dsn_date,
                   CASE WHEN st.type IN ('autoreply_received', 'complaint_received')
                        THEN substr(md5(st.send_id || st.idx || st.ord), 1, 20) || '@' || st.domain
                        ELSE upper(substr(md5(st.send_id || st.idx || st.ord), 1, 12)) || '.'
                             || epoch(st.occurred)::BIGINT || '@{cat.RELAY_HOST}' END AS dsn_id,
                   st.address AS rcpt, coalesce(st.text, '') AS diag,
                   rfc_date(a.accepted_at) AS arrival, coalesce(st.status_code, '') AS status,
                   coalesce(st.mx, '') AS rmta, rfc_date(st.occurred - INTERVAL 2 SECOND) AS last_attempt,
                   rfc_date(a.accepted_at + INTERVAL 5 DAY) AS retry_until,
                   {fold.format("l.to_line")} || coalesce(chr(10) || {fold.format("l.cc_line")}, '')
                       AS addr_lines,
                   st.number, rfc_date(st.requested) AS odate,
                   'feedback-loop@' || st.domain AS reporter
            FROM demo_step st JOIN accepted a USING (send_no, idx)
            JOIN lines l USING (send_id)
            WHERE st.type IN ({types}))
        SELECT row_number() OVER (ORDER BY tkey, send_no, idx, ord) - 1 AS rn, *
        FROM fields ORDER BY rn""")
    cursor.execute("""CREATE TEMP TABLE demo_returned (send_no BIGINT, idx INTEGER,
                                                        ord INTEGER, id VARCHAR)""")
    return cursor.execute("SELECT count(*) FROM demo_rm_fields").fetchall()[0][0]


def insert_returned(cursor: Cursor, templates: dict[str, MessageTemplate], total: int,
                    progress: Callable[[str], None]) -> int:
    stored = 0
    for start in range(0, total, BATCH_ROWS):
        batch = cursor.sql("SELECT * FROM demo_rm_fields WHERE rn >= $1 AND rn < $2 ORDER BY rn",
                           params=[start, start + BATCH_ROWS]).to_arrow_table()
        keys = batch.column("tkey").to_numpy(zero_copy_only=False)
        cuts = (np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist()
        for low, high in zip([0, *cuts], [*cuts, len(keys)]):
            part = batch.slice(low, high - low)
            stored += _store(cursor, templates[keys[low]], part)
        done = min(start + BATCH_ROWS, total)
        if total > PROGRESS_ROWS and (done // PROGRESS_ROWS > start // PROGRESS_ROWS
                                       or done == total):
            progress(f"  returned messages: {done:,} / {total:,}")
    return stored


def _store(cursor: Cursor, template: MessageTemplate, part: pa.Table) -> int:
    names = set(template.spliced.names)
    blobs, text, size = template.spliced.render({name: part.column(name) for name in names})
    subject = template.subject
    for field in ("number", "rcpt"):
        if "{" + field + "}" in subject:
            before, after = subject.split("{" + field + "}")
            subject = pc.binary_join_element_wise(before, part.column(field), after, "")
    if isinstance(subject, str):
        subject = pa.array([subject] * len(part), pa.string())
    cursor.register("demo_rm_text", pa.table({"raw": text}))
    try:
        ids = cursor.sql("SELECT sha256(raw) AS id FROM demo_rm_text").to_arrow_table()
    finally:
        cursor.unregister("demo_rm_text")
    staged = pa.table({
        "id": ids.column("id"), "received_at": part.column("occurred"),
        "size_bytes": pa.array(size, pa.int32()), "raw_zlib": blobs,
        "kind": pa.array([str(template.kind)] * len(part)),
        "detector": pa.array([DETECTORS[template.kind]] * len(part)),
        "subject": subject, "send_id": part.column("send_id"),
        "document_id": part.column("document_id"), "send_no": part.column("send_no"),
        "idx": part.column("idx"), "ord": part.column("ord")})
    cursor.register("demo_rm_batch", staged)
    try:
        cursor.execute("""
            INSERT INTO returned_messages
            SELECT id, received_at, 'demo', size_bytes, raw_zlib, FALSE, kind, detector, subject,
                   '[]', 'matched', 'verp', send_id, document_id
            FROM demo_rm_batch""")
        cursor.execute("""INSERT INTO demo_returned
                          SELECT send_no, idx, ord, id FROM demo_rm_batch""")
    finally:
        cursor.unregister("demo_rm_batch")
    return len(part)
