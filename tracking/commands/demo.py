"""`demo [--db PATH] [--documents N] [--seed S] [--force]` — build the demo database."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC
from pathlib import Path

from tracking.clock import parse_local
from tracking.commands.store import copy_between
from tracking.demo import DEFAULT_DOCUMENTS, DEFAULT_SEED, generate
from tracking.store.dialect import is_postgres_url
from tracking.store.postgres import redact

DEFAULT_DEMO_DB = Path("data/demo.duckdb")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="write a realistic demo database (accounts, documents, sends, bounces)")
    parser.add_argument("--db", default=str(DEFAULT_DEMO_DB),
                        help=f"DuckDB file to write, or an empty postgresql:// database "
                             f"(default: {DEFAULT_DEMO_DB})")
    parser.add_argument("--documents", type=_positive, default=DEFAULT_DOCUMENTS,
                        help=f"how many documents (default: {DEFAULT_DOCUMENTS:,})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed; the same seed and --now give the same database "
                             f"(default: {DEFAULT_SEED})")
    parser.add_argument("--now", default=None,
                        help="the demo's present, ISO 8601 or DD/MM/YYYY HH:MM in UTC "
                             "(default: the current minute)")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    now = None
    if args.now:
        now = parse_local(args.now)
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    quiet = args.quiet or args.documents < 50_000   # small demos take a second or two

    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    if is_postgres_url(args.db):
        return _demo_on_postgres(args, now, progress)
    summary = generate(args.db, documents=args.documents, seed=args.seed, now=now,
                       force=args.force, progress=progress)
    print("\n".join(summary.lines()))
    return 0


def _demo_on_postgres(args: argparse.Namespace, now, progress) -> int:
    """The same demo, built in a temporary DuckDB file (its bulk SQL is DuckDB's) and copied
    into the PostgreSQL database, which must be empty (`store copy` verifies every table)."""
    with tempfile.TemporaryDirectory(prefix="suivi-demo-") as folder:
        staging = Path(folder) / "demo.duckdb"
        summary = generate(staging, documents=args.documents, seed=args.seed, now=now,
                           progress=progress)
        progress(f"copying into {redact(args.db)}")
        copied = copy_between(str(staging), args.db)
    print("\n".join(summary.lines()).replace(str(staging), redact(args.db)))
    print(f"copied {sum(t.rows for t in copied):,} rows; counts and checksums match")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from err
    if value < 1:
        raise argparse.ArgumentTypeError("at least one document")
    return value

