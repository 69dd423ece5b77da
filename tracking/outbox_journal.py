"""The outbox's SMTP progress journal: one small append-only file beside the database.

Recording each SMTP handoff in DuckDB would cost a transaction per message; the outbox records
outcomes in batches instead, and this journal says, message by message, how far the SMTP work
got in between. Before a send is handed to the server a `begin` line is written; once the server
has answered for every recipient, an `end` line with the outcomes. Writes go straight to the
operating system (unbuffered), so a killed process leaves them behind.

After a crash the journal decides, per claimed send: `end` present → its outcomes are recorded
(nothing lost); `begin` without `end` → the server may or may not have the message, so it is
reported as interrupted and never resent (nothing sent twice); no line → it was never handed
over and goes back to the outbox. The journal is emptied once a batch's outcomes are committed.

One sender per journal: whoever writes it holds an exclusive `flock` on the file for as long as
it sends (`acquire` … `release`). The lock belongs to the open file, so a second sender — another
thread of the same process holding its own `OutboxJournal`, or another process — is refused with
`SenderBusy` instead of truncating entries the first one still needs. The kernel drops the lock
when the holder dies, so a killed process never leaves it behind.

On PostgreSQL several senders share one database, each with its own journal: a `JournalPool`
takes the first free slot of a directory (`SUIVI_OUTBOX_JOURNALS`, default the checkout's
`data/outbox-journals`), and its slot name (`host:pool/slot`) marks the deliveries it claims.
A worker restarted after a kill takes the freed slot again, and with it the dead worker's
journal and claims to settle.

The name must be unique among every sender of the database, on every host: a starting sender
settles the claims of its name, and settling a live sender's claims would put back in the queue
what it is sending. The host name alone is not enough — containers given one hostname, cloned
machines, or one host reaching the database by two spellings of its URL (two journal folders)
would all name their first sender `host/0`. So each journal folder draws a random `pool` id the
first time it is used and keeps it (file `pool-id`): the journals that can settle each other
(the same folder, the same host) share it, and no other folder has it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tracking.errors import SenderBusy
from tracking.store.connection import CHECKOUT_DATA
from tracking.store.dialect import is_postgres_url

MAX_SLOTS = 64          # senders per host and database


@dataclass
class JournalState:
    begun: set[str] = field(default_factory=set)
    ended: dict[str, list[dict]] = field(default_factory=dict)   # send id -> outcomes


class OutboxJournal:
    worker: str | None = None   # a pool slot's name; None: the only sender of a DuckDB file

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @classmethod
    def beside(cls, database_path: str) -> OutboxJournal | None:
        """The journal of a database file; a pool of them for a PostgreSQL URL (`database_path`
        is then the redacted URL); None for an in-memory database."""
        if database_path == ":memory:":
            return None
        if is_postgres_url(database_path):
            return JournalPool(journal_directory(database_path))
        return cls(Path(database_path + ".outbox-journal"))

    # -- the lock: one sender per journal --------------------------------------------------------

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Become the journal's only writer; `SenderBusy` when another sender holds it."""
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            os.close(fd)
            raise SenderBusy(f"another outbox sender is running on {self.path} "
                             "(one sender per database)") from err
        self._fd = fd

    def orphans(self) -> Iterator[OutboxJournal]:
        """Journals of dead senders sharing this one's database (a pool only)."""
        return iter(())

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file drops the lock

    # -- entries ---------------------------------------------------------------------------------

    def begin(self, send_id: str) -> None:
        self._write_line(f'{{"begin":{_json_text(send_id)}}}')

    def end(self, send_id: str, outcomes: list[dict]) -> None:
        entries = ",".join(_json_flat_object(outcome) for outcome in outcomes)
        self._write_line(f'{{"end":{_json_text(send_id)},"outcomes":[{entries}]}}')

    def read(self) -> JournalState:
        state = JournalState()
        if not self.path.exists():
            return state
        with open(self.path, "rb") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line torn by the crash: its send has no `end`, so it's uncertain
                if "begin" in entry:
                    state.begun.add(entry["begin"])
                elif "end" in entry:
                    state.ended[entry["end"]] = entry["outcomes"]
        return state

    def clear(self) -> None:
        """Forget everything: the outcomes are committed to the database (holder only)."""
        os.ftruncate(self._holder_fd(), 0)

    def close(self) -> None:
        self.release()

    def _write_line(self, line: str) -> None:
        os.write(self._holder_fd(), line.encode("ascii") + b"\n")

    def _holder_fd(self) -> int:
        if self._fd is None:
            raise SenderBusy(f"{self.path}: written without holding its lock")
        return self._fd

    def __del__(self) -> None:
        self.release()


# The lines are written by hand, as `json.dumps(entry, separators=(",", ":"))` writes them (a test
# holds them equal): two lines per message, and `dumps` builds a new encoder for every call —
# 20-25 µs a message on the send bench's SMTP thread, against ~5 for these.
_json_text = json.encoder.encode_basestring_ascii   # the C function `dumps` uses for a str


def _json_flat_object(entry: dict) -> str:
    """One outcome: str keys, values str, int, bool or None (anything else: `json.dumps`)."""
    fields = []
    for key, value in entry.items():
        kind = type(value)
        if kind is str:
            text = _json_text(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif kind is int:
            text = int.__repr__(value)
        elif value is None:
            text = "null"
        else:
            text = json.dumps(value, separators=(",", ":"))
        fields.append(f"{_json_text(key)}:{text}")
    return "{" + ",".join(fields) + "}"


def journal_directory(url: str, env: dict[str, str] | None = None) -> Path:
    """Where the journals of the senders of one PostgreSQL database live on this host."""
    env = os.environ if env is None else env
    # by default this checkout's data/, wherever the process runs from: senders started from
    # another folder must still find (and settle) the journals of the dead ones
    root = Path(env.get("SUIVI_OUTBOX_JOURNALS") or CHECKOUT_DATA / "outbox-journals")
    return root / hashlib.sha256(url.encode()).hexdigest()[:16]


def pool_id(directory: Path) -> str:
    """The random id of a journal folder, drawn on first use and kept in `pool-id` (written
    whole to a temporary name, then linked: two senders starting together agree on one)."""
    path = directory / "pool-id"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    draft = directory / f".pool-id.{os.getpid()}.{secrets.token_hex(4)}"
    draft.write_text(secrets.token_hex(4))
    try:
        os.link(draft, path)          # fails if another sender linked its own first
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


class JournalPool(OutboxJournal):
    """One journal per sender among several: `acquire` takes the first slot whose lock is free."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        super().__init__(directory / "unclaimed")

    def _name(self, host: str, slot: str | int) -> str:
        return f"{host}:{pool_id(self.directory)}/{slot}"

    def acquire(self) -> None:
        if self._fd is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        host = socket.gethostname()
        for slot in range(MAX_SLOTS):
            self.path = self.directory / f"{host}-{slot}.journal"
            try:
                super().acquire()
            except SenderBusy:
                continue
            self.worker = self._name(host, slot)
            return
        raise SenderBusy(f"{MAX_SLOTS} outbox senders already run on this host ({self.directory})")

    def release(self) -> None:
        super().release()
        self.worker = None

    def orphans(self) -> Iterator[OutboxJournal]:
        """The other slots of this host whose lock is free: their sender died (or ended). Each is
        held while the caller settles its claims, so two survivors never settle the same one."""
        for path in sorted(self.directory.glob("*.journal")):
            if path == self.path:
                continue
            orphan = OutboxJournal(path)
            try:
                orphan.acquire()
            except SenderBusy:
                continue                   # a live sender
            host, slot = path.stem.rsplit("-", 1)
            orphan.worker = self._name(host, slot)
            try:
                yield orphan
            finally:
                orphan.release()
