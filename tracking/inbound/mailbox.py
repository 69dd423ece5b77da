"""Where returned mail is read from: the bounce mailbox over IMAP, or a local Maildir.

The I/O edge of ingestion. A source lists what it holds past a checkpoint, fetches messages in
bulk, and — only once their results are committed — may move them to a processed folder. It
never deletes, and never writes the database (`tracking.ingest` does, checkpoint included).

Two IMAP libraries, each for what it does well (`python -m tracking bench ingest` measures it;
MAILSTACK.md §4 found the same): stdlib `imaplib` for bulk `UID FETCH` (33–62k msg/s on
loopback against ≈2k for imaplib2, whose reader thread handles a literal at a time), and
imaplib2 for IDLE (RFC 2177), which stdlib `imaplib` lacks before Python 3.14
(`tracking.inbound.idle`). The IDLE connection carries no message data: it only wakes the
watcher. The local Maildir source is `tracking.inbound.maildir`.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from tracking.config import ImapSettings, ImapTls
from tracking.errors import MailboxError, MailboxRefused, MailboxUnreachable

FETCH_CHUNK = 500          # UIDs per UID FETCH: 100–500 all ran at wire speed (MAILSTACK §4)
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass(frozen=True, slots=True)
class MailboxMessage:
    key: str                     # IMAP UID (decimal) or Maildir entry name
    raw: bytes
    received_at: datetime | None  # INTERNALDATE / file time, aware UTC


@dataclass(frozen=True, slots=True)
class Checkpoint:
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True, slots=True)
class Scan:
    """What a source holds that the checkpoint does not cover, oldest first."""

    validity: int
    keys: tuple[str, ...]
    rescan: bool = False          # UIDVALIDITY changed: everything is listed again


class MailboxSource(Protocol):
    name: str                     # stable identity: the checkpoint's key
    tracks_entries: bool          # True: progress is a set of entries (Maildir), not a last UID

    def scan(self, checkpoint: Checkpoint | None) -> Scan: ...
    def fetch(self, keys: Sequence[str]) -> Iterator[MailboxMessage]: ...
    def settle(self, keys: Sequence[str]) -> None: ...
    def close(self) -> None: ...


# -- IMAP ---------------------------------------------------------------------------------------

def imap_source_name(settings: ImapSettings) -> str:
    return f"imap://{settings.user}@{settings.host}:{settings.port}/{settings.folder}"


class ImapMailbox:
    """The bounce mailbox over stdlib `imaplib`: one connection, reopened when it drops."""

    tracks_entries = False

    def __init__(self, settings: ImapSettings) -> None:
        if not settings.configured:
            raise MailboxRefused("no IMAP mailbox configured (SUIVI_IMAP_HOST is empty)")
        self.settings = settings
        self.name = imap_source_name(settings)
        self._connection: imaplib.IMAP4 | None = None
        self._can_move = False

    def scan(self, checkpoint: Checkpoint | None) -> Scan:
        connection = self._connect()
        with _translated("SELECT"):
            status, data = connection.select(_quoted(self.settings.folder),
                                             readonly=not self.settings.processed_folder)
            if status != "OK":
                raise MailboxRefused(f"cannot open folder {self.settings.folder!r}: {_text(data)}")
            validity = int(connection.response("UIDVALIDITY")[1][0])
        rescan = checkpoint is not None and checkpoint.uidvalidity != validity
        last_uid = 0 if checkpoint is None or rescan else checkpoint.last_uid
        if self.settings.processed_folder and last_uid:
            # Committed but not moved yet (a crash between the two): move them now.
            self.settle([str(uid) for uid in self._search(f"UID 1:{last_uid}") if uid <= last_uid])
        # "UID n:*" always returns the highest UID, even when it is below n (RFC 3501 §6.4.8).
        uids = [uid for uid in self._search(f"UID {last_uid + 1}:*") if uid > last_uid]
        return Scan(validity, tuple(str(uid) for uid in sorted(uids)), rescan)

    def fetch(self, keys: Sequence[str]) -> Iterator[MailboxMessage]:
        connection = self._connect()
        for start in range(0, len(keys), FETCH_CHUNK):
            chunk = keys[start:start + FETCH_CHUNK]
            with _translated("UID FETCH"):
                status, data = connection.uid("FETCH", ",".join(chunk),
                                              "(UID INTERNALDATE BODY.PEEK[])")
            if status != "OK":
                raise MailboxUnreachable(f"UID FETCH failed: {_text(data)}")
            found = {}
            for item in data:
                if isinstance(item, tuple):
                    uid = _UID.search(item[0])
                    if uid:
                        found[uid.group(1).decode()] = (item[1], _internaldate(item[0]))
            for key in chunk:  # a message expunged meanwhile is simply not there
                if key in found:
                    raw, received_at = found[key]
                    yield MailboxMessage(key, raw, received_at)

    def settle(self, keys: Sequence[str]) -> None:
        """Move committed messages to the processed folder (when one is configured)."""
        target = self.settings.processed_folder
        if not target or not keys:
            return
        connection = self._connect()
        for start in range(0, len(keys), FETCH_CHUNK):
            uid_set = ",".join(keys[start:start + FETCH_CHUNK])
            with _translated("UID MOVE"):
                if self._can_move:  # RFC 6851
                    connection.uid("MOVE", uid_set, _quoted(target))
                else:
                    connection.uid("COPY", uid_set, _quoted(target))
                    connection.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
                    connection.expunge()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
                connection.logout()

    def _connect(self) -> imaplib.IMAP4:
        if self._connection is None:
            self._connection = open_imap(self.settings)
            self._can_move = "MOVE" in self._connection.capabilities
            if self.settings.processed_folder:
                with _translated("CREATE"), contextlib.suppress(imaplib.IMAP4.error):
                    self._connection.create(_quoted(self.settings.processed_folder))
        return self._connection

    def _search(self, criteria: str) -> list[int]:
        with _translated("UID SEARCH"):
            status, data = self._connect().uid("SEARCH", None, criteria)
        if status != "OK":
            raise MailboxUnreachable(f"UID SEARCH failed: {_text(data)}")
        return [int(uid) for uid in data[0].split()] if data and data[0] else []


def open_imap(settings: ImapSettings) -> imaplib.IMAP4:
    """A logged-in stdlib connection; errors translated (refused vs unreachable)."""
    context = tls_context(settings) if settings.tls is not ImapTls.NONE else None
    connection: imaplib.IMAP4 | None = None
    try:
        if settings.tls is ImapTls.IMAPS:
            connection = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context,
                                           timeout=settings.timeout)
        else:
            connection = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
            if settings.tls is ImapTls.STARTTLS:
                connection.starttls(context)
    except (ssl.SSLError, ssl.CertificateError) as err:
        _drop(connection)   # a failed STARTTLS leaves the plain socket open
        raise tls_refused(settings, err) from err
    except imaplib.IMAP4.error as err:  # e.g. STARTTLS not offered
        _drop(connection)
        raise MailboxRefused(f"{settings.host}:{settings.port}: {err}") from err
    except (OSError, EOFError) as err:
        _drop(connection)
        raise MailboxUnreachable(f"cannot reach {settings.host}:{settings.port}: {err}") from err
    try:
        connection.login(settings.user, settings.password.reveal())
    except imaplib.IMAP4.error as err:
        with contextlib.suppress(Exception):
            connection.shutdown()
        raise MailboxRefused(f"login refused for {settings.user!r}: {_text(err)}") from err
    except (OSError, EOFError) as err:
        raise MailboxUnreachable(f"{settings.host}:{settings.port} dropped the login: {err}") from err
    return connection


def tls_context(settings: ImapSettings) -> ssl.SSLContext:
    """Verified TLS (chain and host name, TLS ≥ 1.2): the system store, plus the configured CA
    bundle when there is one. Both IMAP connections use it, the IDLE one included."""
    context = ssl.create_default_context()
    if settings.ca_file:
        try:
            context.load_verify_locations(cafile=str(settings.ca_file))
        except (OSError, ssl.SSLError) as err:  # missing, unreadable, or not PEM
            raise MailboxRefused(f"cannot use SUIVI_IMAP_CA_FILE {settings.ca_file}: {err}") from err
    return context


def tls_refused(settings: ImapSettings, err: Exception) -> MailboxRefused:
    """A failed handshake as the operator should read it (shown on the watcher's status)."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(err, ssl.SSLCertVerificationError):
        hint = ("is SUIVI_IMAP_CA_FILE the CA that signed it?" if settings.ca_file else
                "set SUIVI_IMAP_CA_FILE to the CA that signed it")
        return MailboxRefused(f"TLS with {where} failed: the server's certificate was not "
                              f"accepted ({err.verify_message or err}); {hint}")
    return MailboxRefused(f"TLS with {where} failed: {err}")


def _drop(connection: imaplib.IMAP4 | None) -> None:
    if connection is not None:
        with contextlib.suppress(Exception):  # half-open; nothing more to report
            connection.shutdown()


@contextlib.contextmanager
def _translated(command: str) -> Iterator[None]:
    """imaplib raises its own errors and socket errors; callers see the project's."""
    try:
        yield
    except MailboxError:
        raise
    except imaplib.IMAP4.abort as err:  # the connection is unusable (BYE, dropped)
        raise MailboxUnreachable(f"{command}: connection lost: {err}") from err
    except imaplib.IMAP4.error as err:
        raise MailboxRefused(f"{command}: {_text(err)}") from err
    except (OSError, EOFError) as err:
        raise MailboxUnreachable(f"{command}: {err}") from err


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes)) or value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, BaseException) and value.args:
        return _text(value.args[0])
    return str(value)


def _internaldate(response: bytes) -> datetime | None:
    found = _INTERNALDATE.search(response)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1).decode(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None
