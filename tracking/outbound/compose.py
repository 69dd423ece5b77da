"""Compose (pure, no I/O): a document and its recipients -> the message and its SMTP envelopes.

What the sending mode changes (DESIGN §3):

| mode | From | Reply-To | envelopes | return path | DSN parameters |
|---|---|---|---|---|---|
| `relay` | the service's address, the account's name | the customer | one per recipient | signed VERP | yes |
| `relay_own_address` | the customer's address | as given | one per recipient | signed VERP | yes |
| `smtp` | the customer's address | as given | one for all | the customer's address | no |

Relay modes send one envelope per recipient because the return path carries the recipient index:
a bounce then names its recipient even when its own report is unreadable. DSN parameters
(RFC 3461): `RET=HDRS` (the headers are enough to correlate, and we do not want invoices back in
the bounce mailbox), `ENVID=<send id>` on MAIL; `NOTIFY=SUCCESS,FAILURE,DELAY` and
`ORCPT=rfc822;<address>` on each RCPT. The transport drops them when the server does not
announce DSN.

The Message-ID derives from the send id, so a send resumed after a crash carries the same id.

The message is built with the compat32 `email.mime` classes rather than `EmailMessage`: header
parsing in `policy.default` made composing cost ~0.8 ms a message, more than the SMTP exchange
on loopback (`python -m tracking bench send` compares against plain smtplib).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.errors import MessageError
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.utils import format_datetime, formataddr

from tracking.errors import ConfigError, InvalidInput, RefusedValue
from tracking.models import DocumentKind, RecipientRole, SendingMode
from tracking.outbound import wording
from tracking.verp import verp_address
from tracking.outbound.xtext import xtext_encode
from tracking.validation import check_address, check_header_text

TRACKING_HEADER = "X-Suivi-Tracking"   # the inbound parser looks for exactly this name
DSN_NOTIFY = "NOTIFY=SUCCESS,FAILURE,DELAY"
DSN_RET = "RET=HDRS"

# Quoted-printable keeps a French body readable in the raw message (base64 is the utf-8 default).
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP

# Attachment types by extension; a table rather than `mimetypes`, which reads system files.
_ATTACHMENT_TYPES = {
    "pdf": ("application", "pdf"),
    "xml": ("application", "xml"),
    "zip": ("application", "zip"),
    "png": ("image", "png"),
    "jpg": ("image", "jpeg"),
    "jpeg": ("image", "jpeg"),
    "txt": ("text", "plain"),
}


@dataclass(frozen=True)
class OutgoingDocument:
    document_id: str
    kind: DocumentKind
    number: str
    amount: str                     # decimal text, e.g. "1234.50"
    currency: str
    issue_date: Date
    client_name: str
    account_name: str
    language: str                   # "fr" | "en"
    sender_address: str             # the customer's (account's) sender address
    sender_name: str
    reply_to: str | None
    attachment: bytes | None = None
    attachment_filename: str = ""


@dataclass(frozen=True)
class OutgoingRecipient:
    address: str
    role: RecipientRole
    index: int                      # the delivery's index within its send; signed into VERP


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    mail_options: tuple[str, ...]
    recipients: tuple[tuple[OutgoingRecipient, tuple[str, ...]], ...]  # (recipient, rcpt_options)


@dataclass(frozen=True)
class ComposedMessage:
    message: Message                # compat32 MIME classes: ~10x faster to build than EmailMessage
    message_id: str
    envelope_id: str | None
    envelopes: tuple[Envelope, ...]

    @property
    def recipients(self) -> tuple[OutgoingRecipient, ...]:
        return tuple(recipient for envelope in self.envelopes for recipient, _ in envelope.recipients)

    def restricted_to(self, indexes: set[int]) -> ComposedMessage:
        """The same message with only the envelopes/recipients whose index is in `indexes`."""
        envelopes = []
        for envelope in self.envelopes:
            kept = tuple(pair for pair in envelope.recipients if pair[0].index in indexes)
            if kept:
                envelopes.append(
                    Envelope(envelope.mail_from, envelope.mail_options, kept)
                )
        return ComposedMessage(self.message, self.message_id, self.envelope_id, tuple(envelopes))


def compose(
    doc: OutgoingDocument,
    recipients: list[OutgoingRecipient] | tuple[OutgoingRecipient, ...],
    *,
    send_id: str,
    mode: SendingMode,
    message_domain: str,
    bounce_domain: str,
    verp_key: bytes | None,
    date: datetime,
    service_address: str | None = None,
) -> ComposedMessage:
    """Build the message and its envelopes. Raises InvalidInput / ConfigError, never does I/O.

    `service_address` is the service's own From in `relay` mode (default
    `noreply@<message_domain>`).
    """
    if mode is SendingMode.MANUAL:
        raise InvalidInput("a manual send has no message to compose")
    if date.tzinfo is None:
        raise InvalidInput("the Date header needs an aware datetime")
    ordered = _checked_recipients(recipients)
    _check_header_fields(doc)
    if mode.tracks_delivery and not verp_key:
        raise ConfigError("relay modes need a VERP key to sign the return path")

    message_id = f"<suivi.{send_id}@{message_domain}>"
    try:
        message = _message(doc, ordered, mode, message_id, send_id, date, service_address,
                            message_domain)
    except (ValueError, MessageError) as err:
        # The checks above should leave nothing for the email package to refuse; if it still
        # does, this document's send fails with the cause instead of stopping the batch.
        raise RefusedValue("compose_failed", f"the message could not be composed: {err}",
                           error=str(err)) from err
    if mode.tracks_delivery:
        assert verp_key is not None
        envelopes = tuple(
            Envelope(
                mail_from=verp_address(verp_key, send_id, recipient.index, bounce_domain),
                mail_options=(DSN_RET, f"ENVID={xtext_encode(send_id)}"),
                recipients=((recipient, (DSN_NOTIFY, f"ORCPT=rfc822;{xtext_encode(recipient.address)}")),),
            )
            for recipient in ordered
        )
        return ComposedMessage(message, message_id, send_id, envelopes)
    envelope = Envelope(doc.sender_address, (), tuple((recipient, ()) for recipient in ordered))
    return ComposedMessage(message, message_id, None, (envelope,))


def _message(
    doc: OutgoingDocument,
    recipients: tuple[OutgoingRecipient, ...],
    mode: SendingMode,
    message_id: str,
    send_id: str,
    date: datetime,
    service_address: str | None,
    message_domain: str,
) -> Message:
    texts = wording.texts_for(doc.language)
    body = wording.body(
        texts,
        kind=doc.kind,
        number=doc.number,
        amount=wording.format_amount(doc.amount, doc.currency, texts),
        issue_date=wording.format_date(doc.issue_date, texts),
        client_name=doc.client_name,
        sender_name=doc.sender_name,
        account_name=doc.account_name,
        attached=doc.attachment is not None,
    )
    text = _text_part(body)
    if doc.attachment is None:
        message: Message = text
    else:
        del text["MIME-Version"]  # only the top level carries it
        message = MIMEMultipart("mixed")
        message.attach(text)
        message.attach(_attachment(doc, texts))
    # Headers stored as `__setitem__` stores them under compat32 (as given; no count limit),
    # without its per-header policy calls: 11 headers a message.
    headers: list[tuple[str, str]] = []
    if mode is SendingMode.RELAY:
        # The service's own domain is the one that passes SPF/DKIM; replies go to the customer.
        sender = service_address or f"noreply@{message_domain}"
        headers.append(("From", _address_header(doc.account_name or doc.sender_name, sender)))
        headers.append(("Reply-To", _address_header(doc.sender_name,
                                                    doc.reply_to or doc.sender_address)))
    else:
        headers.append(("From", _address_header(doc.sender_name or doc.account_name,
                                                doc.sender_address)))
        if doc.reply_to:
            headers.append(("Reply-To", doc.reply_to))
    to = [r.address for r in recipients if r.role is RecipientRole.TO]
    cc = [r.address for r in recipients if r.role is RecipientRole.CC]
    if to:
        headers.append(("To", ", ".join(to)))
    if cc:
        headers.append(("Cc", ", ".join(cc)))
    headers += [("Subject", wording.subject(texts, doc.kind, doc.number, doc.account_name)),
                ("Date", _date_header(date, date.utcoffset())),
                ("Message-ID", message_id),
                (TRACKING_HEADER, send_id),
                ("Content-Language", texts.language)]
    for name, value in headers:
        message.set_raw(name, value)
    return message


# Per account (From, Reply-To) and per request (Date: one time for a whole "send the selection"),
# the same few values come back for every message of a batch: formataddr's quoting checks and
# format_datetime's strftime("%z") were ~8 % of composing one (send bench, 2,000 messages).
@functools.lru_cache(maxsize=1024)
def _address_header(name: str, address: str) -> str:
    return formataddr((name, address))


@functools.lru_cache(maxsize=256)
def _date_header(date: datetime, offset: object) -> str:
    """`offset` is part of the key: equal instants in two zones are equal datetimes, but their
    Date headers differ (+0100 / +0000)."""
    return format_datetime(date)


def _text_part(body: str) -> Message:
    """The body as `MIMEText(body, "plain", _UTF8_QP)` builds it, byte for byte, without its
    `set_charset`/`set_param` round trips (they re-parse the Content-Type header they just
    wrote: a fifth of composing a message)."""
    part = Message()
    part.set_raw("Content-Type", 'text/plain; charset="utf-8"')
    part.set_raw("MIME-Version", "1.0")
    part.set_raw("Content-Transfer-Encoding", "quoted-printable")
    part.set_payload(_UTF8_QP.body_encode(body.encode("utf-8")))
    return part


def _attachment(doc: OutgoingDocument, texts: wording.Texts) -> Message:
    filename = doc.attachment_filename or wording.default_filename(texts, doc.kind, doc.number)
    maintype, subtype = _ATTACHMENT_TYPES.get(
        filename.rpartition(".")[2].lower(), ("application", "octet-stream")
    )
    part = MIMEBase(maintype, subtype)
    del part["MIME-Version"]
    part.set_payload(doc.attachment)
    encode_base64(part)
    # RFC 2231 for a non-ASCII file name
    part.add_header("Content-Disposition", "attachment",
                    filename=filename if filename.isascii() else ("utf-8", "", filename))
    return part


def _checked_recipients(
    recipients: list[OutgoingRecipient] | tuple[OutgoingRecipient, ...],
) -> tuple[OutgoingRecipient, ...]:
    if not recipients:
        raise InvalidInput("a send needs at least one recipient")
    indexes = [recipient.index for recipient in recipients]
    if len(set(indexes)) != len(indexes):
        raise InvalidInput(f"recipient indexes must be unique: {indexes}")
    for recipient in recipients:
        check_address(recipient.address, "recipient")
    return tuple(sorted(recipients, key=lambda recipient: recipient.index))


def _check_header_fields(doc: OutgoingDocument) -> None:
    """The same checks as the service's, again here: rows written before those checks (or by
    another tool) must fail one send with a clear cause, never a batch with a traceback."""
    check_header_text(doc.number, "document_number")
    check_header_text(doc.account_name, "account_name")
    check_header_text(doc.sender_name, "sender_name")
    check_header_text(doc.client_name, "client_name")
    check_header_text(doc.attachment_filename, "attachment_filename")
    check_address(doc.sender_address, "sender_address")
    if doc.reply_to:
        check_address(doc.reply_to, "reply_to")


