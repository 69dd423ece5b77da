"""`python -m tracking demo`: writes a demo, refuses to overwrite, same seed -> same data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracking.cli import main
from tracking.demo import generate, returned
from tracking.errors import InvalidInput
from tracking.store.connection import open_database

NOW = "2026-07-14T09:30:00+00:00"


def test_command_writes_a_demo_and_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "data" / "demo.duckdb"
    assert main(["demo", "--db", str(path), "--documents", "300", "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert f"demo database written to {path}" in out
    assert "documents 300" in out
    with open_database(path) as db:
        assert db.cursor().execute("SELECT count(*) FROM documents").fetchall()[0][0] == 300
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.duckdb"]


def test_an_existing_file_is_left_alone_without_force(tmp_path, capsys):
    path = tmp_path / "demo.duckdb"
    path.write_bytes(b"someone's precious database")
    assert main(["demo", "--db", str(path), "--documents", "100"]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert path.read_bytes() == b"someone's precious database"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_force_replaces_an_existing_demo(tmp_path):
    path = tmp_path / "demo.duckdb"
    assert main(["demo", "--db", str(path), "--documents", "100", "--now", NOW]) == 0
    assert main(["demo", "--db", str(path), "--documents", "150", "--now", NOW,
                 "--force"]) == 0
    with open_database(path) as db:
        assert db.cursor().execute("SELECT count(*) FROM documents").fetchall()[0][0] == 150


def test_the_same_seed_and_present_give_the_same_database(tmp_path):
    now = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)
    first = _contents(generate(tmp_path / "a.duckdb", documents=400, seed=5, now=now).path)
    again = _contents(generate(tmp_path / "b.duckdb", documents=400, seed=5, now=now).path)
    other = _contents(generate(tmp_path / "c.duckdb", documents=400, seed=6, now=now).path)
    assert first == again
    assert first != other


def test_returned_messages_rendered_in_small_batches_give_the_same_database(tmp_path,
                                                                            monkeypatch):
    # Big demos render their returned messages batch by batch to bound memory; where the
    # batches cut (even inside one template's run of rows) must not show in the result.
    now = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)
    whole = generate(tmp_path / "whole.duckdb", documents=400, seed=5, now=now)
    monkeypatch.setattr(returned, "BATCH_ROWS", 37)
    monkeypatch.setattr(returned, "PROGRESS_ROWS", 100)
    lines = []
    batched = generate(tmp_path / "batched.duckdb", documents=400, seed=5, now=now,
                       progress=lines.append)
    assert whole.counts["returned_messages"] > 3 * 37
    assert _contents(batched.path) == _contents(whole.path)
    total = whole.counts["returned_messages"]
    assert any(line.endswith(f"returned messages: 111 / {total:,}") for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batched.duckdb", "whole.duckdb"]


def test_bad_arguments_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(SystemExit):
        main(["demo", "--db", str(tmp_path / "x.duckdb"), "--documents", "0"])
    with pytest.raises(InvalidInput):
        generate(tmp_path / "y.duckdb", documents=10, now=datetime(2026, 1, 1))
    assert list(tmp_path.iterdir()) == []


def _contents(path) -> dict[str, str]:
    """A digest of every table, ignoring the migrations' own timestamps."""
    tables = ("accounts", "users", "clients", "client_addresses", "documents", "sends",
              "deliveries", "events", "returned_messages")
    with open_database(path) as db:
        cursor = db.cursor()
        return {table: cursor.execute(
            f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM {table} t"
        ).fetchall()[0][0] for table in tables}
