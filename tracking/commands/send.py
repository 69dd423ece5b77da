"""`python -m tracking send DOCUMENT` — send a document online, as the console's button does.

The send is recorded (deliveries `pending`), then this process runs the outbox once so the
SMTP work happens before it exits. `--process` alone drains the outbox (sends left by others).
"""

from __future__ import annotations

import argparse

from tracking.commands._common import add_db_option, open_db, resolve_document
from tracking.outbox import Outbox
from tracking.runtime import outbound_transport, settings_for
from tracking.auth.principal import Principal
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store import queries


def register(subparsers) -> None:
    parser = subparsers.add_parser("send", help="send a document online, then run the outbox")
    parser.add_argument("document", nargs="?", help="document id or number")
    parser.add_argument("--to", action="append", default=[], help="recipient (repeatable); "
                        "default: the client's addresses")
    parser.add_argument("--cc", action="append", default=[], help="copy recipient (repeatable)")
    parser.add_argument("--actor", default="cli", help="who is sending (recorded in the history)")
    parser.add_argument("--force", action="store_true",
                        help="resend although the document was sent less than 3 days ago")
    parser.add_argument("--override-suppression", action="store_true",
                        help="send even to addresses that hard-bounced before (recorded)")
    parser.add_argument("--process", action="store_true",
                        help="only drain the outbox (no new send)")
    parser.add_argument("--allow-demo", action="store_true",
                        help="let the real SMTP transport send from a generated demo database "
                             "(refused by default; same as SUIVI_ALLOW_DEMO_SEND=1)")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.document and not args.process:
        raise SystemExit("send: give a DOCUMENT, or --process to drain the outbox")
    settings = settings_for()
    with open_db(args) as db:
        if args.document:
            document_id = resolve_document(db, args.document)
            to, cc = args.to, args.cc
            if not to:
                document = queries.get_document(db.cursor(), document_id)
                client = queries.get_client(db.cursor(), document.client_id)
                to = [a.address for a in client.addresses if a.role == "to"] if client else []
                cc = cc or [a.address for a in client.addresses if a.role == "cc"]
            receipt = request_send(db, SendRequest(document_id, tuple(to), tuple(cc),
                                                   Principal.cli(args.actor),
                                                   args.force,
                                                   override_suppression=args.override_suppression),
                                       SendPolicy.from_settings(settings))
            state = "recorded" if receipt.created else "already recorded (double click)"
            print(f"send {receipt.send_id} {state}")
        with outbound_transport(settings, db=db, allow_demo=args.allow_demo) as transport:
            outbox = Outbox(db, transport, settings)
            stats = outbox.run_until_empty()
        print(f"outbox: {stats.handled} handed over, {stats.accepted} accepted, "
              f"{stats.refused} refused, {stats.deferred} waiting for the server")
        health = outbox.health.get()
        if health.down:
            print(f"outbound server {health.fault}: {health.detail} — the deliveries stay "
                  "pending and are retried by the next outbox run (e.g. `serve`)")
        if args.document:
            for delivery in queries.deliveries_of_send(db.cursor(), receipt.send_id):
                reply = f"  ({delivery.smtp_reply})" if delivery.smtp_reply else ""
                print(f"  {delivery.role:<2} {delivery.address:<40} {delivery.state}{reply}")
    return 0
