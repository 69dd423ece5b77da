"""fml (a Japanese mailing-list manager) refusing a post from a non-member:

    Subject: You sender@example.com are not member (list-name ML)

    You are not a member of this mailing list <list@example.org>.

The list refused our sender, so the "recipient" is the list address and the reason is
`rejected` as the notice states it.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import finding, notice_text
from tracking.models import BounceKind, Reason

_SUBJECT = re.compile(r"^You \S{1,256} are not member \(")
_NOT_MEMBER = re.compile(r"You are not a member of this mailing list <([^\s<>]{1,256}@[^\s<>]{1,255})>")


class FML:
    name = "fml"

    def detect(self, view: MessageView) -> Detection | None:
        if not _SUBJECT.match(view.subject):
            return None
        match = _NOT_MEMBER.search(notice_text(view)[:3000])
        if match is None:
            return None
        found = finding(match.group(1), match.group(0))
        found.reason = Reason.REJECTED
        return Detection(BounceKind.FAILURE, [found])
