"""Where returned mail is read from: the bounce mailbox over IMAP, or a local Maildir.

The I/O edge of ingestion. A source lists what it holds past a checkpoint, fetches messages in
bulk, and — only once their results are committed — may move them to a processed folder. It
never deletes, and never writes the database (`tracking.ingest` does, checkpoint included).

Two IMAP libraries, each for what it does well (`python -m tracking bench ingest` measures it;
MAILSTACK.md §4 found the same): stdlib `imaplib` for bulk `UID FETCH` (33–62k msg/s on
loopback against ≈2k for imaplib2, whose reader thread handles a literal at a time), and
imaplib2 for IDLE (RFC 2177), which stdlib `imaplib` lacks before Python 3.14. The IDLE
connection carries no message data: it only wakes the watcher.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import os
import re
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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


# -- IDLE (imaplib2) ----------------------------------------------------------------------------

class IdleWatch:
    """A second, imaplib2 connection parked in IDLE on the folder: `wait()` returns when the
    server reports a change, the timeout passes, or `interrupt` is set (stop / poll now)."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._connection = None
        self._failure: str | None = None
        self._call = 0
        self._exists: int | None = None
        self._before_read: int | None = None

    def open(self) -> None:
        import imaplib2  # only the watcher needs it

        settings = self.settings
        context = tls_context(settings) if settings.tls is not ImapTls.NONE else None
        connection = None
        try:
            if settings.tls is ImapTls.IMAPS:
                connection = _verified_imaplib2(imaplib2.IMAP4_SSL)(
                    settings.host, settings.port, timeout=settings.timeout, tls_context=context)
            else:
                connection = _verified_imaplib2(imaplib2.IMAP4)(
                    settings.host, settings.port, timeout=settings.timeout, tls_context=context)
                if settings.tls is ImapTls.STARTTLS:
                    connection.starttls()
            try:
                connection.login(settings.user, settings.password.reveal())
            except imaplib2.IMAP4.error as err:
                with contextlib.suppress(Exception):
                    connection.logout(timeout=2)
                raise MailboxRefused(f"login refused for {settings.user!r}: {_text(err)}") from err
            _status, data = connection.select(_quoted(settings.folder), readonly=True)
            self._exists = _count(data)
        except (ssl.SSLError, ssl.CertificateError) as err:
            if connection is not None:   # STARTTLS refused: its reader thread is still running
                with contextlib.suppress(Exception):
                    connection.logout(timeout=2)
            raise tls_refused(settings, err) from err
        except MailboxRefused:
            raise
        except imaplib2.IMAP4.abort as err:
            raise MailboxUnreachable(f"IDLE connection lost: {err}") from err
        except imaplib2.IMAP4.error as err:
            raise MailboxRefused(f"IDLE connection refused: {_text(err)}") from err
        except (OSError, EOFError) as err:
            raise MailboxUnreachable(f"cannot reach {settings.host}:{settings.port}: {err}") from err
        self._connection = connection

    def prepare(self) -> None:
        """Call before reading the mailbox: remembers its message count, so that mail arriving
        between that read and the start of IDLE is not left waiting for the next poll (a
        server reports in IDLE only what changes *during* it — seen with Dovecot 2.3)."""
        if self._connection is None:
            self.open()
        self._before_read = self._sync()

    def wait(self, timeout: float, interrupt: threading.Event) -> None:
        """Block in IDLE until a change, `timeout`, or `interrupt`; raise if the link broke."""
        if self._connection is None:
            self.open()
        if self._sync() != self._before_read:
            return  # something arrived (or left) while the mailbox was being read
        # Mail landing in the few milliseconds between that check and IDLE waits for the poll.
        self._failure = None
        self._call += 1
        call = self._call

        def woken(result) -> None:
            # An IDLE cut short by `interrupt` ends when the next command starts; its late
            # callback must not wake the next wait (that would spin).
            if call != self._call:
                return
            _response, _arg, error = result
            if error:
                self._failure = str(error[1] if isinstance(error, tuple) else error)
            interrupt.set()

        try:
            self._connection.idle(timeout=max(1, int(timeout)), callback=woken)
        except Exception as err:  # noqa: BLE001 - imaplib2 raises its own and socket errors
            self.close()
            raise MailboxUnreachable(f"IDLE failed: {err}") from err
        interrupt.wait(timeout + 5)
        self._call += 1
        if self._failure:
            failure = self._failure
            self.close()
            raise MailboxUnreachable(f"IDLE connection lost: {failure}")

    def _sync(self) -> int | None:
        """NOOP, then the folder's latest EXISTS count (RFC 3501 §7.3.1)."""
        try:
            self._connection.noop()
            _code, data = self._connection.response("EXISTS")
        except Exception as err:  # noqa: BLE001 - imaplib2 raises its own and socket errors
            self.close()
            raise MailboxUnreachable(f"IDLE connection lost: {err}") from err
        reported = _count(data)
        if reported is not None:
            self._exists = reported
        return self._exists

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # it may already be dead; nothing to report
                connection.logout(timeout=2)


def _count(data: object) -> int | None:
    for value in reversed(data if isinstance(data, list) else []):
        if isinstance(value, bytes) and value.strip().isdigit():
            return int(value)
    return None


@functools.cache
def _verified_imaplib2(base: type) -> type:
    """`base` (imaplib2's IMAP4 or IMAP4_SSL) with our TLS: imaplib2 3.06 builds its own
    context — PROTOCOL_SSLv23 without host-name checking, CERT_NONE unless given `ca_certs`,
    and the `ssl.wrap_socket` removed in Python 3.12 when SNI is missing (MAILSTACK.md §1).
    Both its TLS paths (IMAP4_SSL.open and IMAP4.starttls) call `ssl_wrap_socket`, so replacing
    that one method gives the IDLE connection the same verified context as stdlib imaplib."""

    class Verified(base):  # type: ignore[misc, valid-type]
        def __init__(self, host: str, port: int, *, timeout: float,
                     tls_context: ssl.SSLContext | None) -> None:
            self._tls_context = tls_context
            self._handshake_timeout = timeout
            super().__init__(host, port, timeout=timeout)

        def ssl_wrap_socket(self) -> None:
            if self._tls_context is None:
                raise ssl.SSLError("TLS was not configured for this connection")
            # imaplib2's socket has no timeout (its reader thread polls); a server that never
            # answers the handshake must not hang the watcher.
            previous = self.sock.gettimeout()
            self.sock.settimeout(self._handshake_timeout)
            try:
                self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self.host)
            except BaseException:
                self.sock.close()
                raise
            self.sock.settimeout(previous)
            self.read_fd = self.sock.fileno()
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    Verified.__name__ = Verified.__qualname__ = f"Verified{base.__name__}"
    return Verified


# -- Maildir ------------------------------------------------------------------------------------

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
