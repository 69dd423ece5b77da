"""Gmail's own plain-text notices (mailer-daemon@googlemail.com, consumer Gmail before ~2017).

One text/plain part, no delivery-status report (seen 2010-2016):

    Delivery to the following recipient failed permanently:      (or "... has been delayed:")

         rcpt@example.org

    Technical details of permanent failure:                       (or "temporary failure")
    Google tried to deliver your message, but it was rejected by the server for the
    recipient domain example.org by mx.example.org. [192.0.2.1].

    The error that the other server returned was:
    550 5.1.1 <rcpt@example.org>... User Unknown

    ----- Original message -----

Newer Google notices are RFC 3464 reports and take the standard path; Google Groups' refusals
share the sender but have their own detector. Google's own sentences (no connection, quota…)
are read by `tracking.reasons.providers`; the remote server's reply is left to the classifier.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView, contains_any
from tracking.inbound.detectors.mta_text import address_in, between, finding, unfold
from tracking.reasons.providers import reason_from_provider_reply
from tracking.models import BounceKind, Reason

_SENDERS = ("mailer-daemon@googlemail.com", "mailer-daemon@google.com", "mailer-daemon@gmail.com")
_FAILED = re.compile(r"Delivery to the following recipients? (failed permanently|has been delayed)")
_DETAILS = re.compile(r"Technical details of (permanent|temporary) failure:")
_END_MARKERS = ("----- Original message -----", "----- Message truncated", "----- Message not sent")
_SERVER_SAID = "The error that the other server returned was:"
# "... rejected by the server for the recipient domain example.org by mx.example.org. [192.0.2.1]."
_REMOTE = re.compile(r"for the recipient domain \S{1,255} by (\S{1,255}?)\.? \[")


class Gmail:
    name = "gmail"

    def detect(self, view: MessageView) -> Detection | None:
        if not contains_any(view.sender_lower, _SENDERS):
            return None
        if view.content_type != "text/plain":
            return None  # a report from Google is read by the RFC 3464 path
        body = view.body_text
        outcome = _FAILED.search(body)
        if outcome is None:
            return None
        notice = between(body, outcome.group(0), _END_MARKERS)
        listed, rest = _split_list(notice)
        recipients = [address_in(line) for line in listed.splitlines() if address_in(line)]
        if not recipients:
            recipients = [address_in(a) for a in view.header("X-Failed-Recipients").split(",")]
            recipients = [a for a in recipients if a]
        if not recipients:
            return None
        details = _DETAILS.search(rest)
        delayed = outcome.group(1) == "has been delayed"
        permanent = not delayed if details is None else details.group(1) == "permanent"
        explanation = unfold(rest[details.end():] if details else rest)
        diagnostic = explanation.split(_SERVER_SAID, 1)[1] if _SERVER_SAID in explanation else ""
        remote = _REMOTE.search(explanation)
        own_reason = reason_from_provider_reply(explanation, "google.com", permanent=permanent)
        action = "delayed" if delayed else "failed"
        remote_mta = remote.group(1) if remote else ""
        findings = []
        for recipient in recipients:
            if diagnostic:
                found = finding(recipient, diagnostic, action=action, remote_mta=remote_mta)
            else:
                # Google's own sentence is the whole explanation (no reply code to read); a
                # delay notice that gives none means Google retries until the message expires.
                reason = own_reason or (Reason.EXPIRED if delayed else None)
                found = Finding(recipient, action, diagnostic=explanation, reason=reason)
            if details is not None:
                found.temporary = not permanent  # Google's own heading says which it is
            findings.append(found)
        return Detection(BounceKind.DELAY if delayed else BounceKind.FAILURE, findings)


def _split_list(notice: str) -> tuple[str, str]:
    """The indented address list, then everything after it (the list ends at the first
    non-blank, non-indented line)."""
    lines = notice.split("\n")
    for index, line in enumerate(lines):
        if line.strip() and not line.startswith((" ", "\t")) and index > 0:
            return "\n".join(lines[:index]), "\n".join(lines[index:])
    return notice, ""
