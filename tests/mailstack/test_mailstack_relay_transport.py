"""The project's own relay-mode send (compose + SmtpTransport) through a real Postfix: the DSN
parameters it asks for are honoured — ENVID and ORCPT echoed, NOTIFY per recipient, and every
report delivered to that recipient's signed VERP return path."""

from __future__ import annotations

import dataclasses
import email
import re
import uuid
from datetime import UTC, date, datetime

from tests.mailstack import DOMAIN, MailStack, delivery_status

from tracking.config import SmtpSettings, TlsMode
from tracking.models import DocumentKind, RecipientRole, SendingMode
from tracking.outbound import compose as compose_module
from tracking.outbound import smtp as smtp_module
from tracking.verp import VerpCheck, token_from_address, verify_token

KEY = b"relay-transport-test-key"
OutgoingDocument = compose_module.OutgoingDocument
OutgoingRecipient = compose_module.OutgoingRecipient


def _compose(send_id: str, recipients: list[tuple[str, RecipientRole]]):
    document = OutgoingDocument(
        document_id="doc-1", kind=DocumentKind.INVOICE, number="F-0042", amount="99.90",
        currency="EUR", issue_date=date(2026, 3, 1), client_name="Client", account_name="Atelier",
        language="fr", sender_address="factures@atelier.example", sender_name="Atelier",
        reply_to=None,
    )
    return compose_module.compose(
        document, [OutgoingRecipient(address, role, i) for i, (address, role) in enumerate(recipients)],
        send_id=send_id, mode=SendingMode.RELAY, message_domain="atelier.example",
        bounce_domain=DOMAIN, verp_key=KEY, date=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )


def _deliver(stack: MailStack, composed) -> list:
    settings = SmtpSettings(host="127.0.0.1", port=stack.smtp_port, tls=TlsMode.NONE, timeout=10)
    with smtp_module.SmtpTransport(settings) as transport:
        outcomes = transport.deliver(composed)
    assert [outcome.accepted for outcome in outcomes] == [True] * len(outcomes), outcomes
    return outcomes


def _about(send_id: str):
    """DSNs for this send: their Delivered-To carries a VERP token that starts with the send id."""
    def matches(raw: bytes) -> bool:
        token = token_from_address(str(email.message_from_bytes(raw).get("Delivered-To", "")))
        return bool(token) and token.startswith(f"{send_id}-")
    return matches


def _send_id() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def test_relay_send_gets_its_dsn_parameters_honoured(mailstack: MailStack) -> None:
    send_id = _send_id()
    composed = _compose(send_id, [("alice@localhost.test", RecipientRole.TO),
                                  ("ghost@localhost.test", RecipientRole.CC)])
    _deliver(mailstack, composed)

    reports = mailstack.wait_for_messages("bounces", 2, matching=_about(send_id))
    by_recipient = {}
    for raw in reports:
        per_message, [block] = delivery_status(raw)
        assert per_message["original-envelope-id"] == send_id            # ENVID echoed
        delivered_to = email.message_from_bytes(raw)["Delivered-To"]
        token = token_from_address(delivered_to)
        assert verify_token(KEY, token) is VerpCheck.VALID
        by_recipient[block["original-recipient"]] = (block, token)

    alice, alice_token = by_recipient["rfc822;alice@localhost.test"]          # ORCPT echoed
    ghost, ghost_token = by_recipient["rfc822;ghost@localhost.test"]
    assert (alice["action"], alice["status"]) == ("delivered", "2.0.0")      # NOTIFY=SUCCESS
    assert (ghost["action"], ghost["status"]) == ("failed", "5.1.1")         # NOTIFY=FAILURE
    # Each report went to its own recipient's return path (index 0 and 1 of the send).
    assert alice_token.startswith(f"{send_id}-0-") and ghost_token.startswith(f"{send_id}-1-")
    # RET=HDRS: the headers come back, not the invoice.
    parts = email.message_from_bytes(reports[0]).get_payload()
    assert parts[2].get_content_type() == "text/rfc822-headers"


def test_relay_send_parameters_as_postfix_records_them(mailstack: MailStack) -> None:
    send_id = _send_id()
    composed = _compose(send_id, [("hold-relay@localhost.test", RecipientRole.TO)])
    _deliver(mailstack, composed)

    mailstack.wait_for_queue("hold", 1)
    [envelope] = [env for env in mailstack.queued_envelopes() if env.envelope_id == send_id]
    mailstack.delete_queued(envelope.queue_id)
    assert envelope.ret == "HDRS"
    assert token_from_address(envelope.sender).startswith(f"{send_id}-0-")
    [recipient] = envelope.recipients
    assert recipient.orcpt == "rfc822;hold-relay@localhost.test"
    assert recipient.notify == {"SUCCESS", "FAILURE", "DELAY"}


def test_per_recipient_notify_never_gives_no_dsn(mailstack: MailStack) -> None:
    send_id = _send_id()
    composed = _compose(send_id, [("nobody-a@localhost.test", RecipientRole.TO),
                                  ("nobody-b@localhost.test", RecipientRole.CC)])
    # The transport sends whatever per-recipient options it is given: silence the second one.
    silenced = []
    for envelope in composed.envelopes:
        [(recipient, options)] = envelope.recipients
        if recipient.index == 1:
            options = ("NOTIFY=NEVER", *[o for o in options if not o.startswith("NOTIFY=")])
        silenced.append(dataclasses.replace(envelope, recipients=((recipient, options),)))
    outcomes = _deliver(mailstack, dataclasses.replace(composed, envelopes=tuple(silenced)))

    queue_ids = [re.search(r"queued as (\w+)", outcome.reply).group(1) for outcome in outcomes]
    for queue_id in queue_ids:
        mailstack.wait_until_done(queue_id)
    log = mailstack.maillog()
    assert f"{queue_ids[0]}: sender non-delivery notification" in log
    assert f"{queue_ids[1]}: sender non-delivery notification" not in log
    [report] = mailstack.wait_for_messages("bounces", 1, matching=_about(send_id))
    _, [block] = delivery_status(report)
    assert block["final-recipient"] == "rfc822; nobody-a@localhost.test"
