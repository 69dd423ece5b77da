"""Why a message was refused: the evidence shared by the bounce classifier
(`tracking.inbound.classify`), the detectors and our own SMTP handoff (`tracking.outbox`).

- `codes`: enhanced status and reply codes (RFC 3463, RFC 5321) and what they say;
- `phrases`: the servers' words, one row per reason, longest evidence first;
- `providers`: words and tokens only one receiving provider writes, with its host names;
- `stage`: the SMTP stage a server refused at;
- `decide`: the one decision (`choose_reason`) and `explain_reply` for our own replies.

This package never imports `tracking.inbound` or `tracking.outbound`: they import it.
"""

from tracking.reasons.decide import Explanation, choose_reason, explain_reply, is_unexplained
from tracking.reasons.stage import Stage

__all__ = ["Explanation", "Stage", "choose_reason", "explain_reply", "is_unexplained"]
