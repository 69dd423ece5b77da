"""One decision for every refusal: a returned message's recipient and a reply at our own
SMTP handoff go through the same evidence (status code, the server's words, the provider's
own tokens, the SMTP stage).

Order of evidence in `choose_reason`:
1. a success action or a 2.x.x status is a delivery;
2. an enhanced status code that names the cause precisely (`codes.SPECIFIC_STATUSES`), unless
   the words name a cause the code is known to hide (`_WORDS_BEAT_CODE`);
3. the server's words (`phrases.EVIDENCE`, longest evidence wins);
4. a generic status code (`5.7.1`, `4.0.0`…);
5. the stage the server refused at corrects what the words cannot know (`stage.py`);
6. `onhold` only when the server said something and nothing above reads it, `undefined` when
   it said nothing at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracking.models import Reason
from tracking.reasons.codes import (
    VALID_REPLYCODES,
    derive_status,
    find_replycode,
    find_status,
    is_specific,
    reason_from_status,
)
from tracking.reasons.phrases import normalize, precise_reason_from_text, reason_from_text
from tracking.reasons.providers import reason_from_provider_reply
from tracking.reasons.stage import Stage, stage_of

R = Reason

# A bare host name (no "@" before it) directly followed by "does not exist"; bounded, linear.
_HOST_DOES_NOT_EXIST = re.compile(
    r"(?:^|[\s<\[(])[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,10}\.?[>\])]? does not exist"
)
_EXIT_STATUS = re.compile(r"x-unix; ?\d{1,3}$", re.IGNORECASE)
_DELIVERED_ACTIONS = ("delivered", "relayed", "expanded", "deliverable")
# Causes servers state in words under a code that says something else: "552 sorry, mailbox
# … is over quota temporarily (#5.1.1)" (MailFoundry), "Recipient address rejected: User …
# temporary locked" under 5.7.1, "procmail: … No such user" under 5.1.1 (a local delivery
# agent failed, not the address).
_WORDS_BEAT_CODE = frozenset((R.MAILBOXFULL, R.SUSPEND, R.MAILERERROR))
# Words that only say a connection could not be made or kept ("connect to mx[ip]:25:
# Connection refused"): the queue's lifetime ran out if the report is final (`expired`); a
# delay notice is the same trouble still being retried (`networkerror`, "host unreachable").
_GREYLIST_WORDS = ("greylist", "graylist", "grey-list", "gray-list")
_LOCAL_AGENTS = ("procmail:", "mail.local:", "maildrop:", "deliver:", "dovecot-lda:")
_CONNECTION_WORDS = ("connection refused", "connection timed out", "timed out")
# The generic X.7.x codes (X.7.0 "other security or policy status", X.7.1 "delivery not
# authorized, message refused"): vaguer than any precise words, precise beside vague ones.
_CLASS_SEVEN_STATUSES = frozenset(("7.0", "7.1"))


def choose_reason(
    status: str, diagnostic: str, action: str, command: str | Stage | None = ""
) -> Reason:
    if action in _DELIVERED_ACTIONS:
        return R.DELIVERED
    code_reason = reason_from_status(status)
    if code_reason is R.DELIVERED:
        return R.DELIVERED
    if _EXIT_STATUS.match(diagnostic):
        # Only a local program's exit status (Sendmail "X-Unix; 71"): the mailer failed, unless
        # the Status names the cause (5.3.0 "mail system", 4.2.2 "mailbox full"…).
        return code_reason or R.MAILERERROR
    delayed = action == "delayed"
    # A local delivery agent that prints its own name failed, whatever it printed after it
    # ("procmail: Couldn't create /var/spool/mail/x … No such user" under Postfix's 5.1.1).
    if diagnostic.lower().startswith(_LOCAL_AGENTS):
        return R.MAILERERROR
    text_reason = reason_from_text(diagnostic)
    stage = stage_of(command)
    if text_reason is not None and precise_reason_from_text(diagnostic) is None:
        # Only vague words ("550 Access denied", "service unavailable"): they do not say who
        # or what was refused, so the stage and the status code say more than they do.
        refused = status.startswith("5") or diagnostic[:1] == "5"
        if stage in (Stage.CONNECT, Stage.HELO) and refused:
            # refused before any address was given: the host we connect from
            return R.BLOCKED
        # In answer to MAIL FROM (RFC 5321 §3.3) the vague words stand: what was refused is
        # our envelope sender ("550 5.7.1 Access denied" there is `rejected`).
        if (code_reason is not None and stage is not Stage.MAIL
                and status.partition(".")[2] in _CLASS_SEVEN_STATUSES):
            # RFC 3463 X.7.x "security or policy status" names the kind of refusal the vague
            # words only hint at ("550 5.7.1 … Access denied" is a security refusal).
            text_reason = None
    if code_reason is not None and is_specific(status) and text_reason not in _WORDS_BEAT_CODE:
        reason = code_reason
    elif delayed and text_reason is None:
        return R.EXPIRED  # a delay notice that says nothing more is the queue still retrying
    else:
        reason = text_reason or code_reason
        if reason is R.NOTACCEPT and text_reason is None and status.startswith("4"):
            # X.3.2 "system not accepting network messages" in class 4: not now, not never
            reason = R.SYSTEMERROR
    if reason is None:
        refused = status.startswith("5") or diagnostic[:1] == "5"
        if stage in (Stage.CONNECT, Stage.HELO) and refused:
            # Refused before any address was given: the host we connect from is refused.
            return R.BLOCKED
        if status.startswith("4"):
            # A transient failure (RFC 3463 class 4) that names no cause: the receiving system
            # could not take the message for now ("451 Could not load DRD for domain").
            return R.SYSTEMERROR
        # sisimai: "onhold" when the bounce says something no rule reads; "undefined" when it
        # says nothing at all.
        return R.ONHOLD if diagnostic or status else R.UNDEFINED
    if delayed and reason is R.EXPIRED and any(w in diagnostic.lower() for w in _CONNECTION_WORDS):
        return R.NETWORKERROR
    if (not delayed and reason is R.SPEEDING and status.startswith("4")
            and any(w in diagnostic.lower() for w in _GREYLIST_WORDS)):
        # greylisted until the queue lifetime ran out: only a delay, which lasted too long
        return R.EXPIRED
    # "553 mx.example.com does not exist" (Exim relaying a remote refusal): what does not
    # exist is a host, named without any local part — the domain, not a mailbox.
    if (reason is R.USERUNKNOWN and "does not exist" in diagnostic
            and _HOST_DOES_NOT_EXIST.search(diagnostic[:2000])):
        reason = R.HOSTUNKNOWN
    # A recipient refused only after DATA existed at RCPT time: the content or the sender was
    # filtered, whatever the words say (sisimai's rule; Postfix "(in reply to end of DATA
    # command)", Sendmail transcripts ">>> DATA").
    if reason is R.USERUNKNOWN and stage is Stage.DATA and not is_specific(status):
        return R.FILTERED
    if reason is R.USERUNKNOWN and stage is None and status.partition(".")[2] == "2.1":
        # RFC 3463 X.2.1 "mailbox disabled, not accepting messages" beside a stock "User
        # unknown", and nothing shows the address was refused at RCPT: the code names an
        # existing but disabled mailbox (sisimai reads it the same way).
        return R.SUSPEND
    # An unknown-address answer to MAIL FROM is about our sender, not the recipient (Exim
    # "SMTP error … after MAIL FROM:", Sendmail ">>> MAIL From:").
    if reason in (R.USERUNKNOWN, R.HOSTUNKNOWN) and stage is Stage.MAIL:
        return R.REJECTED
    return reason


@dataclass(frozen=True)
class Explanation:
    """Why a server refused, read from its reply: the same fields a returned message gives."""

    reason: Reason
    status: str            # enhanced status code ("5.1.1"), derived (x.0.9NN) when none given
    replycode: str         # SMTP reply code ("550"), '' when no server answered
    status_derived: bool
    temporary: bool
    stage: Stage | None
    reply: str             # the server's words, one line

    @property
    def explained(self) -> bool:
        """False when nothing in the reply says why (the console says so in words)."""
        return self.reason not in (R.ONHOLD, R.UNDEFINED)


def explain_reply(
    text: str, stage: str | Stage | None = None, *, code: int | None = None
) -> Explanation:
    """Explain an SMTP reply seen at our own handoff ("550 5.1.1 <a@b>: Recipient address
    rejected: User unknown", answered to RCPT) with the evidence used for returned messages.
    `code` is the reply code when the client library gives it apart from the text."""
    reply = " ".join((text or "").split())[:2000]
    replycode = find_replycode(reply[:4])
    if not replycode and code and str(code) in VALID_REPLYCODES:
        replycode = str(code)
    if replycode not in VALID_REPLYCODES:
        replycode = ""
    status = find_status(reply)
    if status and replycode and status[0] != replycode[0]:
        status = ""  # a code of another class belongs to something else the server quoted
    temporary = (replycode or status).startswith("4")
    the_stage = stage_of(stage)
    reason = reason_from_provider_reply(reply) if reply else None
    if reason is None:
        # "failed", not "delayed": a temporary reply at our handoff is not a queue retrying;
        # its class is kept in `temporary` and in the derived status.
        reason = choose_reason(status, reply, "failed", the_stage)
    if reason is R.EXPIRED and not replycode and the_stage is Stage.CONNECT:
        # No server answered our own connection: a network error, not a queue that gave up.
        reason = R.NETWORKERROR
    if not replycode and reason in (R.NETWORKERROR, R.EXPIRED):
        temporary = True  # no server answered: the connection failed, which is worth retrying
    derived = not status
    if derived:
        status = derive_status(reason, temporary)
    return Explanation(reason, status, replycode, derived, temporary, the_stage, reply)


def is_unexplained(reason: Reason | str | None) -> bool:
    """True for a failure whose reason says nothing (none, `onhold`, `undefined`)."""
    return not reason or str(reason) in (R.ONHOLD, R.UNDEFINED)


__all__ = ["Explanation", "choose_reason", "explain_reply", "is_unexplained", "normalize"]
