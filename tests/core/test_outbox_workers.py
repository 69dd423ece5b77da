"""Several outbox workers on one PostgreSQL, some killed mid-run: nothing sent twice, nothing lost.

Three `python -m tracking send --process` drain the same database against a real aiosmtpd
server that answers slowly; workers are SIGKILLed at several points and a replacement started
each time; a starting worker settles the claims of every dead worker's journal slot on its
host. One last run settles what is left. Every delivery must end sent, or —
for a message caught mid-handoff by a kill — reported interrupted; no message reaches the
server twice.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests import pg
from tests.actors import support
from tests.core.conftest import seed
from tests.core.test_outbox import ScriptedServer, env_for
from tracking.models import SendingMode
from tracking.outbox import INTERRUPTED_REASON
from tracking.outbound.smtpd import LoopbackController
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store.connection import open_database

pytestmark = pytest.mark.slow

WORKERS = 3
KILL_AT = (40, 90, 140, 190)        # messages received when a random worker is killed


class SlowServer(ScriptedServer):
    """Takes 20 ms per message, so the workers overlap and kills land mid-run."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def test_three_workers_with_kills_send_each_message_once(tmp_path, postgres_server):
    url = postgres_server.create_database(template=pg.TEMPLATE)
    with open_database(url) as db:
        documents = seed(db, documents_per_account=120)
        for document_id in documents[SendingMode.RELAY] + documents[SendingMode.SMTP]:
            request_send(db, SendRequest(document_id, ("ok@client.test",), actor=support("alice")),
                         SendPolicy(verp_key=b"test-verp-key"))
    total = 240
    handler = SlowServer()
    controller = LoopbackController(handler)
    controller.start()
    env = {**os.environ, **env_for(controller.port, url),
           "SUIVI_OUTBOX_JOURNALS": str(tmp_path / "journals")}
    command = [sys.executable, "-m", "tracking", "send", "--process"]

    def start() -> subprocess.Popen:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    chance = random.Random(11)
    try:
        workers = [start() for _ in range(WORKERS)]
        kills = 0
        deadline = time.monotonic() + 120
        for threshold in KILL_AT:
            while len(handler.received) < threshold and time.monotonic() < deadline:
                time.sleep(0.01)
            alive = [w for w in workers if w.poll() is None]
            if not alive:
                break
            victim = chance.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            kills += 1
            workers.append(start())     # takes the freed journal slot
        for worker in workers:
            worker.wait(120)
        # one more run settles the claims of a killed worker whose slot nobody took again
        assert subprocess.run(command, env=env, timeout=120).returncode == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        controller.stop()

    assert kills >= 3, "the run ended before the workers could be killed"
    with open_database(url) as db:
        cursor = db.cursor()
        states = Counter(row[0] for row in cursor.execute(
            "SELECT CASE WHEN reason = ? THEN 'interrupted' ELSE state END FROM deliveries",
            [INTERRUPTED_REASON]).fetchall())
        in_flight = cursor.execute("SELECT count(*) FROM deliveries WHERE in_flight").fetchone()[0]
        queued = cursor.execute(
            "SELECT count(*) FROM sends WHERE outbox_state = 'queued'").fetchone()[0]
        claimants = cursor.execute(
            "SELECT count(DISTINCT claimed_by) FROM deliveries").fetchone()[0]
        accepted_events = cursor.execute(
            "SELECT count(*), count(DISTINCT send_id) FROM events "
            "WHERE type = 'recipient_accepted'").fetchone()
    received = Counter(handler.received)
    assert claimants >= 2                          # the work was really shared out
    assert max(received.values()) == 1, "a message reached the server twice"
    assert set(states) <= {"sent", "interrupted"} and sum(states.values()) == total   # none lost
    assert states["interrupted"] <= kills          # at most the message in hand at each kill
    assert in_flight == 0 and queued == 0
    assert accepted_events == (states["sent"], states["sent"])  # each acceptance recorded once
    # the server has every sent message, and at most the interrupted ones besides
    assert states["sent"] <= len(received) <= states["sent"] + states["interrupted"]
