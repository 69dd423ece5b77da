"""`python -m tracking history` — the activity history (the event log), filtered."""

from __future__ import annotations

import argparse
import json
import sys

from tracking.clock import format_local, local_to_utc, parse_local
from tracking.commands._common import add_db_option, open_db, resolve_document
from tracking.models import EventType
from tracking.store import queries


def register(subparsers) -> None:
    parser = subparsers.add_parser("history", help="show the activity history")
    parser.add_argument("--type", action="append", choices=[t.value for t in EventType],
                        help="only these event types (repeatable)")
    parser.add_argument("--actor", help="only this actor")
    parser.add_argument("--account", help="only this account id")
    parser.add_argument("--document", help="only this document (id or number)")
    parser.add_argument("--since", help="from this UTC time (DD/MM/YYYY HH:MM or ISO)")
    parser.add_argument("--until", help="before this UTC time")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    since = local_to_utc(parse_local(args.since), "UTC") if args.since else None
    until = local_to_utc(parse_local(args.until), "UTC") if args.until else None
    with open_db(args) as db:
        document_id = resolve_document(db, args.document) if args.document else None
        frame = queries.history(db.cursor(), event_types=args.type, actor=args.actor,
                                account_id=args.account, document_id=document_id,
                                since=since, until=until, limit=args.limit)
    for row in frame.to_dict("records"):
        zone = row["time_zone"] or "UTC"
        if args.jsonl:
            row = {**row, "occurred_at": row["occurred_at"].isoformat() + "Z",
                   "details": json.loads(row["details"])}
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            continue
        who = row["recipient"] or ""
        print(f"{format_local(row['occurred_at'], zone):<22} {row['type']:<22} "
              f"{row['actor']:<12} {row['document_number'] or '':<18} {who:<32} {row['details']}")
    return 0
