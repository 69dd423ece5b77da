"""`mark-sent DOCUMENT` and `set-send-date DOCUMENT DATE` — the console's manual actions."""

from __future__ import annotations

import argparse

from tracking.auth.principal import Principal
from tracking.clock import Occurrence, format_local, parse_local
from tracking.commands._common import add_db_option, open_db, resolve_document
from tracking.errors import RefusedDate
from tracking.service import mark_sent_manually, set_send_date
from tracking.store import queries


def register(subparsers) -> None:
    mark = subparsers.add_parser("mark-sent", help="record that a document was sent by hand")
    mark.add_argument("document", help="document id or number")
    mark.add_argument("--actor", required=True, help="who sent it (recorded as given, origin cli)")
    mark.add_argument("--note", default="", help="how it was sent (post, hand delivery…)")
    add_db_option(mark)
    mark.set_defaults(func=run_mark_sent)

    edit = subparsers.add_parser("set-send-date",
                                 help="set or change a document's \"Date d'envoi au client\"")
    edit.add_argument("document", help="document id or number")
    edit.add_argument("date", help="DD/MM/YYYY HH:MM (or ISO 8601), in --zone")
    edit.add_argument("--zone", default=None, help="IANA zone of DATE (default: the account's)")
    which = edit.add_mutually_exclusive_group()
    which.add_argument("--first", dest="occurrence", action="store_const", const=Occurrence.FIRST,
                       help="DATE is in the hour a DST change repeats: the first one (summer "
                            "time)")
    which.add_argument("--second", dest="occurrence", action="store_const",
                       const=Occurrence.SECOND, help="… the second one (after the change)")
    edit.add_argument("--actor", required=True,
                      help="who is editing (recorded as given, origin cli)")
    add_db_option(edit)
    edit.set_defaults(func=run_set_send_date)


def run_mark_sent(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        document_id = resolve_document(db, args.document)
        send_id = mark_sent_manually(db, document_id, Principal.cli(args.actor), note=args.note)
        _print_send_date(db, document_id, f"marked sent by hand (send {send_id})")
    return 0


def run_set_send_date(args: argparse.Namespace) -> int:
    value = parse_local(args.date)  # malformed input is refused before the database is opened
    with open_db(args) as db:
        document_id = resolve_document(db, args.document)
        try:
            set_send_date(db, document_id, value, Principal.cli(args.actor), zone_name=args.zone,
                          occurrence=args.occurrence)
        except RefusedDate as refusal:
            if refusal.code != "send_date_unchanged":
                raise
            _print_send_date(db, document_id, "send date unchanged, nothing written")
            return 0
        _print_send_date(db, document_id, "send date changed")
    return 0


def _print_send_date(db, document_id: str, what: str) -> None:
    cursor = db.cursor()
    document = queries.get_document(cursor, document_id)
    account = queries.get_account(cursor, document.account_id)
    print(f"{document.number}: {what}; Date d'envoi au client = "
          f"{format_local(document.send_date, account.time_zone)}")
