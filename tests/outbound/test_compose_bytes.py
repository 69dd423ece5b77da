"""Compose builds its headers without the email package's per-header calls and caches the
From/Reply-To and Date values: the bytes must stay exactly those of the plain email API
(`MIMEText`, `msg[name] = value`, `formataddr`, `format_datetime`), over many generated
documents — both languages, every mode, odd and non-ASCII names, several time zones."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

from tests.outbound.servers import VERP_KEY, make_document, recipients
from tracking.models import DocumentKind, RecipientRole, SendingMode
from tracking.outbound import wording
from tracking.outbound.compose import TRACKING_HEADER, _UTF8_QP, _attachment, compose
from tracking.outbound.smtp import WIRE_POLICY, needs_smtputf8, wire_payload

_NAMES = ["ACME SARL", "Jeanne Martin", "", "Société Dupont", 'Dupont "le grand"', "O'Brien",
          "Martin, Jeanne", "Back\\slash", "(paren) <angle>", "Zoë Ærø", "日本語", "a.b@c",
          "x" * 70, "Été ; été", "  spaced  "]
_ADDRESSES = ["factures@acme.example", "compta+fv@client.example", "o.brien@x.example",
              "jérôme@exemple.fr"]
_ZONES = [timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]


def _reference(doc, rcpts, mode: SendingMode, send_id: str, when: datetime) -> bytes:
    """What compose wrote before it built headers itself (its old `_message`, public API only)."""
    texts = wording.texts_for(doc.language)
    body = wording.body(texts, kind=doc.kind, number=doc.number,
                        amount=wording.format_amount(doc.amount, doc.currency, texts),
                        issue_date=wording.format_date(doc.issue_date, texts),
                        client_name=doc.client_name, sender_name=doc.sender_name,
                        account_name=doc.account_name, attached=doc.attachment is not None)
    message = MIMEText(body, "plain", _UTF8_QP)
    if doc.attachment is not None:
        del message["MIME-Version"]
        text, message = message, MIMEMultipart("mixed", boundary="b")
        message.attach(text)
        message.attach(_attachment(doc, texts))
    if mode is SendingMode.RELAY:
        message["From"] = formataddr((doc.account_name or doc.sender_name, "noreply@s.example"))
        message["Reply-To"] = formataddr((doc.sender_name, doc.reply_to or doc.sender_address))
    else:
        message["From"] = formataddr((doc.sender_name or doc.account_name, doc.sender_address))
        if doc.reply_to:
            message["Reply-To"] = doc.reply_to
    to = [r.address for r in rcpts if r.role is RecipientRole.TO]
    cc = [r.address for r in rcpts if r.role is RecipientRole.CC]
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = wording.subject(texts, doc.kind, doc.number, doc.account_name)
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<suivi.{send_id}@s.example>"
    message[TRACKING_HEADER] = send_id
    message["Content-Language"] = texts.language
    return message.as_bytes(policy=WIRE_POLICY)


def test_composed_bytes_are_the_plain_email_apis_over_generated_documents() -> None:
    rng = random.Random(1203)
    instant = datetime(2026, 11, 28, 13, 32, tzinfo=timezone.utc)
    for number in range(400):
        # the same instant in several zones (equal datetimes, different Date headers) and a few
        # other instants: the cached Date must follow the zone
        when = (instant + timedelta(minutes=rng.choice([0, 0, 1, 90]))).astimezone(
            rng.choice(_ZONES))
        doc = make_document(
            language=rng.choice(["fr", "en", "en-GB", ""]),
            attachment=rng.choice([None, None, b"%PDF-1.4 x\n"]),
            kind=rng.choice(list(DocumentKind)),
            number=rng.choice(["FV 2026/11/0042", f"N° {number}", "A-1"]),
            amount=rng.choice(["1234.50", "0", "-12.3", "1000000"]),
            issue_date=date(2026, rng.randrange(1, 13), rng.randrange(1, 29)),
            client_name=rng.choice(_NAMES), account_name=rng.choice(_NAMES),
            sender_name=rng.choice(_NAMES), sender_address=rng.choice(_ADDRESSES[:3]),
            reply_to=rng.choice([None, *_ADDRESSES[:3]]))
        rcpts = recipients(*rng.sample(_ADDRESSES, rng.randrange(1, 4)))
        mode = rng.choice([SendingMode.RELAY, SendingMode.RELAY_OWN_ADDRESS, SendingMode.SMTP])
        send_id = f"send-{number}"
        composed = compose(doc, rcpts, send_id=send_id, mode=mode, message_domain="s.example",
                           bounce_domain="b.s.example", verp_key=VERP_KEY, date=when)
        if doc.attachment is not None:
            composed.message.set_boundary("b")
        expected = _reference(doc, rcpts, mode, send_id, when)
        assert composed.message.as_bytes(policy=WIRE_POLICY) == expected, (number, doc)
        if not needs_smtputf8(composed):
            assert wire_payload(composed) == expected, (number, doc)


def test_the_direct_writer_takes_only_what_the_generator_writes_the_same() -> None:
    """`_plain_text_bytes` reads the content type and checks each header in its own pass: for
    any shape it either declines (None) or writes exactly the generator's bytes."""
    from email.message import Message

    from tracking.outbound.smtp import _plain_text_bytes

    taken = 0
    for content_type in [None, "text/plain", "TEXT/HTML; charset=x", "application/pdf",
                         "message/rfc822", "multipart/mixed", "garbage", "a/b/c", " Text/Plain ;"]:
        for body in ["a\nb\n", "a\r\nb\rc\n", "no end", "", "é\n"]:
            for extra in [("Subject", "ok"), ("Subject", "x" * 100), ("Subject", "é"),
                          ("Subject", "a\nb")]:
                message = Message()
                if content_type is not None:
                    message.set_raw("Content-Type", content_type)
                message.set_raw(*extra)
                message.set_payload(body)
                direct = _plain_text_bytes(message)
                if direct is not None:
                    taken += 1
                    assert direct == message.as_bytes(policy=WIRE_POLICY), (content_type, body)
    assert taken >= 20   # the common shapes do take the direct path
