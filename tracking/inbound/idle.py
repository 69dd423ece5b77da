"""IDLE (RFC 2177) over imaplib2: the watcher's second connection, which only wakes it.

stdlib `imaplib` has no IDLE before Python 3.14; imaplib2 does, but builds its own weak TLS
context, so its two TLS paths are given the same verified context as the bulk connection
(`tracking.inbound.mailbox.tls_context`).
"""

from __future__ import annotations

import contextlib
import functools
import socket
import ssl
import threading

from tracking.config import ImapSettings, ImapTls
from tracking.errors import MailboxRefused, MailboxUnreachable
from tracking.inbound.mailbox import _quoted, _text, tls_context, tls_refused


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


