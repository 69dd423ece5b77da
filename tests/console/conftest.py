"""Fixtures of the console tests: a small demo database built once per session, copied into
each test's temp dir, and the environment AppTest runs the console in (workers off).

A module marked `pytest.mark.engines("duckdb", "postgres")` runs its console tests on both
stores: the PostgreSQL demo is the DuckDB one moved over once per session by `store copy`, and
each test gets its own database cloned from it (`CREATE DATABASE … TEMPLATE`)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tracking.auth.session import sign_session
from tracking.auth.users import DEMO_USERS
from tracking.demo import generate
from tests import pg
from tracking.store.connection import open_database
from tracking.store.copy import copy_store
from tracking.store.dialect import Engine

DEMO_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
# Text a hostile or broken server could put in a bounce: must reach the page as text.
HOSTILE = '<script>window.__suivi_xss = 1</script><img src=x onerror="window.__suivi_xss = 2">'


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate(path, documents=400, now=DEMO_NOW)
    return path


@pytest.fixture(scope="session")
def pg_demo_template(demo_template, postgres_server) -> str:
    """The session's demo, copied once into a PostgreSQL database that tests clone."""
    name = "suivi_console_demo"
    with postgres_server.admin() as admin:
        admin.execute(f"CREATE DATABASE {name} OWNER {pg.USER} TEMPLATE {pg.TEMPLATE}")
    with open_database(demo_template) as source, \
            open_database(postgres_server.url(name)) as target:
        copy_store(source, target)
    return name


def demo_password(login: str) -> str:
    return DEMO_USERS[login][1]


def session_cookie(path: Path, login: str) -> str:
    """A session cookie this console would have issued to `login` (same secret)."""
    from ui.auth_routes import session_secret

    return sign_session(login, session_secret(shared_database(path)))


def sign_in(monkeypatch, path: Path, login: str | None) -> None:
    """Make AppTest's runs carry `login`'s session cookie (None: no cookie). AppTest cannot
    send cookies, so the one function that reads them from st.context stands in for it."""
    import ui.auth

    cookies = {} if login is None else {"suivi_session": session_cookie(path, login)}
    monkeypatch.setattr(ui.auth, "request_cookies", lambda: dict(cookies))


def copy_demo(template: Path, target_dir: Path) -> Path:
    target = target_dir / "console.duckdb"
    shutil.copyfile(template, target)
    return target


@pytest.fixture
def console_db(demo_template, engine, tmp_path, monkeypatch, request) -> Path | str:
    """The test's own copy of the demo: a DuckDB file, or a PostgreSQL URL (see the module)."""
    if engine is Engine.POSTGRES:
        server = request.getfixturevalue("postgres_server")
        path = server.create_database(template=request.getfixturevalue("pg_demo_template"))
    else:
        path = copy_demo(demo_template, tmp_path)
    monkeypatch.setenv("SUIVI_DB", str(path))
    monkeypatch.setenv("SUIVI_WORKERS", "0")
    monkeypatch.setenv("SUIVI_TRANSPORT", "sandbox")
    monkeypatch.setenv("SUIVI_SANDBOX_MAILDIR", str(tmp_path / "sandbox-mail"))
    st.cache_data.clear()
    st.cache_resource.clear()   # the figures drawn from those reads (ui/drawn.py)
    sign_in(monkeypatch, path, "support")  # the console's tests act as support unless told
    return path


def console_app(repo_root: Path, **query) -> AppTest:
    app = AppTest.from_file(str(repo_root / "console.py"), default_timeout=60)
    for key, value in query.items():
        app.query_params[key] = value
    return app


def shared_database(path: Path):
    """The console process's own connection (AppTest runs in this process)."""
    from ui.resources import _database

    return _database(str(path))


def make_hostile(path: Path) -> str:
    """Give one failed recipient a diagnostic full of markup; returns its document id."""
    with open_database(path) as db:
        cursor = db.cursor()
        send_id, idx, document_id = cursor.execute(
            """SELECT x.send_id, x.idx, s.document_id FROM deliveries x
               JOIN sends s ON s.id = x.send_id
               WHERE x.state = 'not_delivered' ORDER BY s.requested_at DESC LIMIT 1"""
        ).fetchall()[0]
        cursor.execute("UPDATE deliveries SET diagnostic = ?, smtp_reply = ? "
                       "WHERE send_id = ? AND idx = ?", [HOSTILE, HOSTILE, send_id, idx])
    return document_id


def make_unmatched(path: Path, count: int = 2) -> list[str]:
    """Turn a few stored failure bounces back into the unmatched queue, as if no key had
    matched them (the demo matches everything)."""
    with open_database(path) as db:
        cursor = db.cursor()
        ids = [row[0] for row in cursor.execute(
            "SELECT id FROM returned_messages WHERE kind = 'failure' ORDER BY id LIMIT ?",
            [count]).fetchall()]
        cursor.execute("""UPDATE returned_messages SET match_state = 'unmatched',
                          match_method = NULL, send_id = NULL, document_id = NULL
                          WHERE id IN (SELECT unnest(?::VARCHAR[]))""", [ids])
    return ids


def make_proposal(path: Path, maildir: Path) -> tuple[str, str, int]:
    """A forged failure report for a delivered relay recipient, carrying only the send's ENVID,
    read by the real ingestion: one proposal. Returns (proposal id, send id, recipient index)."""
    from tracking.inbound.maildir import MaildirMailbox
    from tracking.ingest import IngestPolicy, ingest_available
    from tracking.outbound import dsn
    from tracking.store import proposals

    with open_database(path) as db:
        send_id, idx, address, envelope_id = db.cursor().execute(
            """SELECT x.send_id, x.idx, x.address, s.envelope_id FROM deliveries x
               JOIN sends s ON s.id = x.send_id
               WHERE x.state = 'delivered' AND s.mode = 'relay' AND s.envelope_id IS NOT NULL
               ORDER BY s.requested_at DESC, x.idx LIMIT 1""").fetchone()
        moment = datetime.now(UTC)
        message = dsn.delivery_status_notification(
            reporting_mta="mx.forger.test", to="support@atelier.test",
            recipients=[dsn.RecipientStatus(address, "failed", "5.1.1", f"rfc822;{address}",
                                            "550 5.1.1 " + HOSTILE, "mx.forger.test", moment)],
            original=b"Subject: x\n\nx\n", headers_only=True, envelope_id=envelope_id,
            arrival=moment, date=moment, message_id="<forged@mx.forger.test>")
        for folder in ("new", "cur", "tmp"):
            (maildir / folder).mkdir(parents=True, exist_ok=True)
        (maildir / "new" / "1.forged.host").write_bytes(
            dsn.as_mailbox_bytes(message, delivered_to="support@atelier.test"))
        ingest_available(db, MaildirMailbox(maildir), IngestPolicy())
        [proposal_id] = proposals.open_queue(db.cursor())["id"]
    return proposal_id, send_id, idx


def confirm_box(app: AppTest, form: str):
    """The attach form's mismatch confirmation (its key names the pair of addresses)."""
    [box] = [box for box in app.checkbox if box.key.startswith(f"{form}_confirm_")]
    return box


# Names a hostile or careless upstream could store: Markdown that would load an outside image
# or make a link, and a spreadsheet formula (OWASP CSV injection).
MARKDOWN_CLIENT = "![x](http://127.0.0.1:9/p.png) [pay](http://127.0.0.1:9/)"
FORMULA_NUMBER = '=HYPERLINK("http://127.0.0.1:9/","F-1")'
MARKDOWN_ACCOUNT = "**Nord** :red[alerte] $x$ <b>b</b>"


def make_markdown_names(path: Path) -> str:
    """Give one failing document a Markdown client name, a formula number and a Markdown
    account name; returns its id."""
    with open_database(path) as db:
        cursor = db.cursor()
        document_id, client_id, account_id = cursor.execute(
            """SELECT d.id, d.client_id, d.account_id FROM deliveries x
               JOIN sends s ON s.id = x.send_id JOIN documents d ON d.id = s.document_id
               WHERE x.state = 'not_delivered' ORDER BY s.requested_at DESC LIMIT 1"""
        ).fetchone()
        cursor.execute("UPDATE clients SET name = ? WHERE id = ?", [MARKDOWN_CLIENT, client_id])
        cursor.execute("UPDATE documents SET number = ? WHERE id = ?",
                       [FORMULA_NUMBER, document_id])
        cursor.execute("UPDATE accounts SET name = ? WHERE id = ?",
                       [MARKDOWN_ACCOUNT, account_id])
    return document_id
