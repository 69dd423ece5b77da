"""`store copy --from SOURCE --to TARGET` — move a whole store to another engine, verified.

SOURCE and TARGET are DuckDB paths or `postgresql://…` URLs (a password is better given by
PGPASSWORD than in the URL; it is never printed). The target must be empty.
"""

from __future__ import annotations

import argparse
import time

from tracking.store.connection import open_database
from tracking.store.copy import TableCopy, copy_store
from tracking.store.postgres import redact


def register(subparsers) -> None:
    parser = subparsers.add_parser("store", help="operations on a whole store")
    actions = parser.add_subparsers(dest="store_action", required=True, metavar="ACTION")
    copy = actions.add_parser(
        "copy", help="copy every table to an empty store and verify counts and checksums")
    copy.add_argument("--from", dest="source", required=True,
                      help="the store to read: a DuckDB file or a postgresql:// URL")
    copy.add_argument("--to", dest="target", required=True,
                      help="an empty store to write: a DuckDB file or a postgresql:// URL")
    copy.set_defaults(func=run_copy)


def run_copy(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    copied = copy_between(args.source, args.target)
    for table in copied:
        print(f"{table.table:28} {table.rows:>12,} rows  checksum {table.checksum}")
    print(f"copied {sum(t.rows for t in copied):,} rows in {len(copied)} tables from "
          f"{redact(str(args.source))} to {redact(str(args.target))} in "
          f"{time.perf_counter() - started:.1f} s; counts and checksums match")
    return 0


def copy_between(source: str, target: str) -> list[TableCopy]:
    with open_database(source) as source_db, open_database(target) as target_db:
        return copy_store(source_db, target_db)
