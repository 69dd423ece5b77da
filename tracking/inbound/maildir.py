"""A local Maildir as a mailbox source: the sandbox's returned mail, or saved messages."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from tracking.errors import MailboxUnreachable
from tracking.inbound.mailbox import Checkpoint, MailboxMessage, Scan


class MaildirMailbox:
    """A local Maildir (the sandbox's returned mail, or saved messages): read, never changed.

    Entries are file names without the `:2,` info suffix, so a file moved from new/ to cur/ by
    a mail client is still the same entry. Progress is the set of committed entries.
    """

    tracks_entries = True

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"maildir:{self.path.resolve()}"
        self._files: dict[str, Path] = {}

    def scan(self, checkpoint: Checkpoint | None) -> Scan:
        found: list[tuple[int, str, Path]] = []
        for sub in ("new", "cur"):
            folder = self.path / sub
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.is_file() and not entry.name.startswith("."):
                            found.append((entry.stat().st_mtime_ns, entry.name.split(":", 1)[0],
                                          Path(entry.path)))
            except FileNotFoundError:
                continue
            except OSError as err:
                raise MailboxUnreachable(f"cannot read {folder}: {err}") from err
        found.sort()
        self._files = {entry: path for _mtime, entry, path in found}
        return Scan(0, tuple(self._files))

    def fetch(self, keys: Sequence[str]) -> Iterator[MailboxMessage]:
        for key in keys:
            path = self._files.get(key)
            if path is None:
                continue
            try:
                raw = path.read_bytes()
                received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except FileNotFoundError:
                continue  # removed meanwhile by someone else
            except OSError as err:
                raise MailboxUnreachable(f"cannot read {path}: {err}") from err
            yield MailboxMessage(key, raw, received)

    def settle(self, keys: Sequence[str]) -> None:
        """Maildirs are left as they are: the committed entries are the checkpoint."""

    def close(self) -> None:
        self._files = {}
