"""`python -m tracking ingest --once | --watch` — read the bounce mailbox into the database.

The mailbox is the configured IMAP one (`SUIVI_IMAP_*`), else the sandbox's Maildir when
`SUIVI_TRANSPORT=sandbox`; `--maildir PATH` reads a Maildir of saved messages instead.
`--once` reads what is there and exits; `--watch` keeps reading (IMAP IDLE, with a poll as a
fallback) until SIGINT / SIGTERM. This process must be the database's only user: while the
console runs, its own watcher does this work.
"""

from __future__ import annotations

import argparse
import signal
import threading
from dataclasses import replace
from pathlib import Path

from tracking.commands._common import add_db_option, open_db
from tracking.errors import ConfigError
from tracking.inbound.maildir import MaildirMailbox
from tracking.ingest import BATCH_SIZE, IngestPolicy, ingest_available
from tracking.ingest_watch import MailboxSpec, MailboxWatcher, configured_mailbox
from tracking.runtime import settings_for, transport_kind


def register(subparsers) -> None:
    parser = subparsers.add_parser("ingest", help="read returned mail from the bounce mailbox")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="read what is there, then exit")
    mode.add_argument("--watch", action="store_true", help="keep reading until interrupted")
    parser.add_argument("--maildir", type=Path, help="read this Maildir instead of the "
                        "configured mailbox")
    parser.add_argument("--poll", type=float, help="seconds between polls when watching "
                        "(default: SUIVI_IMAP_POLL_SECONDS, 2 s for a Maildir)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help=f"messages per transaction (default {BATCH_SIZE})")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_for()
    spec = _spec(args, settings)
    policy = replace(IngestPolicy.from_settings(settings), batch_size=max(1, args.batch_size))
    with open_db(args) as db:
        if args.once:
            source = spec.open_source()
            try:
                stats = ingest_available(db, source, policy, on_progress=_printer(args))
            finally:
                source.close()
            print(f"{spec.name}: {stats.summary()}")
            return 0
        return _watch(db, spec, policy, args)


def _spec(args: argparse.Namespace, settings) -> MailboxSpec:
    if args.maildir:
        path = args.maildir
        spec = MailboxSpec(MaildirMailbox(path).name, lambda: MaildirMailbox(path), None, 2.0)
    else:
        spec = configured_mailbox(settings, transport_kind())
        if spec is None:
            raise ConfigError("no mailbox to read: set SUIVI_IMAP_HOST (and SUIVI_IMAP_USER, "
                              "SUIVI_IMAP_PASSWORD…), use SUIVI_TRANSPORT=sandbox, or give "
                              "--maildir")
    if args.poll:
        spec = MailboxSpec(spec.name, spec.open_source, spec.open_idle, args.poll)
    return spec


def _printer(args: argparse.Namespace):
    if args.quiet:
        return None

    def progress(backlog: int, stats) -> None:
        if stats.messages:
            print(f"  {stats.messages} read, {stats.stored} new; {backlog} left", flush=True)
    return progress


def _watch(db, spec: MailboxSpec, policy: IngestPolicy, args: argparse.Namespace) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    watcher = MailboxWatcher(db, spec, policy).start()
    print(f"watching {spec.name} (Ctrl-C to stop)", flush=True)
    shown: tuple = ()
    while not stop.wait(0.5):
        status = watcher.status()
        line = (status.connected, status.ingested, status.last_error)
        if line != shown and not args.quiet:
            state = "connected" if status.connected else "disconnected"
            error = f"; error: {status.last_error}" if status.last_error else ""
            print(f"{state}; {status.ingested} new message(s) stored{error}", flush=True)
            shown = line
    watcher.stop()
    return 0
