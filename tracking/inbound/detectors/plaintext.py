"""Last resort for plain-text notices no specific detector recognised.

Only when the message looks like a delivery failure notice (a daemon sender or a failure
subject, RFC 3464 §1's "non-delivery" vocabulary): the first address in the notice that is
followed by the server's words, before the returned original. Not authoritative: it only
answers when nothing else did, and a wrong guess here is better flagged than silent.
"""

from __future__ import annotations

import re

from tracking.inbound.addresses import find_address, find_addresses
from tracking.inbound.detectors.autoreply import _BOUNCE_SUBJECT, _DAEMON_SENDERS
from tracking.inbound.detectors.base import Detection, Finding, MessageView, contains_any
from tracking.inbound.detectors.rfc3464 import enrich_from_notice, findings_from_blocks, parse_fields, report_kind
from tracking.models import BounceKind

# Lines that introduce the returned original in plain-text notices (Exim "------ This is a
# copy of the message", Sendmail "----- Original message follows", qmail "--- Below this
# line is a copy of the message.", Courier/others "Original message").
_ORIGINAL_START = re.compile(
    r"^\s*-+ ?(?:this is a copy of|original message|below this line|the original message|"
    r"returned message|unsent message|a copy of the original|message headers follow)|"
    r"^\s*original message follows",
    re.IGNORECASE | re.MULTILINE,
)
_SMTP_LINE = re.compile(r"(?<![\d.])[45]\d\d[ \-][^\n]{0,400}")


def notice_before_original(text: str) -> str:
    match = _ORIGINAL_START.search(text[:200000])
    return text[: match.start()] if match else text[:200000]


def looks_like_failure_notice(view: MessageView) -> bool:
    sender = view.sender_lower
    return contains_any(sender, _DAEMON_SENDERS) or bool(_BOUNCE_SUBJECT.search(view.subject[:500]))


def unquoted(text: str) -> str:
    """A notice forwarded inline ("> " before every line, mail clients' quoting) with one level
    of quoting removed; other text unchanged."""
    lines = text.splitlines()
    filled = [line for line in lines if line.strip()]
    if not filled or sum(1 for line in filled if line.startswith(">")) * 2 < len(filled):
        return text
    return "\n".join(_unquote_line(line) for line in lines)


def _unquote_line(line: str) -> str:
    if line.startswith("> "):
        return line[2:]
    return line[1:] if line.startswith(">") else line


def inline_report(notice: str) -> Detection | None:
    """Delivery-status fields pasted into a text body (a report forwarded by a person, a gateway
    that flattened the MIME parts): read them as RFC 3464 blocks."""
    start = notice.lower().find("final-recipient:")
    if start < 0:
        return None
    line_start = notice.rfind("\n", 0, start) + 1
    findings = findings_from_blocks(parse_fields(notice[line_start:]))[1]
    if not findings:
        return None
    enrich_from_notice(findings, notice[:line_start])
    return Detection(kind=report_kind(findings), findings=findings, authoritative=False)


# Addresses a notice names that are never the failed recipient: its own senders and helpdesks.
_SERVICE_LOCAL_PARTS = ("postmaster", "mailer-daemon", "mail-daemon", "abuse", "hostmaster", "noreply", "no-reply")


def failed_address(view: MessageView, notice: str) -> str | None:
    """The first address in the notice that is not the bounce's own From/To/Reply-To (the
    daemon, and the original sender the notice is returned to, whom it often quotes: "from
    sender@…", "Original Sender: <…>") nor a service mailbox ("please contact
    <postmaster@…>")."""
    own = set(find_addresses(" ".join((view.sender, view.header("To"), view.header("Reply-To")))))
    for address in find_addresses(notice):
        if address in own or address.partition("@")[0] in _SERVICE_LOCAL_PARTS:
            continue
        return address
    return find_address(notice)  # nothing else named: better the only address than none


class PlainTextDetector:
    name = "plaintext"

    def detect(self, view: MessageView) -> Detection | None:
        if not looks_like_failure_notice(view):
            return None
        notice = unquoted(notice_before_original(view.body_text))
        inline = inline_report(notice)
        if inline is not None:
            return inline
        recipient = failed_address(view, notice)
        smtp = _SMTP_LINE.search(notice)
        diagnostic = smtp.group(0) if smtp else ""
        if recipient is None and not diagnostic:
            return None
        if not diagnostic:
            lines = [line.strip() for line in notice.splitlines() if recipient and recipient in line.lower()]
            diagnostic = lines[0] if lines else ""
        return Detection(
            kind=BounceKind.FAILURE,
            findings=[Finding(recipient=recipient, diagnostic=diagnostic)],
            authoritative=False,
        )


DETECTOR = PlainTextDetector()
