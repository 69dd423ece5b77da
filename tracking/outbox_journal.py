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
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class JournalState:
    begun: set[str] = field(default_factory=set)
    ended: dict[str, list[dict]] = field(default_factory=dict)   # send id -> outcomes


class OutboxJournal:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file = None

    @classmethod
    def beside(cls, database_path: str) -> OutboxJournal | None:
        """The journal of a database file; None for an in-memory database."""
        if database_path == ":memory:":
            return None
        return cls(Path(database_path + ".outbox-journal"))

    def begin(self, send_id: str) -> None:
        self._write({"begin": send_id})

    def end(self, send_id: str, outcomes: list[dict]) -> None:
        self._write({"end": send_id, "outcomes": outcomes})

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
        """Forget everything: the outcomes are committed to the database."""
        self.close()
        with open(self.path, "wb"):
            pass

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, entry: dict) -> None:
        if self._file is None:
            self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - kept open on purpose
        self._file.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")

    def __del__(self) -> None:
        self.close()

