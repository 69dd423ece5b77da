"""One SMTP transaction with PIPELINING (RFC 2920), over an open smtplib connection.

Without pipelining a transaction waits for the server four times (MAIL, each RCPT, DATA, the
end of the content); with it, MAIL, every RCPT and DATA go out together and their replies are
read in order, then the content — two waits whatever the number of recipients. Used only when
the server announces PIPELINING (Postfix does); smtplib has no support for it, so the commands
are written with its low-level `putcmd`/`getreply`, the same calls its own `mail()`/`rcpt()`
make.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

START_MAIL_INPUT = 354
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class TransactionReplies:
    mail: tuple[int, bytes]
    rcpts: tuple[tuple[int, bytes], ...]
    data: tuple[int, bytes] | None          # None when DATA was not reached
    end_of_data: tuple[int, bytes] | None   # None when no content was sent


def pipelined_transaction(
    connection: smtplib.SMTP,
    mail_from: str,
    mail_options: list[str],
    recipients: list[tuple[str, list[str]]],
    payload: bytes,
    while_waiting: Callable[[], None] | None = None,
) -> TransactionReplies:
    """MAIL + RCPT… + DATA in one write; the content only if DATA was accepted.

    `while_waiting` runs once the content is written, before its reply is read: the caller's
    own work (the outbox composes its next message) then overlaps the server's handling of
    this one instead of following it. Raises smtplib.SMTPServerDisconnected / OSError like smtplib does; the caller decides what a
    lost connection means for each recipient.
    """
    # Addresses come from compose, which refuses spaces, brackets and quotes: they can be put
    # between <> as they are (smtplib.quoteaddr re-parses each one, a third of the cost here).
    lines = [_command("MAIL", f"FROM:<{mail_from}>", mail_options)]
    lines += [_command("RCPT", f"TO:<{address}>", options) for address, options in recipients]
    lines.append(b"DATA\r\n")
    connection.send(b"".join(lines))
    mail = connection.getreply()  # a reused link found dead here has taken nothing: retry is safe
    try:
        return _after_mail(connection, mail, len(recipients), payload, while_waiting)
    except smtplib.SMTPServerDisconnected as err:
        raise DroppedMidTransaction(str(err)) from err


class DroppedMidTransaction(smtplib.SMTPServerDisconnected):
    """The server answered MAIL, then the link died: a real failure, not a stale connection."""


def _after_mail(connection: smtplib.SMTP, mail: tuple[int, bytes], recipient_count: int,
                payload: bytes, while_waiting: Callable[[], None] | None) -> TransactionReplies:
    rcpts = tuple(connection.getreply() for _ in range(recipient_count))
    data = connection.getreply()
    if data[0] != START_MAIL_INPUT:
        return TransactionReplies(mail, rcpts, data, None)
    if not any(code in (250, 251) for code, _ in rcpts):
        # RFC 2920 §3.1: a server that says 354 although no recipient was accepted gets an empty
        # message, which it must then refuse.
        connection.send(b".\r\n")
        return TransactionReplies(mail, rcpts, data, connection.getreply())
    content = _LEADING_DOT.sub(b"..", payload)
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    connection.send(content + b".\r\n")
    if while_waiting is not None:
        while_waiting()
    return TransactionReplies(mail, rcpts, data, connection.getreply())


def _command(verb: str, argument: str, options: list[str]) -> bytes:
    tail = "".join(f" {option}" for option in options)
    return f"{verb} {argument}{tail}\r\n".encode("utf-8")
