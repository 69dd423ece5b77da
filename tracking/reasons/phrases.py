"""What servers write when they say why: one row of evidence per reason.

Each row holds lower-case `phrases` (plain substrings of the diagnostic, which is lower-cased
and whitespace-collapsed first) and ordered word `pairs` ("mailbox" … "full": the first word,
then the second within `PAIR_GAP` characters after it, as in "mailbox for x@example.com is
full"). Plain `in` tests and `str.find` keep matching linear on any input.

How a reason is chosen (`reason_from_text`): every row is tried, in the table's order; the
LONGEST piece of evidence found wins (a row's `fallback` words count only when no row has
anything else), because it is the most specific thing the server wrote
("mailbox size limit exceeded" is a full mailbox, although it contains "size limit", which
alone is a message too big). A pair counts as long as its two words. On equal length the
earlier row wins, so the order below is the tie-break: content and size first, then the
mailbox, the address, who we are, what we sent, and transient trouble last. A phrase that
only one MTA or one provider writes belongs to that detector or to `providers.py`, not here.

The comment above each row says where its wording comes from (RFC texts, the MTAs' sources
and documentation, providers' postmaster pages, sisimai's reason descriptions).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from tracking.models import Reason as R

PAIR_GAP = 60  # characters allowed between the two words of a pair (an address fits)
_MAX_TEXT = 8000


class Evidence(NamedTuple):
    reason: R
    phrases: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...] = ()
    # Vague words ("service unavailable", "giving up", "access denied") read only when no row
    # has precise evidence: servers put them before or after the real cause ("Service
    # unavailable; client host blocked using …", "mailbox is full: retry timeout exceeded").
    fallback: tuple[str, ...] = ()


EVIDENCE: tuple[Evidence, ...] = (
    # --- the message's own content or size ---------------------------------------------------
    # Virus scanners answering DATA (Amavis "infected", ClamAV "virus found", Sophos, McAfee;
    # GoDaddy "Virus infected message rejected").
    Evidence(R.VIRUSDETECTED, (
        "virus detected", "virus found", "infected with", "contains a virus", "virus infected",
        "message contains malware", "prohibited virus", "malware detected",
    )),
    # Size limits: Postfix "message size exceeds fixed limit", Exim "message too big", Sendmail
    # "Message is too large", Gmail "exceeded ... size limits", RFC 3463 X.3.4, Mimecast
    # "Maximum email size exceeded"; "500 Line limit exceeded" quoted by Exim (RFC 5322 §2.1.1).
    Evidence(R.MESGTOOBIG, (
        "line limit exceeded", "message size exceeds", "message too big", "message too large",
        "message is too big", "message is too large", "message exceeds maximum", "size exceeds",
        "size limit", "exceeds size limit", "mail size exceeded", "message length exceeds",
        "exceeded the maximum message size", "message file too big", "email size exceeded",
        "message trop volumineux", "exceeds the maximum size", "maximum message size",
        "size too large", "mail too large", "taille limite du message atteinte",
        "mail file size exceeds the maximum size",
    ), (("message", "too large"), ("message", "too big"), ("size", "exceed"))),
    # --- the mailbox -------------------------------------------------------------------------
    # Quotas: Postfix/Dovecot "Mailbox full", "Quota exceeded", Exim "mailbox is full", qmail
    # "user is over quota", Gmail "out of storage space", RFC 3463 X.2.2, GoDaddy "Account
    # storage limit", French servers "boîte pleine" / "quota dépassé".
    Evidence(R.MAILBOXFULL, (
        "mailbox full", "mailbox is full", "mailbox is over quota", "over quota", "overquota",
        "quota exceeded", "exceeded storage allocation", "exceeded its storage",
        "mailbox size limit exceeded", "disk quota exceeded", "quota full",
        "user's disk quota", "insufficient disk space", "not enough storage",
        "out of storage space", "inbox is full", "mailfolder is full", "account is full",
        "mail box full", "mailbox exceeds allowed size", "would exceed mailbox quota",
        "user is over their quota", "too much mail data", "quota violation",
        "the user's mailbox is full", "mailbox has exceeded", "exceeded mailbox quota",
        "account storage limit", "boîte pleine", "boite pleine", "quota dépassé",
        "quota depasse", "boîte aux lettres pleine",
    ), (("mailbox", "full"), ("mailbox", "quota"), ("quota", "exceeded"), ("boîte", "pleine"))),
    # Disabled or suspended accounts: RFC 3463 X.2.1 "mailbox disabled", RFC 5248 X.7.13
    # "user account disabled", Gmail "account … is disabled", Tencent "is a deactivated
    # mailbox", GoDaddy "Account disabled", French "compte désactivé".
    Evidence(R.SUSPEND, (
        "temporary locked", "temporarily locked",
        "account disabled", "account is disabled", "account has been disabled",
        "mailbox disabled", "mailbox is disabled", "account is inactive", "inactive account",
        "account has been suspended", "account suspended", "account is suspended",
        "mailbox is inactive", "mailbox unavailable or inactive", "recipient suspended",
        "has been disabled", "is not active", "account expired", "mailbox has been suspended",
        "account is locked", "temporarily disabled", "user suspended", "recipient is inactive",
        "deactivated mailbox", "compte désactivé", "compte desactive", "compte suspendu",
    ), (("account", "disabled"), ("mailbox", "disabled"), ("account", "suspended"))),
    # Per-recipient limits (RFC 3463 X.2.3 "message length exceeds administrative limit").
    Evidence(R.EXCEEDLIMIT, ("message exceeds the limit", "too many messages for this recipient")),
    # --- the address -------------------------------------------------------------------------
    # RFC 3463 X.1.6 "destination mailbox has moved, no forwarding address".
    Evidence(R.HASMOVED, (
        "has been moved", "mailbox has moved", "address has changed", "no forwarding address",
        "no longer valid and has moved",
    )),
    # Unknown domains: Postfix "Host or domain name not found", Sendmail "Host unknown", Exim
    # "all relevant MX records point to non-existent hosts", "Unrouteable address".
    Evidence(R.HOSTUNKNOWN, (
        "host or domain name not found", "host unknown", "unknown host", "name service error",
        "domain not found", "domain does not exist", "no such domain", "unrouteable mail domain",
        "unknown domain", "domain name not found", "non-existent host", "nonexistent domain",
        "unrouteable address", "dns lookup failure: host", "domain is not valid",
        "mx lookup failed", "host not found", "invalid domain", "domain unknown",
        "dns record for domain", "no dns", "domain isn't in my list of allowed rcpthosts",
        "domaine inexistant", "domaine introuvable",
    )),
    # Unknown users, every server's wording: Postfix "User unknown in local recipient table",
    # Sendmail "User unknown", Exim "unknown user" / "No such user", qmail "no mailbox here by
    # that name", Exchange "RESOLVER.ADR.RecipNotFound", Gmail "does not exist", Microsoft's
    # directory-based edge blocking "Recipient address rejected: Access denied", Tencent
    # "Mailbox not found", Mimecast "Invalid recipient", French "utilisateur inconnu".
    Evidence(R.USERUNKNOWN, (
        "recipient address rejected: access denied",
        "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
        "unknown recipient", "recipient unknown", "recipient not found",
        "mailbox not found", "mailbox does not exist",
        "address does not exist", "account does not exist", "user does not exist",
        "user doesn't exist", "does not exist", "doesn't exist", "doesn't have a",
        "no mailbox here by that name", "invalid recipient", "invalid mailbox",
        "recipient address rejected: user unknown", "unknown address", "address unknown",
        "not a valid mailbox", "unknown local part", "unroutable address",
        "addressee unknown", "no such account", "user not found", "mailbox is not exist",
        "not our customer", "invalid address", "bad destination mailbox", "mailbox not available",
        "no such local user", "undeliverable address", "unknown or illegal alias",
        "user invalid", "not listed in",
        "is not a known user", "no valid recipients", "mailbox unknown", "unknown mailbox",
        "this user doesn't have", "there is no such user", "destination address does not exist",
        "the email account that you tried to reach does not exist", "unknown account",
        "no account by that name", "user not exist", "no longer available",
        "utilisateur inconnu", "destinataire inconnu", "adresse inconnue", "n'existe pas",
        "adresse destinataire invalide", "address not found", "couldn't be found",
        "could not be found", "no such person", "no such address", "invalid user",
        "user not known", "recipient address not found", "not found in directory",
        "mailbox name not allowed", "bad recipient", "not a valid recipient",
        "unknown or invalid recipient", "no mailbox",
        "address not present in directory", "can't accept user",
        "destination addresses were unknown",
        "destination server rejected recipients", "invalid mailbox path",
        "is not an active address at this host", "mailbox invalid", "mailbox not present",
        "no such address here", "not a valid user here", "not a local address",
        "recipient is not accepted", "recipient is not local", "recipient not ok", "badrcptto",
        "your envelope recipient has been denied", "the user's email name is not found",
        "there is no one at this address", "this address no longer accepts mail",
        "this email address is wrong or no longer valid", "validrcptto list",
        "user missing home directory", "invalid or unknown virtual user",
        "nessun utente simile", "no existe dicha persona", "no existe ese usuario",
        # Postfix's bare "Recipient address rejected." with no cause after it refuses the
        # address itself; any stated cause is longer evidence and wins.
        "recipient address rejected.",
    ), (("recipient", "does not exist"), ("mailbox", "does not exist"), ("user", "not found"),
        ("address", "does not exist"), ("recipient", "not found"), ("user", "unknown"),
        ("account", "does not exist at the organization"), ("non", "existent user"),
        ("recipient", "was not found in"), ("user", "was not found"), ("user", "does not exist"),
        ("unknown e", "mail address")),
        # RFC 5321 §4.2.3's stock text for any 550 ("Requested action not taken: mailbox
        # unavailable"): an unknown mailbox only when the server says nothing more precise
        fallback=("mailbox unavailable",)),
    # --- refused for who we are ----------------------------------------------------------------
    # Relaying (RFC 5321 §3.6): Postfix "Relay access denied", Sendmail "Relaying denied", V5
    # Sendmail "Insecure Mail Relay", Mimecast "Open relay not allowed".
    Evidence(R.NORELAYING, (
        "insecure mail relay",
        "relay access denied", "relaying denied", "relay not permitted", "relaying not allowed",
        "not permitted to relay", "unable to relay", "relay denied", "we do not relay",
        "relay not allowed", "relaying mail to", "is not permitted to relay", "no relaying",
        "sorry, that domain isn't in my list of allowed rcpthosts", "relaying prohibited",
        "open relay not allowed", "open relay is not allowed",
    )),
    # Content judged as spam: SpamAssassin "scored as spam", Google Groups "spam
    # classification", GoDaddy "content judged to be spam", Tencent "mail content denied".
    Evidence(R.SPAMDETECTED, (
        "blacklisted url", "spam classification", "scored as spam", "identified as spam",
        "classified as spam", "considered spam", "detected as spam", "spam detected",
        "message is spam", "looks like spam", "spam content", "spam message rejected", "as spam",
        "spam score", "spam", "junk mail", "unsolicited", "message content rejected",
        "content filter", "bulk mail", "message looks like", "high probability of",
        "scored too high", "judged to be spam", "mail content denied",
        "spam is embedded in the email", "message rejected for spam or virus content",
    )),
    # SPF/DKIM/DMARC (RFC 7208, 6376, 7489): Gmail "unauthenticated email", Microsoft "does not
    # pass DMARC verification", Mimecast "SPF Sender Invalid", GoDaddy "Invalid SPF record".
    Evidence(R.AUTHFAILURE, (
        "spf check failed", "spf fail", "spf validation", "did not pass spf",
        "dmarc policy", "dmarc verification", "dmarc check", "failed dmarc", "dkim fail",
        "dkim signature", "not pass dmarc", "unauthenticated email", "sender policy framework",
        "spf)", "does not pass dmarc", "spf record", "spf authentication failed",
        "dkim authentication failed", "dmarc authentication failed", "bad spf", "spf policy",
        "does not have authentication information",
        "spf sender invalid", "dkim sender invalid", "dmarc sender invalid",
    )),
    # Reverse DNS required (RFC 5248 X.7.25; Postfix reject_unknown_client_hostname "cannot
    # find your hostname", GoDaddy "Reverse DNS for this IP failed").
    Evidence(R.REQUIREPTR, (
        "reverse dns", "no ptr", "ptr record", "reverse lookup", "rdns",
        "cannot find your hostname",
        "client host rejected: cannot find your", "no reverse", "dns ptr", "hostname lookup failed",
        "does not have a ptr", "reverse mapping", "ip name lookup failed",
        # "450 service permits 2 unverifyable sending IPs - host is not 192.0.2.1": a
        # receiver that cannot verify our host name from our IP (sisimai's RequirePTR facts)
        "unverifyable sending ip", "unverifiable sending ip",
    )),
    # Reputation of the sending IP or domain (Gmail "low reputation", Microsoft "rate limited
    # due to IP reputation", Cloudmark "poor reputation", Mimecast "IP reputation").
    Evidence(R.BADREPUTATION, (
        "ip reputation", "poor reputation", "bad reputation", "low reputation",
        "sender reputation",
    )),
    # Where we connect from is refused: block lists (Spamhaus, SpamCop, Barracuda), Microsoft
    # "banned sending IP", Postfix "refused to talk to me", Japanese
    # ISPs' port-25 blocking ("smtp server of your isp"), GoDaddy "RBL Reject", Tencent
    # "suspected spam ip", a Yahoo-hosted receiver's "invalid ip for sending".
    Evidence(R.BLOCKED, (
        "smtp server of your isp", "which is an open relay", "relay quota",
        "refused to talk to me",
        "blocked using", "listed in", "blacklist", "blocklist", "block list", "black list",
        "spamhaus", "spamcop", "dnsbl", "rbl", "banned sending ip", "access denied, banned",
        "your ip", "client host rejected", "ip address is blocked",
        "has been blocked", "is blocked", "blocked by", "refused by", "connection refused by",
        "service unavailable, client host", "not allowed to send", "your network",
        "sender ip", "rejected because of", "mail from ip", "connection rejected",
        "temporarily deferred", "too many bad recipients",
        "has been temporarily rate limited", "blocked for spam", "invalid ip for sending",
        "is listed on", "suspected spam ip", "suspected bounce attacks", "connection denied",
        "dynamic ip", "dial-up", "dialup", "residential ip", "sorbs",
        "abuseat", "uceprotect", "barracudacentral", "not allowed to connect",
        "ip blacklisted", "your ip address", "poor ip", "cannot resolve your address",
        "may not be mail exchanger", "confirm this mail server", "go away",
        "hosts with dynamic ip", "is not allowed to send mail from", "no access from mail server",
        "not currently accepting mail from your ip", "rejecting open proxy",
        "looks suspiciously like spammer", "is blacklisted", "unresolvable relay host name",
        "your server requires confirmation", "we do not accept mail from dynamic",
    ), fallback=("rejected due to",)),
    # Policy (RFC 3463 X.7.1 wording in many servers; Gmail 552-5.7.0 "content presents a
    # potential security issue"; Mimecast "Anti-Spoofing policy").
    Evidence(R.POLICYVIOLATION, (
        "protocol violation", "content presents a potential", "header error",
        "policy violation", "violates", "violation of", "policy reasons", "prohibited",
        "not allowed by policy", "due to policy", "local policy", "policy restrictions",
        "message rejected due to", "content policy", "anti-spoofing policy", "policy rejection",
        "denied by policy", "rejected by policy", "an illegal attachment on your message",
        "closed mailing list", "members-only list", "organizational settings",
        "rejected by organization policy", "using a mass mailer",
        "dmarc",  # a bare mention: the sender domain's published policy refused us
    )),
    # The message breaks RFC 5322 (Gmail "not RFC 5322 compliant", Postfix/Exim "bare LF").
    Evidence(R.NOTCOMPLIANTRFC, (
        "rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822", "not rfc compliant",
        "multiple addresses in from", "duplicate header", "is not rfc",
        "missing required header", "bare lf", "bare linefeed",
    )),
    Evidence(R.CONTENTERROR, (
        "content error", "illegal attachment", "attachment not allowed", "mime error",
        "invalid mime", "blocked attachment",
    )),
    # TLS required but not there (RFC 3207; Gmail "Remote server does not support TLS",
    # Postfix "TLS is required, but was not offered by host").
    Evidence(R.FAILEDSTARTTLS, (
        "does not support tls", "tls is required, but was not offered", "starttls failed",
        "tls negotiation failed", "tls handshake",
    )),
    # Authentication or encryption the receiver demands (RFC 4954 530/535; Mimecast "this
    # route requires encryption"). SPF/DKIM/DMARC failures are `authfailure`, longer phrases.
    Evidence(R.SECURITYERROR, (
        "unauthenticated senders not allowed",
        "authentication", "encryption required", "tls required", "must issue a starttls",
        "starttls", "certificate", "not authorized", "insecure", "security policy",
        "requires encryption", "incorrect authentication data",
        # SMTP AUTH (RFC 4954 §6): our credentials, not SPF/DKIM/DMARC
        "authentication required", "authentication failed", "authentication credentials invalid",
        "mechanism is too weak", "must authenticate",
    )),
    Evidence(R.SUPPRESSED, ("suppression list", "suppressed", "on the suppression")),
    # Our sender refused: Sendmail "Sender address rejected", "Domain of sender address …
    # does not exist", Sender ID refusals ("purported responsible address"), Mimecast
    # "Envelope blocked", Tencent "mail is rejected by recipients".
    Evidence(R.REJECTED, (
        "purported responsible address",
        "sender address rejected", "sender rejected", "domain of sender address",
        "sender is rejected", "sender unknown", "sender verify failed",
        "envelope sender", "sender not allowed", "rejected sender",
        "sender denied", "invalid sender", "bad sender",
        "envelope blocked", "administrative prohibition", "mail is rejected by recipients",
        # Exchange Online 5.7.60 "Client does not have permissions to send as this sender"
        "permissions to send as this sender", "not allowed to send as",
        # sisimai's Rejected index: refusals of the envelope sender (BATV, null sender, callouts)
        "batv failed to verify", "batv validation failure", "rejected by batv",
        "backscatter protection", "bogus mail from", "delivery not authorized, message refused",
        "emetteur invalide", "empty envelope senders not allowed", "no third-party dsns",
        "from: domain is invalid", "fully qualified email address required",
        "mail from not owned by user", "null sender is not allowed",
        "returned mail not accepted here", "sender email address rejected", "sender is spammer",
        "sender not pre-approved", "sender domain is empty", "unroutable sender address",
    ), fallback=("access denied", "sender domain", "from address", "mail from", "sender address")),
    # The recipient's own filter (sisimai `filtered`).
    Evidence(R.FILTERED, (
        "refused by the recipient", "recipient rejected the message", "rejected by the recipient",
        "due to user's mail setting", "by the user's", "does not accept mail from",
        "only accepting mail from specific email addresses", "is not accepting any mail",
        "resolver.rst.notauthorized", "this account is protected by", "user reject",
        "you have been blocked by the recipient", "refuse to receive mail",
    ), fallback=("filtered", "message was rejected by", "content rejected")),
    # --- transient -----------------------------------------------------------------------------
    # The queue gave up: Postfix "connect to host[ip]:25: Connection timed out / refused" in a
    # final failure, Exim "retry timeout exceeded", Exchange "QUEUE.Expired", GoDaddy "has been
    # in the queue too long". In a delay notice the same words are `networkerror` (decide.py).
    Evidence(R.EXPIRED, (), fallback=(
        "connection timed out", "connection refused",
        "retry timeout exceeded", "retry time not reached", "message expired",
        "delivery time expired", "queue timeout", "too long in queue", "been in queue too long",
        "in the queue too long", "could not be delivered for", "delivery expired",
        "time limit exceeded", "message timed out", "expired", "timeout exceeded",
        "retry period exceeded", "giving up", "delivery attempts will continue",
        "unable to deliver for", "was not delivered within", "delivery timeout",
    )),
    Evidence(R.TOOMANYCONN, (
        "trop de connexions", "connection rate limit", "too many connections",
        "too many concurrent", "connection limit",
        "too many smtp sessions", "too many recipients", "too many sessions",
    )),
    # Pacing: rate limits, and greylisting (RFC 6647), which is the receiver asking an unknown
    # sender to come back later — a delay, never a final answer.
    Evidence(R.SPEEDING, (
        "receiving mail at a rate", "rate limit", "too many messages", "sending rate", "throttl",
        "rate of", "greylist", "graylist", "grey-list", "gray-list",
        "frequency limited", "receiving mail too quickly", "sending too fast", "too frequently",
        "too many emails", "too many mails", "message rate", "max emails per hour",
        "please try again slower", "throttling failure", "too many errors from your ip",
    )),  # "try again later" alone names no cause: the status code decides
    # DNS trouble that is not a missing domain (Postfix "Name service error … Malformed or
    # unexpected name server reply", "Host not found, try again" for TRY_AGAIN), connections
    # lost or reset, mail loops (RFC 5321 §6.3).
    Evidence(R.NETWORKERROR, (
        "malformed or unexpected name server reply", "host name lookup failure",
        "host not found, try again", "network error", "connection reset", "lost connection",
        "no route to host", "network is unreachable", "connection closed",
        "could not connect", "unable to connect", "mail loop", "loops back to myself",
        "routing loop", "too many hops", "name server", "dns error", "dns timeout",
        "host not responding", "conversation with", "host unreachable", "message is looping",
        "unexpectedly closed",
    ), (("connection", "lost"),), fallback=("timed out",)),
    Evidence(R.SYSTEMFULL, (
        "system full", "insufficient system storage", "system storage", "out of disk",
    )),
    # A domain that publishes no mail exchanger accepts no mail (RFC 5321 §5.1, RFC 7505 null
    # MX): qmail/Yahoo "No mx record found for domain=", Exim "indicated no SMTP service",
    # RFC 3463 X.3.2 "not accepting network messages".
    Evidence(R.NOTACCEPT, (
        "no mx record", "no valid mx", "indicated no smtp service", "no smtp service",
        "not accepting network messages", "does not accept mail", "not accepting mail",
        "null mx", "no mail accepted", "does not receive mail",
    )),
    # RFC 5321 §4.2.4 reply texts for commands the server did not take.
    Evidence(R.SYNTAXERROR, (
        "improper sequence of commands", "command parameter not implemented",
        "command not implemented", "syntax error", "command unrecognized",
        "command not recognized", "bad sequence of commands", "unrecognized command",
        "bad address syntax",
    )),
    # A local delivery agent failed, whatever it printed (procmail, mail.local, maildrop;
    # Sendmail "X-Unix; 71"): the mailer, not the address.
    Evidence(R.MAILERERROR, (
        "procmail:", "mail.local:", "maildrop:", "mailer error", "command failed",
        "unknown mailer", "pipe to", "procmail", "x-unix;", "exit code", "command died",
        "program failed",
    )),
    Evidence(R.SYSTEMERROR, (
        "system error", "internal error", "server error", "local error", "configuration error",
        "system not accepting", "too many errors", "resources temporarily", "unexpected error",
    ), fallback=(
        "transaction failed", "service currently unavailable", "temporary failure",
        "temporarily unavailable", "service unavailable",
        "service not available",  # RFC 5321 §4.2.3: 421 "Service not available, closing …"
    )),
)


def normalize(text: str) -> str:
    """Lower-cased, whitespace collapsed, bounded: the form every phrase is written for."""
    return " ".join(text[:_MAX_TEXT].lower().split())


def _pair_found(text: str, first: str, second: str) -> bool:
    start = text.find(first)
    while start >= 0:
        after = start + len(first)
        found = text.find(second, after, after + PAIR_GAP + len(second))
        if found >= 0:
            return True
        start = text.find(first, after)
    return False


Piece = tuple[str, str, R, int]          # (phrase or first word, second word, reason, length)
Ranked = tuple[int, str, str, R, int]    # the same with its rank in the longest-first order


def _by_length(rows: tuple[Evidence, ...], fallback: bool) -> tuple[Piece, ...]:
    """Every piece of evidence, longest first, table order on equal length (a stable sort):
    the first one found is then the longest, and the scan stops there."""
    pieces: list[Piece] = []
    for row in rows:
        for phrase in row.fallback if fallback else row.phrases:
            pieces.append((phrase, "", row.reason, len(phrase)))
        for first, second in () if fallback else row.pairs:
            pieces.append((first, second, row.reason, len(first) + len(second) + 1))
    return tuple(sorted(pieces, key=lambda piece: -piece[3]))


def _by_first_letters(pieces: tuple[Piece, ...]) -> dict[str, tuple[Ranked, ...]]:
    """The pieces grouped by their first three characters, each with its rank in the
    longest-first order: a text is then compared only with the pieces that can start in it."""
    groups: dict[str, list[Ranked]] = {}
    for rank, (first, second, reason, length) in enumerate(pieces):
        groups.setdefault(first[:3], []).append((rank, first, second, reason, length))
    return {key: tuple(group) for key, group in groups.items()}


_PRECISE = _by_first_letters(_by_length(EVIDENCE, fallback=False))
_VAGUE = _by_first_letters(_by_length(EVIDENCE, fallback=True))


def strongest_evidence(lowered: str) -> tuple[R, int, bool] | None:
    """(reason, length of its longest evidence, whether that evidence is only vague words) for
    an already `normalize`d text, or None."""
    starts = {lowered[i:i + 3] for i in range(len(lowered) - 2)}
    for index in (_PRECISE, _VAGUE):
        best: tuple[int, R, int] | None = None  # (rank, reason, length): the lowest rank wins
        for start in starts:
            group = index.get(start)
            if group is None:
                continue
            for rank, first, second, reason, length in group:
                if best is not None and rank >= best[0]:
                    break  # a group is in rank order: nothing later in it can win
                if first in lowered and (not second or _pair_found(lowered, first, second)):
                    best = (rank, reason, length)
                    break
        if best is not None:
            return best[1], best[2], index is _VAGUE
    return None


@lru_cache(maxsize=512)
def _evidence(text: str) -> tuple[R, int, bool] | None:
    """`strongest_evidence` of a raw text, cached: the classifier and the detectors read the
    same diagnostic more than once."""
    lowered = normalize(text)
    return strongest_evidence(lowered) if lowered else None


def precise_reason_from_text(text: str) -> R | None:
    """The reason the server's words give from precise evidence only (the rows' `phrases`
    and `pairs`, never their vague `fallback` words): None when only vague words are there,
    so the caller can weigh them against the status code and the SMTP stage."""
    best = _evidence(text)
    return best[0] if best and not best[2] else None


def reason_from_text(text: str) -> R | None:
    """The reason the server's words give (None when no row has evidence in them)."""
    best = _evidence(text)
    return best[0] if best else None
