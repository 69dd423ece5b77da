"""Compose: the message in the account's language, its attachment, headers and SMTP envelopes."""

from __future__ import annotations

import email
from email import policy

import pytest

from tests.outbound.servers import SEND_DATE, VERP_KEY, make_document, recipients
from tracking.errors import ConfigError, InvalidInput
from tracking.models import DocumentKind, SendingMode
from tracking.outbound.compose import TRACKING_HEADER, compose
from tracking.verp import VerpCheck, token_from_address, verify_token

SEND_ID = "5e1d-0001"


def build(mode: SendingMode = SendingMode.RELAY, doc=None, rcpts=None, **overrides):
    values = dict(send_id=SEND_ID, mode=mode, message_domain="suivi.example",
                  bounce_domain="bounces.suivi.example", verp_key=VERP_KEY, date=SEND_DATE)
    values.update(overrides)
    return compose(doc or make_document(),
                   rcpts or recipients("alice@client.example", "bob+compta@client.example"),
                   **values)


def reparse(composed) -> email.message.EmailMessage:
    wire = composed.message.as_bytes(policy=policy.SMTP)
    assert b"\n" not in wire.replace(b"\r\n", b"")  # no bare LF: aiosmtpd would refuse it
    return email.message_from_bytes(wire, policy=policy.default)


def test_french_message_with_attachment() -> None:
    message = reparse(build())
    assert message["Subject"] == "Facture FV 2026/11/0042 - ACME SARL"
    assert message["Content-Language"] == "fr"
    body = message.get_body(("plain",)).get_content()
    assert "Bonjour Société Dupont," in body
    assert "ci-joint la facture n° FV 2026/11/0042 du 28/11/2026" in body
    assert "1\u00a0234,50 EUR" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Facture-FV-2026-11-0042.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test\n"


def test_english_message_without_attachment() -> None:
    doc = make_document("en", attachment=None, kind=DocumentKind.CREDIT_NOTE)
    message = reparse(build(doc=doc))
    assert message["Subject"] == "Credit note FV 2026/11/0042 from ACME SARL"
    body = message.get_body(("plain",)).get_content()
    assert "Dear Société Dupont," in body
    assert "credit note FV 2026/11/0042 dated 28 November 2026, for 1,234.50 EUR" in body
    assert "attached" not in body
    assert list(message.iter_attachments()) == []


def test_attachment_type_follows_the_given_filename() -> None:
    doc = make_document(attachment=b"<xml/>", attachment_filename="facture.xml")
    [attachment] = list(reparse(build(doc=doc)).iter_attachments())
    assert (attachment.get_content_type(), attachment.get_filename()) == ("application/xml", "facture.xml")


def test_headers_identify_the_send() -> None:
    composed = build()
    message = reparse(composed)
    assert message["Message-ID"] == composed.message_id == f"<suivi.{SEND_ID}@suivi.example>"
    assert message[TRACKING_HEADER] == SEND_ID
    assert message["To"] == "alice@client.example"
    assert message["Cc"] == "bob+compta@client.example"
    assert message["Date"].datetime == SEND_DATE
    assert build(send_id="another-send").message_id != composed.message_id


def test_relay_sends_from_the_service_with_reply_to_the_customer() -> None:
    message = reparse(build(SendingMode.RELAY))
    assert message["From"].addresses[0].addr_spec == "noreply@suivi.example"
    assert message["From"].addresses[0].display_name == "ACME SARL"
    assert message["Reply-To"].addresses[0].addr_spec == "factures@acme.example"
    custom = reparse(build(SendingMode.RELAY, service_address="envoi@service.example"))
    assert custom["From"].addresses[0].addr_spec == "envoi@service.example"


@pytest.mark.parametrize("mode", [SendingMode.RELAY_OWN_ADDRESS, SendingMode.SMTP])
def test_own_address_modes_send_from_the_customer(mode: SendingMode) -> None:
    doc = make_document(reply_to="compta@acme.example")
    message = reparse(build(mode, doc=doc))
    assert message["From"].addresses[0].addr_spec == "factures@acme.example"
    assert message["Reply-To"].addresses[0].addr_spec == "compta@acme.example"


@pytest.mark.parametrize("mode", [SendingMode.RELAY, SendingMode.RELAY_OWN_ADDRESS])
def test_relay_modes_have_one_signed_envelope_per_recipient_with_dsn(mode: SendingMode) -> None:
    composed = build(mode)
    assert composed.envelope_id == SEND_ID
    assert len(composed.envelopes) == 2
    for envelope, expected in zip(composed.envelopes, ("alice@client.example", "bob+compta@client.example")):
        [(recipient, rcpt_options)] = envelope.recipients
        assert recipient.address == expected
        token = token_from_address(envelope.mail_from)
        assert envelope.mail_from.endswith("@bounces.suivi.example")
        assert verify_token(VERP_KEY, token) is VerpCheck.VALID
        assert token.startswith(f"{SEND_ID}-{recipient.index}-")
        assert envelope.mail_options == ("RET=HDRS", f"ENVID={SEND_ID}")
        assert rcpt_options[0] == "NOTIFY=SUCCESS,FAILURE,DELAY"
    # '+' is xtext-encoded in ORCPT (RFC 3461 §4)
    assert composed.envelopes[1].recipients[0][1][1] == "ORCPT=rfc822;bob+2Bcompta@client.example"


def test_smtp_mode_has_one_plain_envelope() -> None:
    composed = build(SendingMode.SMTP, verp_key=None)
    assert composed.envelope_id is None
    [envelope] = composed.envelopes
    assert envelope.mail_from == "factures@acme.example"
    assert envelope.mail_options == ()
    assert [(r.address, options) for r, options in envelope.recipients] == [
        ("alice@client.example", ()), ("bob+compta@client.example", ())]


def test_restricted_to_keeps_only_the_named_recipients() -> None:
    composed = build(SendingMode.SMTP)
    assert [r.index for r in composed.restricted_to({1}).recipients] == [1]
    assert build().restricted_to(set()).envelopes == ()


@pytest.mark.parametrize("kwargs, error", [
    (dict(mode=SendingMode.MANUAL), InvalidInput),
    (dict(verp_key=None), ConfigError),
    (dict(date=SEND_DATE.replace(tzinfo=None)), InvalidInput),
    (dict(rcpts=recipients("not-an-address")), InvalidInput),
    (dict(rcpts=recipients("a@b.example\r\nBcc: x@y.example")), InvalidInput),
    (dict(doc=make_document(amount="douze")), InvalidInput),
])
def test_impossible_requests_are_refused(kwargs, error) -> None:
    with pytest.raises(error):
        build(**kwargs)


def test_duplicate_recipient_indexes_are_refused() -> None:
    [first] = recipients("a@client.example")
    with pytest.raises(InvalidInput):
        build(rcpts=[first, first])


# -- the fast paths of composing write exactly what the email package would -------------------

@pytest.mark.parametrize("body", ["Bonjour Société,\n\nla facture n° 42 — 1\u00a0234,50 EUR.\n",
                                  "x" * 300 + " \n.\nFrom here\r\nend", "", "=\t\n"])
def test_the_text_part_is_byte_identical_to_mimetext(body: str) -> None:
    from email.mime.text import MIMEText

    from tracking.outbound.compose import _UTF8_QP, _text_part
    from tracking.outbound.smtp import WIRE_POLICY
    reference = MIMEText(body, "plain", _UTF8_QP)
    built = _text_part(body)
    assert built.as_bytes(policy=WIRE_POLICY) == reference.as_bytes(policy=WIRE_POLICY)
    assert built.get_payload(decode=True) == reference.get_payload(decode=True)


@pytest.mark.parametrize("mode", [SendingMode.RELAY, SendingMode.RELAY_OWN_ADDRESS,
                                  SendingMode.SMTP])
@pytest.mark.parametrize("overrides", [
    {"attachment": None},                                        # the fast path
    {"attachment": None, "account_name": "A" * 90},              # a header folded: generator
    {"attachment": None, "number": "Café n° 7"},                 # non-ASCII subject: generator
    {},                                                          # multipart: generator
], ids=["plain", "long-header", "non-ascii", "attachment"])
def test_wire_payload_is_what_the_generator_writes(mode: SendingMode, overrides: dict) -> None:
    from tracking.outbound.smtp import WIRE_POLICY, _plain_text_bytes, wire_payload
    composed = build(mode, doc=make_document(**overrides))
    if overrides == {"attachment": None}:   # the usual message does take the fast path
        assert _plain_text_bytes(composed.message) is not None
    assert wire_payload(composed) == composed.message.as_bytes(policy=WIRE_POLICY)
    assert wire_payload(composed).endswith(b"\r\n") and b"\r\n\r\n" in wire_payload(composed)
