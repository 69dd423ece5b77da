"""The event log of the demo and the delivery states derived from it, in bulk SQL.

Each event has the type, deterministic id (`tracking.events.event_id`: the first 32 hex digits
of SHA-256 over the type and identity keys joined by U+001F) and `details` keys the real code
paths write — `tracking.service` for requests, manual sends and send-date edits,
`tracking.outbox` for SMTP outcomes, the bounce reader's keys for DSNs. `details` is JSON with
sorted keys and `json.dumps` spacing, as `tracking.store.ledger.payload_json` writes it; the
DSN's bare reply code is `reply_code` (`smtp_reply` is only ever our server's full reply).

Deliveries are then derived from the log by the rules of `tracking.state`: the state of the
last event that moves it, its time, and the detail fields of the last event that touched it.
"""

from __future__ import annotations

import duckdb

from tracking.demo import catalogue as cat
from tracking.models import SendingMode
from tracking.outbox import INTERRUPTED_REASON

Cursor = duckdb.DuckDBPyConnection
US = "chr(31)"     # the unit separator of tracking.events.event_id


def json_object(**fields: str) -> str:
    """SQL for `json.dumps(dict, sort_keys=True)` of SQL expressions (NULL -> null)."""
    parts = [f"""'"{key}": ' || coalesce(to_json({expression}), 'null')"""
             for key, expression in sorted(fields.items())]
    return "'{' || " + " || ', ' || ".join(parts) + " || '}'"


def event_id(*parts: str) -> str:
    """SQL for `tracking.events.event_id(type, *identity)`; NULL parts count as ''."""
    material = f" || {US} || ".join(f"coalesce(({part})::VARCHAR, '')" for part in parts)
    return f"left(sha256({material}), 32)"


def create_macros(cursor: Cursor) -> None:
    # datetime.isoformat() of an aware UTC time: microseconds only when there are some.
    cursor.execute("""CREATE OR REPLACE TEMP MACRO iso_utc(ts) AS
        CASE WHEN epoch_us(ts) % 1000000 = 0 THEN strftime(ts, '%Y-%m-%dT%H:%M:%S')
             ELSE strftime(ts, '%Y-%m-%dT%H:%M:%S.%f') END || '+00:00'""")
    # email.utils.format_datetime() of an aware UTC time (RFC 5322 date).
    cursor.execute("""CREATE OR REPLACE TEMP MACRO rfc_date(ts) AS
        strftime(ts, '%a, %d %b %Y %H:%M:%S +0000')""")


def create_step_texts(cursor: Cursor) -> None:
    """Every step with its words: the SMTP reply, the DSN's status and diagnostic."""
    relay = f"('{SendingMode.RELAY}', '{SendingMode.RELAY_OWN_ADDRESS}')"
    cursor.execute(f"""
        CREATE TEMP TABLE demo_step AS
        WITH raw AS (
            SELECT st.*, dl.send_id, dl.address, dl.domain, dl.mx, dl.verp_token, dl.role,
                   s.account_no, s.kind_no, s.document_id, s.account_id, s.number, s.mode,
                   s.requested,
                   CASE st.type
                       WHEN 'recipient_accepted' THEN s.accepted_reply
                       WHEN 'send_attempt_failed' THEN tr.reply
                       WHEN 'recipient_refused' THEN coalesce(rf.reply, tr.reply)
                       WHEN 'dsn_failed' THEN fl.diagnostic
                       WHEN 'dsn_delayed' THEN dy.diagnostic
                       WHEN 'dsn_delivered' THEN dl.delivered
                   END AS pattern,
                   CASE st.type WHEN 'recipient_accepted' THEN 'data'
                       ELSE coalesce(rf.stage, tr.stage) END AS stage,
                   CASE st.type WHEN 'dsn_failed' THEN fl.reason WHEN 'dsn_delayed' THEN dy.reason
                       WHEN 'dsn_delivered' THEN 'delivered'
                       WHEN 'autoreply_received' THEN 'vacation'
                       WHEN 'complaint_received' THEN 'feedback'
                       WHEN 'recipient_refused' THEN coalesce(rf.reason, tr.reason) END AS reason,
                   CASE st.type WHEN 'dsn_failed' THEN fl.status WHEN 'dsn_delayed' THEN dy.status
                       WHEN 'dsn_delivered' THEN coalesce(nullif(regexp_extract(dl.delivered,
                           '^[0-9]{{3}}[ -]([245][.][0-9]{{1,3}}[.][0-9]{{1,3}})', 1), ''), '2.0.0')
                       WHEN 'recipient_refused' THEN coalesce(rf.status, tr.status)
                   END AS status_code,
                   coalesce(fl.remote, dy.remote, st.type = 'dsn_delivered') AS remote,
                   CASE WHEN s.mode IN {relay} THEN '{cat.RELAY_HOST}' ELSE s.smtp_host END
                       AS server
            FROM plan_step st JOIN demo_delivery dl USING (send_no, idx)
            JOIN demo_send s USING (send_no)
            LEFT JOIN cat_transient tr ON st.type IN ('send_attempt_failed', 'recipient_refused')
                 AND tr.no = st.variant
            LEFT JOIN cat_refusal rf ON st.type = 'recipient_refused' AND NOT st.exhausted
                 AND rf.no = st.variant
            LEFT JOIN cat_failure fl ON st.type = 'dsn_failed' AND fl.no = st.variant
            LEFT JOIN cat_delay dy ON st.type = 'dsn_delayed' AND dy.no = st.variant)
        SELECT raw.* EXCLUDE (pattern),
            replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
                pattern, '{{address}}', address), '{{domain}}', domain), '{{mx}}', mx),
                '{{mx_ip}}', '198.51.100.' || (('0x' || substr(md5(domain), 1, 4))::INT % 250 + 1)),
                '{{our_ip}}', '{cat.RELAY_IP}'),
                '{{sender}}', 'bounces+' || coalesce(verp_token, '') || '@{cat.BOUNCE_DOMAIN}'),
                '{{server}}', server),
                '{{qid}}', upper(substr(md5(send_id || ':' || idx || ':' || ord), 1, 11))),
                '{{epoch}}', epoch(occurred)::BIGINT::VARCHAR),
                '{{msgid}}', 'suivi.' || send_id || '@{cat.MESSAGE_DOMAIN}') AS text
        FROM raw""")


def create_events(cursor: Cursor) -> None:
    """Every event of the demo, with the delivery fields it carries (for the states)."""
    reply_code = "coalesce(TRY_CAST(left(text, 3) AS INTEGER), 0)"
    dsn_code = "CASE WHEN regexp_matches(text, '^[245][0-9][0-9][ -]') THEN left(text, 3) END"
    dsn_kind = ("CASE st.type WHEN 'dsn_failed' THEN 'failure' WHEN 'dsn_delayed' THEN 'delay' "
                "WHEN 'dsn_delivered' THEN 'success' WHEN 'autoreply_received' THEN 'autoreply' "
                "ELSE 'complaint' END")
    common = "s.account_id, s.document_id, s.id"
    no_fields = "NULL, NULL, NULL, NULL, NULL"
    named_fields = ("NULL::VARCHAR AS reason, NULL::VARCHAR AS status_code, "
                    "NULL::VARCHAR AS smtp_reply, NULL::VARCHAR AS diagnostic, "
                    "NULL::VARCHAR AS remote_mta")
    cursor.execute(f"""
        CREATE TEMP TABLE demo_event AS
        SELECT {event_id("'send_requested'", "d.send_id", "d.idx")} AS id,
               'send_requested' AS type, s.requested AS occurred_at, s.actor,
               s.account_id, s.document_id, s.id AS send_id, d.idx AS idx, d.address AS address,
               {json_object(forced="s.forced", mode="s.mode", role="d.role",
                             suppression_overridden="FALSE", suppressed_reason="NULL::VARCHAR",
                             suppressed_since="NULL::VARCHAR", corrects="NULL::VARCHAR")} AS details,
               {named_fields}, TRUE AS moves, s.send_no AS k1, d.idx AS k2, 0 AS k3
        FROM demo_delivery d JOIN demo_send s USING (send_no)
        UNION ALL
        SELECT {event_id("'marked_sent_manually'", "s.id")}, 'marked_sent_manually',
               s.requested, s.actor, {common}, NULL, NULL,
               {json_object(note="$notes[s.note_no + 1 + (s.language = 'en')::INT * 5]",
                            previous_send_date="iso_utc(s.previous)",
                            send_date="iso_utc(s.requested)")},
               {no_fields}, FALSE, s.send_no, -1, 0
        FROM demo_send s WHERE s.mode = '{SendingMode.MANUAL}'
        UNION ALL
        SELECT {event_id("st.type", "st.send_id", "st.idx",
                         "CASE st.type WHEN 'send_attempt_failed' THEN st.attempt "
                         "WHEN 'send_interrupted' THEN 1 END")},
               st.type, st.occurred, 'system', st.account_id, st.document_id, st.send_id, st.idx,
               st.address,
               CASE st.type
                   WHEN 'send_attempt_failed' THEN {json_object(
                       attempt="st.attempt", fault="NULL::VARCHAR", reason="text",
                       reply_code=reply_code, retry_in="st.retry_in", smtp_reply="text",
                       stage="stage")}
                   WHEN 'recipient_accepted' THEN {json_object(
                       fault="NULL::VARCHAR", reason="NULL::VARCHAR", reply_code=reply_code,
                       smtp_reply="text", stage="stage")}
                   WHEN 'recipient_refused' THEN {json_object(
                       fault="NULL::VARCHAR", reason="st.reason", reply_code=reply_code,
                       retries_exhausted="st.exhausted", smtp_reply="text", stage="stage",
                       status_code="st.status_code")}
                   ELSE {json_object(attempt="1", reason=f"'{INTERRUPTED_REASON}'")}
               END,
               CASE WHEN st.type = 'send_interrupted' THEN '{INTERRUPTED_REASON}'
                    WHEN st.type = 'recipient_refused' THEN st.reason
                    WHEN st.type <> 'recipient_accepted' THEN text END,
               CASE WHEN st.type = 'recipient_refused' THEN st.status_code END,
               CASE WHEN st.type <> 'send_interrupted' THEN text END, NULL, NULL,
               TRUE, st.send_no, st.idx, st.ord
        FROM demo_step st
        WHERE st.type IN ('send_attempt_failed', 'recipient_accepted', 'recipient_refused',
                          'send_interrupted')
        UNION ALL
        SELECT {event_id("st.type", "r.id", "st.send_id", "st.idx")}, st.type, st.occurred, 'system',
               st.account_id, st.document_id, st.send_id, st.idx, st.address,
               {json_object(diagnostic="st.text", kind=dsn_kind, reason="st.reason",
                            remote_mta="CASE WHEN st.remote THEN st.mx END",
                            returned_message_id="r.id",
                            reply_code=dsn_code.replace("text", "st.text"),
                            status_code="st.status_code")},
               st.reason, st.status_code, NULL, st.text,
               CASE WHEN st.remote THEN st.mx END,
               st.type IN ('dsn_failed', 'dsn_delayed', 'dsn_delivered'), st.send_no, st.idx, st.ord
        FROM demo_step st JOIN demo_returned r USING (send_no, idx, ord)
        UNION ALL
        SELECT {event_id("'send_date_changed'", "d.id", "iso_utc(e.old)", "iso_utc(e.new)",
                         "u.login", "iso_utc(e.occurred)")},
               'send_date_changed', e.occurred, u.login, d.account_id, d.id, NULL, NULL, NULL,
               {json_object(new="iso_utc(e.new)", old="iso_utc(e.old)", zone="d.time_zone")},
               {no_fields}, FALSE, -1 - e.doc_no, -1, 0
        FROM plan_edit e JOIN demo_document d USING (doc_no) JOIN cat_user u ON u.user_no = e.actor_no
        """, {"notes": list(cat.MANUAL_NOTES["fr"]) + list(cat.MANUAL_NOTES["en"])})


def insert_events(cursor: Cursor) -> int:
    """Append the log in time order; the sequence continues after it for later events."""
    cursor.execute("""
        INSERT INTO events (id, seq, type, occurred_at, actor, account_id, document_id, send_id,
                            recipient_idx, recipient, details)
        SELECT id, row_number() OVER (ORDER BY occurred_at, k1, k2, k3), type, occurred_at,
               actor, account_id, document_id, send_id, idx, address, details
        FROM demo_event ORDER BY occurred_at, k1, k2, k3""")
    count = cursor.execute("SELECT count(*) FROM events").fetchall()[0][0]
    if count:
        cursor.execute("SELECT setval('event_seq', ?)", [count])
    return count


def insert_deliveries(cursor: Cursor) -> None:
    """Each delivery's current state, folded from its events by the rules of tracking.state."""
    cursor.execute("""
        INSERT INTO deliveries (send_id, idx, address, role, verp_token, state, state_at, reason,
                                status_code, smtp_reply, diagnostic, remote_mta, complained,
                                smtp_attempts, in_flight, requested_at, mode, account_id)
        WITH ordered AS (
            SELECT e.*, ev.seq FROM demo_event e JOIN events ev USING (id)
            WHERE e.idx IS NOT NULL),
        state AS (
            SELECT send_id, idx,
                   arg_max(CASE type WHEN 'send_requested' THEN 'pending'
                                     WHEN 'dsn_delayed' THEN 'pending'
                                     WHEN 'recipient_accepted' THEN 'sent'
                                     WHEN 'recipient_refused' THEN 'not_sent'
                                     WHEN 'dsn_delivered' THEN 'delivered'
                                     WHEN 'dsn_failed' THEN 'not_delivered' END, seq)
                       FILTER (WHERE type IN ('send_requested', 'dsn_delayed', 'recipient_accepted',
                                              'recipient_refused', 'dsn_delivered', 'dsn_failed'))
                       AS state,
                   max(occurred_at) FILTER (WHERE type IN ('send_requested', 'dsn_delayed',
                       'recipient_accepted', 'recipient_refused', 'dsn_delivered', 'dsn_failed'))
                       AS state_at,
                   arg_max(struct_pack(reason := reason, status_code := status_code,
                                       smtp_reply := smtp_reply, diagnostic := diagnostic,
                                       remote_mta := remote_mta), seq)
                       FILTER (WHERE moves) AS fields,
                   bool_or(type = 'complaint_received') AS complained
            FROM ordered GROUP BY send_id, idx)
        SELECT d.send_id, d.idx, d.address, d.role, d.verp_token, st.state, st.state_at,
               nullif(st.fields.reason, ''), nullif(st.fields.status_code, ''),
               nullif(st.fields.smtp_reply, ''), nullif(st.fields.diagnostic, ''),
               nullif(st.fields.remote_mta, ''), st.complained,
               CASE WHEN d.handed THEN 1 ELSE 0 END, FALSE, s.requested, s.mode, s.account_id
        FROM demo_delivery d JOIN state st ON st.send_id = d.send_id AND st.idx = d.idx
        JOIN demo_send s USING (send_no)
        -- Stored as requested, as the outbox appends them: the reads that cut on the request
        -- moment skip the older row groups by their min/max. In send_no order (not the
        -- request's) every row group spanned the whole demo, and the Failures drill-down read
        -- all 1.4M deliveries of the 1M demo for its 1,000 rows.
        ORDER BY s.requested, d.send_no, d.idx""")
