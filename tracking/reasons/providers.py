"""What a hosted provider's own reply text means, when its status code says less.

A bounce written by an ordinary MTA about a rejection by Google, Microsoft, Orange… carries
the provider's reply in its Diagnostic-Code. Providers reuse generic codes (`5.7.1`, `5.5.0`,
even `5.2.1` for a disabled account) and put the real cause in their text or in their own
tokens (`LPN007_426`, `RCP-P2`, `AUP#In-1310`). This table reads those, and is consulted
before the generic status-code mapping: the provider's words are the more specific answer.

Each row is (provider, phrases, reason, pattern, host-scoped). The text is lower-cased and
whitespace-collapsed once; a row applies when one of its lower-case `phrases` is a substring
of it and, when the row has a `pattern` (tokens with word boundaries, codes with digits), the
pattern matches too. Plain substring tests are what keep this fast (it runs on every failed
recipient): the regular expressions only run on the few texts that already hold their phrase.
A host-scoped row applies only when the remote server is one of that provider's
(`PROVIDER_DOMAINS`), because its text is generic ("550 Unknown user" means a filter at NTT
DoCoMo, an unknown user elsewhere); the other rows carry a token or sentence only that provider
writes. Every pattern is bounded (no nested quantifiers) and searched in at most `_MAX_TEXT`
characters. Each comment says where it was seen or which provider page documents it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tracking.models import Reason

_MAX_TEXT = 4000


class ProviderReply(NamedTuple):
    provider: str
    phrases: tuple[str, ...]
    reason: Reason
    pattern: re.Pattern[str] | None = None
    host_scoped: bool = False


def _said(provider: str, reason: Reason, *phrases: str, host_scoped: bool = False) -> ProviderReply:
    """A row matched by plain phrases (written in the provider's case, compared lower-cased)."""
    return ProviderReply(provider, tuple(p.lower() for p in phrases), reason, None, host_scoped)


def _token(
    provider: str, reason: Reason, phrase: str, pattern: str, *, host_scoped: bool = False
) -> ProviderReply:
    """A row whose `pattern` (lower-case regex) is only tried when `phrase` is in the text."""
    return ProviderReply(provider, (phrase.lower(),), reason, re.compile(pattern), host_scoped)


# The domains of each provider's receiving servers, matched against the host Remote-MTA names.
PROVIDER_DOMAINS: dict[str, tuple[str, ...]] = {
    "google": ("google.com", "googlemail.com", "gmail.com"),
    "microsoft": ("outlook.com", "hotmail.com", "live.com", "msn.com"),
    "yahoo": ("yahoo.com", "yahoodns.net", "aol.com"),
    "nttdocomo": ("docomo.ne.jp",),
    "kddi": ("ezweb.ne.jp", "au.com"),
    "franceptt": ("orange.fr", "wanadoo.fr", "laposte.net"),
    "tencent": ("qq.com",),
    "messagelabs": ("messagelabs.com",),
    "godaddy": ("secureserver.net",),
    "mimecast": ("mimecast.com", "mimecast.co.za", "mimecast-offshore.com"),
    "proofpoint": ("pphosted.com", "ppe-hosted.com"),
    "barracuda": ("barracudanetworks.com", "cudamail.com"),
    "zoho": ("zoho.com", "zoho.eu", "zohomail.com"),
    "apple": ("icloud.com", "me.com", "mac.com"),
    "unitedinternet": ("gmx.net", "gmx.de", "web.de", "kundenserver.de", "ionos.com"),
    "free": ("free.fr",),
    "sfr": ("sfr.fr", "neuf.fr"),
    "ovh": ("ovh.net", "ovh.com"),
}

R = Reason
REPLIES: tuple[ProviderReply, ...] = (
    # --- Google (support.google.com/a/answer/3726730 lists these texts) ---
    # "550-5.1.1 The email account that you tried to reach does not exist" (rhost-gsuite)
    _said("google", R.USERUNKNOWN, "account that you tried to reach does not exist"),
    # "550 5.2.1 The email account that you tried to reach is disabled" / "is inactive": Google
    # answers 5.2.1 for a closed account, which is not an unknown user (rhost-google)
    _said("google", R.SUSPEND, "account that you tried to reach is disabled",
          "account that you tried to reach is inactive"),
    # "552-5.2.2 The recipient's inbox is out of storage space"; "Storage quota exceeded" (Gmail)
    _said("google", R.MAILBOXFULL, "inbox is out of storage space", "OverQuota",
          "Storage quota exceeded", "account that you tried to reach is over quota"),
    # "550-5.7.26 This mail has been blocked because the sender is unauthenticated" (rhost-google)
    _said("google", R.AUTHFAILURE, "sender is unauthenticated", "requires all senders to authenticate"),
    # "550-5.7.1 This message is not RFC 5322 compliant" (rhost-google)
    _said("google", R.NOTCOMPLIANTRFC, "not RFC 5322 compliant", "RfcMessageNonCompliant"),
    # "550-5.7.25 The IP address sending this message does not have a PTR record"
    _said("google", R.REQUIREPTR, "does not have a PTR record"),
    # "550-5.7.1 ... this message is likely unsolicited mail"
    _said("google", R.SPAMDETECTED, "likely unsolicited mail"),
    # "421-4.7.0 ... low reputation of the sending domain / IP"
    _said("google", R.BADREPUTATION, "low reputation of the sending"),
    # "550-5.7.1 The IP you're using to send mail is not authorized to send email directly to
    # our servers. Please use the SMTP relay at your service provider instead" — where we send
    # from is refused, not our credentials (Google's list of SMTP errors)
    _said("google", R.BLOCKED, "not authorized to send email directly to our servers"),
    # "450-4.2.1 The user you are trying to contact is receiving mail too quickly. Please
    # resend your message at a later time" (x.2.1 would otherwise read as a filter)
    _said("google", R.SPEEDING, "is receiving mail too quickly"),
    # "550-5.7.1 Messages missing a valid address in From: header, or having no From: header,
    # are not accepted" (RFC 5322 §3.6 requires From:)
    _said("google", R.NOTCOMPLIANTRFC, "missing a valid address in from: header"),
    # "421-4.3.0 Temporary System Problem. Try again later" — Google's own server trouble
    _said("google", R.SYSTEMERROR, "temporary system problem"),
    # "You're sending this from a different address or alias using the 'Send mail as' feature.
    # The settings for your 'Send mail as' account are misconfigured" (lhost-googleworkspace)
    _said("google", R.REJECTED, "'Send mail as' account are misconfigured", "p=CustomFromDenied"),
    # "The recipient server did not accept our requests to connect" (Gmail, rhost-gsuite):
    # Google gave up on connecting, sisimai's and our `expired`
    _said("google", R.EXPIRED, "did not accept our requests to connect"),
    # "DNS Error: ... doesn't receive email according to the administrator: returned Null MX"
    # (RFC 7505; rhost-gsuite)
    _said("google", R.NOTACCEPT, "returned Null MX", "doesn't receive email according to the administrator"),
    # "DNS Error: 16578478 DNS type 'mx' lookup of x responded with code NXDOMAIN" (rhost-gsuite);
    # Google's DNS failures are retried: a network error (see `permanent` for final ones)
    _token("google", R.NETWORKERROR, "dns error: ", r"\bdns error: "),
    # More of Google's "Email sender guidelines" (support.google.com/mail/answer/81126) and
    # "SMTP error messages" (support.google.com/a/answer/3221692) texts, Gmail and Workspace:
    # SPF/DKIM/DMARC refusals and rate limits for unauthenticated mail (4.7.24-4.7.32)
    _said("google", R.AUTHFAILURE, "the SPF record of the sending domain",
          "fails to pass SPF checks", "has an SPF record with a hard fail policy",
          "is not accepted due to domain's DMARC policy", "fails to pass authentication checks",
          "senders to authenticate with SPF", "senders to authenticate their email with SPF",
          "senders to authenticate their email with DKIM", "senders to authenticate with DKIM",
          "aligned with either the authenticated SPF or DKIM"),
    # "421 4.7.0 IP not in whitelist for RCPT domain" (Workspace allowlists), HELO refused,
    # "421 4.7.28 Gmail has detected an unusual rate of mail originating from your IP"
    _said("google", R.BLOCKED, "IP not in whitelist for RCPT domain", "HELO/EHLO argument is invalid",
          "empty HELO/EHLO argument not allowed", "an unusual rate of unsolicited mail",
          "has detected an unusual rate of mail"),
    # "421 4.7.0 Connection expired, try reconnecting", "451 4.4.2 Timeout - closing connection"
    _said("google", R.EXPIRED, "Connection expired, try reconnecting", "Timeout - closing connection"),
    _said("google", R.MAILBOXFULL, "email quota exceeded"),
    # "554 5.4.6 Message exceeded 50 hops, this may indicate a mail loop"
    _said("google", R.NETWORKERROR, "Message exceeded 50 hops"),
    # Workspace SMTP relay (support.google.com/a/answer/6140680)
    _said("google", R.NORELAYING, "Mail relay denied", "Invalid credentials for relay"),
    _said("google", R.NOTCOMPLIANTRFC, "multiple addresses in From: header are not accepted"),
    # --- Microsoft (learn.microsoft.com "NDRs in Exchange Online", mail.live.com troubleshooting) ---
    # "550 5.7.606 Access denied, banned sending IP [x]" (rhost-microsoft; 5.7.606-649 block list)
    _said("microsoft", R.BLOCKED, "banned sending IP"),
    _token("microsoft", R.BLOCKED, "access denied", r"5\.7\.6[0-4][0-9] access denied"),
    # "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP" —
    # Exchange Online refuses the sending IP (a bare "Access denied" would read as `rejected`)
    _said("microsoft", R.BLOCKED, "traffic not accepted from this IP"),
    # "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains"
    # (Exchange Online: the sending IP is blocked until its domains are registered)
    _said("microsoft", R.BLOCKED, "client blocked from sending from unregistered domains"),
    # "550 5.7.1 Unfortunately, messages from [x] weren't sent. … Hotmail does not relay
    # dynamically-assigned IP ranges (S3140)" (Outlook.com's block-list codes S3xxx)
    _said("microsoft", R.BLOCKED, "does not relay dynamically-assigned ip ranges"),
    # "530 5.7.57 Client not authenticated to send mail" / "…was not authenticated to send
    # anonymous mail during MAIL FROM" (Exchange Online submission, Microsoft's NDR list)
    _said("microsoft", R.SECURITYERROR, "not authenticated to send anonymous mail",
          "client not authenticated to send mail"),
    # "550 5.7.509 Access denied, sending domain [x] does not pass DMARC verification"
    _said("microsoft", R.AUTHFAILURE, "does not pass DMARC verification"),
    # "451 4.7.650 The mail server [x] has been temporarily rate limited due to IP reputation"
    _said("microsoft", R.BADREPUTATION, "rate limited due to IP reputation"),
    # "550 5.4.1 [x]: Recipient address rejected: Access denied" — Exchange Online
    # directory-based edge blocking: the recipient is not in the tenant (rhost-microsoft)
    _token("microsoft", R.USERUNKNOWN, "recipient address rejected: access denied",
           r"5\.4\.1 \[[^\]\s]{1,256}\]: recipient address rejected: access denied"),
    # "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", "5.1.10 RESOLVER.ADR.RecipientNotFound"
    _said("microsoft", R.USERUNKNOWN, "RESOLVER.ADR.RecipNotFound", "RESOLVER.ADR.RecipientNotFound",
          "RESOLVER.ADR.ExRecipNotFound"),
    # "550 5.2.2 STOREDRV.Deliver: mailbox full" (lhost-exchange2007)
    _said("microsoft", R.MAILBOXFULL, "STOREDRV.Deliver: mailbox full", "MapiExceptionShutoffQuotaExceeded"),
    # "550 4.4.7 QUEUE.Expired; message expired" (lhost-exchange2007)
    _said("microsoft", R.EXPIRED, "QUEUE.Expired"),
    # "550 SC-004 ... too many unwanted messages have been sent from the following IP address"
    # (Outlook.com SmartScreen codes SC-001..SC-004, seen via lhost-ezweb)
    _token("microsoft", R.BLOCKED, "sc-00", r"\bsc-00[1-4]\b"),
    # "550 Requested action not taken: mailbox unavailable (-0000000022:2222:-0000000022)" —
    # Hotmail's reply for a non-existent mailbox; the numeric trailer is Hotmail's own
    _token("microsoft", R.USERUNKNOWN, "mailbox unavailable (",
           r"mailbox unavailable \(-?[0-9]{1,12}:[0-9]{1,6}:-?[0-9]{1,12}\)"),
    # "554 The mail could not be delivered to the recipient because the domain is not reachable"
    _said("microsoft", R.HOSTUNKNOWN, "because the domain is not reachable"),
    # "550 domain [x] mismatches client ip 192.0.2.1." — Hotmail wants forward/reverse DNS to
    # agree (rhost-outlook)
    _token("microsoft", R.REQUIREPTR, "mismatches client ip", r"domain \[[^\]\s]{1,256}\] mismatches client ip"),
    # More of Microsoft's "NDRs in Exchange Online" list:
    # "4.7.26 Access denied, a message sent over IPv6 … must pass either SPF or DKIM validation";
    # "5.7.23 The message was rejected because of Sender Policy Framework violation"
    _said("microsoft", R.AUTHFAILURE, "must pass either SPF or DKIM validation",
          "rejected because of Sender Policy Framework violation"),
    # "4.7.500-699 / 4.7.850-899 Access denied, please try again later" (suspicious activity
    # from the sending IP), "5.7.506 Access denied, bad HELO", "5.7.507 Access denied, rejected
    # by recipient", "5.7.510 … does not accept email over IPv6", "5.7.511 Access denied,
    # banned sender", "5.7.513 … blocked by x using Customer Block list", Outlook.com "(S3150)"
    _token("microsoft", R.BLOCKED, "access denied, please try again later",
           r"4\.7\.[5-8][0-9]{2} .{0,60}access denied, please try again later"),
    _said("microsoft", R.BLOCKED, "Access denied, bad HELO", "Access denied, rejected by recipient",
          "does not accept email over IPv6", "Access denied, banned sender",
          "using Customer Block list", "part of their network is on our block list"),
    # "5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient"
    _said("microsoft", R.EXCEEDLIMIT, "RESOLVER.RST.RecipSizeLimit"),
    # --- Yahoo / AOL (senders.yahooinc.com/smtp-error-codes) ---
    # "554 delivery error: dd This user doesn't have a yahoo.com account" (rhost-yahooinc)
    _token("yahoo", R.USERUNKNOWN, "doesn't have a ", r"doesn't have a (?:yahoo|ymail|aol)\S{0,20} account"),
    # "554 delivery error: dd Sorry your message to x cannot be delivered. This mailbox is disabled"
    _said("yahoo", R.SUSPEND, "This mailbox is disabled (554.30)"),
    # "554 5.7.9 Message not accepted for policy reasons" (rhost-yahooinc)
    _said("yahoo", R.POLICYVIOLATION, "Message not accepted for policy reasons"),
    # "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume
    # or user complaints" — Yahoo's error-code page: the sending IP's reputation (complaints,
    # volume), retried later (lhost-opensmtpd, lhost-postfix via yahoodns.net)
    _said("yahoo", R.BADREPUTATION, "deferred due to unexpected volume or user complaints"),
    # "421 4.7.0 [TS01] Messages from x temporarily deferred due to user complaints", "[TS03]",
    # a "[TSS04]" without its usual words: Yahoo defers the sending IP
    _said("yahoo", R.BLOCKED, "[TS01]", "[TS03]", "[TSS04]"),
    # "553 5.7.2 [TSS09] All messages from x will be permanently deferred"
    _said("yahoo", R.BLOCKED, "[TSS09]"),
    # --- Apple iCloud ---
    # "550 5.1.6 recipient no longer on server: x" (rhost-apple)
    _said("apple", R.HASMOVED, "recipient no longer on server"),
    # --- Facebook (postmaster.facebook.com/response_codes) ---
    # "550 5.1.1 RCP-P1 ... Recipient address does not exist" (rhost-facebook)
    _token("facebook", R.USERUNKNOWN, "rcp-p1", r"\brcp-p1\b"),
    # "550 5.1.1 RCP-P2 ... Refused due to recipient preferences" (rhost-facebook)
    _said("facebook", R.FILTERED, "Refused due to recipient preferences"),
    _token("facebook", R.FILTERED, "rcp-p2", r"\brcp-p2\b"),
    # --- Orange / Wanadoo / La Poste (FrancePTT; postmaster.orange.fr error codes) ---
    # "550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416"
    _said("franceptt", R.USERUNKNOWN, "Adresse destinataire invalide"),
    _token("franceptt", R.USERUNKNOWN, "lpn007_416", r"\blpn007_416\b"),
    # "550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426"
    _said("franceptt", R.SUSPEND, "recipient account is blocked"),
    _token("franceptt", R.SUSPEND, "lpn007_426", r"\blpn007_426\b"),
    # "554 5.7.1 <x>: Client host rejected: #216 lpn LPN000_630" (rhost-franceptt)
    _token("franceptt", R.POLICYVIOLATION, "lpn000_630", r"\blpn000_630\b"),
    # "550 5.5.0 Service refuse. ... LPN001_108" (rhost-franceptt)
    _token("franceptt", R.BLOCKED, "lpn001_108", r"\blpn001_108\b"),
    # "550 ... Client host blocked for spamming issues. OFR006_102 [102]" (rhost-franceptt)
    _said("franceptt", R.BLOCKED, "blocked for spamming issues"),
    _token("franceptt", R.BLOCKED, "_102", r"\bofr(?:006)?_102\b"),
    # "421 4.2.0 Service refuse. ... OFR005_505 [505]" (rhost-franceptt)
    _token("franceptt", R.SYSTEMERROR, "_505", r"\bofr(?:0{0,2}5)?_505\b"),
    # "550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]" (rhost-franceptt, lhost-einsundeins)
    _said("franceptt", R.SPAMDETECTED, "Mail rejete. Mail rejected"),
    _token("franceptt", R.SPAMDETECTED, "_506", r"\bofr0{0,3}6?_506\b"),
    # "421 smtp.orange.fr Emetteur invalide, Veuillez verifier la configuration SPF/DNS de
    # votre nom de domaine" (Orange: our SPF record)
    _said("franceptt", R.AUTHFAILURE, "SPF/DNS de votre nom de domaine"),
    # "421 mwinf5c77 ME Service refuse. Veuillez essayer plus tard. ... OFR_999 [999]"
    _token("franceptt", R.BLOCKED, "ofr_999", r"\bofr_999\b"),
    # --- Tencent QQ (service.mail.qq.com help pages) ---
    # "550 Connection frequency limited [...]" (rhost-tencent)
    _said("tencent", R.TOOMANYCONN, "Connection frequency limited"),
    # "550 DMARC check failed. http://service.mail.qq.com/..." (rhost-tencent)
    _said("tencent", R.AUTHFAILURE, "DMARC check failed", host_scoped=True),
    # --- Spectrum / Charter (spectrum.net "understanding email error codes") ---
    # "550 5.1.0 <x> sender rejected. ... AUP#In-1310" — 1310: too many connections (rhost-spectrum)
    _token("spectrum", R.TOOMANYCONN, "aup#", r"aup#[a-z]{0,4}-?1310\b"),
    # --- IUA (i.ua, email.ua) ---
    # "550 Mailbox is frozen. See http://mail.i.ua/err/3/" (rhost-iua)
    _said("iua", R.SUSPEND, "Mailbox is frozen"),
    # --- Mimecast ---
    # "554 email rejected due to security policies - MCSpamSignature.sa.2.2" (rhost-mimecast)
    _said("mimecast", R.VIRUSDETECTED, "rejected due to security policies - MC"),
    # --- GoDaddy (secureserver.net; godaddy.com/help "What does my email bounceback mean",
    # 3568 and 40685): every refusal ends with an "IBnnn" code naming the cause ---
    # "535 Authentication not allowed on IBSMTP Servers … IB401"
    _token("godaddy", R.SECURITYERROR, "ib401", r"(?<![a-z0-9])ib401(?![a-z0-9])"),
    # "Blank From: addresses are not allowed … IB501"
    _token("godaddy", R.NOTCOMPLIANTRFC, "ib501", r"(?<![a-z0-9])ib501(?![a-z0-9])"),
    # "IP addresses are not allowed as a From: Address … IB502"
    _token("godaddy", R.NOTCOMPLIANTRFC, "ib502", r"(?<![a-z0-9])ib502(?![a-z0-9])"),
    # "From: Domain is invalid. Provide a valid From: … IB506"
    _token("godaddy", R.REJECTED, "ib506", r"(?<![a-z0-9])ib506(?![a-z0-9])"),
    # "Invalid SPF record … IB508"
    _token("godaddy", R.AUTHFAILURE, "ib508", r"(?<![a-z0-9])ib508(?![a-z0-9])"),
    # "Reverse DNS for this IP failed … IB108"
    _token("godaddy", R.REQUIREPTR, "ib108", r"(?<![a-z0-9])ib108(?![a-z0-9])"),
    # "content judged to be spam … IB212"
    _token("godaddy", R.SPAMDETECTED, "ib212", r"(?<![a-z0-9])ib212(?![a-z0-9])"),
    # "Virus infected message rejected … IB705"
    _token("godaddy", R.VIRUSDETECTED, "ib705", r"(?<![a-z0-9])ib705(?![a-z0-9])"),
    # "This message contains too many recipients … IB605"
    _token("godaddy", R.TOOMANYCONN, "ib605", r"(?<![a-z0-9])ib605(?![a-z0-9])"),
    # "too many sessions from This IP … IB007"
    _token("godaddy", R.TOOMANYCONN, "ib007", r"(?<![a-z0-9])ib007(?![a-z0-9])"),
    # "Server temporarily unavailable. Try again later … IB101"
    _token("godaddy", R.SPEEDING, "ib101", r"(?<![a-z0-9])ib101(?![a-z0-9])"),
    # "temporarily blocked for ... spam … IB110"
    _token("godaddy", R.BLOCKED, "ib110", r"(?<![a-z0-9])ib110(?![a-z0-9])"),
    # "blocked for the day ... spam … IB111"
    _token("godaddy", R.BLOCKED, "ib111", r"(?<![a-z0-9])ib111(?![a-z0-9])"),
    # "temporarily blocked ... too many invalid recipients … IB112"
    _token("godaddy", R.BLOCKED, "ib112", r"(?<![a-z0-9])ib112(?![a-z0-9])"),
    # "blocked for the day ... too many invalid recipients … IB113"
    _token("godaddy", R.BLOCKED, "ib113", r"(?<![a-z0-9])ib113(?![a-z0-9])"),
    # "This IP has sent too many messages this hour … IB504"
    _token("godaddy", R.SPEEDING, "ib504", r"(?<![a-z0-9])ib504(?![a-z0-9])"),
    # "exceeded the max number of messages per session … IB510"
    _token("godaddy", R.SPEEDING, "ib510", r"(?<![a-z0-9])ib510(?![a-z0-9])"),
    # "sent too many to too many recipients this hour … IB607"
    _token("godaddy", R.SPEEDING, "ib607", r"(?<![a-z0-9])ib607(?![a-z0-9])"),
    # "poor reputation on Cloudmark Sender Intelligence … IB103"
    _token("godaddy", R.BADREPUTATION, "ib103", r"(?<![a-z0-9])ib103(?![a-z0-9])"),
    # "listed on the Spamhaus Block List … IB104"
    _token("godaddy", R.BLOCKED, "ib104", r"(?<![a-z0-9])ib104(?![a-z0-9])"),
    # "listed on the Exploits Block List … IB105"
    _token("godaddy", R.BLOCKED, "ib105", r"(?<![a-z0-9])ib105(?![a-z0-9])"),
    # "listed on the Policy Block List … IB106"
    _token("godaddy", R.BLOCKED, "ib106", r"(?<![a-z0-9])ib106(?![a-z0-9])"),
    # --- Mimecast (community.mimecast.com "Mimecast SMTP Error Codes") ---
    _said("mimecast", R.AUTHFAILURE, "SPF Sender Invalid - envelope rejected",
          "DKIM Sender Invalid - envelope rejected", "DMARC Sender Invalid - envelope rejected"),
    _said("mimecast", R.BADREPUTATION, "Local CT IP Reputation"),
    _said("mimecast", R.BLOCKED, "IP temporarily blacklisted"),
    _said("mimecast", R.POLICYVIOLATION, "Anti-Spoofing policy - Inbound not allowed",
          "Rejected by header-based Anti-Spoofing policy",
          "Message bounced due to Content Examination policy", "Host network not allowed"),
    _said("mimecast", R.REJECTED, "Administrative prohibition envelope blocked",
          "Envelope blocked - User Entry", "Envelope blocked - User Domain Entry",
          "Rejected by header-based Blocked Senders", "Envelope rejected - Block policy"),
    _said("mimecast", R.SECURITYERROR, "This route requires encryption (TLS)",
          "This route requires TLS version", "This route requires high-strength ciphers",
          "Submitter failed to authenticate"),
    _said("mimecast", R.SYSTEMERROR, "Unable to process connection at this time", "Message ended early"),
    _said("mimecast", R.TOOMANYCONN, "Account service is temporarily unavailable",
          "Exceeding outbound thread limit"),
    _said("mimecast", R.NOTACCEPT, "Account inbounds disabled"),
    # --- Tencent QQ (service.mail.qq.com/detail/122/…: one help page per refusal) ---
    _said("tencent", R.SPEEDING, "Mailbox unavailable or access denined", "IP frequency limited",
          "Domain frequency limited", "Sender frequency limited",
          "frequency of receiving messages is limited"),
    _said("tencent", R.BLOCKED, "Suspected bounce attacks", "Suspected spam ip"),
    _said("tencent", R.REJECTED, "Mail is rejected by recipients"),
    _said("tencent", R.SPAMDETECTED, "Spam is embedded in the email", "Mail content denied"),
    _said("tencent", R.SUSPEND, "is a deactivated mailbox"),
    _said("tencent", R.SYNTAXERROR, "Bad address syntax"),
    _said("tencent", R.USERUNKNOWN, "Mailbox not found", host_scoped=True),
    # --- Apple iCloud (support.apple.com/102322 "Postmaster information for iCloud Mail") ---
    # "554 5.7.1 Your message was rejected due to example.org's DMARC policy"
    _said("apple", R.AUTHFAILURE, "blocked for failing both SPF and DKIM"),
    # "550 5.7.1 Mail from IP x was rejected due to listing in Spamhaus SBL"
    _said("apple", R.BLOCKED, "rejected due to listing in Spamhaus",
          "rejected due to having a domain present in the Spamhaus"),
    # "554 x-smtpin001.me.com ESMTP not accepting connections"
    _said("apple", R.BLOCKED, "ESMTP not accepting connections", host_scoped=True),
    # "421 4.7.1 Messages to x@icloud.com deferred due to excessive volume"
    _said("apple", R.SPEEDING, "deferred due to excessive volume"),
    # "550 5.1.1 <x@icloud.com>: inactive email address"
    _said("apple", R.USERUNKNOWN, "inactive email address", host_scoped=True),
    # --- Proofpoint (its DNSBL lookup page, quoted by its customers' servers, iCloud's too) ---
    _said("proofpoint", R.BLOCKED, "support.proofpoint.com/dnsbl-lookup"),
    # --- Yahoo / AOL, more of senders.yahooinc.com/smtp-error-codes ---
    # "554 delivery error: dd x@yahoo.com is no longer valid."
    _said("yahoo", R.SUSPEND, "is no longer valid.", host_scoped=True),
    # "451 Message temporarily deferred due to unresolvable RFC.5321 from domain"
    _said("yahoo", R.REJECTED, "unresolvable RFC.5321"),
    _said("yahoo", R.NOTCOMPLIANTRFC, "headers are not RFC compliant"),
    # "421 Max message per connection reached, closing transmission channel"
    _said("yahoo", R.TOOMANYCONN, "Max message per connection reached"),
    # "553 5.7.1 [BL21] Connections will not be accepted from x, because the ip is in
    # Spamhaus's list"
    _said("yahoo", R.BLOCKED, "because the ip is in Spamhaus's list",
          "not accepted from IP addresses on Spamhaus XBL"),
    # AOL's MX is Yahoo's; a broken MX answer there means the domain takes no mail
    _said("yahoo", R.NOTACCEPT, "type=MX: Malformed or unexpected name server reply",
          host_scoped=True),
    # --- Zoho Mail (zoho.com/mail/help, smtpfieldmanual.com/provider/zoho) ---
    _said("zoho", R.AUTHFAILURE, "Email rejected per DMARC policy"),
    # "554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam"
    _said("zoho", R.REJECTED, "Reason: Email flagged as Spam", "Mail rejected by destination domain"),
    _said("zoho", R.POLICYVIOLATION, "Email policy violation detected",
          "Mailbox delivery restricted by policy error"),
    _said("zoho", R.SYSTEMERROR, "452 4.3.1 Temporary System Error"),
    _said("zoho", R.VIRUSDETECTED, "detected by Zoho Mail"),
    # --- MessageLabs / Symantec Email Security.cloud (knowledge.broadcom.com articles) ---
    _said("messagelabs", R.AUTHFAILURE, "domain authentication fail"),
    # "501 Connection rejected by policy [7.7] 20805" — the sending IP's reputation
    _said("messagelabs", R.BADREPUTATION, "Connection rejected by policy"),
    _said("messagelabs", R.BLOCKED, "mail rejected because your IP is in the PBL"),
    # "553 Stray linefeeds in message (#5.6.2)"
    _said("messagelabs", R.CONTENTERROR, "Stray linefeeds in message"),
    # "451 TLS/SSLv3 Connection required. (#4.7.1)"
    _said("messagelabs", R.FAILEDSTARTTLS, "TLS/SSLv3 Connection required"),
    # "You are trying to use me [server-x.tower-x.messagelabs.com] as a relay"
    _said("messagelabs", R.NORELAYING, "messagelabs.com] as a relay"),
    _said("messagelabs", R.NOTCOMPLIANTRFC, "has detected that this message is not RFC 5322"),
    _said("messagelabs", R.SPEEDING, "Too many recipients received this hour"),
    _said("messagelabs", R.REJECTED, "sender envelope domain not allowed for sender IP address",
          "your domain has been blocked", "your email address has been blocked",
          "your envelope sender is in my badmailfrom list",
          "your email address has been blacklisted", "your domain has been blacklisted"),
    _said("messagelabs", R.SECURITYERROR, "Please turn on SMTP Authentication in your mail client"),
    _said("messagelabs", R.SPAMDETECTED, "filtered by Outbound scanning"),
    _said("messagelabs", R.USERUNKNOWN, "Recipient mailbox is not allowed"),
    # --- Amazon SES (docs.aws.amazon.com/ses: sending from an identity not verified in the
    # region is refused, as a relay would refuse an unknown sender) ---
    _said("amazon", R.NORELAYING, "Email address is not verified"),
    # --- Amazon SES inbound ---
    # "500 5.6.1 Message content rejected" (lhost-receivingses): SES's content filter
    _token("amazon", R.SPAMDETECTED, "5.6.1 message content rejected", r"\b5\.6\.1 message content rejected"),
    # --- KDDI au (ezweb.ne.jp, au.com) ---
    # "550 : User unknown" — an empty address before the colon is au's answer when the
    # recipient's own filter refuses the sender; "550 <x>: User unknown" is a real unknown
    # (rhost-kddi, relayed via lhost-office365 and lhost-mailru)
    _said("kddi", R.FILTERED, "550 : User unknown"),
    # "550 <x@au.com>: User unknown" from msmx.au.com: with the address, a real unknown user,
    # even when the relay reports it after DATA (rhost-kddi)
    _token("kddi", R.USERUNKNOWN, ">: user unknown", r"^550 <[^\s<>]{1,256}>: user unknown", host_scoped=True),
    # --- NTT DoCoMo ---
    # "550 Unknown user x@docomo.ne.jp" from mfsmax.docomo.ne.jp: DoCoMo answers so when the
    # recipient's filter refuses the sender (rhost-nttdocomo)
    _token("nttdocomo", R.REJECTED, "unknown user", r"^(?:550 )?unknown user", host_scoped=True),
    # The same answer quoted by a relay that does not name DoCoMo's host ("Other mail system
    # problem 'Unknown user x@docomo.ne.jp'"): the address after the words is DoCoMo's own.
    _token("nttdocomo", R.FILTERED, "unknown user", r"unknown user [^\s@']{1,64}@docomo\.ne\.jp"),
    # --- BIGLOBE (Japanese ISP) ---
    # "The number of messages in recipient's mailbox exceeded the local limit." (BIGLOBE's
    # own notices)
    _said("biglobe", R.MAILBOXFULL, "recipient's mailbox exceeded the local limit"),
    # --- MessageLabs (Symantec/Broadcom Email Security.cloud) ---
    # "542 x Rejected" — the recipient is not valid for the protected domain (rhost-messagelabs)
    _token("messagelabs", R.USERUNKNOWN, " rejected", r"^542 \S{1,256} rejected"),
)

# Every (phrase, row) in table order: the first phrase found belongs to the earliest row that
# can apply, so trying phrases in this order keeps "first row wins".
_PHRASES: tuple[tuple[str, ProviderReply], ...] = tuple(
    (phrase, row) for row in REPLIES for phrase in row.phrases
)

# Orange / Wanadoo / La Poste end every refusal with a code whose last three digits name the
# cause ("LPN007_416", "OFR004_405 [405]", "ofr_506", "LPN105-104"; postmaster.orange.fr and
# the Orange postmaster code lists). Codes that only say "try later" are left to the words.
_FRANCEPTT_CODE = re.compile(r"\b(?:lpnaaa|lpn|ofr|ouk)(?:\d{3})?[-_](\d{3})\b")
FRANCEPTT_CODES: dict[str, Reason] = {
    "101": R.BLOCKED, "102": R.BLOCKED, "103": R.BLOCKED,  # block lists, spam incidents
    "104": R.TOOMANYCONN,                                  # "Trop de connexions"
    "305": R.SECURITYERROR, "402": R.SECURITYERROR,        # authentication required / invalid
    "401": R.AUTHFAILURE, "517": R.AUTHFAILURE,            # SPF, DMARC verification failed
    "403": R.REJECTED, "405": R.REJECTED, "415": R.REJECTED, "421": R.REJECTED,  # "Emetteur invalide"
    "416": R.USERUNKNOWN,                                  # "Adresse destinataire invalide"
    "417": R.MAILBOXFULL,                                  # "Boite du destinataire pleine"
    "420": R.SUSPEND, "426": R.SUSPEND,                    # archived / blocked account
    "505": R.SYSTEMERROR, "506": R.SPAMDETECTED, "510": R.BLOCKED,
    "514": R.MESGTOOBIG,                                   # "Taille limite du message atteinte"
    "630": R.POLICYVIOLATION, "999": R.BLOCKED,
}

# Google's DNS answers that say the domain does not exist (not a lookup that failed).
_NO_SUCH_DOMAIN = ("nxdomain", "domain name not found")


def provider_of(remote_mta: str) -> str:
    """The provider whose servers `remote_mta` names ('' when none): the first word, without
    the `dns;` type or the trailing dot."""
    host = remote_mta.split(";", 1)[-1].strip().split(" ", 1)[0].strip("[]().").lower()
    if not host:
        return ""
    for provider, domains in PROVIDER_DOMAINS.items():
        for domain in domains:
            if host == domain or host.endswith("." + domain):
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
    lowered = " ".join(text[:_MAX_TEXT].lower().split())
    if "lpn" in lowered or "ofr" in lowered or "ouk_" in lowered:
        coded = _FRANCEPTT_CODE.search(lowered)
        if coded and coded.group(1) in FRANCEPTT_CODES:
            return FRANCEPTT_CODES[coded.group(1)]
    provider = None  # looked up only when a host-scoped row's phrase is present
    for phrase, row in _PHRASES:  # a flat loop: this runs for every failed recipient
        if phrase not in lowered:
            continue
        if row.host_scoped:
            if provider is None:
                provider = provider_of(remote_mta) if remote_mta else ""
            if row.provider != provider:
                continue
        if row.pattern is not None and not row.pattern.search(lowered):
            continue
        if row.reason is Reason.NETWORKERROR and permanent and any(n in lowered for n in _NO_SUCH_DOMAIN):
            return Reason.HOSTUNKNOWN
        return row.reason
    return None
