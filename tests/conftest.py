"""Fixtures shared by the whole suite: paths, the shared bounce corpus, the real mail stack.

Kept small on purpose; each test package adds its own conftest.py for what only it needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg
from tests.mailstack import SKIP_REASON, MailStack
from tracking.store.connection import open_database
from tracking.store.dialect import Engine

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_corpus(repo_root: Path) -> Path:
    """../shared/bounce-corpus (read in place, never copied into the repository);
    SUIVI_BOUNCE_CORPUS names another place (a worktree one level deeper)."""
    corpus = Path(os.environ.get("SUIVI_BOUNCE_CORPUS") or repo_root.parent / "shared" / "bounce-corpus")
    if not (corpus / "expected.jsonl").is_file():
        pytest.skip(f"shared bounce corpus not found at {corpus}")
    return corpus


@pytest.fixture(scope="session")
def mailstack() -> Iterator[MailStack]:
    """One private Postfix + Dovecot for the whole session (a cold start takes ≈2.5 s).

    Tests share it, so each should read its own mailbox: `mailstack.new_mailbox()` gives a
    fresh user to use as envelope sender, and its DSNs land there alone.
    """
    if SKIP_REASON:
        pytest.skip(f"real mail stack unavailable: {SKIP_REASON}")
    with MailStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg.PrivatePostgres]:
    """One private PostgreSQL 15 for the session, with a migrated template database that each
    test copies (`CREATE DATABASE … TEMPLATE`, a few ms) instead of migrating its own."""
    reason = pg.skip_reason()
    if reason:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with pg.PrivatePostgres() as server:
        with server.admin() as admin:
            admin.execute(f"CREATE DATABASE {pg.TEMPLATE} OWNER {pg.USER}")
        open_database(server.url(pg.TEMPLATE)).close()
        yield server


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A module marked `pytest.mark.engines` runs every test that uses the store on both engines
    # (parametrized, not copied); elsewhere `engine` is DuckDB alone.
    if "engine" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("engines")
        engines = [Engine(name) for name in marker.args] if marker else [Engine.DUCKDB]
        metafunc.parametrize("engine", engines, ids=[str(e) for e in engines])


@pytest.fixture
def store_target(engine: Engine, tmp_path: Path, request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> str:
    """Where a test's store lives: a DuckDB file in its temp dir, or a fresh PostgreSQL database
    (its outbox journals in the temp dir too)."""
    if engine is Engine.POSTGRES:
        monkeypatch.setenv("SUIVI_OUTBOX_JOURNALS", str(tmp_path / "outbox-journals"))
        server = request.getfixturevalue("postgres_server")
        return server.create_database(template=pg.TEMPLATE)
    return str(tmp_path / "suivi.duckdb")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test that uses the stack carries the marker, so `-m "not mailstack"` leaves it out.
    for item in items:
        if "mailstack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mailstack)
