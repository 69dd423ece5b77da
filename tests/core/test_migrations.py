"""Schema migrations: fresh, re-run, failing step rolled back, newer database refused."""

from __future__ import annotations

import duckdb
import pytest

from tracking.errors import DatabaseLocked, MigrationFailed, SchemaTooNew
from tracking.store.connection import open_database
from tracking.store.migrations import MIGRATIONS, Migration, current_version, migrate


def test_fresh_database_gets_every_migration(tmp_path):
    with open_database(tmp_path / "a.duckdb") as db:
        assert current_version(db.cursor()) == MIGRATIONS[-1].version
        tables = {r[0] for r in db.cursor().execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"accounts", "documents", "sends", "deliveries", "events",
            "returned_messages"} <= tables


def test_rerun_changes_nothing(tmp_path):
    path = tmp_path / "a.duckdb"
    open_database(path).close()
    with open_database(path) as db:
        rows = db.cursor().execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]


def test_failing_step_rolls_back_the_whole_migration(tmp_path):
    connection = duckdb.connect(str(tmp_path / "a.duckdb"))
    migrate(connection)
    broken = MIGRATIONS + (Migration(99, "half-done", (
        "CREATE TABLE half_done (x INTEGER)",
        "INSERT INTO no_such_table VALUES (1)",
    )),)
    with pytest.raises(MigrationFailed, match="99"):
        migrate(connection, broken)
    assert current_version(connection) == MIGRATIONS[-1].version
    assert connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'"
    ).fetchone()[0] == 0
    connection.close()


def test_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "a.duckdb"
    open_database(path).close()
    connection = duckdb.connect(str(path))
    connection.execute("INSERT INTO schema_version VALUES (999, 'from the future', now()::TIMESTAMP)")
    connection.close()
    with pytest.raises(SchemaTooNew, match="999"):
        open_database(path)
    connection = duckdb.connect(str(path))
    assert connection.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 999
    connection.close()


def test_second_process_gets_a_clear_locked_error(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "a.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb,sys; c=duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLocked, match="another process"):
            open_database(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
