"""Why a message was not delivered: the reason, the status code and hard/soft for one recipient.

Pure. Order of evidence:
1. a reason the format itself states (`Finding.reason`, set by a detector);
2. the enhanced status code when it is specific (`5.1.1`, `5.2.2`… RFC 3463 / IANA registry);
3. the server's own words (diagnostic text), matched against `TEXT_PATTERNS`;
4. a generic status code (`5.0.0`, `5.7.1`…) or the SMTP reply code class.
When the message shows no enhanced status code, one is derived from the reason with sisimai's
`x.0.9NN` convention (`5.0.911` userunknown…) and flagged `status_derived`.

Other detectors' authors may append patterns: add a `(Reason, (substrings…))` row to
`TEXT_PATTERNS` (lower-case substrings, no regex needed) with a comment saying where it was seen.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Finding
from tracking.inbound.provider_replies import reason_from_provider_reply
from tracking.inbound.result import RecipientReport
from tracking.models import BounceKind, Reason

R = Reason

# --- enhanced status codes ------------------------------------------------------------------

_STATUS_IN_TEXT = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_REPLYCODE_IN_TEXT = re.compile(r"(?<![\d.\-])([245][0-5]\d)(?=[ \-]|$)")

# RFC 3463 / IANA "SMTP Enhanced Status Codes" meanings, mapped to the reason vocabulary.
# Codes marked SPECIFIC name the cause precisely; the others (x.0.0, x.7.1…) only say
# "refused" and the diagnostic text decides when it says more.
STATUS_REASONS: dict[str, Reason] = {
    "1.1": R.USERUNKNOWN, "1.0": R.USERUNKNOWN, "1.3": R.USERUNKNOWN, "1.2": R.HOSTUNKNOWN,
    "1.4": R.FILTERED, "1.6": R.HASMOVED, "1.7": R.REJECTED, "1.8": R.REJECTED,
    "1.9": R.SYSTEMERROR, "1.10": R.NOTACCEPT,
    "2.0": R.FILTERED, "2.1": R.FILTERED, "2.2": R.MAILBOXFULL, "2.3": R.EXCEEDLIMIT,
    "2.4": R.FILTERED,
    "3.0": R.SYSTEMERROR, "3.1": R.SYSTEMFULL, "3.2": R.NOTACCEPT, "3.3": R.SYSTEMERROR,
    "3.4": R.MESGTOOBIG, "3.5": R.SYSTEMERROR,
    "4.0": R.NETWORKERROR, "4.1": R.EXPIRED, "4.2": R.NETWORKERROR, "4.3": R.SYSTEMERROR,
    "4.4": R.HOSTUNKNOWN, "4.5": R.SYSTEMFULL, "4.6": R.NETWORKERROR, "4.7": R.EXPIRED,
    "4.8": R.NETWORKERROR,
    "5.2": R.SYNTAXERROR, "5.3": R.TOOMANYCONN, "5.4": R.SYSTEMERROR, "5.5": R.SYSTEMERROR,
    "5.6": R.SYNTAXERROR,
    "6.0": R.CONTENTERROR, "6.1": R.CONTENTERROR, "6.2": R.CONTENTERROR, "6.3": R.CONTENTERROR,
    "6.5": R.CONTENTERROR, "6.6": R.CONTENTERROR, "6.7": R.CONTENTERROR, "6.8": R.CONTENTERROR,
    "6.9": R.CONTENTERROR,
    "7.0": R.SECURITYERROR, "7.1": R.SECURITYERROR, "7.2": R.SECURITYERROR,
    "7.3": R.SECURITYERROR, "7.4": R.SECURITYERROR, "7.5": R.SECURITYERROR,
    "7.6": R.SECURITYERROR, "7.7": R.SECURITYERROR, "7.8": R.SECURITYERROR,
    "7.9": R.SECURITYERROR, "7.10": R.SECURITYERROR, "7.11": R.SECURITYERROR,
    "7.13": R.SUSPEND, "7.14": R.SECURITYERROR, "7.15": R.SECURITYERROR,
    "7.16": R.MESGTOOBIG, "7.17": R.HASMOVED, "7.18": R.HASMOVED, "7.19": R.SECURITYERROR,
    "7.20": R.AUTHFAILURE, "7.21": R.AUTHFAILURE, "7.22": R.AUTHFAILURE,
    "7.23": R.AUTHFAILURE, "7.24": R.AUTHFAILURE, "7.25": R.REQUIREPTR,
    "7.26": R.AUTHFAILURE, "7.27": R.NOTACCEPT, "7.28": R.SPAMDETECTED,
    "7.29": R.AUTHFAILURE, "7.30": R.FAILEDSTARTTLS,
}
# Codes whose meaning is precise enough to beat the text (the text usually just repeats it).
SPECIFIC_STATUSES = frozenset(
    ("1.1", "1.2", "1.6", "1.10", "2.2", "2.3", "3.4", "7.13", "7.25", "7.26", "7.27",
     "7.20", "7.21", "7.22", "7.23", "7.24", "7.29", "7.30", "1.7", "1.8")
)

# sisimai's convention for codes derived from a reason when the message has none (x.0.9NN).
DERIVED_CODES: dict[Reason, int] = {
    R.UNDEFINED: 900, R.ONHOLD: 901, R.SYNTAXERROR: 902, R.SUPPRESSED: 903,
    R.NORELAYING: 909, R.FILTERED: 910, R.USERUNKNOWN: 911, R.HOSTUNKNOWN: 912,
    R.HASMOVED: 916, R.REJECTED: 918, R.SUSPEND: 921, R.MAILBOXFULL: 922,
    R.EXCEEDLIMIT: 923, R.AUTHFAILURE: 926, R.SYSTEMERROR: 930, R.SYSTEMFULL: 931,
    R.NOTACCEPT: 932, R.MESGTOOBIG: 934, R.MAILERERROR: 939, R.NETWORKERROR: 944,
    R.TOOMANYCONN: 945, R.SPEEDING: 946, R.EXPIRED: 947, R.CONTENTERROR: 960,
    R.SECURITYERROR: 970, R.BLOCKED: 971, R.POLICYVIOLATION: 972, R.REQUIREPTR: 973,
    R.NOTCOMPLIANTRFC: 974, R.BADREPUTATION: 975, R.FAILEDSTARTTLS: 976,
    R.SPAMDETECTED: 980, R.VIRUSDETECTED: 981,
}
# Reasons that are never temporary in the derived convention (a dead address is dead).
_ALWAYS_PERMANENT = frozenset((R.USERUNKNOWN, R.HOSTUNKNOWN, R.HASMOVED))
_TEMPORARY_FILTERED_CODE = 924  # sisimai writes a temporary "filtered" as 4.0.924

from tracking.inbound.patterns import TEXT_PATTERNS  # noqa: E402 - the tables live beside


def find_status(text: str) -> str:
    """The first enhanced status code in free text ('' when none)."""
    match = _STATUS_IN_TEXT.search(text[:4000])
    return match.group(0) if match else ""


def find_replycode(text: str) -> str:
    """The first SMTP reply code in free text ('' when none)."""
    match = _REPLYCODE_IN_TEXT.search(text[:4000])
    return match.group(1) if match else ""


def prefer_status(reported: str, in_text: str) -> str:
    """The report's Status field, unless the server's own reply carries a code that says more:
    a bare `x.0.0` (or a derived code) loses to a specific code of the same class in the text.
    """
    if not reported or is_derived(reported):
        return in_text or reported
    if in_text and in_text != reported:
        # The reply's own code is what the remote server said; many reporting MTAs fill Status
        # with a guess (Sendmail's 5.1.1 over "550 5.7.1 IP address blacklisted", measured on
        # the corpus: the text's code is right far more often than the field).
        return in_text
    return reported


def is_derived(status: str) -> bool:
    return len(status) == 7 and status[1:4] == ".0." and status[4] == "9"


def reason_from_status(status: str) -> Reason | None:
    if not status or is_derived(status):
        return None
    klass, _, rest = status.partition(".")
    if klass == "2":
        return R.DELIVERED
    return STATUS_REASONS.get(rest)


def is_specific(status: str) -> bool:
    return bool(status) and status.partition(".")[2] in SPECIFIC_STATUSES


def reason_from_text(text: str) -> Reason | None:
    """The first reason whose phrase appears in the diagnostic (case-insensitive)."""
    lowered = " ".join(text[:8000].lower().split())
    if not lowered:
        return None
    for reason, phrases in TEXT_PATTERNS:
        for phrase in phrases:
            if phrase in lowered:
                return reason
    return None


def derive_status(reason: Reason, temporary: bool) -> str:
    code = DERIVED_CODES.get(reason, DERIVED_CODES[R.UNDEFINED])
    if temporary and reason not in _ALWAYS_PERMANENT:
        if reason is R.FILTERED:
            code = _TEMPORARY_FILTERED_CODE
        return f"4.0.{code}"
    return f"5.0.{code}"


# Reply codes of RFC 5321 §4.2.3 and its extensions (RFC 3207, 4954, 7504); anything else
# in a diagnostic is a number, not a reply (seen: "542 … Rejected" from MessageLabs).
VALID_REPLYCODES = frozenset((
    "211", "214", "220", "221", "250", "251", "252", "354", "421", "422", "430", "432", "450",
    "451", "452", "453", "454", "455", "458", "459", "500", "501", "502", "503", "504", "521",
    "523", "530", "534", "535", "538", "550", "551", "552", "553", "554", "555", "556",
    "525",  # mtas helper: RFC 5248's basic code for 5.7.13 "user account disabled" (DragonFly samples)
))
# A multi-line reply joined on one line repeats its code: "550-5.7.1 foo 550-5.7.1 bar".
_CONTINUATION = re.compile(r"\s[245]\d\d[ \-](?:[245]\.\d{1,3}\.\d{1,3}\s)?")
# A bare host name (no "@" before it) directly followed by "does not exist"; bounded, linear.
_HOST_DOES_NOT_EXIST = re.compile(
    r"(?:^|[\s<\[(])[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,10}\.?[>\])]? does not exist"
)
_EXIT_STATUS = re.compile(r"x-unix; ?\d{1,3}$", re.IGNORECASE)
_DELIVERED_ACTIONS = ("delivered", "relayed", "expanded", "deliverable")


def clean_diagnostic(text: str) -> str:
    """One line, without the repeated reply codes of a multi-line SMTP reply."""
    flat = " ".join(text.split())[:2000]
    head = flat[:12]
    return head + _CONTINUATION.sub(" ", flat[12:]) if len(flat) > 12 else flat


# Causes servers state in words under a code that says something else: "552 sorry, mailbox
# … is over quota temporarily (#5.1.1)" (MailFoundry), "Recipient address rejected: User …
# temporary locked" under 5.7.1, "procmail: … No such user" under 5.1.1 (a local delivery
# agent failed, not the address).
_WORDS_BEAT_CODE = frozenset((R.MAILBOXFULL, R.SUSPEND, R.MAILERERROR))


def choose_reason(status: str, diagnostic: str, action: str, command: str = "") -> Reason:
    if action in _DELIVERED_ACTIONS:
        return R.DELIVERED
    code_reason = reason_from_status(status)
    if code_reason is R.DELIVERED:
        return R.DELIVERED
    if _EXIT_STATUS.match(diagnostic):
        # Only a local program's exit status (Sendmail "X-Unix; 71"): the mailer failed, unless
        # the Status names the cause (5.3.0 "mail system", 4.2.2 "mailbox full"…).
        return code_reason or R.MAILERERROR
    text_reason = reason_from_text(diagnostic)
    if code_reason is not None and is_specific(status) and text_reason not in _WORDS_BEAT_CODE:
        reason = code_reason
    elif action == "delayed" and text_reason is None:
        return R.EXPIRED  # a delay notice that says nothing more is the queue still retrying
    else:
        reason = text_reason or code_reason
    if reason is None:
        if status.startswith("4"):
            # A transient failure (RFC 3463 class 4) that names no cause: the receiving system
            # could not take the message for now ("451 Could not load DRD for domain").
            return R.SYSTEMERROR
        # sisimai: "onhold" when the bounce says something no rule reads; "undefined" when it
        # says nothing at all.
        return R.ONHOLD if diagnostic or status else R.UNDEFINED
    # "553 mx.example.com does not exist" (Exim relaying a remote refusal): what does not
    # exist is a host, named without any local part — the domain, not a mailbox.
    if reason is R.USERUNKNOWN and "does not exist" in diagnostic and _HOST_DOES_NOT_EXIST.search(diagnostic[:2000]):
        reason = R.HOSTUNKNOWN
    # A recipient refused only after DATA existed at RCPT time: the content or the sender was
    # filtered, whatever the words say (sisimai's rule; Postfix "(in reply to end of DATA
    # command)", Sendmail transcripts ">>> DATA").
    if reason is R.USERUNKNOWN and command == "DATA" and not is_specific(status):
        return R.FILTERED
    # mtas helper: an unknown-address answer to MAIL FROM is about our sender, not the
    # recipient (Exim "SMTP error … after MAIL FROM:", Sendmail ">>> MAIL From:").
    if reason in (R.USERUNKNOWN, R.HOSTUNKNOWN) and command == "MAIL":
        return R.REJECTED
    return reason


def classify(finding: Finding, kind: BounceKind) -> RecipientReport:
    """A detector's raw finding -> the reported recipient with reason, codes and hard/soft."""
    flat = " ".join(finding.diagnostic.split())[:2000]
    diagnostic = clean_diagnostic(flat)
    status = prefer_status(finding.status, find_status(flat))
    replycode = finding.replycode or find_replycode(flat)
    if replycode not in VALID_REPLYCODES or (status and replycode and replycode[0] != status[0]):
        replycode = ""  # a reply of another class than the status belongs to another attempt
    # A hosted provider's own words (provider_replies) beat generic codes and the detectors'
    # heuristics (e.g. "refused after DATA"), but never turn a non-failure into one.
    provider_reason = (
        reason_from_provider_reply(flat, finding.remote_mta)
        if kind in (BounceKind.FAILURE, BounceKind.DELAY)
        else None
    )
    if provider_reason is not None:
        reason = provider_reason
    elif finding.reason is not None:
        reason = finding.reason
    elif kind is BounceKind.SUCCESS:
        reason = R.DELIVERED
    else:
        reason = choose_reason(status, diagnostic, finding.action, finding.command)
    derived = False
    if not status and reason not in (R.FEEDBACK, R.VACATION):
        if reason is R.DELIVERED:
            status = "2.0.0"  # a success DSN without a Status field: plain success
        else:
            temporary = kind is BounceKind.DELAY or replycode.startswith("4") or finding.action == "delayed"
            status = derive_status(reason, temporary)
        derived = True
    hard = reason.is_hard(replycode or status) and kind not in (BounceKind.DELAY, BounceKind.SUCCESS)
    return RecipientReport(
        recipient=finding.recipient.lower() if finding.recipient else None,
        action=finding.action,
        status=status,
        status_derived=derived,
        replycode=replycode,
        reason=reason,
        hardbounce=hard,
        diagnostic=diagnostic,
        remote_mta=finding.remote_mta,
        feedback_type=finding.feedback_type,
    )
