"""Crash safety: `python -m tracking ingest --once` over 2,000 messages in a real Dovecot, killed
with SIGKILL at random points; each time a clean rerun must leave the database exactly as one
uninterrupted run does — no message lost, none doubled, no event or proposal twice."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.actors import support
from tests.ingest.conftest import VERP_KEY, seed_documents
from tests.ingest.samples import bounce_mailbox
from tests.mailstack import MailStack
from tracking.service import SendPolicy, SendRequest, request_sends
from tracking.store.connection import open_database

MESSAGES = 2000
BATCH = 100
KILLS = 10
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crash_world(ingest_stack: MailStack, tmp_path_factory):
    """A template database with 500 sends of 2 recipients, and a mailbox of 2,000 messages
    about them (filled straight into Dovecot's Maildir)."""
    folder = tmp_path_factory.mktemp("crash")
    template = folder / "template.duckdb"
    with open_database(template) as db:
        documents = seed_documents(db, 500)
        receipts = request_sends(db, [SendRequest(doc, (f"a{i}@client.test",),
                                                  (f"b{i}@client.test",), support("alice"))
                                      for i, doc in enumerate(documents)],
                                 SendPolicy("atelier.test", VERP_KEY.encode()))
        deliveries = db.cursor().execute(
            "SELECT send_id, idx, address FROM deliveries ORDER BY send_id, idx").fetchall()
    assert len(receipts) == 500 and len(deliveries) == 1000
    user = ingest_stack.new_mailbox()
    ingest_stack.fill_maildir(user, bounce_mailbox(deliveries, VERP_KEY.encode(), MESSAGES))
    login, password = ingest_stack.imap_login(user)
    env = {**os.environ, "SUIVI_IMAP_HOST": "127.0.0.1", "SUIVI_IMAP_PORT": str(ingest_stack.imap_port),
           "SUIVI_IMAP_TLS": "none", "SUIVI_IMAP_USER": login, "SUIVI_IMAP_PASSWORD": password,
           "SUIVI_VERP_KEY": VERP_KEY, "SUIVI_TRANSPORT": "smtp", "PYTHONPATH": str(REPO)}
    return template, folder, env


def _start(db_path: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tracking", "ingest", "--once", "--db", str(db_path),
         "--batch-size", str(BATCH)],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def _run_to_end(db_path: Path, env: dict) -> str:
    process = _start(db_path, env)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


def _outcome(db_path: Path) -> dict[str, set]:
    with open_database(db_path) as db:
        cursor = db.cursor()
        def rows(sql: str) -> set:
            found = cursor.execute(sql).fetchall()
            assert len(found) == len(set(found)), f"duplicate rows: {sql}"
            return set(found)
        return {
            "returned": rows("""SELECT id, received_at, kind, detector, defects, match_state,
                                       match_method, send_id, size_bytes FROM returned_messages"""),
            "events": rows("""SELECT id, type, occurred_at, actor, send_id, recipient_idx, details
                              FROM events"""),
            "deliveries": rows("SELECT * EXCLUDE (in_flight) FROM deliveries"),
            "checkpoints": rows("SELECT source, uidvalidity, last_uid FROM mailbox_checkpoints"),
            "proposals": rows("SELECT * FROM report_proposals"),
        }


def test_sigkill_at_random_points_then_rerun_equals_one_clean_run(crash_world) -> None:
    template, folder, env = crash_world
    reference_db = folder / "reference.duckdb"
    shutil.copy(template, reference_db)
    started = time.monotonic()
    _run_to_end(reference_db, env)
    full_run = time.monotonic() - started
    print(f"uninterrupted run: {full_run:.2f}s")
    reference = _outcome(reference_db)
    assert len(reference["returned"]) == MESSAGES
    states = {row[5] for row in reference["returned"]}
    assert states == {"matched", "proposed", "unmatched", "suspicious"}, states
    assert len(reference["proposals"]) == MESSAGES // 40   # one every other 20
    kinds = {row[2] for row in reference["returned"]}
    assert {"failure", "success", "delay", "autoreply", "undecodable"} <= kinds

    rng = random.Random(20261128)
    batches = MESSAGES // BATCH
    partial_kills = 0
    for run in range(KILLS):
        db_path = folder / f"killed-{run}.duckdb"
        shutil.copy(template, db_path)
        process = _start(db_path, env)
        # A random batch boundary (as reported on stdout after each commit), then a random
        # moment within the next batch: kills land before, inside and between commits.
        wait_for = rng.randrange(0, batches)
        for _ in range(wait_for):
            if not process.stdout.readline():
                break
        time.sleep(rng.uniform(0, full_run / batches))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        with open_database(db_path) as db:
            stored = db.cursor().execute("SELECT count(*) FROM returned_messages").fetchone()[0]
        partial_kills += 0 < stored < MESSAGES
        print(f"kill {run}: after batch {wait_for}, {stored} stored")
        _run_to_end(db_path, env)
        assert _outcome(db_path) == reference, f"run {run}: killed after {stored} stored"
    assert partial_kills >= KILLS // 2, "too few kills landed in the middle of the ingest"
