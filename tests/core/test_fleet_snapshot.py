"""Owners on one host writing the notebooks' snapshot at once (PostgreSQL: several `serve`
processes or console replicas) take turns: each write completes, and the snapshot left is whole."""

from __future__ import annotations

import json
import threading

from tests import pg
from tests.core.conftest import seed
from tracking.store.connection import open_database
from tracking.store.snapshot import MANIFEST, TABLES, write_snapshot


def test_owners_writing_the_snapshot_at_once_take_turns(tmp_path, postgres_server):
    url = postgres_server.create_database(template=pg.TEMPLATE)
    databases = [open_database(url) for _ in range(3)]
    directory = tmp_path / "suivi.snapshot"
    errors: list[BaseException] = []
    try:
        seed(databases[0], documents_per_account=50)

        def owner(db) -> None:
            try:
                for _ in range(4):
                    write_snapshot(db, directory)
            except BaseException as err:  # noqa: BLE001 - reported by the test thread
                errors.append(err)

        threads = [threading.Thread(target=owner, args=(db,)) for db in databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for db in databases:
            db.close()
    assert not errors, errors
    manifest = json.loads((directory / MANIFEST).read_text())
    assert manifest["rows"]["documents"] == 200
    assert {p.name for p in directory.iterdir()} >= {f"{table}.parquet" for table in TABLES}
    assert not directory.with_name("suivi.snapshot.writing").exists()
