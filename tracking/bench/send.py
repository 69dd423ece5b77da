"""`python -m tracking bench send [--json] [--messages N]`: what tracking costs when sending.

Tracked path: N documents are sent through everything a real send goes through — the bulk send
request (sends, deliveries, events in DuckDB), the outbox worker (claim, compose with signed VERP
and DSN parameters, SMTP over one reused connection, outcome events and states). Baseline, in the
same run and against the same sink process: plain smtplib over one reused connection sending the
same messages (already composed), with no tracking at all. Rounds alternate; the median paired
ratio is reported. Last line: {"bench": "send", "unit": "msg/s", "value", "baseline", "ratio", ...}.
"""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from email import policy
from pathlib import Path

from tracking.config import load_settings
from tracking.models import SendingMode
from tracking.outbound.smtp import SmtpTransport
from tracking.outbox import Outbox, OutboxThread
from tracking.auth.principal import Principal
from tracking.service import SendPolicy, SendRequest, request_sends
from tracking.store.connection import open_database

CHUNK = 500  # requests recorded per "send the selection" action


def register(subparsers) -> None:
    parser = subparsers.add_parser("send", help="tracked sending vs plain smtplib")
    parser.add_argument("--json", action="store_true", help="print only the JSON result line")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", action="store_true",
                        help="click-to-handoff and click-to-state-visible in the sandbox instead")
    parser.add_argument("--clicks", type=int, default=40, help="with --latency: sends clicked")
    parser.set_defaults(func=run)


@contextmanager
def sink_process():
    process = subprocess.Popen([sys.executable, "-m", "tracking.bench.sink"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield int(process.stdout.readline())
    finally:
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


def _settings(port: int):
    return load_settings({"SUIVI_SMTP_HOST": "127.0.0.1", "SUIVI_SMTP_PORT": str(port),
                          "SUIVI_SMTP_TLS": "none", "SUIVI_VERP_KEY": "bench-verp-key",
                          "SUIVI_MESSAGE_DOMAIN": "bench.test",
                          "SUIVI_BOUNCE_DOMAIN": "bounces.bench.test"})


def _seed(db, count: int) -> list[str]:
    """One relay account, one client, `count` invoices — in bulk."""
    cursor = db.cursor()
    cursor.execute("BEGIN TRANSACTION")
    cursor.execute("INSERT INTO accounts VALUES ('acct', 'Atelier Bench', 'Europe/Paris', ?, "
                   "'compta@atelier.test', 'Atelier Bench', 'fr', now()::TIMESTAMP)",
                   [str(SendingMode.RELAY)])
    cursor.execute("INSERT INTO clients VALUES ('client', 'acct', 'Client Bench SARL')")
    cursor.execute(
        """INSERT INTO documents SELECT 'doc-' || i, 'acct', 'client', 'invoice',
                  'FV 2026/11/' || lpad(i::VARCHAR, 5, '0'), 100 + i % 900, 'EUR', ?, 'issued',
                  NULL, now()::TIMESTAMP
           FROM range(?) t(i)""", [date(2026, 11, 2), count])
    cursor.execute("COMMIT")
    return [f"doc-{i}" for i in range(count)]


def tracked_round(port: int, count: int) -> tuple[float, list]:
    settings = _settings(port)
    with tempfile.TemporaryDirectory(prefix="suivi-bench-") as folder:
        db = open_database(Path(folder) / "bench.duckdb")
        documents = _seed(db, count)
        policy_ = SendPolicy.from_settings(settings)
        composed = []
        with SmtpTransport(settings.smtp) as transport:
            outbox = Outbox(db, transport, settings)
            original = outbox._compose  # keep what was sent, for the baseline to send the same
            outbox._compose = lambda item: composed.append(original(item)) or composed[-1]
            # as in the console: the worker thread runs while users record their sends
            worker = OutboxThread(outbox, poll_seconds=1.0)
            started = time.perf_counter()
            worker.start()
            for first in range(0, count, CHUNK):
                request_sends(db, [SendRequest(document_id, ("client@example.test",),
                                               actor=Principal.cli("bench"))
                                   for document_id in documents[first:first + CHUNK]], policy_)
                worker.wake()
            # woken by each committed batch (polling every few ms took the GIL from the worker
            # hundreds of times a second); the timeout only rechecks for a failed worker
            with outbox.recorded:
                while outbox.stats.handled < count and worker.last_error is None:
                    outbox.recorded.wait(timeout=0.1)
            elapsed = time.perf_counter() - started
            worker.stop()
            stats = outbox.stats
        if worker.last_error:
            raise RuntimeError(f"outbox worker failed: {worker.last_error}")
        sent = db.cursor().execute(
            "SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchall()[0][0]
        db.close()
    if stats.accepted != count or sent != count:
        raise RuntimeError(f"tracked round sent {stats.accepted}/{count} (recorded {sent})")
    return elapsed, composed


def baseline_round(port: int, composed: list) -> float:
    payloads = [(c.envelopes[0].mail_from, [r.address for r, _ in c.envelopes[0].recipients],
                 c.message.as_bytes(policy=policy.SMTP)) for c in composed]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
        for mail_from, recipients, payload in payloads:
            connection.sendmail(mail_from, recipients, payload)
    return time.perf_counter() - started


def run(args) -> int:
    """Rounds alternate tracked and baseline back to back; the machine is shared and noisy, so
    each round gives a paired ratio and the median round is reported."""
    if args.latency:
        from tracking.bench.latency import run_latency
        return run_latency(max(1, args.clicks), args.json)
    count = max(1, args.messages)
    rounds = []
    with sink_process() as port:
        for number in range(max(1, args.rounds)):
            tracked, composed = tracked_round(port, count)
            baseline_time = baseline_round(port, composed)
            rounds.append((baseline_time / tracked, count / tracked, count / baseline_time))
            if not args.json:
                print(f"round {number + 1}: tracked {count / tracked:.0f} msg/s, plain smtplib "
                      f"{count / baseline_time:.0f} msg/s", file=sys.stderr)
    ratio, value, baseline = sorted(rounds)[len(rounds) // 2]
    result = {"bench": "send", "unit": "msg/s", "value": round(value, 1),
              "baseline": round(baseline, 1), "ratio": round(ratio, 3),
              "messages": count, "rounds": len(rounds),
              "baseline_desc": "plain smtplib, one reused connection, same messages, no tracking"}
    if not args.json:
        print(f"tracked {value:.0f} msg/s, plain smtplib {baseline:.0f} msg/s "
              f"(ratio {value / baseline:.2f})")
    print(json.dumps(result))
    return 0
