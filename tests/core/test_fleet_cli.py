"""The command line works while `serve --only all` holds a PostgreSQL store (on DuckDB the
console's process owns the file and the command line is refused; here it must not be).

A `serve` with every worker runs on the sandbox; meanwhile the command line sends a document
(recording it and running the outbox once, beside the serving sender), marks another sent by
hand, changes a send date, reads the mailbox once, adds a user and prints the history. Each
command succeeds; the sent document is handed over once and its delivery report is applied;
`serve` is still running and stops cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests import pg
from tests.core.conftest import seed
from tests.core.owner_support import REPO, wait_for
from tracking.models import SendingMode
from tracking.store.connection import open_database

pytestmark = pytest.mark.slow


def test_cli_runs_while_serve_holds_the_database(tmp_path, postgres_server):
    url = postgres_server.create_database(template=pg.TEMPLATE)
    with open_database(url) as db:
        documents = seed(db, documents_per_account=3)
    relay, manual = documents[SendingMode.RELAY], documents[SendingMode.MANUAL]
    maildir = tmp_path / "returned"
    env = {**os.environ, "SUIVI_DB": url, "SUIVI_TRANSPORT": "sandbox",
           "SUIVI_SANDBOX_MAILDIR": str(maildir), "SUIVI_VERP_KEY": "cli-test-verp-key",
           "SUIVI_OUTBOX_JOURNALS": str(tmp_path / "journals"),
           "SUIVI_BOUNCE_DOMAIN": "bounces.cli.test", "PGPASSWORD": ""}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "tracking", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert pg.PASSWORD not in done.stdout + done.stderr
        return done.stdout

    serve = subprocess.Popen([sys.executable, "-m", "tracking", "serve", "--poll", "0.3"],
                             cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        first = serve.stdout.readline()
        assert "outbox, mailbox, marks, snapshot" in first, serve.stderr.read()
        assert pg.PASSWORD not in first

        sent = cli("send", relay[0], "--to", "ok-jean@client.example")
        assert "recorded" in sent
        cli("mark-sent", manual[0], "--actor", "bob", "--note", "par la poste")
        cli("set-send-date", relay[1], "03/11/2026 10:00", "--actor", "bob")
        cli("ingest", "--once", "--quiet")
        cli("users", "add", "dora", "--name", "Dora", "--role", "support", "--no-password")
        assert "dora" in cli("users", "list")
        with open_database(url) as db:   # the serving watcher applies the delivery report
            cursor = db.cursor()
            wait_for(lambda: cursor.execute(
                "SELECT state FROM deliveries d JOIN sends s ON s.id = d.send_id "
                "WHERE s.document_id = ?", [relay[0]]).fetchall() == [("delivered",)],
                30, "the delivery report to be applied")
        history = cli("history", "--document", relay[0])
        assert "dsn_delivered" in history and "recipient_accepted" in history
        assert "marked_sent_manually" in cli("history", "--document", manual[0])
        assert serve.poll() is None, serve.stderr.read()
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(30)
        log = serve.stderr.read()
        serve.stdout.close()
        serve.stderr.close()
    assert code == 0, log
    assert pg.PASSWORD not in log
    with open_database(url) as db:
        events = Counter(row[0] for row in db.cursor().execute(
            "SELECT type FROM events WHERE document_id = ?", [relay[0]]).fetchall())
    assert events["recipient_accepted"] == 1 and events["dsn_delivered"] == 1, events
