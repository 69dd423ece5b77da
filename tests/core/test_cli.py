"""The command line end to end, in subprocesses, on a real DuckDB file and the sandbox transport."""

from __future__ import annotations

import json
import os
from datetime import date
import subprocess
import sys

import pytest

from tests.core.conftest import issued_on, seed, table_counts
from tracking.models import SendingMode
from tracking.store.connection import open_database


@pytest.fixture
def cli(tmp_path, repo_root):
    db_path = tmp_path / "suivi.duckdb"
    database = open_database(db_path)
    documents = seed(database)
    database.close()
    env = {**os.environ, "SUIVI_DB": str(db_path), "SUIVI_TRANSPORT": "sandbox",
           "SUIVI_SANDBOX_MAILDIR": str(tmp_path / "mail"), "SUIVI_RETRY_BASE_DELAY": "0",
           "SUIVI_RETRY_MAX_DELAY": "0"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tracking", *args], env=env, cwd=repo_root,
                              capture_output=True, text=True, timeout=120)

    run.db_path, run.documents, run.maildir = db_path, documents, tmp_path / "mail"
    return run


def test_send_through_the_sandbox_records_outcomes_and_returns_real_dsns(cli):
    document = cli.documents[SendingMode.RELAY][0]
    result = cli("send", document, "--to", "jean@client.test", "--to", "unknown-paul@client.test",
                 "--cc", "reject-anne@client.test", "--actor", "alice")
    assert result.returncode == 0, result.stderr
    assert "2 accepted, 1 refused" in result.stdout
    assert "reject-anne@client.test" in result.stdout and "not_sent" in result.stdout
    returned = sorted((cli.maildir / "new").iterdir())
    assert returned, "the sandbox wrote no delivery report"
    parsed = cli("parse", "--jsonl", *map(str, returned))
    assert parsed.returncode == 0, parsed.stderr
    findings = [json.loads(line) for line in parsed.stdout.splitlines()]
    failure = [f for f in findings if f["kind"] == "failure"]
    assert [(f["recipient"], f["reason"], f["status"]) for f in failure] == [
        ("unknown-paul@client.test", "userunknown", "5.1.1")]
    assert failure[0]["correlation"]["verp_token"]
    history = cli("history", "--document", document, "--jsonl")
    types = [json.loads(line)["type"] for line in history.stdout.splitlines()]
    assert sorted(types) == sorted(["send_requested"] * 3 + ["recipient_accepted"] * 2
                                   + ["recipient_refused"])


def test_sending_twice_in_a_row_sends_once(cli):
    document = cli.documents[SendingMode.SMTP][0]
    assert cli("send", document, "--to", "jean@client.test").returncode == 0
    database = open_database(cli.db_path)
    before = table_counts(database)
    database.close()
    again = cli("send", document, "--to", "jean@client.test", "--force")
    assert again.returncode == 0 and "double click" in again.stdout
    assert "0 handed over" in again.stdout
    database = open_database(cli.db_path)
    assert table_counts(database) == before
    database.close()


def test_mark_sent_and_edit_the_send_date_in_the_account_zone(cli):
    document = cli.documents[SendingMode.MANUAL][0]  # account in Pacific/Auckland
    database = open_database(cli.db_path)
    issued_on(database, document, date(2026, 3, 2))
    database.close()
    marked = cli("mark-sent", document, "--actor", "bob", "--note", "courrier")
    assert marked.returncode == 0, marked.stderr
    # 02:30 happens twice on 05/04/2026 in Auckland: the command asks which one
    asked = cli("set-send-date", document, "05/04/2026 02:30", "--actor", "carol")
    assert asked.returncode == 2 and "Traceback" not in asked.stderr
    assert "05/04/2026 02:30 NZDT" in asked.stderr and "05/04/2026 02:30 NZST" in asked.stderr
    edited = cli("set-send-date", document, "05/04/2026 02:30", "--first", "--actor", "carol")
    assert edited.returncode == 0, edited.stderr
    assert "05/04/2026 02:30 NZDT" in edited.stdout  # the first 02:30 of the DST change
    again = cli("set-send-date", document, "05/04/2026 02:30", "--first", "--actor", "carol")
    assert again.returncode == 0 and "unchanged" in again.stdout
    history = [json.loads(line) for line in cli("history", "--document", document,
                                                "--jsonl").stdout.splitlines()]
    assert [h["type"] for h in history] == ["send_date_changed", "marked_sent_manually"]
    assert history[0]["details"]["new"] == "2026-04-04T13:30:00+00:00"


@pytest.mark.parametrize("args, message", [
    (("set-send-date", "nope", "01/11/2026 10:00", "--actor", "c"), "unknown document"),
    (("set-send-date", "{doc}", "31/02/2026 10:00", "--actor", "c"), "malformed date"),
    (("set-send-date", "{doc}", "01/11/2026 10:00", "--zone", "Mars/Base", "--actor", "c"),
     "unknown time zone"),
    (("mark-sent", "nope", "--actor", "c"), "unknown document"),
    (("set-send-date", "{doc}", "01/01/0001 00:00", "--actor", "c"), "before the document"),
    (("set-send-date", "{doc}", "31/12/9999 23:59", "--actor", "c"), "cannot be in the future"),
    (("set-send-date", "{doc}", "11/11/1111 11:11", "--actor", "c"), "before the document"),
])
def test_invalid_input_is_a_clear_error_and_writes_nothing(cli, args, message):
    document = cli.documents[SendingMode.RELAY][0]
    result = cli(*(arg.format(doc=document) for arg in args))
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr
    database = open_database(cli.db_path)
    assert table_counts(database)["events"] == 0
    database.close()
