"""The PostgreSQL store on a private server: UTC sessions on a server set to Auckland, the
password kept out of every message, NUL characters in mail text, concurrent migration, and
`store copy` round trips checked table by table."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest

from tests import pg
from tracking.clock import utc_now_naive
from tracking.demo import generate
from tracking.errors import StorageError
from tracking.store.box import delivered_domains
from tracking.store.connection import open_database
from tracking.store.console_queries import failing_deliveries, mailbox_counts, mailbox_queue
from tracking.store.copy import (CopyMismatch, CopyRefused, copy_store, data_tables, row_count,
                                 verify_written)
from tracking.store.marks import page_marks, refresh_marks
from tracking.store.migrations import MIGRATIONS, migrate
from tracking.store.postgres import NUL_REPLACEMENT, numbered, redact
from tracking.store.suppressions import suppressed_candidates

DEMO_NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(postgres_server) -> str:
    return postgres_server.create_database(template=pg.TEMPLATE)


def test_sessions_are_utc_although_the_server_is_in_auckland(postgres_server, pg_url):
    with postgres_server.admin() as admin:
        assert admin.execute("SHOW TimeZone").fetchone()[0] == pg.SERVER_TIME_ZONE
    with open_database(pg_url) as db:
        cursor = db.cursor()
        assert cursor.execute("SHOW TimeZone").fetchone()[0] == "UTC"
        server_now = cursor.execute("SELECT now()::TIMESTAMP").fetchone()[0]
        assert abs((server_now - utc_now_naive()).total_seconds()) < 60   # not 13 h away


def test_sessions_do_not_compile_queries_although_the_server_would(postgres_server, pg_url):
    with postgres_server.admin() as admin:
        assert admin.execute("SHOW jit").fetchone()[0] == "on"   # PostgreSQL 15's default
    with open_database(pg_url) as db:
        assert db.cursor().execute("SHOW jit").fetchone()[0] == "off"


def test_the_password_never_appears_in_errors(postgres_server):
    wrong_database = postgres_server.url("no_such_database")
    with pytest.raises(StorageError) as raised:
        open_database(wrong_database)
    assert pg.PASSWORD not in str(raised.value) and "***" in str(raised.value)
    assert raised.value.__cause__ is None          # the driver's error could carry the conninfo
    wrong_password = postgres_server.url(pg.TEMPLATE).replace(pg.PASSWORD, "not-the-password")
    with pytest.raises(StorageError) as raised:
        open_database(wrong_password)
    assert "not-the-password" not in str(raised.value)
    assert redact(postgres_server.url("x")) == postgres_server.url("x").replace(pg.PASSWORD, "***")


def test_nul_characters_in_mail_text_are_replaced_not_refused(pg_url):
    with open_database(pg_url) as db, db.transaction() as cursor:
        cursor.execute("INSERT INTO store_facts VALUES (?, ?, ?)",
                       ["subject", "Undelivered\x00 mail", utc_now_naive()])
        stored = cursor.execute("SELECT value FROM store_facts WHERE key = ?",
                                ["subject"]).fetchone()[0]
    assert stored == f"Undelivered{NUL_REPLACEMENT} mail"


def test_placeholders_are_numbered_outside_quoted_text():
    assert numbered("SELECT ? , '?', \"a?\", ?") == "SELECT $1 , '?', \"a?\", $2"
    assert numbered("SELECT 'it''s ?' || ?") == "SELECT 'it''s ?' || $1"


def test_processes_migrating_the_same_database_at_once_migrate_it_once(postgres_server):
    url = postgres_server.create_database()         # empty: every migration still to run
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_database(url).close()
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=open_and_close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with open_database(url) as db:
        versions = [row[0] for row in db.cursor().execute(
            "SELECT version FROM schema_version ORDER BY version").fetchall()]
    assert versions == [m.version for m in MIGRATIONS]


def test_store_copy_round_trip_duckdb_postgres_duckdb(tmp_path, pg_url):
    demo = tmp_path / "demo.duckdb"
    generate(demo, documents=300, seed=7, now=DEMO_NOW)
    with open_database(demo) as source, open_database(pg_url) as target:
        there = copy_store(source, target)
        tables = data_tables(target.cursor())
    back_path = tmp_path / "back.duckdb"
    with open_database(pg_url) as source, open_database(back_path) as target:
        back = copy_store(source, target)
    assert there == back                            # same counts, same checksums, every table
    assert {copy.table for copy in there} == set(tables) - {"schema_version"}
    counted = {copy.table: copy.rows for copy in there}
    assert counted["documents"] == 300 and counted["events"] > 300
    assert counted["returned_messages"] > 0 and counted["users"] > 0
    with open_database(back_path) as db:
        cursor = db.cursor()
        top = cursor.execute("SELECT max(seq) FROM events").fetchall()[0][0]
        assert cursor.execute("SELECT nextval('event_seq')").fetchall()[0][0] > top


def test_store_copy_leaves_postgresql_analyzed_and_notices_a_changed_row(tmp_path, pg_url):
    """The copy ends with VACUUM ANALYZE on PostgreSQL (statistics and the visibility map the
    planner's index-only scans need, before autovacuum would get there), and its check compares
    the source's rows as written with the target read back: one changed value is a mismatch."""
    demo = tmp_path / "demo.duckdb"
    generate(demo, documents=60, seed=7, now=DEMO_NOW)
    with open_database(demo) as source, open_database(pg_url) as target:
        copied = {copy.table: copy for copy in copy_store(source, target)}
        cursor = target.cursor()
        for table in ("documents", "deliveries", "events"):
            analyzed, pages, visible = cursor.execute(
                """SELECT s.last_analyze IS NOT NULL, c.relpages, c.relallvisible
                   FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
                   WHERE s.relname = ?""", [table]).fetchone()
            assert analyzed and pages > 0 and visible == pages, table
        assert verify_written(cursor, copied["documents"]) == copied["documents"]
        cursor.execute("UPDATE documents SET number = number || 'x' WHERE id = "
                       "(SELECT min(id) FROM documents)")
        with pytest.raises(CopyMismatch, match="documents: source has 60 rows"):
            verify_written(cursor, copied["documents"])


def test_store_copy_refuses_a_target_with_data(tmp_path, pg_url):
    demo = tmp_path / "demo.duckdb"
    generate(demo, documents=20, seed=7, now=DEMO_NOW)
    with open_database(demo) as source, open_database(pg_url) as target:
        copy_store(source, target)
        before = row_count(target.cursor(), "events")
        with pytest.raises(CopyRefused, match="not empty"):
            copy_store(source, target)
        assert row_count(target.cursor(), "events") == before


def test_store_copy_command_prints_no_password(tmp_path, pg_url):
    demo = tmp_path / "demo.duckdb"
    generate(demo, documents=20, seed=7, now=DEMO_NOW)
    done = subprocess.run([sys.executable, "-m", "tracking", "store", "copy", "--from",
                           str(demo), "--to", pg_url], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "counts and checksums match" in done.stdout
    assert pg.PASSWORD not in done.stdout + done.stderr


def test_document_marks_are_the_same_on_both_engines(tmp_path, pg_url):
    """The marks' latest-send query has one variant per engine (arg_max / DISTINCT ON); the
    derived marks and the live ones of the list agree on both."""
    demo = tmp_path / "demo.duckdb"
    generate(demo, documents=300, seed=7, now=DEMO_NOW)
    with open_database(demo) as source, open_database(pg_url) as target:
        copy_store(source, target)
        marks = []
        for db in (source, target):
            assert refresh_marks(db).full
            marks.append(sorted(
                (row[0], row[1], row[2], row[3], row[4], list(row[5]), sorted(row[6].split()))
                for row in db.cursor().execute("SELECT * FROM document_marks").fetchall()))
            ids = [mark[0] for mark in marks[-1]]
            live = page_marks(db.cursor(), ids).sort_values("id")   # the list's live marks
            assert list(live.id) == ids
            assert list(live.failing) == [mark[4] for mark in marks[-1]]
            marks[-1] = [(*mark, row.failure_reason)
                         for mark, row in zip(marks[-1], live.itertuples())]
    assert len(marks[0]) > 200                     # every document sent at least once
    assert marks[0] == marks[1]
    assert any(mark[4] for mark in marks[0]) and not all(mark[4] for mark in marks[0])


def test_the_console_time_indexes_exist_on_postgresql_only(pg_url, tmp_path):
    wanted = {"documents_issue_date", "events_occurred_at", "sends_requested_at"}
    with open_database(pg_url) as db:
        indexes = {row[0] for row in db.cursor().execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").fetchall()}
        plan = "\n".join(row[0] for row in db.cursor().execute(
            "EXPLAIN SELECT occurred_at FROM events ORDER BY occurred_at DESC LIMIT 1"
        ).fetchall())
    assert wanted <= indexes
    assert "events_occurred_at" in plan   # the history page's moment cut reads the index
    with open_database(tmp_path / "suivi.duckdb") as db:
        duckdb_indexes = {row[0] for row in db.cursor().execute(
            "SELECT index_name FROM duckdb_indexes()").fetchall()}
    assert not wanted & duckdb_indexes


def test_files_beside_a_url_store_go_to_the_checkout_data_folder(tmp_path):
    """A URL names no folder: the demo's cookie secret must not land in a folder made of the
    URL (`postgresql:/suivi:***@host:port/`), which once got committed by accident."""
    from tracking.store.connection import CHECKOUT_DATA, files_directory

    assert files_directory("postgresql://suivi:secret@127.0.0.1:5432/suivi") == CHECKOUT_DATA
    assert files_directory(tmp_path / "suivi.duckdb") == tmp_path


_FAILURES_PAGE_INDEXES = {"deliveries_failed", "delivery_counts_reached_domain",
                          "returned_messages_to_look_at", "returned_messages_state_kind"}


def _indexes(cursor) -> dict[str, str]:
    return dict(cursor.execute("SELECT indexname, indexdef FROM pg_indexes"
                               " WHERE schemaname = current_schema()").fetchall())


def test_migration_16_indexes_an_existing_database_and_the_failures_page_reads_the_same(
        tmp_path, pg_url):
    """Migrations 16 (PostgreSQL only) and 17 on a database that holds data: the indexes are
    built, the address index gains state_at, the bounced addresses are derived, and the reads
    they serve answer as before (the mailbox queue is empty in the demo: the same empty
    answer; the bounced addresses as the demo builder left them)."""
    demo = tmp_path / "demo.duckdb"
    generate(demo, documents=300, seed=7, now=DEMO_NOW)
    with open_database(demo) as source, open_database(pg_url) as target:
        copy_store(source, target)
        cursor = target.cursor()
        account = cursor.execute("SELECT min(id) FROM accounts").fetchone()[0]
        def reads():
            return (suppressed_candidates(cursor), delivered_domains(cursor, account),
                    mailbox_counts(cursor), mailbox_queue(cursor), failing_deliveries(
                        cursor, datetime(2026, 1, 1), datetime(2027, 1, 1), limit=50))

        before = reads()
        assert not before[0].empty and before[1] and not before[2].empty and len(before[4]) == 50
        # back to version 15's indexes, without 17's bounced addresses (derived again)
        for index in _FAILURES_PAGE_INDEXES | {"deliveries_address"}:
            cursor.execute(f"DROP INDEX {index}")
        cursor.execute("CREATE INDEX deliveries_address ON deliveries (address)")
        cursor.execute("DROP TABLE bounced_addresses")
        cursor.execute("DELETE FROM schema_version WHERE version >= 16")
        assert migrate(cursor) == MIGRATIONS[-1].version
        indexes = _indexes(cursor)
        assert _FAILURES_PAGE_INDEXES <= set(indexes)
        assert "(address, state_at)" in indexes["deliveries_address"]
        after = reads()
        assert after[1] == before[1]
        assert all(a.equals(b) for a, b in zip(after[:1] + after[2:], before[:1] + before[2:]))
    with open_database(tmp_path / "suivi.duckdb") as db:
        duckdb_indexes = {row[0] for row in db.cursor().execute(
            "SELECT index_name FROM duckdb_indexes()").fetchall()}
    assert not _FAILURES_PAGE_INDEXES & duckdb_indexes and "deliveries_address" in duckdb_indexes
