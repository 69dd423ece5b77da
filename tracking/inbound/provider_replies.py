"""What a hosted provider's own reply text means, when its status code says less.

A bounce written by an ordinary MTA about a rejection by Google, Microsoft, Orange… carries
the provider's reply in its Diagnostic-Code. Providers reuse generic codes (`5.7.1`, `5.5.0`,
even `5.2.1` for a disabled account) and put the real cause in their text or in their own
tokens (`LPN007_426`, `RCP-P2`, `AUP#In-1310`). This table reads those, and is consulted
before the generic status-code mapping: the provider's words are the more specific answer.

Each row is (provider, pattern, reason, host-scoped). A host-scoped row applies only when the
remote server is one of that provider's (`PROVIDER_HOSTS`), because its text is generic
("550 Unknown user" means a filter at NTT DoCoMo, an unknown user elsewhere); the other rows
carry a token or sentence only that provider writes. Every pattern is bounded (no nested
quantifiers) and searched in at most `_MAX_TEXT` characters. Each comment says where it was
seen or which provider page documents it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tracking.models import Reason

_MAX_TEXT = 4000


class ProviderReply(NamedTuple):
    provider: str
    pattern: re.Pattern[str]
    reason: Reason
    host_scoped: bool = False


def _p(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


# The remote servers of each provider, matched against the first word of Remote-MTA.
PROVIDER_HOSTS: dict[str, re.Pattern[str]] = {
    "google": _p(r"(?:^|\.)(?:google|googlemail|gmail)\.com\.?$"),
    "microsoft": _p(r"(?:^|\.)(?:outlook|hotmail|live|msn)\.com\.?$"),
    "yahoo": _p(r"(?:^|\.)(?:yahoo\.com|yahoodns\.net|aol\.com)\.?$"),
    "nttdocomo": _p(r"(?:^|\.)docomo\.ne\.jp\.?$"),
    "kddi": _p(r"(?:^|\.)(?:ezweb\.ne\.jp|au\.com)\.?$"),
    "franceptt": _p(r"(?:^|\.)(?:orange\.fr|wanadoo\.fr|laposte\.net)\.?$"),
    "tencent": _p(r"(?:^|\.)qq\.com\.?$"),
    "messagelabs": _p(r"(?:^|\.)messagelabs\.com\.?$"),
}

REPLIES: tuple[ProviderReply, ...] = (
    # --- Google (support.google.com/a/answer/3726730 lists these texts) ---
    # "550-5.1.1 The email account that you tried to reach does not exist" (rhost-gsuite)
    ProviderReply("google", _p(r"account that you tried to reach does not exist"), Reason.USERUNKNOWN),
    # "550 5.2.1 The email account that you tried to reach is disabled" / "is inactive": Google
    # answers 5.2.1 for a closed account, which is not an unknown user (rhost-google)
    ProviderReply("google", _p(r"account that you tried to reach is (?:disabled|inactive)"), Reason.SUSPEND),
    # "552-5.2.2 The recipient's inbox is out of storage space"; "Storage quota exceeded" (Gmail)
    ProviderReply("google", _p(r"inbox is out of storage space|OverQuota|Storage quota exceeded|account that you tried to reach is over quota"), Reason.MAILBOXFULL),
    # "550-5.7.26 This mail has been blocked because the sender is unauthenticated" (rhost-google)
    ProviderReply("google", _p(r"sender is unauthenticated|requires all senders to authenticate"), Reason.AUTHFAILURE),
    # "550-5.7.1 This message is not RFC 5322 compliant" (rhost-google)
    ProviderReply("google", _p(r"not RFC 5322 compliant|RfcMessageNonCompliant"), Reason.NOTCOMPLIANTRFC),
    # "550-5.7.25 The IP address sending this message does not have a PTR record"
    ProviderReply("google", _p(r"does not have a PTR record"), Reason.REQUIREPTR),
    # "550-5.7.1 ... this message is likely unsolicited mail"
    ProviderReply("google", _p(r"likely unsolicited mail"), Reason.SPAMDETECTED),
    # "421-4.7.0 ... low reputation of the sending domain / IP"
    ProviderReply("google", _p(r"low reputation of the sending"), Reason.BADREPUTATION),
    # "You're sending this from a different address or alias using the 'Send mail as' feature.
    # The settings for your 'Send mail as' account are misconfigured" (lhost-googleworkspace)
    ProviderReply("google", _p(r"'Send mail as' account are misconfigured|p=CustomFromDenied"), Reason.REJECTED),
    # "The recipient server did not accept our requests to connect" (Gmail, rhost-gsuite):
    # Google gave up on connecting, sisimai's and our `expired`
    ProviderReply("google", _p(r"did not accept our requests to connect"), Reason.EXPIRED),
    # "DNS Error: ... doesn't receive email according to the administrator: returned Null MX"
    # (RFC 7505; rhost-gsuite)
    ProviderReply("google", _p(r"returned Null MX|doesn't receive email according to the administrator"), Reason.NOTACCEPT),
    # "DNS Error: 16578478 DNS type 'mx' lookup of x responded with code NXDOMAIN" (rhost-gsuite);
    # Google's DNS failures are retried: a network error (see `_dns_reason` for permanent ones)
    ProviderReply("google", _p(r"\bDNS Error: "), Reason.NETWORKERROR),
    # --- Microsoft (learn.microsoft.com "NDRs in Exchange Online", mail.live.com troubleshooting) ---
    # "550 5.7.606 Access denied, banned sending IP [x]" (rhost-microsoft; 5.7.606-649 block list)
    ProviderReply("microsoft", _p(r"banned sending IP|5\.7\.6[0-4][0-9] Access denied"), Reason.BLOCKED),
    # "550 5.7.509 Access denied, sending domain [x] does not pass DMARC verification"
    ProviderReply("microsoft", _p(r"does not pass DMARC verification"), Reason.AUTHFAILURE),
    # "451 4.7.650 The mail server [x] has been temporarily rate limited due to IP reputation"
    ProviderReply("microsoft", _p(r"rate limited due to IP reputation"), Reason.BADREPUTATION),
    # "550 5.4.1 [x]: Recipient address rejected: Access denied" — Exchange Online
    # directory-based edge blocking: the recipient is not in the tenant (rhost-microsoft)
    ProviderReply("microsoft", _p(r"5\.4\.1 \[[^\]\s]{1,256}\]: Recipient address rejected: Access denied"), Reason.USERUNKNOWN),
    # "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", "5.1.10 RESOLVER.ADR.RecipientNotFound"
    ProviderReply("microsoft", _p(r"RESOLVER\.ADR\.Recip(?:ient)?NotFound|RESOLVER\.ADR\.ExRecipNotFound"), Reason.USERUNKNOWN),
    # "550 5.2.2 STOREDRV.Deliver: mailbox full" (lhost-exchange2007)
    ProviderReply("microsoft", _p(r"STOREDRV\.Deliver: mailbox full|MapiExceptionShutoffQuotaExceeded"), Reason.MAILBOXFULL),
    # "550 4.4.7 QUEUE.Expired; message expired" (lhost-exchange2007)
    ProviderReply("microsoft", _p(r"QUEUE\.Expired"), Reason.EXPIRED),
    # "550 SC-004 ... too many unwanted messages have been sent from the following IP address"
    # (Outlook.com SmartScreen codes SC-001..SC-004, seen via lhost-ezweb)
    ProviderReply("microsoft", _p(r"\bSC-00[1-4]\b"), Reason.BLOCKED),
    # "550 Requested action not taken: mailbox unavailable (-0000000022:2222:-0000000022)" —
    # Hotmail's reply for a non-existent mailbox; the numeric trailer is Hotmail's own
    ProviderReply("microsoft", _p(r"mailbox unavailable \(-?[0-9]{1,12}:[0-9]{1,6}:-?[0-9]{1,12}\)"), Reason.USERUNKNOWN),
    # "554 The mail could not be delivered to the recipient because the domain is not reachable"
    ProviderReply("microsoft", _p(r"because the domain is not reachable"), Reason.HOSTUNKNOWN),
    # "550 domain [x] mismatches client ip 192.0.2.1." — Hotmail wants forward/reverse DNS to
    # agree (rhost-outlook)
    ProviderReply("microsoft", _p(r"domain \[[^\]\s]{1,256}\] mismatches client ip"), Reason.REQUIREPTR),
    # --- Yahoo / AOL (senders.yahooinc.com/smtp-error-codes) ---
    # "554 delivery error: dd This user doesn't have a yahoo.com account" (rhost-yahooinc)
    ProviderReply("yahoo", _p(r"doesn't have a (?:yahoo|ymail|aol)\S{0,20} account"), Reason.USERUNKNOWN),
    # "554 delivery error: dd Sorry your message to x cannot be delivered. This mailbox is disabled"
    ProviderReply("yahoo", _p(r"This mailbox is disabled \(554\.30\)"), Reason.SUSPEND),
    # "554 5.7.9 Message not accepted for policy reasons" (rhost-yahooinc)
    ProviderReply("yahoo", _p(r"Message not accepted for policy reasons"), Reason.POLICYVIOLATION),
    # "553 5.7.2 [TSS09] All messages from x will be permanently deferred"
    ProviderReply("yahoo", _p(r"\[TSS09\]"), Reason.BLOCKED),
    # --- Apple iCloud ---
    # "550 5.1.6 recipient no longer on server: x" (rhost-apple)
    ProviderReply("apple", _p(r"recipient no longer on server"), Reason.HASMOVED),
    # --- Facebook (postmaster.facebook.com/response_codes) ---
    # "550 5.1.1 RCP-P1 ... Recipient address does not exist" (rhost-facebook)
    ProviderReply("facebook", _p(r"\bRCP-P1\b"), Reason.USERUNKNOWN),
    # "550 5.1.1 RCP-P2 ... Refused due to recipient preferences" (rhost-facebook)
    ProviderReply("facebook", _p(r"\bRCP-P2\b|Refused due to recipient preferences"), Reason.FILTERED),
    # --- Orange / Wanadoo / La Poste (FrancePTT; postmaster.orange.fr error codes) ---
    # "550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416"
    ProviderReply("franceptt", _p(r"\bLPN007_416\b|Adresse destinataire invalide"), Reason.USERUNKNOWN),
    # "550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426"
    ProviderReply("franceptt", _p(r"\bLPN007_426\b|recipient account is blocked"), Reason.SUSPEND),
    # "554 5.7.1 <x>: Client host rejected: #216 lpn LPN000_630" (rhost-franceptt)
    ProviderReply("franceptt", _p(r"\bLPN000_630\b"), Reason.POLICYVIOLATION),
    # "550 5.5.0 Service refuse. ... LPN001_108" (rhost-franceptt)
    ProviderReply("franceptt", _p(r"\bLPN001_108\b"), Reason.BLOCKED),
    # "550 ... Client host blocked for spamming issues. OFR006_102 [102]" (rhost-franceptt)
    ProviderReply("franceptt", _p(r"\bOFR006_102\b|\bOFR_102\b|blocked for spamming issues"), Reason.BLOCKED),
    # "421 4.2.0 Service refuse. ... OFR005_505 [505]" (rhost-franceptt)
    ProviderReply("franceptt", _p(r"\bOFR0{0,2}5_505\b|\bOFR_505\b"), Reason.SYSTEMERROR),
    # "550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]" (rhost-franceptt, lhost-einsundeins)
    ProviderReply("franceptt", _p(r"\bOFR0{0,3}6?_506\b|Mail rejete\. Mail rejected"), Reason.SPAMDETECTED),
    # "421 mwinf5c77 ME Service refuse. Veuillez essayer plus tard. ... OFR_999 [999]"
    ProviderReply("franceptt", _p(r"\bOFR_999\b"), Reason.BLOCKED),
    # --- Tencent QQ (service.mail.qq.com help pages) ---
    # "550 Connection frequency limited [...]" (rhost-tencent)
    ProviderReply("tencent", _p(r"Connection frequency limited"), Reason.TOOMANYCONN),
    # "550 DMARC check failed. http://service.mail.qq.com/..." (rhost-tencent)
    ProviderReply("tencent", _p(r"DMARC check failed"), Reason.AUTHFAILURE, host_scoped=True),
    # --- Spectrum / Charter (spectrum.net "understanding email error codes") ---
    # "550 5.1.0 <x> sender rejected. ... AUP#In-1310" — 1310: too many connections (rhost-spectrum)
    ProviderReply("spectrum", _p(r"AUP#[A-Za-z]{0,4}-?1310\b"), Reason.TOOMANYCONN),
    # --- IUA (i.ua, email.ua) ---
    # "550 Mailbox is frozen. See http://mail.i.ua/err/3/" (rhost-iua)
    ProviderReply("iua", _p(r"Mailbox is frozen"), Reason.SUSPEND),
    # --- Mimecast ---
    # "554 email rejected due to security policies - MCSpamSignature.sa.2.2" (rhost-mimecast)
    ProviderReply("mimecast", _p(r"rejected due to security policies - MC"), Reason.VIRUSDETECTED),
    # --- Amazon SES inbound ---
    # "500 5.6.1 Message content rejected" (lhost-receivingses): SES's content filter
    ProviderReply("amazon", _p(r"\b5\.6\.1 Message content rejected"), Reason.SPAMDETECTED),
    # --- KDDI au (ezweb.ne.jp, au.com) ---
    # "550 : User unknown" — an empty address before the colon is au's answer when the
    # recipient's own filter refuses the sender; "550 <x>: User unknown" is a real unknown
    # (rhost-kddi, relayed via lhost-office365 and lhost-mailru)
    ProviderReply("kddi", _p(r"\b550 :\s{1,4}User unknown"), Reason.FILTERED),
    # "550 <x@au.com>: User unknown" from msmx.au.com: with the address, a real unknown user,
    # even when the relay reports it after DATA (rhost-kddi)
    ProviderReply("kddi", _p(r"^\s*550 <[^\s<>]{1,256}>: User unknown"), Reason.USERUNKNOWN, host_scoped=True),
    # --- NTT DoCoMo ---
    # "550 Unknown user x@docomo.ne.jp" from mfsmax.docomo.ne.jp: DoCoMo answers so when the
    # recipient's filter refuses the sender (rhost-nttdocomo)
    ProviderReply("nttdocomo", _p(r"^\s*(?:550 )?Unknown user"), Reason.REJECTED, host_scoped=True),
    # --- MessageLabs (Symantec/Broadcom Email Security.cloud) ---
    # "542 x Rejected" — the recipient is not valid for the protected domain (rhost-messagelabs)
    ProviderReply("messagelabs", _p(r"^\s*542 \S{1,256} Rejected"), Reason.USERUNKNOWN),
)


# Google's DNS answers that say the domain does not exist (not a lookup that failed).
_NO_SUCH_DOMAIN = re.compile(r"NXDOMAIN|Domain name not found", re.IGNORECASE)


def provider_of(remote_mta: str) -> str:
    """The provider whose servers `remote_mta` names ('' when none): the first word, without
    the `dns;` type or the trailing dot."""
    host = remote_mta.split(";", 1)[-1].strip().split(" ", 1)[0].strip("[]().").lower()
    for provider, pattern in PROVIDER_HOSTS.items():
        if host and pattern.search(host):
            return provider
    return ""


def reason_from_provider_reply(
    text: str, remote_mta: str = "", *, permanent: bool | None = None
) -> Reason | None:
    """The reason a provider's reply text states, or None when no provider's rule applies.

    `permanent` (when the caller knows the failure is final) turns Google's DNS failures into
    `hostunknown` rather than a retried network error.
    """
    if not text:
        return None
    text = text[:_MAX_TEXT]
    provider = provider_of(remote_mta) if remote_mta else ""
    for row in REPLIES:
        if row.host_scoped and row.provider != provider:
            continue
        if row.pattern.search(text):
            if row.reason is Reason.NETWORKERROR and permanent and _NO_SUCH_DOMAIN.search(text):
                return Reason.HOSTUNKNOWN
            return row.reason
    return None
