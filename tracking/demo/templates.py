"""Templates of the returned messages, written by the project's own builders.

Each template is one real message — the original composed by `tracking.outbound.compose`, the
report by `tracking.outbound.dsn` (RFC 3464 DSNs, RFC 3834 auto-replies, RFC 5965 ARF
reports), stored as a delivery agent writes it — rendered once with *sentinel* values, which
are then swapped for `@@FIELD@@` placeholders. Every stored demo message is that text with its
own recipient, envelope id, VERP address, dates and document number filled in.

One template per (kind of message, account, document kind, Remote-MTA or not): the account
decides the original's From and Subject, the document kind its title.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tracking.demo import catalogue as cat
from tracking.demo.deflate import SplicedTemplate
from tracking.models import BounceKind, DocumentKind, RecipientRole
from tracking.outbound import dsn, wording
from tracking.outbound.compose import OutgoingDocument, OutgoingRecipient, compose

SENTINEL_SEND = "zzsentinelsendzz"
SENTINEL_NUMBER = "ZZSENTINELNUMBERZZ"
SENTINEL_TO = "sentinel-to@sentinel.example"
SENTINEL_CC = "sentinel-cc@sentinel.example"
SENTINEL_RCPT = "sentinel-rcpt@sentinel.example"
SENTINEL_VERP = "bounces+sentinelverp@sentinel.example"
SENTINEL_REPORTER = "sentinel-reporter@sentinel.example"
SENTINEL_DSN_ID = "sentinel-dsn-id@sentinel.example"
SENTINEL_KEY = b"sentinel-key"
# Distinct instants whose RFC 5322 form cannot occur anywhere else in a message.
SENTINEL_DATES = {
    "ODATE": datetime(2001, 1, 1, 1, 1, 1, tzinfo=UTC),
    "ARRIVAL": datetime(2002, 2, 2, 2, 2, 2, tzinfo=UTC),
    "LAST_ATTEMPT": datetime(2003, 3, 3, 3, 3, 3, tzinfo=UTC),
    "RETRY_UNTIL": datetime(2004, 4, 4, 4, 4, 4, tzinfo=UTC),
    "DSN_DATE": datetime(2005, 5, 5, 5, 5, 5, tzinfo=UTC),
}
_ADDRESS_LINES = re.compile(rf"^To: {re.escape(SENTINEL_TO)}\nCc: {re.escape(SENTINEL_CC)}\n",
                            re.MULTILINE)
_BOUNDARY = re.compile(r'boundary="([^"]+)"')

DETECTORS = {BounceKind.FAILURE: "rfc3464", BounceKind.DELAY: "rfc3464",
             BounceKind.SUCCESS: "rfc3464", BounceKind.AUTOREPLY: "rfc3834",
             BounceKind.COMPLAINT: "arf"}
ACTIONS = {BounceKind.FAILURE: "failed", BounceKind.DELAY: "delayed",
           BounceKind.SUCCESS: "delivered"}


@dataclass(frozen=True)
class MessageTemplate:
    kind: BounceKind
    spliced: SplicedTemplate
    subject: str                    # the stored `subject`, with {number} / {rcpt}


def template_key(kind: BounceKind, account_no: int, kind_no: int, remote: bool) -> str:
    return f"{kind}|{account_no}|{kind_no}|{int(remote)}"


def build_templates(account_numbers: list[int]) -> dict[str, MessageTemplate]:
    """Every template the relay accounts can need (smtp and manual sends get nothing back)."""
    templates = {}
    for account_no in account_numbers:
        account = cat.ACCOUNTS[account_no]
        for kind_no, (kind, *_rest) in enumerate(cat.KINDS):
            original = _original(account, kind)
            for bounce_kind in (BounceKind.FAILURE, BounceKind.DELAY, BounceKind.SUCCESS,
                                BounceKind.AUTOREPLY, BounceKind.COMPLAINT):
                remotes = (True, False) if bounce_kind in (BounceKind.FAILURE,
                                                           BounceKind.DELAY) else (True,)
                for remote in remotes:
                    key = template_key(bounce_kind, account_no, kind_no, remote)
                    text = _render(bounce_kind, original, account, remote)
                    templates[key] = MessageTemplate(
                        bounce_kind, SplicedTemplate.parse(_placeholders(text, key)),
                        _stored_subject(bounce_kind, account, kind))
    return templates


def _original(account: cat.AccountSpec, kind: DocumentKind) -> bytes:
    """The document email as the relay sent it (RET=HDRS: only its headers come back)."""
    document = OutgoingDocument(
        document_id="sentinel", kind=kind, number=SENTINEL_NUMBER, amount="1.00",
        currency=account.currency, issue_date=date(2001, 1, 1), client_name="Sentinel",
        account_name=account.name, language=account.language,
        sender_address=account.sender_address, sender_name=account.sender_name,
        reply_to=account.sender_address)
    recipients = [OutgoingRecipient(SENTINEL_TO, RecipientRole.TO, 0),
                  OutgoingRecipient(SENTINEL_CC, RecipientRole.CC, 1)]
    composed = compose(document, recipients, send_id=SENTINEL_SEND, mode=account.mode,
                       message_domain=cat.MESSAGE_DOMAIN, bounce_domain=cat.BOUNCE_DOMAIN,
                       verp_key=SENTINEL_KEY, date=SENTINEL_DATES["ODATE"])
    return composed.message.as_bytes()


def _render(kind: BounceKind, original: bytes, account: cat.AccountSpec, remote: bool) -> str:
    dates = SENTINEL_DATES
    headers_only = original.split(b"\n\n", 1)[0] + b"\n\n"
    if kind in ACTIONS:
        status = dsn.RecipientStatus(
            final_recipient=SENTINEL_RCPT, action=ACTIONS[kind], status="@@STATUS@@",
            original_recipient=f"rfc822;{SENTINEL_RCPT}", diagnostic="@@DIAG@@",
            remote_mta="@@RMTA@@" if remote else "", last_attempt=dates["LAST_ATTEMPT"],
            will_retry_until=dates["RETRY_UNTIL"] if kind is BounceKind.DELAY else None)
        message = dsn.delivery_status_notification(
            reporting_mta=cat.RELAY_HOST, to=SENTINEL_VERP, recipients=[status],
            original=original, headers_only=True, envelope_id=SENTINEL_SEND,
            arrival=dates["ARRIVAL"], date=dates["DSN_DATE"], message_id=f"<{SENTINEL_DSN_ID}>")
    elif kind is BounceKind.AUTOREPLY:
        message = dsn.auto_reply(original=original, responder=SENTINEL_RCPT, to=SENTINEL_VERP,
                                 date=dates["DSN_DATE"], message_id=f"<{SENTINEL_DSN_ID}>",
                                 language=account.language)
    else:
        # Feedback loops often leave the body out; the headers are what ties it to the send.
        sending_domain = (account.domain if account.mode.value == "relay_own_address"
                          else cat.MESSAGE_DOMAIN)
        message = dsn.abuse_report(
            original=headers_only, reporter=SENTINEL_REPORTER, to=SENTINEL_VERP,
            original_mail_from=SENTINEL_VERP, original_rcpt_to=SENTINEL_RCPT,
            arrival=dates["ARRIVAL"], source_ip=cat.RELAY_IP, reported_domain=sending_domain,
            user_agent="FBL-Reporter/1.2", date=dates["DSN_DATE"],
            message_id=f"<{SENTINEL_DSN_ID}>")
    return dsn.as_mailbox_bytes(message, delivered_to=SENTINEL_VERP).decode("ascii")


def _placeholders(text: str, key: str) -> str:
    # The MIME boundary is random; a fixed one per template keeps the demo reproducible.
    boundary = _BOUNDARY.search(text)
    if boundary:
        fixed = "===============" + str(int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)
                                           ).rjust(19, "0") + "=="
        text = text.replace(boundary.group(1), fixed)
    text = _ADDRESS_LINES.sub("@@ADDR_LINES@@\n", text)
    for name, moment in SENTINEL_DATES.items():
        text = text.replace(dsn.format_datetime(moment), f"@@{name}@@")
    for sentinel, name in ((SENTINEL_VERP, "VERP"), (SENTINEL_RCPT, "RCPT"),
                           (SENTINEL_REPORTER, "REPORTER"), (SENTINEL_DSN_ID, "DSN_ID"),
                           (SENTINEL_NUMBER, "NUMBER"), (SENTINEL_SEND, "SEND_ID")):
        text = text.replace(sentinel, f"@@{name}@@")
    leftover = re.search("sentinel", text, re.IGNORECASE)
    if leftover:
        raise ValueError(f"template {key}: a sentinel survived rendering near "
                         f"{text[max(0, leftover.start() - 40):leftover.end() + 40]!r}")
    return text


def _stored_subject(kind: BounceKind, account: cat.AccountSpec, doc_kind: DocumentKind) -> str:
    if kind in ACTIONS:
        return dsn._SUBJECTS[ACTIONS[kind]]
    if kind is BounceKind.AUTOREPLY:
        texts = wording.texts_for(account.language)
        return "Auto: " + wording.subject(texts, doc_kind, "{number}", account.name)
    return "Abuse report for a message sent to {rcpt}"
