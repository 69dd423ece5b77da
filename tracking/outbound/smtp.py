"""The SMTP edge: hand composed messages to a server and say, per recipient, what it answered.

One `SmtpTransport` keeps one connection and reuses it across `deliver()` calls (a batch costs
one handshake). It drives MAIL / RCPT / DATA itself because smtplib's `sendmail` applies the same
`rcpt_options` to every recipient, while RFC 3461's ORCPT is per recipient. DSN parameters are
only sent when the server's EHLO announces `DSN` (a server that does not would refuse them).

Outcomes per recipient (DESIGN §4):
- 250 after DATA -> accepted (`sent`);
- 5xx at MAIL, RCPT or DATA -> refused, not transient, with the server's exact reply;
- 4xx (and anything unexpected) -> transient, for `retry` to try again;
- some recipients refused, others accepted -> each keeps its own outcome.

Connection failures, timeouts and dropped connections raise `ConnectionLost` (a
`TransientSendError`) carrying the outcomes already settled, so a retry never sends twice to a
recipient the server already accepted; the next call reconnects. TLS verification and AUTH
failures raise `PermanentSendError`: retrying cannot fix a configuration. It too carries
`completed` (usually empty: it can only happen mid-message when a reconnection fails).

Not thread-safe: one transport per sending thread.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import struct
from dataclasses import dataclass
import re
from collections.abc import Callable
from email import policy
from email.message import Message
from email.policy import Compat32

from tracking.config import SmtpSettings, TlsMode, is_loopback
from tracking.errors import PermanentSendError, TransientSendError
from tracking.outbound.compose import ComposedMessage, Envelope, OutgoingRecipient
from tracking.outbound.pipelining import DroppedMidTransaction, pipelined_transaction

# RFC 5321 §4.2: 2yz completed, 4yz transient failure, 5yz permanent failure.
ACCEPTED = 250
USER_NOT_LOCAL_WILL_FORWARD = 251
SERVICE_CLOSING = 421

class _WirePolicy(Compat32):
    """compat32 with CRLF line ends (aiosmtpd refuses bare LF, MAILSTACK.md §2), and a fast path
    for the short ASCII headers compose writes: the `Header` machinery behind compat32 folding
    was most of the cost of a send on loopback. Same bytes as `policy.SMTP` for our messages."""

    def fold_binary(self, name: str, value: str) -> bytes:
        if _fits_one_line(name, value, self.max_line_length):
            return f"{name}: {value}\r\n".encode("ascii")
        return super().fold_binary(name, value)


def _fits_one_line(name: str, value: object, max_line_length: int) -> bool:
    """A header compat32 would write as it is: ASCII text, no line end, within the line limit."""
    return (isinstance(value, str) and value.isascii() and "\n" not in value
            and "\r" not in value and len(name) + len(value) + 2 <= max_line_length)


WIRE_POLICY = _WirePolicy(linesep="\r\n")
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to"})
_LINE_END = re.compile(r"\r\n|\r|\n")   # what the email generator splits body lines on
# Non-ASCII addresses cannot be RFC 2047-encoded, so such messages go as UTF-8 (RFC 6532).
UTF8_WIRE_POLICY = policy.SMTPUTF8


@dataclass(frozen=True)
class RecipientOutcome:
    recipient: OutgoingRecipient
    accepted: bool
    code: int                # SMTP reply code; 0 when no server answered (connection error)
    reply: str               # the server's reply as sent, "550 5.1.1 <a@b>: User unknown"
    transient: bool          # worth retrying
    stage: str = ""          # where it was decided: connect, mail, rcpt, data


class ConnectionLost(TransientSendError):
    """The connection failed mid-way; `completed` holds the outcomes settled before it did."""

    def __init__(self, message: str, completed: tuple[RecipientOutcome, ...] = ()) -> None:
        super().__init__(message)
        self.completed = completed


class CannotConnect(ConnectionLost):
    """No connection could be opened at all (refused, timed out, no route, greeting failed)."""


class TlsFailed(PermanentSendError):
    """TLS with the outbound server failed (certificate, handshake, no STARTTLS offered)."""


class AuthRefused(PermanentSendError):
    """The outbound server refused our credentials (535, 534…)."""


class SmtpTransport:
    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        if settings.tls is TlsMode.NONE and not is_loopback(settings.host):
            raise PermanentSendError(f"refusing plain-text SMTP to {settings.host!r}")
        self.settings = settings
        self._ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None
        self.connections_opened = 0

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._connection is not None

    def deliver(self, composed: ComposedMessage, payload: bytes | None = None,
                while_waiting: Callable[[], None] | None = None,
                international: bool | None = None) -> list[RecipientOutcome]:
        """Send every envelope of `composed`; outcomes in envelope order, one per recipient.

        `payload`: the message's bytes from `wire_payload`, when the caller serialized it
        beforehand. `while_waiting`: the caller's work to run while the server handles the
        content (pipelined servers only; it may run several times, or not at all).
        `international`: `needs_smtputf8(composed)` when the caller already knows it (it walks
        every header: twice per message was ~4 % of the SMTP thread's time in the send bench)."""
        if international is None:
            international = needs_smtputf8(composed)
        if payload is None:
            payload = wire_payload(composed, international)
        outcomes: list[RecipientOutcome] = []
        for envelope in composed.envelopes:
            try:
                outcomes.extend(self._deliver_reconnecting_if_stale(envelope, payload, international,
                                                                    while_waiting))
            except OSError as err:  # smtplib's errors are OSErrors too, and ConnectionLost
                raise self._lost(err, outcomes) from err
            except ConnectionLost as err:
                raise self._lost(err, outcomes) from err
            except PermanentSendError as err:
                # Only a reconnection can fail this way mid-message; what the server already
                # accepted stays accepted, so say so rather than lose it.
                err.completed = tuple(outcomes)  # type: ignore[attr-defined]
                raise
        return outcomes

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    # -- one envelope ------------------------------------------------------------------------

    def _deliver_reconnecting_if_stale(
        self, envelope: Envelope, payload: bytes, international: bool,
        while_waiting: Callable[[], None] | None = None,
    ) -> list[RecipientOutcome]:
        try:
            return self._deliver_envelope(envelope, payload, international, while_waiting)
        except _Stale:
            # A reused connection the server closed while idle: nothing of this envelope was
            # accepted yet, so one fresh connection is safe (a fresh one never raises _Stale).
            self._drop()
        return self._deliver_envelope(envelope, payload, international, while_waiting)

    def _deliver_envelope(
        self, envelope: Envelope, payload: bytes, international: bool,
        while_waiting: Callable[[], None] | None = None,
    ) -> list[RecipientOutcome]:
        connection, reused = self._open()
        dsn = connection.has_extn("dsn")
        mail_options = list(envelope.mail_options) if dsn else []
        if international:
            if not connection.has_extn("smtputf8"):
                # RFC 6531 §3.7.4.1: a non-ASCII address cannot go to a server without SMTPUTF8.
                reply = "553 5.6.7 non-ASCII address, and the server does not offer SMTPUTF8"
                return [_outcome(recipient, 553, reply[4:], "mail") for recipient, _ in envelope.recipients]
            mail_options.append("SMTPUTF8")
        if connection.has_extn("pipelining"):
            return self._pipelined(connection, reused, envelope, mail_options, dsn, payload,
                                   while_waiting)
        try:
            code, reply = connection.mail(envelope.mail_from, mail_options)
        except smtplib.SMTPServerDisconnected as err:
            if reused:
                raise _Stale() from err
            raise
        if code == SERVICE_CLOSING and reused:
            raise _Stale()
        if code != ACCEPTED:
            self._reset(connection, code)
            return [_outcome(recipient, code, reply, "mail") for recipient, _ in envelope.recipients]

        settled: dict[int, RecipientOutcome] = {}
        taken: list[OutgoingRecipient] = []
        for recipient, options in envelope.recipients:
            code, reply = connection.rcpt(recipient.address, list(options) if dsn else [])
            if code in (ACCEPTED, USER_NOT_LOCAL_WILL_FORWARD):
                taken.append(recipient)
            else:
                settled[recipient.index] = _outcome(recipient, code, reply, "rcpt")
        if taken:
            try:
                code, reply = connection.data(payload)
            except smtplib.SMTPDataError as err:   # DATA itself refused, before the content
                code, reply = err.smtp_code, err.smtp_error
                self._reset(connection, code)
            for recipient in taken:
                settled[recipient.index] = _outcome(recipient, code, reply, "data")
        else:
            self._reset(connection, 0)
        return [settled[recipient.index] for recipient, _ in envelope.recipients]

    def _pipelined(self, connection: smtplib.SMTP, reused: bool, envelope: Envelope,
                   mail_options: list[str], dsn: bool, payload: bytes,
                   while_waiting: Callable[[], None] | None) -> list[RecipientOutcome]:
        """The same transaction with RFC 2920 pipelining: two waits instead of 3 + recipients."""
        recipients = [(r.address, list(options) if dsn else []) for r, options in envelope.recipients]
        try:
            replies = pipelined_transaction(connection, envelope.mail_from, mail_options,
                                            recipients, payload, while_waiting)
        except DroppedMidTransaction:
            raise
        except smtplib.SMTPServerDisconnected as err:
            if reused:  # dead before answering MAIL: nothing of this envelope was taken
                raise _Stale() from err
            raise
        mail_code, mail_reply = replies.mail
        if mail_code == SERVICE_CLOSING and reused:
            raise _Stale()
        if mail_code != ACCEPTED:
            self._reset(connection, mail_code)
            return [_outcome(r, mail_code, mail_reply, "mail") for r, _ in envelope.recipients]
        outcomes = []
        for (recipient, _), (code, reply) in zip(envelope.recipients, replies.rcpts):
            if code not in (ACCEPTED, USER_NOT_LOCAL_WILL_FORWARD):
                outcomes.append(_outcome(recipient, code, reply, "rcpt"))
            elif replies.end_of_data is not None:
                outcomes.append(_outcome(recipient, *replies.end_of_data, "data"))
            else:  # DATA itself refused
                outcomes.append(_outcome(recipient, *replies.data, "data"))
        if replies.end_of_data is None or replies.end_of_data[0] >= 400:
            self._reset(connection, (replies.end_of_data or replies.data)[0])
        return outcomes

    # -- the connection ----------------------------------------------------------------------

    def _open(self) -> tuple[smtplib.SMTP, bool]:
        """The live connection (and whether it was used before), opening one when needed."""
        if self._connection is not None:
            return self._connection, True
        settings = self.settings
        connection: smtplib.SMTP | None = None
        try:
            if settings.tls is TlsMode.IMPLICIT:
                connection = smtplib.SMTP_SSL(
                    settings.host, settings.port, local_hostname=settings.helo_name,
                    timeout=settings.timeout, context=self._context(),
                )
            else:
                connection = smtplib.SMTP(
                    settings.host, settings.port, local_hostname=settings.helo_name,
                    timeout=settings.timeout,
                )
            connection.ehlo_or_helo_if_needed()
            if settings.tls is TlsMode.STARTTLS:
                if not connection.has_extn("starttls"):
                    # Never fall back to plain text: that would leak documents and credentials.
                    raise TlsFailed(f"{settings.host} does not offer STARTTLS")
                connection.starttls(context=self._context())
                connection.ehlo()
            if settings.user:
                connection.login(settings.user, settings.password.reveal())
        except PermanentSendError:
            _abandon(connection)
            raise
        except ssl.SSLError as err:        # certificate verification, handshake: configuration
            _abandon(connection)
            raise TlsFailed(f"TLS with {settings.host}:{settings.port} failed: {err}") from err
        except smtplib.SMTPAuthenticationError as err:
            _abandon(connection)
            raise AuthRefused(
                f"authentication as {settings.user!r} refused: {_reply_text(err.smtp_code, err.smtp_error)}"
            ) from err
        except smtplib.SMTPNotSupportedError as err:
            _abandon(connection)
            raise PermanentSendError(f"{settings.host} does not support AUTH") from err
        except (smtplib.SMTPException, OSError) as err:
            _abandon(connection)
            raise CannotConnect(f"cannot connect to {settings.host}:{settings.port}: {_describe(err)}") from err
        _kernel_timeouts(connection.sock, settings.timeout)
        self._connection = connection
        self.connections_opened += 1
        return connection, False

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            ca_file = str(self.settings.ca_file) if self.settings.ca_file else None
            # Verification on: CERT_REQUIRED and hostname checking are the defaults here.
            self._ssl_context = ssl.create_default_context(cafile=ca_file)
        return self._ssl_context

    def _reset(self, connection: smtplib.SMTP, code: int) -> None:
        """RSET after a failed transaction; a 421 or a dead link means the connection is gone."""
        if code == SERVICE_CLOSING:
            self._drop()
            return
        try:
            connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        _abandon(connection)

    def _lost(self, err: BaseException | None, outcomes: list[RecipientOutcome]) -> ConnectionLost:
        self._drop()
        if isinstance(err, ConnectionLost):
            return type(err)(str(err), tuple(outcomes) + err.completed)
        return ConnectionLost(
            f"connection to {self.settings.host}:{self.settings.port} lost: {_describe(err)}",
            tuple(outcomes),
        )


class _Stale(Exception):
    """A reused connection turned out closed before this envelope started."""


def _outcome(recipient: OutgoingRecipient, code: int, reply: bytes | str, stage: str) -> RecipientOutcome:
    accepted = stage == "data" and 200 <= code < 300
    permanent = 500 <= code < 600
    return RecipientOutcome(
        recipient=recipient,
        accepted=accepted,
        code=code,
        reply=_reply_text(code, reply),
        transient=not accepted and not permanent,
        stage=stage,
    )


def wire_payload(composed: ComposedMessage, international: bool | None = None) -> bytes:
    """The message as it goes after DATA (CRLF line ends; UTF-8 headers when needed).
    `international`: `needs_smtputf8(composed)`, when the caller has it already."""
    if international is None:
        international = needs_smtputf8(composed)
    if international:
        return composed.message.as_bytes(policy=UTF8_WIRE_POLICY)
    return _plain_text_bytes(composed.message) or composed.message.as_bytes(policy=WIRE_POLICY)


def _plain_text_bytes(message: Message) -> bytes | None:
    """`message.as_bytes(policy=WIRE_POLICY)` written directly for the common shape — one text
    part, ASCII body, every header on one line — or None for anything else. The generator's
    dispatch and per-header policy calls cost as much as the rest of composing; for this shape
    it writes each header as `name: value`, a blank line, then the body with CRLF line ends.
    The header checks of `_fits_one_line` and the content type `get_content_maintype` reads are
    done inline, in the one pass over the headers (each a walk of its own before)."""
    if message.is_multipart():
        return None
    body = message.get_payload()
    if not isinstance(body, str) or not body.isascii():   # surrogates (raw bytes) are not ASCII
        return None
    limit = WIRE_POLICY.max_line_length
    content_type = None
    lines = []
    for name, value in message.raw_items():
        if not (type(value) is str and value.isascii() and "\n" not in value
                and "\r" not in value and len(name) + len(value) + 2 <= limit):
            return None
        if content_type is None and name.lower() == "content-type":
            content_type = value
        lines.append(f"{name}: {value}\r\n")
    if content_type is None:
        content_type = message.get_default_type()
    # as `Message.get_content_type` reads it (`_splitparam`): a malformed type means text/plain
    main = content_type.partition(";")[0].strip().lower()
    if main.count("/") == 1 and main.split("/")[0] != "text":
        return None
    lines.append("\r\n")
    # compose's quoted-printable body has only LF line ends: a plain replace then (~4x cheaper)
    lines.append(_LINE_END.sub("\r\n", body) if "\r" in body else body.replace("\n", "\r\n"))
    return "".join(lines).encode("ascii")


def needs_smtputf8(composed: ComposedMessage) -> bool:
    """Any non-ASCII address, in an envelope or in the headers (a retry may send to an ASCII
    recipient a message whose Cc names a non-ASCII one)."""
    if not all(envelope.mail_from.isascii() for envelope in composed.envelopes):
        return True
    if not all(recipient.address.isascii() for recipient in composed.recipients):
        return True
    # the first of each address header, as `message.get` reads it, in one pass over the headers
    # (`get` walks them all, lower-casing each name, once per name asked)
    seen: set[str] = set()
    for name, value in composed.message.raw_items():
        key = name.lower()
        if key in _ADDRESS_HEADERS and key not in seen:
            seen.add(key)
            if not str(value).isascii():
                return True
    return False


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}".strip() if code > 0 else text


def _describe(err: BaseException | None) -> str:
    if err is None:
        return "unknown error"
    if isinstance(err, (TimeoutError, BlockingIOError)):   # BlockingIOError: `_kernel_timeouts`
        return "timed out"
    return str(err) or type(err).__name__


def _kernel_timeouts(sock: socket.socket | None, seconds: float) -> None:
    """The same timeout on a plain connection, kept by the kernel (SO_RCVTIMEO/SO_SNDTIMEO)
    instead of Python's socket timeout.

    Python waits for a socket with a timeout by a `poll` before every `recv` and `send`, each
    call dropping the GIL: ~6 polls a message on the send bench (4 replies, 2 writes), each a
    chance for the recording thread to take the GIL while the server's reply waits. A blocking
    socket with kernel timeouts makes the one call. A stalled server still ends the wait after
    `seconds`: `recv` then fails with EAGAIN, which smtplib reads as a closed connection
    (`SMTPServerDisconnected`, as it does a timeout: transient, the connection dropped), and a
    stalled `send` raises `BlockingIOError` (reported "timed out"). One difference: the kernel
    bounds each `send` call, Python bounds a whole `sendall`, so a server that keeps reading a
    large message slowly can hold the transaction longer than `seconds`. TLS connections keep
    Python's timeout (the ssl module's own waits are not this simple)."""
    if sock is None or isinstance(sock, ssl.SSLSocket):
        return
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000) or (0 if whole else 1))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    except OSError:   # a platform without them: Python's timeout stays
        return
    sock.settimeout(None)


def _abandon(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        try:
            connection.close()
        except OSError:
            pass
