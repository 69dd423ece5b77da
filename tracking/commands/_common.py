"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse

from tracking.errors import NotFound
from tracking.runtime import database_path, open_store
from tracking.store import queries
from tracking.store.connection import Database
from tracking.store.postgres import redact


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None,
                        help="DuckDB file or postgresql:// URL (default: $SUIVI_DB or "
                             f"{redact(str(database_path()))})")


def open_db(args: argparse.Namespace) -> Database:
    return open_store(args.db)


def resolve_document(db: Database, reference: str) -> str:
    document_id = queries.find_document_id(db.cursor(), reference)
    if document_id is None:
        raise NotFound(f"unknown document {reference!r} (give its id or its unique number)")
    return document_id
