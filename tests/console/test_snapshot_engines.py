"""The Parquet snapshot written from PostgreSQL is the one written from DuckDB: same files, same
columns and types, same rows, and the console's reads over it give the same answers — so a
notebook reads either store's snapshot alike (issue 11)."""

from __future__ import annotations

import time
from datetime import datetime

import pandas as pd

from tracking.store import console_queries as q
from tracking.store.connection import open_database
from tracking.store.snapshot import (
    SNAPSHOT_DIR_ENV, TABLES, default_directory, open_snapshot, snapshot_manifest, write_snapshot)

# The console demo's sends lie within these whole UTC days (tests/console/conftest.DEMO_NOW).
SINCE, UNTIL = datetime(2026, 1, 1), datetime(2026, 11, 21)


def both_snapshots(demo_template, postgres_server, pg_demo_template, tmp_path):
    url = postgres_server.create_database(template=pg_demo_template)
    with open_database(demo_template) as duck, open_database(url) as pg:
        from_duckdb = write_snapshot(duck, tmp_path / "duckdb.snapshot")
        from_postgres = write_snapshot(pg, tmp_path / "postgres.snapshot")
    return open_snapshot(from_duckdb), open_snapshot(from_postgres), from_postgres


def test_a_postgres_snapshot_holds_the_same_tables_columns_and_rows(
        demo_template, postgres_server, pg_demo_template, tmp_path):
    duck, pg, directory = both_snapshots(demo_template, postgres_server, pg_demo_template,
                                         tmp_path)
    assert snapshot_manifest(directory)["database"].count("***") == 1   # password never written
    for table in (*TABLES, "returned_messages"):
        columns = duck.execute(f"DESCRIBE {table}").fetchall()
        assert pg.execute(f"DESCRIBE {table}").fetchall() == columns, table
        names = ", ".join(f'"{row[0]}"' for row in columns)
        # Every row with its number of copies, on both sides.
        difference = _rows(duck, table, names).merge(
            _rows(pg, table, names), how="outer", indicator=True)
        assert (difference["_merge"] == "both").all(), table
    assert pg.execute("SELECT count(*) FROM documents").fetchall()[0][0] > 0


def _rows(connection, table: str, names: str) -> pd.DataFrame:
    frame = connection.execute(f"SELECT {names} FROM {table}").df()
    return frame.astype(str).value_counts(dropna=False).rename("copies").reset_index()


def test_the_console_reads_answer_the_same_over_either_snapshot(
        demo_template, postgres_server, pg_demo_template, tmp_path):
    duck, pg, _ = both_snapshots(demo_template, postgres_server, pg_demo_template, tmp_path)
    expected = q.failure_summary(duck, SINCE, UNTIL)
    actual = q.failure_summary(pg, SINCE, UNTIL)
    assert expected.failures > 0
    assert (actual.total, actual.failures) == (expected.total, expected.failures)
    pd.testing.assert_frame_equal(actual.by_reason, expected.by_reason)
    first = q.documents_page(duck, q.DocumentFilters(), page=1)
    again = q.documents_page(pg, q.DocumentFilters(), page=1)
    assert again.total == first.total > 0
    columns = ["id", "sends", "mode", "failing", "failure_reason"]
    assert first.rows["failing"].any()
    pd.testing.assert_frame_equal(again.rows[columns], first.rows[columns])


def test_a_postgres_store_snapshots_into_the_checkout_or_the_named_directory(monkeypatch,
                                                                             tmp_path):
    monkeypatch.delenv(SNAPSHOT_DIR_ENV, raising=False)
    url = "postgresql://suivi:secret@db.example:5432/invoicing"
    directory = default_directory(url)
    assert directory.name == "invoicing.snapshot" and "secret" not in str(directory)
    assert directory.parent.name == "data" and directory.is_absolute()
    monkeypatch.setenv(SNAPSHOT_DIR_ENV, str(tmp_path / "shared"))
    assert default_directory(url) == tmp_path / "shared"
    assert default_directory("data/suivi.duckdb") == tmp_path / "shared"


def test_the_owners_snapshot_worker_runs_on_postgresql(postgres_server, pg_demo_template,
                                                       tmp_path, monkeypatch):
    from tracking.server import Owner

    url = postgres_server.create_database(template=pg_demo_template)
    monkeypatch.setenv(SNAPSHOT_DIR_ENV, str(tmp_path / "snapshot"))
    owner = Owner(url, workers=("marks", "snapshot"), snapshot_delay=0.0).start()
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "snapshot" / "snapshot.json").is_file():
            assert owner.status().snapshot_error is None
            assert time.monotonic() < deadline, "no snapshot written within a minute"
            time.sleep(0.2)
    finally:
        owner.stop()
        owner.close()
    rows = snapshot_manifest(tmp_path / "snapshot")["rows"]
    assert rows["documents"] > 0 and rows["delivery_counts"] > 0
