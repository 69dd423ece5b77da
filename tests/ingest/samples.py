"""Bulk bounce mailboxes for the crash test: thousands of distinct messages about the deliveries
of a database — failures, delays, successes, late failures, auto-replies, and the awkward ones
(no key at all, a forged token, bytes that are not a message).

Each shape is built once with the project's RFC 3464 / RFC 3834 builders (the sandbox's), then
copied with its placeholders replaced, so 2,000 messages take milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tracking.outbound import dsn
from tracking.outbound.dsn import RecipientStatus
from tracking.verp import make_token

SEND = "sendidplaceholder"
TOKEN = "tokenplaceholder"
RCPT = "rcpt.placeholder@client.test"
SEQ = "SEQPLACEHOLDER"
_MOMENT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)

_DSN_SHAPES = (   # (action, status, diagnostic)
    ("failed", "5.1.1", "550 5.1.1 <" + RCPT + ">: Recipient address rejected: User unknown"),
    ("delivered", "2.0.0", "250 2.0.0 Ok: delivered to mailbox"),
    ("delayed", "4.2.2", "452 4.2.2 <" + RCPT + ">: Mailbox full, try again later"),
    ("failed", "5.2.2", "552 5.2.2 <" + RCPT + ">: Quota exceeded (mailbox for user is full)"),
)


def _original() -> bytes:
    return (f"From: compta@atelier.test\nTo: {RCPT}\nSubject: Facture\n"
            f"Message-ID: <suivi.{SEND}@atelier.test>\nX-Suivi-Tracking: {SEND}\n\nBonjour\n"
            ).encode()


def _dsn(action: str, status: str, diagnostic: str, *, envelope_id: str = SEND) -> bytes:
    message = dsn.delivery_status_notification(
        reporting_mta="mx.relay.test", to=f"bounces+{TOKEN}@bounces.test",
        recipients=[RecipientStatus(RCPT, action, status, f"rfc822;{RCPT}", diagnostic,
                                    "mx.client.test", _MOMENT)],
        original=_original(), headers_only=True, envelope_id=envelope_id, arrival=_MOMENT,
        date=_MOMENT, message_id=f"<{SEQ}@mx.relay.test>")
    return dsn.as_mailbox_bytes(message, delivered_to=f"bounces+{TOKEN}@bounces.test")


def _autoreply() -> bytes:
    message = dsn.auto_reply(original=_original(), responder=RCPT,
                             to=f"bounces+{TOKEN}@bounces.test", date=_MOMENT,
                             message_id=f"<{SEQ}@client.test>")
    return dsn.as_mailbox_bytes(message, delivered_to=f"bounces+{TOKEN}@bounces.test")


def _fill(template: bytes, *, send_id: str, token: str, address: str, seq: int) -> bytes:
    return (template.replace(SEND.encode(), send_id.encode())
            .replace(TOKEN.encode(), token.encode())
            .replace(RCPT.encode(), address.encode())
            .replace(SEQ.encode(), f"seq{seq:07d}".encode()))


def bounce_mailbox(deliveries: list[tuple[str, int, str]], key: bytes, count: int) -> list[bytes]:
    """`count` distinct messages about `deliveries` ((send id, index, address), in order).

    Out of every 20: 15 delivery reports cycling through the shapes above (so a delivery
    reported delivered may later fail — a late bounce), 2 auto-replies, 1 without a token —
    alternately with no key at all (unmatched) and with the send's ENVID and headers (a
    proposal, issue 9) —, 1 with a forged token (suspicious), 1 that is not a message
    (undecodable).
    """
    dsns = [_dsn(*shape) for shape in _DSN_SHAPES]
    keyless = _dsn("failed", "5.1.1", "550 5.1.1 unknown", envelope_id="")
    autoreply = _autoreply()
    messages = []
    for seq in range(count):
        send_id, idx, address = deliveries[seq % len(deliveries)]
        token = make_token(key, send_id, idx)
        case = seq % 20
        if case < 15:
            template = dsns[(seq // len(deliveries) + case) % len(dsns)]
        elif case < 17:
            template = autoreply
        elif case == 17 and (seq // 20) % 2:
            template, token = dsns[0], ""        # our keys, anyone's to copy: proposed only
        elif case == 17:
            template = keyless
            send_id, token, address = "unknown", "", f"stranger{seq}@elsewhere.test"
        elif case == 18:
            template = dsns[0]
            token = make_token(b"not our key", send_id, idx)
        else:
            messages.append(b"\xff\xfe this is not a message %d\n" % seq)
            continue
        messages.append(_fill(template, send_id=send_id, token=token, address=address, seq=seq))
    return messages
