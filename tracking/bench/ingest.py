"""`python -m tracking bench ingest [--json] [--messages N]`: what tracking costs when reading.

Setup (not timed): a private Postfix + Dovecot (`tests.mailstack`); real Postfix DSNs captured
once (failure 5.1.1, over quota 5.2.2, delay 4.2.2, success) to a placeholder VERP address, then
copied for N/… deliveries of a fresh database's sends, plus the shared corpus's bounces of many
other servers (≈20%, unmatched there); written straight into the bounce mailbox's Maildir.

Tracked: `ingest_available` over IMAP into a copy of that database — fetch, parse, correlate,
store raw + events + delivery states + checkpoint, batch by batch.
Floor, in the same run against the same mailbox: stdlib `imaplib` bulk `UID FETCH` of the same
messages plus the project's parser, storing nothing. Rounds alternate; the median paired ratio
is reported. Last line: {"bench": "ingest", "unit": "msg/s", "value", "baseline", "ratio",
"peak_rss_mb", ...}.

imaplib2 is not in the floor: its bulk FETCH ran at ≈2k msg/s here against ≈40k for stdlib
imaplib (MAILSTACK.md §4), which is why `tracking.inbound.mailbox` fetches with the latter.
"""

from __future__ import annotations

import imaplib
import json
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tracking.auth.principal import Principal
from tracking.config import ImapSettings, ImapTls, Secret
from tracking.inbound.mailbox import FETCH_CHUNK, ImapMailbox
from tracking.inbound.parse import parse_message
from tracking.ingest import IngestPolicy, ingest_available
from tracking.models import SendingMode
from tracking.verp import make_token
from tracking.service import SendPolicy, SendRequest, request_sends
from tracking.store.connection import open_database

KEY = b"bench-ingest-verp-key"
CORPUS_SHARE = 0.2
_PLACEHOLDER_SEND = "sendidplaceholder"
_PLACEHOLDER_TOKEN = "tokenplaceholder"
_SHAPES = (  # (recipient user, RCPT options): what Postfix + Dovecot answer for each
    ("nosuchuser", ("NOTIFY=FAILURE",)),
    ("alice", ("NOTIFY=SUCCESS",)),
    ("full", ("NOTIFY=FAILURE",)),
    ("tempfull", ("NOTIFY=DELAY",)),
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("ingest", help="mailbox ingestion vs bulk fetch + parse")
    parser.add_argument("--json", action="store_true", help="print only the JSON result line")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.set_defaults(func=run)


def run(args) -> int:
    from tests.mailstack import DOMAIN, MailStack  # the benchmark's servers, as in the tests

    count = max(20, args.messages)
    say = (lambda text: None) if args.json else (lambda text: print(text, file=sys.stderr))
    with MailStack() as stack, tempfile.TemporaryDirectory(prefix="suivi-bench-") as folder:
        templates = _postfix_templates(stack, DOMAIN)
        template_db = Path(folder) / "template.duckdb"
        postfix_count = count - int(count * CORPUS_SHARE)
        deliveries = _seed(template_db, max(1, postfix_count // 2), DOMAIN)
        messages = _postfix_messages(templates, deliveries, postfix_count)
        messages += _corpus_messages(count - len(messages))
        user = stack.new_mailbox()
        stack.fill_maildir(user, messages)
        login, password = stack.imap_login(user)
        settings = ImapSettings(host="127.0.0.1", port=stack.imap_port, tls=ImapTls.NONE,
                                user=login, password=Secret(password), timeout=60.0)
        del messages
        _floor(settings)  # first SELECT: Dovecot indexes the new Maildir; neither side pays it
        say(f"{count} messages in {settings.user}'s INBOX; {len(deliveries)} deliveries")
        rounds = []
        for number in range(max(1, args.rounds)):
            db_path = Path(folder) / f"round-{number}.duckdb"
            shutil.copy(template_db, db_path)
            tracked_time, stored = _tracked(settings, db_path)
            if stored != count:
                raise RuntimeError(f"ingest stored {stored} of {count} messages")
            floor_time = _floor(settings)
            rounds.append((floor_time / tracked_time, count / tracked_time, count / floor_time))
            say(f"round {number + 1}: ingest {count / tracked_time:.0f} msg/s, "
                f"fetch+parse floor {count / floor_time:.0f} msg/s")
    ratio, value, baseline = sorted(rounds)[len(rounds) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"bench": "ingest", "unit": "msg/s", "value": round(value, 1),
              "baseline": round(baseline, 1), "ratio": round(ratio, 3),
              "peak_rss_mb": round(peak, 1), "messages": count, "rounds": len(rounds),
              "baseline_desc": "stdlib imaplib bulk UID FETCH + parse_message, storing nothing"}
    print(json.dumps(result))
    return 0


def _tracked(settings: ImapSettings, db_path: Path) -> tuple[float, int]:
    with open_database(db_path) as db:
        source = ImapMailbox(settings)
        started = time.perf_counter()
        try:
            stats = ingest_available(db, source, IngestPolicy(verp_key=KEY))
        finally:
            source.close()
        elapsed = time.perf_counter() - started
    return elapsed, stats.stored


def _floor(settings: ImapSettings) -> float:
    started = time.perf_counter()
    connection = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
    connection.login(settings.user, settings.password.reveal())
    connection.select("INBOX", readonly=True)
    _status, data = connection.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    for start in range(0, len(uids), FETCH_CHUNK):
        _status, fetched = connection.uid("FETCH", b",".join(uids[start:start + FETCH_CHUNK]),
                                          "(UID BODY.PEEK[])")
        for item in fetched:
            if isinstance(item, tuple):
                parse_message(item[1])
    connection.logout()
    return time.perf_counter() - started


def _postfix_templates(stack, domain: str) -> list[bytes]:
    """One real DSN per shape, sent to a placeholder VERP address with a placeholder ENVID."""
    for user, options in _SHAPES:
        original = (f"From: compta@atelier.test\nTo: {user}@{domain}\nSubject: Facture\n"
                    f"Message-ID: <suivi.{_PLACEHOLDER_SEND}@atelier.test>\n"
                    f"X-Suivi-Tracking: {_PLACEHOLDER_SEND}\n\nBonjour\n").encode()
        stack.send(f"bounces+{_PLACEHOLDER_TOKEN}@{domain}", {f"{user}@{domain}": options},
                   original, mail_options=("RET=HDRS", f"ENVID={_PLACEHOLDER_SEND}"))
    try:
        found = stack.wait_for_messages("bounces", len(_SHAPES), timeout=30, matching=lambda raw:
                                        _PLACEHOLDER_TOKEN.encode() in raw)
    finally:
        stack.delete_queued()
    return found[-len(_SHAPES):]


def _seed(path: Path, sends: int, domain: str) -> list[tuple[str, int, str]]:
    """`sends` relay sends of one recipient each, to the shapes' users in turn."""
    with open_database(path) as db:
        with db.transaction() as cursor:
            cursor.execute("INSERT INTO accounts VALUES ('acct', 'Atelier Bench', 'Europe/Paris',"
                           " ?, 'compta@atelier.test', 'Atelier', 'fr', now()::TIMESTAMP)",
                           [str(SendingMode.RELAY)])
            cursor.execute("INSERT INTO clients VALUES ('client', 'acct', 'Client Bench')")
            cursor.execute("""INSERT INTO documents SELECT 'doc-' || i, 'acct', 'client',
                                     'invoice', 'FV ' || i, 100, 'EUR', DATE '2026-11-02',
                                     'issued', NULL, now()::TIMESTAMP FROM range(?) t(i)""",
                           [sends])
        policy = SendPolicy("atelier.test", KEY)
        for first in range(0, sends, 1000):
            request_sends(db, [SendRequest(f"doc-{i}", (f"{_SHAPES[i % 4][0]}@{domain}",),
                                           actor=Principal.cli("bench"))
                               for i in range(first, min(sends, first + 1000))], policy)
        return db.cursor().execute(
            "SELECT send_id, idx, address FROM deliveries ORDER BY send_id").fetchall()


def _postfix_messages(templates: list[bytes], deliveries, count: int) -> list[bytes]:
    by_user = {}
    for template in templates:
        for number, (user, _) in enumerate(_SHAPES):
            if re.search(rb"<" + user.encode() + rb"@", template):
                by_user.setdefault(number, template)
    messages = []
    for seq in range(count):
        send_id, idx, address = deliveries[seq % len(deliveries)]
        template = by_user[_SHAPES.index(next(s for s in _SHAPES
                                              if address.startswith(s[0] + "@")))]
        messages.append(template.replace(_PLACEHOLDER_SEND.encode(), send_id.encode())
                        .replace(_PLACEHOLDER_TOKEN.encode(),
                                 make_token(KEY, send_id, idx).encode())
                        .replace(b"Subject:", b"X-Bench-Seq: %d\nSubject:" % seq, 1))
    return messages


def _corpus_messages(count: int) -> list[bytes]:
    corpus = Path(__file__).resolve().parents[2].parent / "shared" / "bounce-corpus" / "emails"
    files = sorted(corpus.glob("*")) if corpus.is_dir() else []
    if not files:
        return []
    samples = [path.read_bytes() for path in files]
    return [b"X-Bench-Copy: %d\n" % n + samples[n % len(samples)] for n in range(count)]
