"""Phrases in servers' diagnostics that say why, one row per reason, tried in order.

Lower-case substrings (the diagnostic is lower-cased and whitespace-collapsed before matching);
plain substrings keep matching linear on any input. The order matters: a more specific reason
comes before a vaguer one that shares words (`mailbox full` before `mailbox unavailable`).
Each row says where the wording comes from. Helpers for other detectors append clearly
marked rows at the end of the section their reason belongs to.
"""

from __future__ import annotations

from tracking.models import Reason as R

TEXT_PATTERNS: tuple[tuple[R, tuple[str, ...]], ...] = (
    # --- a message's own content or size --------------------------------------------------
    # Virus scanners (Amavis, ClamAV, Sophos, McAfee) in DATA replies.
    (R.VIRUSDETECTED, (
        "virus detected", "virus found", "infected with", "contains a virus", "virus infected",
        "message contains malware", "the message was rejected because it contains prohibited virus",
    )),
    # Size limits: Postfix "message size exceeds fixed limit", Exim "message too big",
    # Sendmail "Message is too large", Gmail "message exceeded ... size limits".
    (R.MESGTOOBIG, (
        "line limit exceeded",  # mtas helper: a remote "500 Line limit exceeded" in Exim notices
        "message size exceeds", "message too big", "message too large", "message is too big",
        "message is too large", "message exceeds maximum", "size exceeds", "size limit",
        "exceeds size limit", "mail size exceeded", "message length exceeds",
        "exceeded the maximum message size", "message file too big",
    )),
    # --- the mailbox ------------------------------------------------------------------------
    # Quota wording of Postfix/Dovecot ("Mailbox full", "quota exceeded"), Exim
    # ("mailbox is full"), qmail ("user is over quota"), Gmail ("out of storage space").
    (R.MAILBOXFULL, (
        "mailbox full", "mailbox is full", "mailbox is over quota", "over quota", "overquota",
        "quota exceeded", "exceeded storage allocation", "exceeded its storage",
        "mailbox size limit exceeded", "disk quota exceeded", "quota full",
        "user's disk quota", "insufficient disk space", "not enough storage",
        "out of storage space", "inbox is full", "mailfolder is full", "account is full",
        "mail box full", "mailbox exceeds allowed size", "would exceed mailbox quota",
        "user is over their quota", "too much mail data", "quota violation",
        "the user's mailbox is full", "mailbox has exceeded", "exceeded mailbox quota",
    )),
    # Disabled / suspended accounts: Yahoo "This user doesn't have a ... account" is
    # userunknown, but "account is disabled", Gmail "account ... is disabled" is suspend.
    (R.SUSPEND, (
        "temporary locked", "temporarily locked",
        "account disabled", "account is disabled", "account has been disabled",
        "mailbox disabled", "mailbox is disabled", "account is inactive", "inactive account",
        "account has been suspended", "account suspended", "account is suspended",
        "mailbox is inactive", "mailbox unavailable or inactive", "recipient suspended",
        "has been disabled", "is not active", "account expired", "mailbox has been suspended",
        "account is locked", "temporarily disabled", "user suspended", "recipient is inactive",
    )),
    # Per-recipient rate limits: "exceeded the rate limit", Gmail "receiving mail at a rate".
    (R.EXCEEDLIMIT, ("message exceeds the limit", "too many messages for this recipient",)),
    # --- the address ------------------------------------------------------------------------
    # "has moved" notices (RFC 3463 x.1.6 wording).
    (R.HASMOVED, ("has been moved", "mailbox has moved", "address has changed", "no longer valid and has moved")),
    # A DNS failure is not an unknown domain: Postfix "Name service error … Malformed or
    # unexpected name server reply".
    (R.NETWORKERROR, (
        "malformed or unexpected name server reply", "host name lookup failure",
        "host not found, try again",  # mtas helper: Postfix's words for a DNS TRY_AGAIN (temporary)
    )),
    # A local delivery agent failed, whatever it printed ("procmail: Couldn't create
    # "/var/spool/mail/x" ... No such user" under Postfix's 5.1.1): the mailer, not the address.
    (R.MAILERERROR, ("procmail:", "mail.local:", "maildrop:")),
    # Postfix "Host not found, try again": the DNS answered TRY_AGAIN, a temporary lookup
    # failure, not a domain that does not exist.
    (R.NETWORKERROR, ("host not found, try again", "network error")),
    # Unknown domains: Postfix "Host or domain name not found", Sendmail "Host unknown",
    # Exim "all relevant MX records point to non-existent hosts".
    (R.HOSTUNKNOWN, (
        "host or domain name not found", "host unknown", "unknown host", "name service error",
        "domain not found", "domain does not exist", "no such domain", "unrouteable mail domain",
        "unknown domain", "domain name not found", "non-existent host", "nonexistent domain",
        "unrouteable address", "dns lookup failure: host",
        "domain is not valid", "mx lookup failed",
        "host not found", "invalid domain", "domain unknown",
        "dns record for domain", "no dns", "domain isn't in my list of allowed rcpthosts",
    )),
    # Unknown users, every server's wording: Postfix "User unknown in local recipient table",
    # Sendmail "User unknown", Exim "unknown user"/"No such user", qmail "no mailbox here by that
    # name", Exchange "RESOLVER.ADR.RecipNotFound", Gmail "does not exist".
    (R.USERUNKNOWN, (
        # mtas helper: Microsoft's directory-based edge blocking, quoted in Exim notices and
        # Microsoft's own ("550 5.4.1 Recipient address rejected: Access denied"): no such mailbox.
        "recipient address rejected: access denied",
        "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
        "unknown recipient", "recipient unknown", "recipient not found", "recipnotfound",
        "mailbox not found", "mailbox unavailable", "mailbox does not exist",
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
    )),
    # --- refused for who we are ---------------------------------------------------------------
    (R.NORELAYING, (
        "email address is not verified",  # Amazon SES: sender identity not verified in the region
        "insecure mail relay",  # mtas helper: V5 Sendmail transcripts, "550 Insecure Mail Relay"
        "relay access denied", "relaying denied", "relay not permitted", "relaying not allowed",
        "not permitted to relay", "unable to relay", "relay denied", "we do not relay",
        "relay not allowed", "relaying mail to", "is not permitted to relay", "no relaying",
        "sorry, that domain isn't in my list of allowed rcpthosts", "relaying prohibited",
    )),
    # Content judged as spam: Google Groups "rejected due to spam classification", SpamAssassin
    # "scored as spam". Before SPF/DKIM wording, which a spam notice may give as advice (Google
    # Groups: "Set up SPF records for your sending domain"), and before blocklists, which also
    # say "spam".
    (R.SPAMDETECTED, (
        "blacklisted url",  # mtas helper: URIBL hits quoted by IMail ("Blacklisted URL in message"): the content
        "spam classification", "scored as spam", "identified as spam", "classified as spam",
        "considered spam", "detected as spam", "spam detected", "message is spam", "looks like spam",
        "spam content", "spam message rejected", "as spam", "spam score",
    )),
    # SPF/DKIM/DMARC failures: Gmail "unauthenticated email", "DMARC policy", Microsoft
    # "550 5.7.509 Access denied, sending domain ... does not pass DMARC verification".
    (R.AUTHFAILURE, (
        "spf check failed", "spf fail", "spf validation", "did not pass spf",
        "dmarc policy", "dmarc verification", "dmarc check", "failed dmarc", "dkim fail",
        "dkim signature", "not pass dmarc", "unauthenticated email", "sender policy framework",
        "authentication failed", "spf)", "does not pass dmarc", "authentication required",
        "spf record", "bad spf", "spf policy", "does not have authentication information",
    )),
    (R.REQUIREPTR, (
        "reverse dns", "no ptr", "ptr record", "reverse lookup", "rdns", "cannot find your hostname",
        "client host rejected: cannot find your", "no reverse", "dns ptr", "hostname lookup failed",
        "does not have a ptr", "reverse mapping", "ip name lookup failed",
    )),
    (R.BADREPUTATION, ("ip reputation", "poor reputation", "bad reputation", "low reputation", "sender reputation")),
    # Blocklists: Spamhaus/SpamCop/Barracuda listings, "blocked using", Microsoft "banned
    # sending IP", Yahoo "[TS01]"/"[TSS04]" deferrals.
    (R.BLOCKED, (
        # mtas helper: refusals of where we connect from, quoted in Exim and V5 Sendmail
        # notices: Japanese ISPs' port-25 blocking "Please use the smtp server of your ISP",
        # "no access from mail server [ip] which is an open relay", "daily relay quota".
        "smtp server of your isp", "which is an open relay", "relay quota",
        # mtas helper: Postfix "host X refused to talk to me: 554 …" (the greeting refused our host)
        "refused to talk to me",
        "blocked using", "listed in", "blacklist", "blocklist", "block list", "black list",
        "spamhaus", "spamcop", "dnsbl", "rbl", "banned sending ip", "access denied, banned",
        "your ip", "client host rejected", "connection refused", "ip address is blocked",
        "has been blocked", "is blocked", "blocked by", "rejected due to", "refused by",
        "service unavailable, client host", "not allowed to send", "your network",
        "sender ip", "rejected because of", "mail from ip", "connection rejected",
        "temporarily deferred", "ts01", "tss04", "ts03", "too many bad recipients",
        "has been temporarily rate limited", "blocked for spam",
        # The connecting IP is not one the receiver accepts for the sender's domain: "554 INVALID
        # IP FOR SENDING MAIL OF DOMAIN x" (seen from a Yahoo-hosted receiver via qmail).
        "invalid ip for sending",
    )),
    # --- refused for what we sent -------------------------------------------------------------
    (R.SPAMDETECTED, (
        "spam", "junk mail", "unsolicited", "message content rejected", "content filter",
        "bulk mail", "message looks like", "identified as spam", "classified as spam",
        "considered spam", "high probability of", "scored too high",
    )),
    (R.POLICYVIOLATION, (
        "protocol violation", "content presents a potential", "header error",  # Gmail 552-5.7.0
        "policy violation", "violates", "violation of", "policy reasons", "prohibited",
        "not allowed by policy", "due to policy", "local policy", "policy restrictions",
        "message rejected due to", "dmarc", "content policy",
    )),
    (R.NOTCOMPLIANTRFC, (
        "rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822", "not rfc compliant",
        "multiple addresses in from", "duplicate header", "is not rfc",
        "missing required header", "bare lf", "bare linefeed",
    )),
    (R.CONTENTERROR, ("content error", "illegal attachment", "attachment not allowed", "mime error", "invalid mime", "blocked attachment")),
    # TLS required by us but refused by them: Gmail "500 Remote server does not support TLS",
    # Postfix "TLS is required, but was not offered by host".
    (R.FAILEDSTARTTLS, (
        "does not support tls", "tls is required, but was not offered", "starttls failed",
        "tls negotiation failed", "tls handshake",
    )),
    (R.SECURITYERROR, (
        "unauthenticated senders not allowed",
        "authentication", "encryption required", "tls required", "must issue a starttls",
        "starttls", "certificate", "not authorized", "insecure", "security policy",
    )),
    (R.SUPPRESSED, ("suppression list", "suppressed", "on the suppression")),
    # Sender address refused: Sendmail "Sender address rejected", "Domain of sender address
    # does not exist", "MAIL FROM" refusals.
    (R.REJECTED, (
        "purported responsible address", "access denied",  # Sender ID (PRA) refusals; a bare "Access denied"
        "sender address rejected", "sender rejected", "domain of sender address",
        "sender domain", "sender is rejected", "sender unknown", "sender verify failed",
        "envelope sender", "sender not allowed", "from address", "rejected sender",
        "mail from", "sender denied", "invalid sender", "bad sender", "sender address",
    )),
    (R.FILTERED, (
        "filtered", "refused by the recipient", "recipient rejected the message",
        "message was rejected by", "rejected by the recipient", "content rejected",
        "due to user's mail setting", "by the user's", "does not accept mail from",
    )),
    # --- transient ------------------------------------------------------------------------------
    (R.EXPIRED, (
        # Postfix "connect to host[ip]:25: Connection timed out" in a final failure: the queue
        # gave up after retrying (sisimai calls this expired, not a network error).
        "connection timed out",
        "retry timeout exceeded", "retry time not reached", "message expired", "delivery time expired",
        "queue timeout", "too long in queue", "been in queue too long", "could not be delivered for",
        "delivery expired", "time limit exceeded", "message timed out", "expired", "timeout exceeded",
        "retry period exceeded", "giving up", "delivery attempts will continue",
        "unable to deliver for", "was not delivered within",
    )),
    (R.TOOMANYCONN, ("connection rate limit", "too many connections", "too many concurrent", "connection limit", "too many smtp sessions", "too many recipients")),
    (R.SPEEDING, ("receiving mail at a rate", "rate limit", "too many messages", "sending rate", "throttl", "rate of", "try again later")),
    (R.NETWORKERROR, (
        "connection reset", "lost connection", "no route to host",
        "network is unreachable", "connection closed", "timed out", "could not connect",
        "unable to connect", "mail loop", "loops back to myself", "routing loop",
        "too many hops", "malformed or unexpected name server reply", "name server",
        "dns error", "dns timeout", "host not responding", "conversation with",
    )),
    (R.SYSTEMFULL, ("system full", "insufficient system storage", "system storage", "out of disk")),
    (R.NOTACCEPT, (
        # A domain that publishes no mail exchanger does not accept mail at all (RFC 5321
        # §5.1 / RFC 7505): qmail/Yahoo "No mx record found for domain=", Exim "an MX or SRV
        # record indicated no SMTP service".
        "no mx record", "no valid mx", "indicated no smtp service", "no smtp service",
        "not accepting network messages",  # mtas helper: RFC 3463 X.3.2's own wording (DragonFly samples)
        "does not accept mail", "not accepting mail", "null mx", "no mail accepted", "does not receive mail")),
    (R.SYNTAXERROR, (
        "improper sequence of commands", "command parameter not implemented", "command not implemented","syntax error", "command unrecognized", "command not recognized", "bad sequence of commands", "unrecognized command")),
    (R.MAILERERROR, ("mailer error", "command failed", "unknown mailer", "pipe to", "procmail", "x-unix;", "exit code", "command died", "program failed")),
    (R.SYSTEMERROR, (
        "transaction failed", "service currently unavailable",
        "system error", "internal error", "server error", "local error", "temporary failure",
        "temporarily unavailable", "service unavailable", "configuration error",
        "system not accepting", "too many errors", "resources temporarily", "unexpected error",
    )),
    # Last resort: Postfix's bare "Recipient address rejected." (no cause after it) refuses the
    # address itself. Any stated cause ("…rejected: Policy violation", "…: Mailbox full") has
    # matched an earlier row first, which is why this row comes last; the period keeps
    # "…rejected: On hold" (which states a cause no row knows) out.
    (R.USERUNKNOWN, ("recipient address rejected.",)),
)
