"""A fleet on one PostgreSQL: three outbox workers and two mailbox watchers, killed at random.

Five `python -m tracking serve` processes share a private PostgreSQL: three `--only outbox`
(each hands its claims to its own in-process sandbox server) and two `--only mailbox` (both
read the one Maildir where every sandbox writes what the recipients' side sends back: delivery
reports, bounces, delays, late bounces, auto-replies, complaints). 2,000 documents go out, each
to a plain recipient and most also to one whose address picks a behaviour; twelve times, at
random points of progress, a random worker (six of each kind) gets SIGKILL and a replacement
starts. Then, once the fleet is quiet and stopped by SIGTERM (each exits 0):

- no message was handed over twice: each delivery has at most one acceptance and at most one
  report of each kind (a second handoff would bring back a second, different report);
- nothing is lost: every delivery ends in the state its recipient's behaviour gives — or, only
  for a send caught mid-handoff by a kill (at most one per sender killed), `pending` reported
  interrupted, or short of a report the sandbox, dying with the sender, never wrote;
- every returned message was applied once: each Maildir file is one stored returned message and
  one checkpoint entry; each delivery's stored state is the fold of its events, and the
  console's rollups (deliveries, events) match a recount.

`SUIVI_FLEET_SEED` replays a run's choices (kill points, victims); the seed is in every failure
message.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests import pg
from tests.core.conftest import seed
from tests.core.owner_support import REPO, wait_for
from tests.actors import support
from tracking.models import DeliveryState, SendingMode
from tracking.outbox import INTERRUPTED_REASON
from tracking.service import SendPolicy, SendRequest, request_sends
from tracking.state import fold
from tracking.store import delivery_counts, event_counts
from tracking.store.ledger import event_from_row
from tracking.store.connection import open_database

pytestmark = pytest.mark.slow

DOCUMENTS = 2_000
OUTBOX_WORKERS, MAILBOX_WORKERS = 3, 2
KILLS = 12
VERP_KEY = "fleet-test-verp-key"

# The second recipient's behaviour (tracking.outbound.sandbox_rules), what it ends as, and how
# many returned messages one handoff of the send brings back. Relay mode hands each recipient
# its own message (its own VERP return path), and each gets its own delivery report.
BEHAVIOURS: dict[str | None, tuple[DeliveryState, int]] = {
    None: (DeliveryState.DELIVERED, 1),                 # the plain recipient alone
    "unknown": (DeliveryState.NOT_DELIVERED, 2),        # plain's report + a failure
    "defer": (DeliveryState.DELIVERED, 3),              # + a delay, then its delivery report
    "late": (DeliveryState.NOT_DELIVERED, 3),           # + its delivery report, then a bounce
    "vacation": (DeliveryState.DELIVERED, 3),           # + its delivery report, an auto-reply
    "complain": (DeliveryState.DELIVERED, 3),           # + its report, an abuse report (flag)
    "reject": (DeliveryState.NOT_SENT, 1),              # refused at RCPT
}
WORDS = list(BEHAVIOURS)


def recipients_of(n: int) -> tuple[str, ...]:
    word = WORDS[n % len(WORDS)]
    plain = f"ok{n}@client.example"
    return (plain,) if word is None else (plain, f"{word}-{n}@client.example")


def behaviour_of(address: str) -> str | None:
    word = address.split("@")[0].split("-", 1)[0]
    return word if word in BEHAVIOURS else None


def test_fleet_with_random_kills_hands_over_once_and_applies_each_return_once(
        tmp_path, postgres_server):
    run_seed = int(os.environ.get("SUIVI_FLEET_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(run_seed)
    url = postgres_server.create_database(template=pg.TEMPLATE)
    send_ids = queue_documents(url)
    maildir = tmp_path / "returned"
    env = {**os.environ, "SUIVI_DB": url, "SUIVI_TRANSPORT": "sandbox",
           "SUIVI_SANDBOX_MAILDIR": str(maildir), "SUIVI_VERP_KEY": VERP_KEY,
           "SUIVI_OUTBOX_JOURNALS": str(tmp_path / "journals"),
           "SUIVI_MESSAGE_DOMAIN": "fleet.test", "SUIVI_BOUNCE_DOMAIN": "bounces.fleet.test"}
    # kill points spread over the run (returned messages written + applied), of random kinds
    expected = sum(BEHAVIOURS[behaviour_of(recipients_of(n)[-1])][1] for n in range(DOCUMENTS))
    points = sorted(rng.uniform(0.03, 0.9) * expected * 2 for _ in range(KILLS))
    kinds = ["outbox"] * (KILLS // 2) + ["mailbox"] * (KILLS - KILLS // 2)
    rng.shuffle(kinds)
    fleet = Fleet(env, tmp_path / "logs")
    progress = Progress(url, maildir)
    try:
        for _ in range(OUTBOX_WORKERS):
            fleet.start("outbox")
        for _ in range(MAILBOX_WORKERS):
            fleet.start("mailbox")
        for point, kind in zip(points, kinds):
            wait_for(lambda: fleet.healthy() and (progress.total() >= point
                                                   or fleet.quiet(progress)), 150,
                     f"progress {point:.0f} (seed {run_seed})")
            fleet.kill_one(kind, rng)
            time.sleep(rng.uniform(0, 0.3))   # the others run short-handed a moment
            fleet.start(kind)
        assert fleet.kills == KILLS
        wait_for(lambda: fleet.healthy() and fleet.quiet(progress), 240,
                 f"the fleet to finish (seed {run_seed})")
        assert fleet.stop_all() == [0] * (OUTBOX_WORKERS + MAILBOX_WORKERS), fleet.logs()
        assert not any(pg.PASSWORD in path.read_text(errors="replace")
                       for path in (tmp_path / "logs").iterdir()), "a log shows the password"
    finally:
        fleet.kill_all()
        progress.db.close()
    summary = check_outcome(url, maildir, send_ids, run_seed, kinds.count("outbox"))
    print(f"fleet: seed {run_seed}, kills {Counter(kinds)}, {summary}")


def queue_documents(url: str) -> list[str]:
    with open_database(url) as db:
        created = seed(db, documents_per_account=DOCUMENTS // 2)
        documents = created[SendingMode.RELAY] + created[SendingMode.RELAY_OWN_ADDRESS]
        policy = SendPolicy(message_domain="fleet.test", verp_key=VERP_KEY.encode())
        receipts = []
        for first in range(0, DOCUMENTS, 500):
            receipts += request_sends(db, [
                SendRequest(document, recipients_of(n), actor=support("alice"))
                for n, document in enumerate(documents[first:first + 500], start=first)], policy)
    return [receipt.send_id for receipt in receipts]


class Progress:
    """How far the run is: returned messages written to the Maildir, and applied."""

    def __init__(self, url: str, maildir: Path) -> None:
        self.db = open_database(url)
        self.maildir = maildir

    def files(self) -> int:
        return sum(len(os.listdir(self.maildir / sub)) for sub in ("new", "cur")
                   if (self.maildir / sub).is_dir())

    def applied(self) -> int:
        return self.db.cursor().execute("SELECT count(*) FROM maildir_entries").fetchone()[0]

    def outbox_busy(self) -> bool:
        cursor = self.db.cursor()
        return bool(cursor.execute(
            "SELECT count(*) FROM deliveries WHERE in_flight OR (state = 'pending' AND "
            "smtp_attempts = 0)").fetchone()[0])

    def total(self) -> int:
        return self.files() + self.applied()


class Fleet:
    """The serve processes, by kind; each one's output in its own log file."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs_dir = logs
        logs.mkdir()
        self.processes: dict[str, list[subprocess.Popen]] = {"outbox": [], "mailbox": []}
        self.kills = 0
        self._killed: list[subprocess.Popen] = []
        self._started = 0
        self._quiet_since: tuple[tuple, float] | None = None

    def start(self, kind: str) -> subprocess.Popen:
        self._started += 1
        log = open(self.logs_dir / f"{self._started:02d}-{kind}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tracking", "serve", "--only", kind, "--poll", "0.3"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()   # the child keeps its own copy
        self.processes[kind].append(process)
        return process

    def healthy(self) -> bool:
        """True; fails at once, with the logs, when a worker nobody killed has exited."""
        died = [p.args for p in self.processes["outbox"] + self.processes["mailbox"]
                if p.poll() is not None and p not in self._killed]
        assert not died, f"a worker exited on its own: {self.logs()}"
        return True

    def alive(self, kind: str) -> list[subprocess.Popen]:
        return [p for p in self.processes[kind] if p.poll() is None]

    def kill_one(self, kind: str, rng: random.Random) -> None:
        alive = self.alive(kind)
        assert alive, f"every {kind} worker died on its own: {self.logs()}"
        victim = rng.choice(alive)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        self._killed.append(victim)
        self.kills += 1

    def quiet(self, progress: Progress) -> bool:
        """Nothing left to send, every returned message applied, and it stays so for 2 s."""
        files, applied = progress.files(), progress.applied()
        done = files == applied and not progress.outbox_busy()
        state = (files, applied)
        if not done:
            self._quiet_since = None
            return False
        if self._quiet_since is None or self._quiet_since[0] != state:
            self._quiet_since = (state, time.monotonic())
            return False
        return time.monotonic() - self._quiet_since[1] > 2.0

    def stop_all(self) -> list[int]:
        running = self.alive("outbox") + self.alive("mailbox")
        for process in running:
            process.send_signal(signal.SIGTERM)
        return [process.wait(30) for process in running]

    def kill_all(self) -> None:
        for process in self.processes["outbox"] + self.processes["mailbox"]:
            if process.poll() is None:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}"
                         for path in sorted(self.logs_dir.iterdir()))


def check_outcome(url: str, maildir: Path, send_ids: list[str], run_seed: int,
                  outbox_kills: int) -> str:
    why = f"(seed {run_seed})"
    files = {p.name.split(":", 1)[0] for sub in ("new", "cur") for p in (maildir / sub).iterdir()}
    with open_database(url) as db:
        cursor = db.cursor()
        deliveries = cursor.execute(
            "SELECT send_id, idx, address, state, reason, complained, in_flight FROM deliveries"
        ).fetchall()
        entries = [row[0] for row in cursor.execute(
            "SELECT entry FROM maildir_entries").fetchall()]
        returned = cursor.execute("SELECT count(*) FROM returned_messages").fetchone()[0]
        unmatched = cursor.execute(
            "SELECT count(*) FROM returned_messages WHERE match_state <> 'matched'").fetchone()[0]
        per_kind = Counter(cursor.execute(
            """SELECT send_id, recipient_idx, type FROM events
               WHERE type IN ('recipient_accepted', 'recipient_refused', 'dsn_delivered',
                              'dsn_failed', 'autoreply_received', 'complaint_received')"""
        ).fetchall())
        interrupted_sends = {row[0] for row in cursor.execute(
            "SELECT DISTINCT send_id FROM events WHERE type = 'send_interrupted'").fetchall()}
        folded_wrong = fold_mismatches(cursor, deliveries)
        drift = delivery_counts.drift(cursor) + event_counts.drift(cursor)

    # every returned message applied, once
    assert len(entries) == len(set(entries)) == len(files), why
    assert set(entries) == files, why
    assert returned == len(files) and unmatched == 0, why
    # no duplicate handoff: one acceptance, one report of each kind, per delivery at most
    doubled = {key: n for key, n in per_kind.items() if n > 1}
    assert not doubled, f"handed over or applied twice {why}: {list(doubled.items())[:5]}"
    # nothing lost: each delivery in its behaviour's state, or explained as interrupted
    assert len(deliveries) == sum(len(recipients_of(n)) for n in range(DOCUMENTS)), why
    unexplained = []
    interrupted = 0
    for send_id, idx, address, state, reason, complained, in_flight in deliveries:
        assert not in_flight, why
        expected = BEHAVIOURS[behaviour_of(address)][0]
        if state == expected:
            assert complained == (behaviour_of(address) == "complain") or send_id in \
                interrupted_sends, (address, why)
            continue
        if send_id in interrupted_sends and state in ("pending", "delivered"):
            # caught mid-handoff: the sandbox died with the worker, having written none, or
            # only the first, of what comes back (a delay before its delivery report, a late
            # bounce after it); pending says why: interrupted, or the delay report applied after
            interrupted += 1
            assert state == "delivered" or reason == INTERRUPTED_REASON or "Greylisted" in reason
            continue
        unexplained.append((send_id, idx, address, state, reason))
    assert not unexplained, f"{len(unexplained)} unexplained {why}: {unexplained[:5]}"
    # at most the send in hand at each kill of a sender
    assert len(interrupted_sends) <= outbox_kills, why
    assert set(send_ids) >= interrupted_sends
    # the stored state is the log's, and the console's rollup is exact
    assert not folded_wrong, f"state differs from its events {why}: {folded_wrong[:5]}"
    assert drift == [], f"rollup drift {why}: {drift[:5]}"
    return (f"{len(files)} returned messages, {len(interrupted_sends)} sends interrupted "
            f"({interrupted} deliveries left pending or short of their last report)")


def fold_mismatches(cursor, deliveries) -> list[tuple]:
    rows = cursor.execute(
        """SELECT send_id, recipient_idx, id, type, occurred_at, actor, account_id, document_id,
                  recipient, details FROM events
           WHERE send_id IS NOT NULL AND recipient_idx IS NOT NULL ORDER BY seq""").fetchall()
    by_delivery: dict[tuple, list] = {}
    for send_id, idx, *rest in rows:
        event_id, type_, occurred_at, actor, account_id, document_id, recipient, details = rest
        by_delivery.setdefault((send_id, idx), []).append(event_from_row({
            "id": event_id, "type": type_, "occurred_at": occurred_at, "actor": actor,
            "account_id": account_id, "document_id": document_id, "send_id": send_id,
            "recipient_idx": idx, "recipient": recipient, "details": details}))
    wrong = []
    for send_id, idx, address, state, reason, complained, _ in deliveries:
        status = fold(by_delivery.get((send_id, idx), []))
        if status is None or (str(status.state), status.reason, status.complained) != (
                state, reason, complained):
            wrong.append((send_id, idx, address, state, reason,
                          status and (str(status.state), status.reason)))
    return wrong
