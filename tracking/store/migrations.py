"""The schema, as an ordered list of forward-only migrations.

Each migration runs in one transaction together with its `schema_version` row, so a failing step
leaves the database exactly as it was. A database whose version is newer than the last migration
here was written by a newer Suivi and is refused. Timestamps are stored as naive UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from tracking.clock import utc_now_naive
from tracking.errors import MigrationFailed, SchemaTooNew, StorageError
from tracking.store import bounced_addresses, delivery_counts, event_counts
from tracking.store.dialect import DUCKDB_ONLY, POSTGRES_ONLY, Engine, ddl, engine_of


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


_V1_CORE = (
    """CREATE TABLE accounts (
        id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        time_zone VARCHAR NOT NULL,
        sending_mode VARCHAR NOT NULL,
        sender_address VARCHAR NOT NULL,
        sender_name VARCHAR NOT NULL,
        language VARCHAR NOT NULL DEFAULT 'fr',
        created_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE users (
        id VARCHAR PRIMARY KEY,
        account_id VARCHAR,              -- NULL for back-office operators
        name VARCHAR NOT NULL,
        email VARCHAR NOT NULL
    )""",
    """CREATE TABLE clients (
        id VARCHAR PRIMARY KEY,
        account_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL
    )""",
    """CREATE TABLE client_addresses (
        client_id VARCHAR NOT NULL,
        position INTEGER NOT NULL,
        address VARCHAR NOT NULL,
        role VARCHAR NOT NULL,           -- to | cc: where it goes by default
        PRIMARY KEY (client_id, position)
    )""",
    """CREATE TABLE documents (
        id VARCHAR PRIMARY KEY,
        account_id VARCHAR NOT NULL,
        client_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        number VARCHAR NOT NULL,
        amount DECIMAL(14, 2) NOT NULL,
        currency VARCHAR NOT NULL,
        issue_date DATE NOT NULL,
        status VARCHAR NOT NULL,
        send_date TIMESTAMP,             -- "Date d'envoi au client", UTC
        created_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE sends (
        id VARCHAR PRIMARY KEY,
        document_id VARCHAR NOT NULL,
        account_id VARCHAR NOT NULL,
        mode VARCHAR NOT NULL,
        requested_at TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        message_id VARCHAR,
        envelope_id VARCHAR,
        idempotency_key VARCHAR NOT NULL UNIQUE,
        outbox_state VARCHAR NOT NULL    -- queued | done | none (manual)
    )""",
    """CREATE TABLE deliveries (
        send_id VARCHAR NOT NULL,
        idx INTEGER NOT NULL,            -- recipient index within the send, 0-based
        address VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        verp_token VARCHAR,
        state VARCHAR NOT NULL,
        state_at TIMESTAMP NOT NULL,
        reason VARCHAR,
        status_code VARCHAR,
        smtp_reply VARCHAR,
        diagnostic VARCHAR,
        remote_mta VARCHAR,
        complained BOOLEAN NOT NULL DEFAULT FALSE,
        smtp_attempts INTEGER NOT NULL DEFAULT 0,
        in_flight BOOLEAN NOT NULL DEFAULT FALSE,  -- handed to SMTP, outcome not yet recorded
        PRIMARY KEY (send_id, idx)
    )""",
    "CREATE SEQUENCE event_seq START 1",
    """CREATE TABLE events (
        id VARCHAR PRIMARY KEY,          -- deterministic: the same fact never lands twice
        seq BIGINT NOT NULL DEFAULT nextval('event_seq'),
        type VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL,  -- UTC
        actor VARCHAR NOT NULL,
        account_id VARCHAR,
        document_id VARCHAR,
        send_id VARCHAR,
        recipient_idx INTEGER,
        recipient VARCHAR,
        details VARCHAR NOT NULL         -- JSON object
    )""",
    "CREATE INDEX documents_account ON documents (account_id)",
    "CREATE INDEX sends_document ON sends (document_id)",
    "CREATE INDEX events_document ON events (document_id)",
)


_V2_RETURNED_MAIL = (
    """CREATE TABLE returned_messages (
        id VARCHAR PRIMARY KEY,          -- sha256 of the raw bytes: re-reading inserts nothing
        received_at TIMESTAMP NOT NULL,  -- UTC, when the mailbox got it (or when read)
        source VARCHAR NOT NULL,         -- mailbox name / maildir path / 'demo'
        size_bytes INTEGER NOT NULL,
        raw_zlib BLOB NOT NULL,          -- the message, zlib-compressed, size-capped
        truncated BOOLEAN NOT NULL DEFAULT FALSE,
        kind VARCHAR NOT NULL,           -- BounceKind
        detector VARCHAR NOT NULL,
        subject VARCHAR,
        defects VARCHAR NOT NULL,        -- JSON list
        match_state VARCHAR NOT NULL,    -- matched | unmatched | suspicious | ignored
        match_method VARCHAR,            -- verp | envid | message_id | header | address_window
        send_id VARCHAR,
        document_id VARCHAR
    )""",
    "CREATE INDEX returned_messages_send ON returned_messages (send_id)",
)


# Version 3 belongs to ingestion (tracking.store.inbound): where each mailbox was read up to,
# committed in the same transaction as what the messages produced (exactly once), and who
# settled an unmatched message by hand.
_V3_MAILBOX_INGESTION = (
    """CREATE TABLE mailbox_checkpoints (
        source VARCHAR PRIMARY KEY,      -- imap://user@host:port/folder
        uidvalidity BIGINT NOT NULL,     -- RFC 3501 §2.3.1.1: a change means UIDs were reset
        last_uid BIGINT NOT NULL,        -- every message up to this UID is committed
        updated_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE maildir_entries (
        source VARCHAR NOT NULL,         -- maildir:/path
        entry VARCHAR NOT NULL,          -- file name without its :2,flags suffix
        returned_message_id VARCHAR NOT NULL,
        PRIMARY KEY (source, entry)
    )""",
    # A separate table rather than new columns, so positional INSERTs into returned_messages
    # (the demo's) keep working. The match's confidence follows from its method.
    """CREATE TABLE returned_message_handling (
        returned_message_id VARCHAR PRIMARY KEY,
        action VARCHAR NOT NULL,         -- attached | dismissed
        actor VARCHAR NOT NULL,
        handled_at TIMESTAMP NOT NULL,
        note VARCHAR
    )""",
)


# Version 4 belongs to the console (tracking.store.marks): each document's latest send, its
# mode and its recipients' states, so the Documents page filters a million documents on
# "failures only", state and mode without re-deriving the latest send of every document.
# Version 3 is reserved for ingestion (issue 4) and goes *before* this one in the tuple.
_V4_DOCUMENT_MARKS = (
    """CREATE TABLE document_marks (
        document_id VARCHAR PRIMARY KEY,
        send_id VARCHAR NOT NULL,        -- the latest send (any mode), ties broken by id
        mode VARCHAR NOT NULL,
        sends INTEGER NOT NULL,
        failing BOOLEAN NOT NULL,        -- a recipient of that send is not_sent / not_delivered
        states VARCHAR[] NOT NULL,       -- its recipients' states, in recipient order
        recipients VARCHAR NOT NULL      -- every address the document was sent to, for search
    )""",
    """CREATE TABLE document_marks_progress (
        last_seq BIGINT NOT NULL,        -- events up to here are reflected in document_marks
        event_count BIGINT NOT NULL
    )""",
    "INSERT INTO document_marks_progress VALUES (0, 0)",
    # The box and the list read a send's recipients by send id; the primary key (send_id, idx)
    # is not used for a send_id-only lookup (≈20 ms against ≈0.4 ms on a million sends).
    "CREATE INDEX deliveries_send ON deliveries (send_id)",
)


_V5_STORE_FACTS = (
    # Facts about the database itself, e.g. `demo = true` for a generated demo database: a real
    # SMTP transport refuses to send from one (its recipients are invented but look real).
    """CREATE TABLE store_facts (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL,
        set_at TIMESTAMP NOT NULL
    )""",
)

# Version 7 (6 is reserved for another change landing separately).
_V7_OUTBOUND_RETRIES = (
    # A delivery the outbound server could not take (unreachable, TLS, AUTH refused, 421) stays
    # `pending` and gets a row here: when the outbox may try it again. The row goes when the
    # delivery is claimed again; a delivery without one and with SMTP attempts behind it is never
    # handed over again (it may have reached the server: never send twice).
    """CREATE TABLE outbound_retries (
        send_id VARCHAR NOT NULL,
        idx INTEGER NOT NULL,
        retry_at TIMESTAMP NOT NULL,
        PRIMARY KEY (send_id, idx)
    )""",
)


# Version 6 belongs to sign-in (issue 8, tracking.store.users): the users table becomes the
# sign-in table, and every event records where its actor acted from. Existing rows (the people
# named as actors so far) keep their id as login and get no role: they stay display names for
# the history but cannot sign in until an admin gives them a role and a password. `name` is the
# display name; `accounts` NULL means every account.
_V6_SIGN_IN = (
    "ALTER TABLE users ADD COLUMN login VARCHAR",
    "ALTER TABLE users ADD COLUMN role VARCHAR",            # analyst | support | admin | NULL
    "ALTER TABLE users ADD COLUMN password_hash VARCHAR",   # argon2id, NULL: no password sign-in
    "ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE",
    "ALTER TABLE users ADD COLUMN accounts VARCHAR[]",      # NULL: every account
    "ALTER TABLE users ADD COLUMN oidc_subject VARCHAR",
    "ALTER TABLE users ADD COLUMN created_at TIMESTAMP",
    "ALTER TABLE users ADD COLUMN updated_at TIMESTAMP",
    "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
    """UPDATE users SET login = id,
              accounts = CASE WHEN account_id IS NULL THEN NULL ELSE [account_id] END""",
    "CREATE UNIQUE INDEX users_login ON users (login)",
    "ALTER TABLE events ADD COLUMN origin VARCHAR",         # console | cli | system, NULL before
)


# Version 8 belongs to verified reports (issue 9, tracking.store.proposals): a returned message
# tied to a send only by a key anyone can copy (ENVID, Message-ID, our header, the address) is
# a proposal per recipient, with its evidence, until support applies or rejects it.
_V8_REPORT_PROPOSALS = (
    """CREATE TABLE report_proposals (
        id VARCHAR PRIMARY KEY,          -- from returned message + send + recipient: re-reads add none
        returned_message_id VARCHAR NOT NULL,
        received_at TIMESTAMP NOT NULL,  -- UTC, the returned message's
        account_id VARCHAR NOT NULL,
        document_id VARCHAR NOT NULL,
        send_id VARCHAR NOT NULL,
        recipient_idx INTEGER NOT NULL,
        recipient VARCHAR NOT NULL,      -- the candidate delivery's address
        match_method VARCHAR NOT NULL,   -- envid | message_id | header | address_window
        event_type VARCHAR NOT NULL,     -- what applying it records (dsn_failed, …)
        reported_recipient VARCHAR,      -- the address the report itself names
        action VARCHAR,                  -- RFC 3464 Action
        status_code VARCHAR,
        reason VARCHAR,
        diagnostic VARCHAR,
        details VARCHAR NOT NULL,        -- JSON: the event details applying it records
        decision VARCHAR NOT NULL,       -- open | applied | rejected
        decided_by VARCHAR,
        decided_at TIMESTAMP,
        note VARCHAR
    )""",
    "CREATE INDEX report_proposals_document ON report_proposals (document_id)",
    "CREATE INDEX report_proposals_message ON report_proposals (returned_message_id)",
)


# Version 9 belongs to the console's speed (issue 12, tracking.store.delivery_counts): recipients
# counted per day, account, mode, domain, state, reason and delay, kept by the writes that move
# the deliveries, so a period's failure and history aggregates read thousands of rows, not
# millions. An existing database is counted once here.
_V9_DELIVERY_COUNTS = (
    delivery_counts.CREATE_TABLE,
    delivery_counts.FILL,
    # The document page reads a document's returned messages and its client's addresses by
    # key: without these, each was a scan (≈170 ms over a million returned messages).
    "CREATE INDEX returned_messages_document ON returned_messages (document_id)",
    "CREATE INDEX client_addresses_client ON client_addresses (client_id)",
)


# Version 10 belongs to several outbox workers on one PostgreSQL (issue 11): which worker (its
# journal) holds each in-flight delivery, so a worker restarting settles its own claims from its
# own journal and never those of a live neighbour. (9 is the console's delivery counts.)
_V10_OUTBOX_CLAIMS = (
    "ALTER TABLE deliveries ADD COLUMN claimed_by VARCHAR",   # host/slot of the journal; NULL: none
)


# Version 11: every send checks its recipients' latest outcomes (tracking.store.suppressions) by
# address; without an index that read scanned every delivery (≈15 ms a send on 100k documents,
# a second on a million).
_V11_DELIVERY_ADDRESS = (
    "CREATE INDEX deliveries_address ON deliveries (address)",
)


# Version 12 is the console on PostgreSQL (issue 11): the time columns the console's pages cut on
# first (the list's date cut, the history's moment cut, the failures' request window). DuckDB
# skips row groups by their min/max there; PostgreSQL would read the whole table. Measured on a
# 100,000-document demo: the history page 200 -> 31 ms, the first documents page 70 -> 32 ms.
# (11 is the suppression check's deliveries(address) index.)
_V12_CONSOLE_TIME_INDEXES = tuple(POSTGRES_ONLY + statement for statement in (
    "CREATE INDEX documents_issue_date ON documents (issue_date)",
    "CREATE INDEX events_occurred_at ON events (occurred_at)",
    "CREATE INDEX sends_requested_at ON sends (requested_at)",
))


# Version 13 is the console at a million documents (issue 12): the event log counted per day,
# account and type (tracking.store.event_counts), kept by `record_events`, so the History
# page's activity chart reads thousands of rows instead of grouping millions of events (on
# PostgreSQL ≈1.5 s on a million documents). An existing database is counted once here.
#
# On PostgreSQL, also the Documents search's structure: trigram indexes (pg_trgm, in Debian's
# postgresql package; a trusted extension, so the database owner may create it) on the three
# texts it looks in, so `LIKE '%text%'` reads the matching rows instead of every document, and
# the documents of the matching clients by key. DuckDB scans those columns (no such index).
_V13_CONSOLE_ROLLUPS = (
    event_counts.CREATE_TABLE,
    event_counts.FILL,
    *(POSTGRES_ONLY + statement for statement in (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX documents_number_trgm ON documents USING gin (lower(number) gin_trgm_ops)",
        "CREATE INDEX clients_name_trgm ON clients USING gin (lower(name) gin_trgm_ops)",
        "CREATE INDEX document_marks_recipients_trgm ON document_marks"
        " USING gin (recipients gin_trgm_ops)",
        "CREATE INDEX documents_client ON documents (client_id)",
    )),
)



# Version 14 is the rates panel at a million documents (issue 12; 13 is the console rollups): the
# time-to-delivery percentiles joined ~650k delivered recipients to their sends on text ids
# (≈0.4 s on DuckDB, the panel's whole cost). Each delivery now carries its send's request
# moment, mode and account — they never change after the send is written — so the percentiles
# scan one table (≈0.13 s; same run, load ≈10 on 2 cores). Filled by every insert of deliveries
# (tracking.store.writes, the demo); an existing database is filled once here (≈3 s on the 1M
# DuckDB demo, in storage order: see below). On PostgreSQL, the delivered recipients by
# request moment, with what the percentiles read, so they read an index range (index-only once
# vacuumed) instead of the table: on 300k documents the percentiles 247 ms joined, 157 ms from
# the table, 80 ms from this index (the whole rates read 160 ms; 100k: 114, 75, 33 ms).
_V14_DELIVERY_REQUEST = (
    "ALTER TABLE deliveries ADD COLUMN requested_at TIMESTAMP",   # the send's, copied
    "ALTER TABLE deliveries ADD COLUMN mode VARCHAR",
    "ALTER TABLE deliveries ADD COLUMN account_id VARCHAR",
    POSTGRES_ONLY + """UPDATE deliveries SET requested_at = s.requested_at, mode = s.mode,
                                             account_id = s.account_id
                       FROM sends s WHERE s.id = deliveries.send_id""",
    # On DuckDB the same fill joined by rowid, in storage order, took 2.8 s on the 1M demo
    # where the plain join above took 218 s (same machine, same hour).
    DUCKDB_ONLY + """UPDATE deliveries SET requested_at = joined.requested_at,
                                           mode = joined.mode, account_id = joined.account_id
                     FROM (SELECT x.rowid AS row_id, s.requested_at, s.mode, s.account_id
                           FROM deliveries x JOIN sends s ON s.id = x.send_id
                           ORDER BY x.rowid) AS joined
                     WHERE deliveries.rowid = joined.row_id""",
    POSTGRES_ONLY + "CREATE INDEX deliveries_delivered_requested ON deliveries (requested_at)"
    " INCLUDE (state_at, mode, account_id) WHERE state = 'delivered'",
)


# Version 15 is the Documents list at a million documents (issue 12): each document's marks carry
# its issue date (it never changes), so the list's costly reads (a search, the marks filters) can
# look at the newest documents first and stop once a page and the capped count are found
# (`tracking.store.document_list`). On DuckDB the marks are rewritten in issue-date order, so a
# date cut skips whole row groups of `document_marks` as it does of `documents` (their zone
# maps); the refresh's full rebuild keeps that order, and an incremental one appends the newest.
# On PostgreSQL, an index on it instead.
_V15_MARKS_ISSUE_DATE = (
    DUCKDB_ONLY + """CREATE TEMP TABLE marks_by_date AS
                     SELECT m.*, d.issue_date FROM document_marks m
                     JOIN documents d ON d.id = m.document_id""",
    DUCKDB_ONLY + "DELETE FROM document_marks",
    "ALTER TABLE document_marks ADD COLUMN issue_date DATE",
    DUCKDB_ONLY + "INSERT INTO document_marks SELECT * FROM marks_by_date ORDER BY issue_date",
    DUCKDB_ONLY + "DROP TABLE marks_by_date",
    POSTGRES_ONLY + """UPDATE document_marks SET issue_date = d.issue_date FROM documents d
                       WHERE d.id = document_marks.document_id""",
    POSTGRES_ONLY + "CREATE INDEX document_marks_issue_date ON document_marks (issue_date)",
)


# Version 16 is the Failures page on PostgreSQL at a million documents (issue 11; 15 is the
# documents list). Reads DuckDB answers by scanning a few columns, where
# PostgreSQL visits whole rows (figures: 1M demo, load ≈10 on 2 cores):
#  - the failed deliveries by the moment of their state, with what the first step of
#    `suppressions.suppressed_candidates` reads (index-only); `failing_deliveries` reads its
#    recent window from it: 331 -> 16 ms (2,083 rows instead of a bitmap over 158k). The
#    states are `tracking.suppression.FAILED`'s and the console's FAILED_STATES;
#  - an address's deliveries from a moment on: the address index gains `state_at`, so the
#    candidates' second step reads an address's outcomes since its cut, not its whole history
#    (10,114 rows instead of 34,747 on 100k); replaces migration 11's, which any lookup by
#    address still finds in it;
#  - the delivered domains of an account from the `delivery_counts` rollup (box.delivered_domains,
#    same condition), index-only and already grouped: 57 -> 18 ms an account on 100k, 20-46 ms
#    on 1M (the Failures page reads one per account).
#  - the Mailbox page's two reads of the returned messages (a million of them, raw bodies
#    inline): the queue of messages to look at, newest first, from a partial index of just those
#    (607 -> under 1 ms: none in the demo, found without reading the million), and the counts by
#    match state and kind, index-only (804 -> 337 ms).
# The Failures page through AppTest on 1M, before/after: 13.7 s -> 7.4 s.
_V16_POSTGRES_FAILURES_PAGE = tuple(POSTGRES_ONLY + statement for statement in (
    "CREATE INDEX deliveries_failed ON deliveries (state_at)"
    " INCLUDE (reason, account_id, address) WHERE state IN ('not_sent', 'not_delivered')",
    "DROP INDEX deliveries_address",
    "CREATE INDEX deliveries_address ON deliveries (address, state_at)",
    "CREATE INDEX delivery_counts_reached_domain ON delivery_counts (account_id, domain)"
    " INCLUDE (deliveries) WHERE state = 'delivered' OR (state = 'sent' AND mode = 'smtp')",
    # console_queries.mailbox_queue's condition, as it writes it
    "CREATE INDEX returned_messages_to_look_at ON returned_messages (received_at, id)"
    " WHERE match_state IN ('unmatched', 'suspicious') OR kind = 'undecodable'",
    "CREATE INDEX returned_messages_state_kind ON returned_messages (match_state, kind)"
    " INCLUDE (received_at)",
))


# Version 17 is the Failures page's "Adresses à corriger" at a million documents (issue 12): the
# addresses whose latest final outcome is a failure that can suppress them, per account
# (tracking.store.bounced_addresses), refreshed with the document marks instead of derived from
# every delivery of every once-bounced address on each read (0.8–1.6 s of the page on the 1M
# demo). An existing database is derived once here. (16 is PostgreSQL's failures indexes.)
_V17_BOUNCED_ADDRESSES = (
    bounced_addresses.CREATE_TABLE,
    bounced_addresses.FILL,
)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core tables: accounts, users, clients, documents, sends, deliveries, events",
              _V1_CORE),
    Migration(2, "returned messages: raw bounces, their kind and how they matched a send",
              _V2_RETURNED_MAIL),
    Migration(3, "mailbox ingestion: checkpoints, Maildir entries, manual handling of bounces",
              _V3_MAILBOX_INGESTION),
    Migration(4, "document marks: each document's latest send and failure flag, for the console",
              _V4_DOCUMENT_MARKS),
    Migration(5, "store facts: what the database is (a generated demo, …)", _V5_STORE_FACTS),
    Migration(6, "sign-in: users get a login, role, password hash and accounts; events an origin",
              _V6_SIGN_IN),
    Migration(7, "outbound retries: deliveries waiting for the outbound server to come back",
              _V7_OUTBOUND_RETRIES),
    Migration(8, "report proposals: token-less returned messages waiting to be verified",
              _V8_REPORT_PROPOSALS),
    Migration(9, "delivery counts: the aggregates' rollup; document-page lookup indexes",
              _V9_DELIVERY_COUNTS),
    Migration(10, "outbox claims: which worker holds each in-flight delivery", _V10_OUTBOX_CLAIMS),
    Migration(11, "deliveries by address: the suppression check's lookup index",
              _V11_DELIVERY_ADDRESS),
    Migration(12, "console time indexes on PostgreSQL: the pages' date and moment cuts",
              _V12_CONSOLE_TIME_INDEXES),
    Migration(13, "console at a million documents: event counts per day; search indexes",
              _V13_CONSOLE_ROLLUPS),
    Migration(14, "deliveries carry their send's request moment, mode and account: the rates",
              _V14_DELIVERY_REQUEST),
    Migration(15, "document marks carry their document's issue date: the list's newest first",
              _V15_MARKS_ISSUE_DATE),
    Migration(16, "failures and mailbox page indexes on PostgreSQL",
              _V16_POSTGRES_FAILURES_PAGE),
    Migration(17, "bounced addresses: the addresses to correct, refreshed with the marks",
              _V17_BOUNCED_ADDRESSES),
)


# Several processes may open a PostgreSQL store at once (console replicas, workers): the first
# migrates while the others wait on this session-level advisory lock, then find nothing to do.
MIGRATION_LOCK_KEY = 7_351_120_011   # any constant, the same in every Suivi


def current_version(connection) -> int:
    exists = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        + (" AND table_schema = current_schema()" if engine_of(connection) is Engine.POSTGRES
           else "")
    ).fetchone()[0]
    if not exists:
        return 0
    row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply every migration newer than the database; return the resulting version.

    `connection` is a DuckDB connection or a PostgreSQL store cursor; on PostgreSQL the whole
    run holds an advisory lock, so two processes starting together never race."""
    if engine_of(connection) is not Engine.POSTGRES:
        return _migrate(connection, migrations)
    connection.execute("SELECT pg_advisory_lock(?)", [MIGRATION_LOCK_KEY])
    try:
        return _migrate(connection, migrations)
    finally:
        connection.execute("SELECT pg_advisory_unlock(?)", [MIGRATION_LOCK_KEY])


def _migrate(connection, migrations: tuple[Migration, ...]) -> int:
    engine = engine_of(connection)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    version = current_version(connection)
    latest = migrations[-1].version if migrations else 0
    if version > latest:
        raise SchemaTooNew(
            f"database schema version {version} is newer than this Suivi knows ({latest}); "
            "upgrade Suivi instead of opening it with an older one"
        )
    for migration in migrations:
        if migration.version <= version:
            continue
        connection.execute("BEGIN TRANSACTION")
        try:
            for statement in migration.statements:
                statement = ddl(statement, engine)
                if statement is not None:
                    connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [migration.version, migration.name, utc_now_naive()],
            )
        except (duckdb.Error, StorageError) as err:
            connection.execute("ROLLBACK")
            raise MigrationFailed(
                f"migration {migration.version} ({migration.name}) failed and was rolled back: {err}"
            ) from err
        connection.execute("COMMIT")
        version = migration.version
    return version
