"""The outbox worker against a real aiosmtpd server: per-recipient outcomes, retries, crashes."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from tests.actors import support
from tests.core.conftest import seed
from tracking.config import load_settings
from tracking.models import DeliveryState, EventType, SendingMode
from tracking.outbound.smtp import RecipientOutcome, SmtpTransport
from tracking.outbound.smtpd import AnnouncesDsn, LoopbackController
from tracking.outbox import INTERRUPTED_REASON, Outbox
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store import queries
from tracking.store.connection import open_database

# The store contract: every test here runs on DuckDB and on PostgreSQL.
pytestmark = pytest.mark.engines("duckdb", "postgres")


class ScriptedServer(AnnouncesDsn):
    """Answers per address: `refuse*` 550, `busy*` 451 every time, `flaky*` 451 once, else 250."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []   # (Message-ID, recipient) per accepted DATA
        self.flaky_seen: set[str] = set()
        self.hold_after: int | None = None          # stall DATA once this many were received
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if address.startswith("busy"):
            return "451 4.3.2 Please try again later"
        if address.startswith("flaky") and address not in self.flaky_seen:
            self.flaky_seen.add(address)
            return "451 4.7.1 Greylisted, come back later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_after is not None and len(self.received) >= self.hold_after:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 server going away"
        message_id = next((line.split(b":", 1)[1].strip().decode()
                           for line in envelope.content.splitlines()
                           if line.lower().startswith(b"message-id:")), "")
        for rcpt in envelope.rcpt_tos:
            self.received.append((message_id, rcpt))
        return "250 2.0.0 Queued"


@pytest.fixture
def server():
    handler = ScriptedServer()
    controller = LoopbackController(handler)
    controller.start()
    yield handler, controller.port
    handler.release.set()
    controller.stop()


def env_for(port: int, db_path=None, **extra) -> dict[str, str]:
    env = {"SUIVI_SMTP_HOST": "127.0.0.1", "SUIVI_SMTP_PORT": str(port), "SUIVI_SMTP_TLS": "none",
           "SUIVI_VERP_KEY": "test-verp-key", "SUIVI_RETRY_ATTEMPTS": "3",
           "SUIVI_RETRY_BASE_DELAY": "0", "SUIVI_RETRY_MAX_DELAY": "0",
           "SUIVI_SMTP_TIMEOUT": "5", "SUIVI_TRANSPORT": "smtp", **extra}
    if db_path is not None:
        env["SUIVI_DB"] = str(db_path)
    return env


def test_outcomes_per_recipient_with_retries(db, server):
    handler, port = server
    documents = seed(db)
    settings = load_settings(env_for(port))
    policy = SendPolicy.from_settings(settings)
    relay = request_send(db, SendRequest(
        documents[SendingMode.RELAY][0], ("ok@client.test", "refuse@client.test"),
        ("flaky@client.test", "busy@client.test"), support("alice")), policy).send_id
    smtp = request_send(db, SendRequest(
        documents[SendingMode.SMTP][0], ("ok2@client.test", "refuse2@client.test"),
        actor=support("alice")), policy).send_id
    with SmtpTransport(settings.smtp) as transport:
        stats = Outbox(db, transport, settings, sleep=lambda _: None).run_until_empty()
    assert (stats.handled, stats.accepted, stats.refused) == (6, 3, 3)
    cursor = db.cursor()
    states = {d.address: d for d in queries.deliveries_of_send(cursor, relay)}
    assert states["ok@client.test"].state is DeliveryState.SENT
    assert states["flaky@client.test"].state is DeliveryState.SENT       # retried, then accepted
    refused = states["refuse@client.test"]
    assert refused.state is DeliveryState.NOT_SENT
    assert refused.smtp_reply.startswith("550 5.1.1") and "User unknown" in refused.smtp_reply
    # explained like a returned message (tracking.reasons.explain_reply), not "unrecognised"
    assert (refused.reason, refused.status_code) == ("userunknown", "5.1.1")
    busy = states["busy@client.test"]
    assert busy.state is DeliveryState.NOT_SENT and busy.smtp_reply.startswith("451 4.3.2")
    assert busy.reason == "systemerror" and busy.status_code == "4.3.2"
    attempts = [e for e in queries.events_of_delivery(cursor, relay, busy.idx)
                if e.type is EventType.SEND_ATTEMPT_FAILED]
    assert [e.details.attempt for e in attempts] == [1, 2]
    smtp_states = {d.address: d.state for d in queries.deliveries_of_send(cursor, smtp)}
    assert smtp_states == {"ok2@client.test": DeliveryState.SENT,
                           "refuse2@client.test": DeliveryState.NOT_SENT}
    # each accepted recipient reached the server exactly once, relay ones with their own VERP
    assert Counter(rcpt for _, rcpt in handler.received) == Counter(
        {"ok@client.test": 1, "flaky@client.test": 1, "ok2@client.test": 1})
    assert queries.get_send(cursor, relay).outbox_state == "done"


class FreezeWitness:
    """A transport that accepts everything and notes how many objects the collector had
    frozen at each handoff (the SMTP thread runs it mid-drain)."""

    def __init__(self) -> None:
        self.frozen_at_handoff: list[int] = []

    def deliver(self, composed, payload=None):
        self.frozen_at_handoff.append(gc.get_freeze_count())
        return [RecipientOutcome(r, True, 250, "250 2.0.0 Ok", False, "data")
                for r in composed.recipients]


def test_a_drain_leaves_older_objects_to_the_collector_only_after_it(db, server):
    _, port = server
    documents = seed(db)
    settings = load_settings(env_for(port))
    policy = SendPolicy.from_settings(settings)
    for document in documents[SendingMode.RELAY][:2]:
        request_send(db, SendRequest(document, ("ok@client.test",), actor=support("alice")),
                     policy)
    witness = FreezeWitness()
    assert gc.get_freeze_count() == 0
    assert Outbox(db, witness, settings).run_until_empty().accepted == 2
    # the heap as it was when the drain began is frozen while it sends, and thawed after
    assert len(witness.frozen_at_handoff) == 2 and min(witness.frozen_at_handoff) > 0
    assert gc.get_freeze_count() == 0
    # a process that froze objects itself keeps them frozen, and the drain adds none
    request_send(db, SendRequest(documents[SendingMode.RELAY][2], ("ok@client.test",),
                                 actor=support("alice")), policy)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert Outbox(db, witness, settings).run_until_empty().accepted == 1
        # (frozen objects that die leave the count: it can only go down)
        assert 0 < witness.frozen_at_handoff[-1] <= frozen
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def _dead_port() -> int:
    import socket
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_leaves_deliveries_pending_with_the_reason(db, server):
    documents = seed(db)
    settings = load_settings(env_for(_dead_port(), SUIVI_RETRY_BASE_DELAY="30",
                                     SUIVI_RETRY_MAX_DELAY="60"))
    send_id = request_send(db, SendRequest(documents[SendingMode.SMTP][0],
                                           ("a@client.test", "b@client.test"), actor=support("alice")),
                           SendPolicy.from_settings(settings)).send_id
    with SmtpTransport(settings.smtp) as transport:
        outbox = Outbox(db, transport, settings, sleep=lambda _: None)
        stats = outbox.run_until_empty()
    assert (stats.accepted, stats.refused, stats.deferred) == (0, 0, 2)
    for delivery in queries.deliveries_of_send(db.cursor(), send_id):
        assert delivery.state is DeliveryState.PENDING       # nobody refused anything
        assert "refused" in delivery.reason.lower()           # … but support sees why it waits
        assert delivery.smtp_attempts == 1 and not delivery.in_flight
    health = outbox.health.get()
    assert health.down and health.fault == "unreachable" and health.since is not None
    assert 15 <= outbox.next_retry_in() <= 30                 # retried later, not in a loop
    assert queries.get_send(db.cursor(), send_id).outbox_state == "queued"


def test_unreachable_server_past_the_maximum_age_gives_not_sent(db, server):
    documents = seed(db)
    settings = load_settings(env_for(_dead_port(), SUIVI_OUTBOUND_MAX_AGE="0.001s"))
    send_id = request_send(db, SendRequest(documents[SendingMode.SMTP][0], ("a@client.test",),
                                           actor=support("alice")),
                           SendPolicy.from_settings(settings)).send_id
    with SmtpTransport(settings.smtp) as transport:
        Outbox(db, transport, settings, sleep=lambda _: None).run_until_empty()
    [delivery] = queries.deliveries_of_send(db.cursor(), send_id)
    assert delivery.state is DeliveryState.NOT_SENT
    assert delivery.smtp_reply and "refused" in delivery.smtp_reply.lower()
    # nobody answered our own connection: a network error, not a queue that expired
    assert delivery.reason == "networkerror"
    assert delivery.smtp_attempts == 1
    [refused] = [e for e in queries.events_of_delivery(db.cursor(), send_id, delivery.idx)
                 if e.type is EventType.RECIPIENT_REFUSED]
    assert refused.details.fault == "unreachable"


def test_killed_worker_never_sends_twice_and_loses_nothing(tmp_path, server):
    handler, port = server
    db_path = tmp_path / "suivi.duckdb"
    database = open_database(db_path)
    documents = seed(database, documents_per_account=40)
    policy = SendPolicy(verp_key=b"test-verp-key")
    for document_id in documents[SendingMode.RELAY] + documents[SendingMode.SMTP]:
        request_send(database, SendRequest(document_id, ("ok@client.test",),
                                           actor=support("alice")),
                     policy)
    database.close()
    total = 80
    handler.hold_after = 65  # stalls the 66th message mid-DATA
    env = {**os.environ, **env_for(port, db_path)}
    command = [sys.executable, "-m", "tracking", "send", "--process"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(handler.received) < 65 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(handler.received) == 65, worker.stderr.read() if worker.poll() is not None else ""
    time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    worker.stderr.close()
    handler.release.set()
    handler.hold_after = None

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    database = open_database(db_path)
    cursor = database.cursor()
    states = Counter(row[0] for row in cursor.execute(
        "SELECT CASE WHEN reason = ? THEN 'interrupted' ELSE state END FROM deliveries",
        [INTERRUPTED_REASON]).fetchall())
    in_flight = cursor.execute("SELECT count(*) FROM deliveries WHERE in_flight").fetchone()[0]
    queued = cursor.execute(
        "SELECT count(*) FROM sends WHERE outbox_state = 'queued'").fetchone()[0]
    database.close()
    assert max(Counter(handler.received).values()) == 1, "a message reached the server twice"
    # the 65 the server took before the kill are recorded from the journal (not lost, not
    # resent); the one caught mid-DATA is reported interrupted; the 14 never handed over are sent
    assert states == {"sent": 79, "interrupted": 1}
    assert sum(states.values()) == total and in_flight == 0 and queued == 0
    assert len(handler.received) == 79
