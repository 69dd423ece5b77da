"""A small demo database, built once for the module that asks for it (about a second)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracking.demo import generate

# A fixed present: 30 March 2026 is the Monday after Europe's spring-forward night, so the
# demo's office hours straddle a DST change in Paris and London.
DEMO_NOW = datetime(2026, 3, 30, 15, 45, tzinfo=UTC)
DEMO_DOCUMENTS = 2_000
DEMO_SEED = 11


@pytest.fixture(scope="package")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = generate(path, documents=DEMO_DOCUMENTS, seed=DEMO_SEED, now=DEMO_NOW)
    return path, summary
