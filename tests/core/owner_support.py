"""Shared by the owner and serve tests: a recording SMTP server in its own process, a bulk
seed, the settings that point at the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tracking.bench.send import _seed
from tracking.auth.principal import Principal
from tracking.service import SendPolicy, SendRequest, request_sends
from tracking.store.connection import Database

REPO = Path(__file__).resolve().parents[2]
VERP_KEY = "owner-test-verp-key"


@contextmanager
def recording_server(log: Path, *, port: int = 0, delay: float = 0.0) -> Iterator[int]:
    """The recording server (`tests.tools.recording_smtp`) on `port`; stopped by PID."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.tools.recording_smtp", str(log), "--port", str(port),
         "--delay", str(delay)], stdout=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        yield int(process.stdout.readline())
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        process.stdout.close()


def received(log: Path) -> Counter:
    """(Message-ID, recipient) -> how many times the server accepted it."""
    if not log.exists():
        return Counter()
    counts: Counter = Counter()
    # the server may be writing a line right now: only complete lines count
    for line in log.read_text().split("\n")[:-1]:
        entry = json.loads(line)
        for rcpt in entry["rcpts"]:
            counts[(entry["message_id"], rcpt)] += 1
    return counts


def env_for(port: int, db_path: Path | None = None, **extra: str) -> dict[str, str]:
    env = {"SUIVI_SMTP_HOST": "127.0.0.1", "SUIVI_SMTP_PORT": str(port),
           "SUIVI_SMTP_TLS": "none", "SUIVI_VERP_KEY": VERP_KEY, "SUIVI_TRANSPORT": "smtp",
           "SUIVI_SMTP_TIMEOUT": "5", "SUIVI_RETRY_ATTEMPTS": "2",
           "SUIVI_RETRY_BASE_DELAY": "0.1", "SUIVI_RETRY_MAX_DELAY": "0.4",
           "SUIVI_MESSAGE_DOMAIN": "owner.test", "SUIVI_BOUNCE_DOMAIN": "bounces.owner.test",
           **extra}
    if db_path is not None:
        env["SUIVI_DB"] = str(db_path)
    return env


def queue_sends(db: Database, count: int, recipients: tuple[str, ...] = ("client@example.test",)
                ) -> list[str]:
    """`count` invoices of one relay account, each sent online to `recipients` (queued)."""
    documents = _seed(db, count)
    policy = SendPolicy(message_domain="owner.test", verp_key=VERP_KEY.encode())
    receipts = []
    for first in range(0, count, 500):
        receipts += request_sends(db, [SendRequest(d, recipients, actor=Principal.cli("test"))
                                       for d in documents[first:first + 500]], policy)
    return [r.send_id for r in receipts]


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def states(db: Database) -> Counter:
    return Counter(row[0] for row in db.cursor().execute(
        "SELECT state FROM deliveries").fetchall())
