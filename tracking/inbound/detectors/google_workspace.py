"""Google's current notices (Gmail, Google Workspace) when their report part is empty.

Google now sends `multipart/report` with a `message/delivery-status` part, read by the RFC 3464
path. Some notices (seen 2023, "Send mail as" failures) leave that part empty; then only the
human part says what happened:

    ** Message not delivered **                      ("** Address not found **", …)
    You're sending this from a different address or alias using the 'Send mail as' feature. …
    The response was:                                 ("The response from the remote server was:")
    Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability

The recipient is in `X-Failed-Recipients`. Google's own sentence decides the reason when
`tracking.reasons.providers` knows it; the server's response is left to the classifier otherwise.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView, contains_any
from tracking.inbound.detectors.mta_text import address_in, delivery_status_blocks, finding, unfold
from tracking.reasons.providers import reason_from_provider_reply
from tracking.models import BounceKind

_SENDERS = ("mailer-daemon@googlemail.com", "mailer-daemon@google.com")
_HEADLINE = re.compile(r"^\*\* ([^*\n]{3,80}) \*\*$", re.M)
_RESPONSE = re.compile(r"^The response (?:from the remote server )?was:$", re.M)


class GoogleWorkspace:
    name = "google_workspace"

    def detect(self, view: MessageView) -> Detection | None:
        if not contains_any(view.sender_lower, _SENDERS):
            return None
        failed = view.header("X-Failed-Recipients")
        if not failed or delivery_status_blocks(view.message):
            return None  # a filled report is read by the RFC 3464 path
        body = view.body_text
        headline = _HEADLINE.search(body[:2000])
        if headline is None:
            return None
        explanation, response = body[headline.end():], ""
        said = _RESPONSE.search(explanation)
        if said:
            explanation, response = explanation[: said.start()], explanation[said.end():]
        response = unfold(response.strip().split("\n\n", 1)[0])
        own_reason = reason_from_provider_reply(unfold(explanation), "google.com")
        findings = []
        for item in failed.split(","):
            recipient = address_in(item)
            if not recipient:
                continue
            if own_reason is not None or not response:
                found = Finding(recipient, "failed", diagnostic=response or unfold(explanation))
                found.reason = own_reason
            else:
                found = finding(recipient, response)
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None
