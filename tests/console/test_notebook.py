"""The analysts' notebook runs top to bottom against a demo database — from the Parquet
snapshot the console writes, and from the database file when there is no snapshot."""

from __future__ import annotations

import pytest

from tests.console.conftest import copy_demo
from tracking.store.connection import open_database
from tracking.store.snapshot import SNAPSHOT_DIR_ENV, default_directory, write_snapshot

nbformat = pytest.importorskip("nbformat", reason="nbformat is in requirements-dev.txt")
nbclient = pytest.importorskip("nbclient", reason="nbclient is in requirements-dev.txt")

pytestmark = [pytest.mark.slow,
              # jupyter_client warns about its own path migration on import; not ours to fix
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def run_notebook(repo_root, monkeypatch, database) -> str:
    monkeypatch.setenv("SUIVI_DB", str(database))
    notebook = nbformat.read(repo_root / "notebooks" / "failures.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(repo_root / "notebooks")}}
                            ).execute()
    return "\n".join(output.get("text", "") for cell in notebook.cells
                     for output in cell.get("outputs", []))


def test_notebook_reads_the_snapshot(demo_template, tmp_path, repo_root, monkeypatch):
    database = copy_demo(demo_template, tmp_path)
    with open_database(database) as db:
        write_snapshot(db, default_directory(database))
    printed = run_notebook(repo_root, monkeypatch, database)
    assert "reading the snapshot written at" in printed
    assert "failed recipients out of" in printed and "points" in printed
    assert "failure rate" in printed and "time to delivery p95" in printed   # the rates
    assert "bytes of CSV" in printed


def test_notebook_reads_the_database_when_there_is_no_snapshot(demo_template, tmp_path,
                                                               repo_root, monkeypatch):
    database = copy_demo(demo_template, tmp_path)
    printed = run_notebook(repo_root, monkeypatch, database)
    assert f"reading the database file {database}" in printed


def test_notebook_reads_the_snapshot_of_a_postgresql_store(postgres_server, pg_demo_template,
                                                           tmp_path, repo_root, monkeypatch):
    url = postgres_server.create_database(template=pg_demo_template)
    monkeypatch.setenv(SNAPSHOT_DIR_ENV, str(tmp_path / "snapshot"))
    with open_database(url) as db:
        write_snapshot(db, default_directory(url))
    printed = run_notebook(repo_root, monkeypatch, url)
    assert "reading the snapshot written at" in printed
    assert "failed recipients out of" in printed and "failure rate" in printed
