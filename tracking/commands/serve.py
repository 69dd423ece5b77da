"""`python -m tracking serve` — run the owner without any UI (a server, a container, systemd).

The process opens the database and runs the workers (all of them, or those named with
`--only`) until SIGTERM or SIGINT; then the sender finishes the SMTP transaction in flight,
records it, puts the rest of its batch back in the queue, and the process exits 0. On DuckDB a
second `serve` (or a console) on the same file is refused: DuckDB allows one process per file,
and the outbox journal's lock allows one sender. On PostgreSQL as many run as wanted, on as many
hosts (README, "Past one machine"). What it prints never carries the URL's password.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from tracking.commands._common import add_db_option
from tracking.runtime import database_path
from tracking.server import WORKERS, Owner


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="run the sender, the mailbox watcher and the "
                                   "refreshes until SIGTERM (no UI)")
    parser.add_argument("--only", action="append", choices=WORKERS, default=[],
                        help="run only this worker (repeatable); default: all")
    parser.add_argument("--poll", type=float, default=5.0,
                        help="seconds between outbox polls when nothing wakes it (default 5)")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    stop = threading.Event()

    def on_signal(number: int, _frame) -> None:
        print(f"serve: {signal.Signals(number).name}, stopping after the transaction in flight",
              file=sys.stderr, flush=True)
        stop.set()

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd (sandbox): per-connection chatter
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    owner = Owner(args.db or database_path(), workers=tuple(args.only) or WORKERS,
                  poll_seconds=args.poll)
    owner.start()
    status = owner.status()
    print(f"serve: {status.database}: {', '.join(status.running) or 'no worker'}", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        owner.close()
    print("serve: stopped", flush=True)
    return 0
