"""Outbox senders' names never collide between journal folders sharing one PostgreSQL.

Each host keeps its senders' journals in its own folder, and a starting sender settles the
claims made under its name. Two folders whose hosts call themselves the same (here: one machine,
two `SUIVI_OUTBOX_JOURNALS`, as two containers with one hostname, or one host reaching the
database by two spellings of its URL) both start with slot 0: their names must still differ,
or the second sender would put back in the queue what the first is sending right now.
"""

from __future__ import annotations

from pathlib import Path

from tests import pg
from tests.actors import support
from tests.core.conftest import seed
from tests.core.owner_support import REPO
from tracking.config import load_settings
from tracking.models import SendingMode
from tracking.outbox import Outbox
from tracking.outbox_journal import JournalPool, journal_directory
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store.connection import open_database



def in_flight(db) -> list[tuple]:
    return db.cursor().execute("SELECT claimed_by, count(*) FROM deliveries WHERE in_flight "
                               "GROUP BY claimed_by").fetchall()


def test_a_second_journal_folder_never_settles_the_first_ones_claims(
        tmp_path, postgres_server, monkeypatch):
    url = postgres_server.create_database(template=pg.TEMPLATE)
    settings = load_settings({"SUIVI_VERP_KEY": "journals-test-key"})
    db = open_database(url)
    try:
        for document in seed(db)[SendingMode.RELAY]:
            request_send(db, SendRequest(document, ("ok@client.example",), actor=support()),
                         SendPolicy.from_settings(settings))
        monkeypatch.setenv("SUIVI_OUTBOX_JOURNALS", str(tmp_path / "host-a"))
        first = Outbox(db, transport=None, settings=settings)
        first.acquire()
        work = first._claim()                       # claimed, being sent: in flight
        assert sum(len(item.deliveries) for item in work) == 3

        monkeypatch.setenv("SUIVI_OUTBOX_JOURNALS", str(tmp_path / "host-b"))
        second = Outbox(db, transport=None, settings=settings)
        second.acquire()
        assert second.recover() == 0                # nothing of its own to settle
        assert first.journal.worker != second.journal.worker
        assert first.journal.worker.rsplit("/", 1)[1] == second.journal.worker.rsplit("/", 1)[1]
        assert in_flight(db) == [(first.journal.worker, 3)]   # the first one's claims intact
        second.release()

        # the same folder again (the first sender's host, after it died): settles them
        name = first.journal.worker
        first.release()
        monkeypatch.setenv("SUIVI_OUTBOX_JOURNALS", str(tmp_path / "host-a"))
        again = Outbox(db, transport=None, settings=settings)
        again.acquire()
        assert again.journal.worker == name
        assert again.recover() == 3 and in_flight(db) == []
        again.release()
    finally:
        db.close()


def test_a_folder_keeps_its_pool_id(tmp_path):
    """Senders of one folder share its pool id (they settle each other's slots); another
    folder draws its own."""
    pools = [JournalPool(tmp_path / "a"), JournalPool(tmp_path / "a"), JournalPool(tmp_path / "b")]
    for pool in pools:
        pool.acquire()
    try:
        names = [pool.worker.rsplit("/", 1) for pool in pools]
        assert [slot for _, slot in names] == ["0", "1", "0"]
        assert names[0][0] == names[1][0] != names[2][0]
    finally:
        for pool in pools:
            pool.release()


def test_the_default_journal_folder_does_not_depend_on_where_the_sender_starts(
        tmp_path, monkeypatch):
    url = "postgresql://suivi@db.example/suivi"
    monkeypatch.chdir(tmp_path)
    here = journal_directory(url, {})
    monkeypatch.chdir(REPO)
    assert journal_directory(url, {}) == here and here.is_absolute()
    assert journal_directory(url, {"SUIVI_OUTBOX_JOURNALS": "elsewhere"}).parent == Path(
        "elsewhere")
