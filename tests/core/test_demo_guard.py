"""A demo database never reaches a real SMTP server unless someone explicitly allows it.

`python -m tracking send` runs in a subprocess against a real aiosmtpd server that records what
it receives; the database is marked as a demo the way the generator marks it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.core.conftest import seed
from tests.core.test_outbox import ScriptedServer, env_for
from tracking.errors import DemoDatabase
from tracking.models import DeliveryState, SendingMode
from tracking.outbound.smtpd import LoopbackController
from tracking.runtime import outbound_transport, settings_for
from tracking.store import queries
from tracking.store.connection import open_database
from tracking.store.facts import mark_demo


@pytest.fixture
def recording_server():
    handler = ScriptedServer()
    controller = LoopbackController(handler)
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def demo_db(tmp_path):
    path = tmp_path / "demo.duckdb"
    with open_database(path) as db:
        documents = seed(db)
        with db.transaction() as cursor:
            mark_demo(cursor)
    return path, documents[SendingMode.SMTP][0]


def run_cli(repo_root, env, *args):
    return subprocess.run([sys.executable, "-m", "tracking", *args], env=env, cwd=repo_root,
                          capture_output=True, text=True, timeout=120)


def states(path) -> list[DeliveryState]:
    with open_database(path) as db:
        cursor = db.cursor()
        send_ids = [row[0] for row in cursor.execute("SELECT id FROM sends").fetchall()]
        return [delivery.state for send_id in send_ids
                for delivery in queries.deliveries_of_send(cursor, send_id)]


def test_real_smtp_refuses_a_demo_database_and_the_sends_stay_pending(
        recording_server, demo_db, repo_root):
    handler, port = recording_server
    path, document = demo_db
    env = {**os.environ, **env_for(port, path)}
    env.pop("SUIVI_ALLOW_DEMO_SEND", None)
    result = run_cli(repo_root, env, "send", document, "--to", "someone@yahoo.fr")
    assert result.returncode == 2
    assert "demo database" in result.stderr and "SUIVI_ALLOW_DEMO_SEND" in result.stderr
    assert handler.received == []
    assert states(path) == [DeliveryState.PENDING]
    # draining later is refused the same way
    again = run_cli(repo_root, env, "send", "--process")
    assert again.returncode == 2 and handler.received == []
    assert states(path) == [DeliveryState.PENDING]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_an_explicit_override_sends_from_a_demo_database(recording_server, demo_db, repo_root,
                                                         how):
    handler, port = recording_server
    path, document = demo_db
    env = {**os.environ, **env_for(port, path)}
    args = ["send", document, "--to", "someone@yahoo.fr"]
    if how == "flag":
        args.append("--allow-demo")
    else:
        env["SUIVI_ALLOW_DEMO_SEND"] = "1"
    result = run_cli(repo_root, env, *args)
    assert result.returncode == 0, result.stderr
    assert [rcpt for _, rcpt in handler.received] == ["someone@yahoo.fr"]
    assert states(path) == [DeliveryState.SENT]


def test_the_sandbox_sends_from_a_demo_database_as_before(demo_db, tmp_path, monkeypatch):
    monkeypatch.delenv("SUIVI_ALLOW_DEMO_SEND", raising=False)
    path, _ = demo_db
    settings = settings_for({"SUIVI_TRANSPORT": "sandbox",
                             "SUIVI_SANDBOX_MAILDIR": str(tmp_path / "mail")})
    with open_database(path) as db:
        with outbound_transport(settings, "sandbox", db=db) as transport:
            assert transport is not None
        with pytest.raises(DemoDatabase):
            with outbound_transport(settings, "smtp", db=db):
                pass
