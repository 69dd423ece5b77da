"""Enhanced status codes (RFC 3463, IANA registry) and SMTP reply codes (RFC 5321): finding
them in text, what each says about the reason, and sisimai's derived `x.0.9NN` codes."""

from __future__ import annotations

import re

from tracking.models import Reason

R = Reason

_STATUS_IN_TEXT = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_REPLYCODE_IN_TEXT = re.compile(r"(?<![\d.\-])([245][0-5]\d)(?=[ \-]|$)")

# RFC 3463 / IANA "SMTP Enhanced Status Codes" meanings, mapped to the reason vocabulary.
# Codes in SPECIFIC_STATUSES name the cause precisely; the others (x.0.0, x.7.1…) only say
# "refused" and the diagnostic text decides when it says more.
STATUS_REASONS: dict[str, Reason] = {
    "1.1": R.USERUNKNOWN, "1.0": R.USERUNKNOWN, "1.3": R.USERUNKNOWN, "1.2": R.HOSTUNKNOWN,
    "1.4": R.FILTERED, "1.6": R.HASMOVED, "1.7": R.REJECTED, "1.8": R.REJECTED,
    "1.9": R.SYSTEMERROR, "1.10": R.NOTACCEPT,
    # X.2.1 is "Mailbox disabled, not accepting messages" in RFC 3463, but servers write it for
    # per-recipient filters too; the words decide (see `SPECIFIC_STATUSES`).
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

# Reply codes of RFC 5321 §4.2.3 and its extensions (RFC 3207, 4954, 7504); anything else
# in a diagnostic is a number, not a reply (seen: "542 … Rejected" from MessageLabs).
VALID_REPLYCODES = frozenset((
    "211", "214", "220", "221", "250", "251", "252", "354", "421", "422", "430", "432", "450",
    "451", "452", "453", "454", "455", "458", "459", "500", "501", "502", "503", "504", "521",
    "523", "530", "534", "535", "538", "550", "551", "552", "553", "554", "555", "556",
    "525",  # RFC 5248's basic code for 5.7.13 "user account disabled" (DragonFly notices)
))


def find_status(text: str) -> str:
    """The first enhanced status code in free text ('' when none)."""
    match = _STATUS_IN_TEXT.search(text[:4000])
    return match.group(0) if match else ""


def find_replycode(text: str) -> str:
    """The first SMTP reply code in free text ('' when none)."""
    match = _REPLYCODE_IN_TEXT.search(text[:4000])
    return match.group(1) if match else ""


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


def derive_status(reason: Reason, temporary: bool) -> str:
    code = DERIVED_CODES.get(reason, DERIVED_CODES[R.UNDEFINED])
    if temporary and reason not in _ALWAYS_PERMANENT:
        if reason is R.FILTERED:
            code = _TEMPORARY_FILTERED_CODE
        return f"4.0.{code}"
    return f"5.0.{code}"


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
