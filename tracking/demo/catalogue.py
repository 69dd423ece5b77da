"""The demo's fixed content: accounts, people, companies, mail domains and what servers answer.

Pure data, no I/O. Everything here is small (tens of rows); the bulk generator picks from it by
index, so a million documents cost no more Python than ten. Server replies follow the wording
of the public software that writes them (Postfix, Microsoft 365, Gmail); status codes and
reasons follow RFC 3463 and the reason vocabulary of `tracking.models.Reason`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracking.models import DocumentKind, SendingMode

RELAY_HOST = "mta-out.suivi.localhost"      # our outbound relay: it writes the DSNs we get back
RELAY_IP = "192.0.2.25"                      # RFC 5737 documentation address
BOUNCE_DOMAIN = "bounces.suivi.localhost"    # tracking.config.Settings defaults
MESSAGE_DOMAIN = "suivi.localhost"
HISTORY_DAYS = 240                           # about eight months of documents


@dataclass(frozen=True)
class AccountSpec:
    key: str
    name: str
    time_zone: str
    mode: SendingMode
    language: str
    currency: str
    domain: str
    sender_local: str
    sender_name: str
    number_format: str        # {p} kind prefix, {yyyy} {yy} {mm}, {seq} (4 digits at least)
    smtp_host: str            # the customer's own server (smtp mode) or our relay
    accepted_reply: str       # what that server says on DATA; {qid} {epoch} {msgid}
    weight: float
    users: tuple[tuple[str, str], ...]   # (login, full name)

    @property
    def sender_address(self) -> str:
        return f"{self.sender_local}@{self.domain}"


_POSTFIX_QUEUED = "250 2.0.0 Ok: queued as {qid}"
_M365_QUEUED = "250 2.0.0 OK <{msgid}> [Hostname=PR3P195MB0712.EURP195.PROD.OUTLOOK.COM]"
_GOOGLE_QUEUED = "250 2.0.0 OK  {epoch} {qid} - gsmtp"

ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("acct-dubois", "Atelier Dubois", "Europe/Paris", SendingMode.RELAY, "fr", "EUR",
                "atelier-dubois.fr", "compta", "Comptabilité Atelier Dubois",
                "{p} {yyyy}/{mm}/{seq}", RELAY_HOST, _POSTFIX_QUEUED, 0.26,
                (("m.lefevre", "Marie Lefèvre"), ("j.dubois", "Jacques Dubois"),
                 ("c.nguyen", "Camille Nguyen"))),
    AccountSpec("acct-hudson", "Hudson Valley Supply", "America/New_York",
                SendingMode.RELAY_OWN_ADDRESS, "en", "USD", "hudsonvalleysupply.com", "billing",
                "Hudson Valley Supply Billing", "{p}-{yy}{mm}-{seq}", RELAY_HOST, _POSTFIX_QUEUED,
                0.19, (("e.carter", "Emily Carter"), ("d.brooks", "Daniel Brooks"),
                       ("s.patel", "Sanjay Patel"))),
    AccountSpec("acct-sakura", "Sakura Trading", "Asia/Tokyo", SendingMode.SMTP, "en", "JPY",
                "sakura-trading.co.jp", "invoices", "Sakura Trading Accounts",
                "SK-{p}-{yyyy}{mm}-{seq}", "smtp.office365.com", _M365_QUEUED, 0.13,
                (("h.tanaka", "Haruto Tanaka"), ("y.sato", "Yui Sato"),
                 ("k.watanabe", "Kenji Watanabe"))),
    AccountSpec("acct-kiwi", "Kiwi Orchards", "Pacific/Auckland", SendingMode.MANUAL, "en",
                "NZD", "kiwiorchards.co.nz", "accounts", "Kiwi Orchards Accounts",
                "{p}/{yy}{mm}/{seq}", "", "", 0.08,
                (("a.ngata", "Aroha Ngata"), ("t.wilson", "Tom Wilson"))),
    AccountSpec("acct-thames", "Thames Print & Design", "Europe/London", SendingMode.RELAY,
                "en", "GBP", "thamesprint.co.uk", "accounts", "Thames Print Accounts",
                "TPD-{p}-{yyyy}-{mm}-{seq}", RELAY_HOST, _POSTFIX_QUEUED, 0.14,
                (("o.hughes", "Olivia Hughes"), ("g.evans", "George Evans"),
                 ("p.shah", "Priya Shah"))),
    AccountSpec("acct-girard", "Maison Girard Brasil", "America/Sao_Paulo",
                SendingMode.RELAY_OWN_ADDRESS, "fr", "BRL", "maisongirard.com.br", "financeiro",
                "Maison Girard — Financeiro", "MG {p} {yy}{mm}{seq}", RELAY_HOST,
                _POSTFIX_QUEUED, 0.10, (("l.girard", "Luc Girard"), ("a.souza", "Ana Souza"))),
    AccountSpec("acct-martin", "Cabinet Martin", "Indian/Reunion", SendingMode.SMTP, "fr", "EUR",
                "cabinet-martin.re", "secretariat", "Secrétariat Cabinet Martin",
                "{p}-{yyyy}{mm}-{seq}", "smtp.gmail.com", _GOOGLE_QUEUED, 0.10,
                (("s.martin", "Sophie Martin"), ("r.payet", "René Payet"))),
)

# Back-office operators act across accounts (send-date corrections, resends after a failure).
OPERATORS: tuple[tuple[str, str], ...] = (
    ("ops.claire", "Claire Moreau (support)"), ("ops.james", "James Whitaker (support)"))

KINDS: tuple[tuple[DocumentKind, float, str, str, float], ...] = (
    # kind, share, French prefix, English prefix, median amount
    (DocumentKind.INVOICE, 0.62, "FV", "INV", 850.0),
    (DocumentKind.QUOTE, 0.14, "DV", "QUO", 2400.0),
    (DocumentKind.CREDIT_NOTE, 0.06, "AV", "CRN", 180.0),
    (DocumentKind.REMINDER, 0.11, "RL", "REM", 640.0),
    (DocumentKind.DELIVERY_NOTE, 0.04, "BL", "DN", 300.0),
    (DocumentKind.PURCHASE_ORDER, 0.03, "BC", "PO", 1500.0),
)

# Amounts are in the account's currency; a yen is worth about a hundredth of a euro.
CURRENCY_SCALE = {"EUR": 1.0, "USD": 1.1, "GBP": 0.85, "NZD": 1.8, "JPY": 160.0, "BRL": 5.4}

FRENCH_FIRST = ("Jean", "Marie", "Pierre", "Sophie", "Luc", "Camille", "Nicolas", "Julie",
                "Thomas", "Élodie", "François", "Chloé", "Antoine", "Léa", "Hélène", "Mathieu",
                "Inès", "Olivier", "Céline", "Hugo", "Manon", "Rémi", "Agnès", "Bruno")
FRENCH_LAST = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
               "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Roux",
               "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
               "Vincent", "Muller", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer",
               "Chevalier", "Legrand", "Gauthier", "Perrin", "Morel", "Clément", "Hoarau",
               "Payet", "Grondin")
FRENCH_TRADES = ("Boulangerie", "Garage", "Pharmacie", "Menuiserie", "Plomberie",
                 "Imprimerie", "Librairie", "Fromagerie", "Transports", "Boucherie",
                 "Restaurant", "Hôtel", "Agence", "Établissements", "Laboratoire", "Cave",
                 "Charpente", "Électricité", "Fleurs", "Optique")
FRENCH_FORMS = ("{t} {s}", "{t} {s}", "{s} & Fils", "SARL {s}", "SAS {s} {s2}",
                "{s} et Associés", "EURL {s}", "{t} {s} {s2}")

ENGLISH_FIRST = ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
                 "David", "Emma", "Oliver", "Charlotte", "Liam", "Amelia", "Noah", "Hannah",
                 "Ethan", "Grace", "Lucas", "Chloe", "Aiko", "Ren", "Mateus", "Beatriz")
ENGLISH_LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
                "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "White", "Harris", "Clark",
                "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker",
                "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Turner",
                "Phillips", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris",
                "Murphy")
ENGLISH_TRADES = ("Logistics", "Consulting", "Builders", "Dental", "Catering", "Motors",
                  "Engineering", "Bakery", "Electrical", "Design", "Legal", "Farms",
                  "Plumbing", "Media", "Freight", "Hardware", "Clinic", "Studios")
ENGLISH_FORMS = ("{s} {t} Ltd", "{s} & Sons", "{s} {t}", "{s}-{s2} LLP", "{s} {t} Inc.",
                 "{s} & {s2}", "{s} {t} Co.", "{s} Group")

ROLE_LOCALS = {"fr": ("compta", "comptabilite", "factures", "facturation", "contact",
                      "direction", "secretariat", "administratif"),
               "en": ("accounts", "ap", "billing", "invoices", "finance", "office", "admin",
                      "payables")}

# Company domains by the account's country: (top-level domain, share of webmail addresses).
REGION_TLD = {"acct-dubois": ".fr", "acct-hudson": ".com", "acct-sakura": ".co.jp",
              "acct-kiwi": ".co.nz", "acct-thames": ".co.uk", "acct-girard": ".com.br",
              "acct-martin": ".re"}


@dataclass(frozen=True)
class MailHost:
    """A family of receiving servers: their MX name and how they word a successful delivery."""

    key: str
    mx: str                   # {domain} {slug}
    delivered: str            # {qid} {epoch} {msgid}


MAIL_HOSTS: tuple[MailHost, ...] = (
    MailHost("gmail", "gmail-smtp-in.l.google.com", "250 2.0.0 OK  {epoch} {qid} - gsmtp"),
    MailHost("google_workspace", "aspmx.l.google.com", "250 2.0.0 OK  {epoch} {qid} - gsmtp"),
    MailHost("outlook", "outlook-com.olc.protection.outlook.com",
             "250 2.6.0 <{msgid}> [InternalId=38826504731, Hostname=AM9P192MB1234."
             "EURP192.PROD.OUTLOOK.COM] Queued mail for delivery"),
    MailHost("m365", "{slug}.mail.protection.outlook.com",
             "250 2.6.0 <{msgid}> [InternalId=41072308715, Hostname=DB8PR09MB3456."
             "eurprd09.prod.outlook.com] Queued mail for delivery"),
    MailHost("orange", "smtp-in.orange.fr", "250 2.0.0 {qid} mail accepted for delivery"),
    MailHost("yahoo", "mta7.am0.yahoodns.net", "250 ok dirdel"),
    MailHost("postfix", "mx1.{domain}", "250 2.0.0 Ok: queued as {qid}"),
    MailHost("ovh", "mx1.mail.ovh.net", "250 2.0.0 Ok: queued as {qid}"),
)
COMPANY_HOSTS = ("google_workspace", "m365", "m365", "postfix", "ovh")

# Webmail domains by region: (domain, mail host key). Typos are bad domains; see TYPO_DOMAINS.
WEBMAIL = {
    "fr": (("orange.fr", "orange"), ("wanadoo.fr", "orange"), ("free.fr", "postfix"),
           ("gmail.com", "gmail"), ("hotmail.fr", "outlook"), ("laposte.net", "postfix"),
           ("yahoo.fr", "yahoo"), ("sfr.fr", "postfix")),
    "en": (("gmail.com", "gmail"), ("outlook.com", "outlook"), ("yahoo.com", "yahoo"),
           ("icloud.com", "postfix"), ("btinternet.com", "yahoo"), ("xtra.co.nz", "postfix"),
           ("yahoo.co.jp", "yahoo"), ("uol.com.br", "postfix")),
}
# A mistyped domain, and the one the client meant (used when support resends).
TYPO_DOMAINS = (("gmial.com", "gmail.com"), ("gmail.co", "gmail.com"),
                ("hotmial.fr", "hotmail.fr"), ("orange.fe", "orange.fr"),
                ("wanadoo.frr", "wanadoo.fr"), ("outlok.com", "outlook.com"),
                ("yahooo.com", "yahoo.com"), ("xtra.co.mz", "xtra.co.nz"))


@dataclass(frozen=True)
class Bounce:
    """One way a recipient's side reports a failure or a delay (RFC 3464 fields)."""

    key: str
    reason: str               # tracking.models.Reason value
    status: str               # enhanced status code, RFC 3463
    diagnostic: str           # {address} {domain} {mx} {mx_ip} {our_ip} {sender}
    remote: bool              # whether a remote server answered (Remote-MTA present)


_USER_UNKNOWN = "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual " \
                "mailbox table"
FAILURES: tuple[Bounce, ...] = (
    Bounce("userunknown", "userunknown", "5.1.1", _USER_UNKNOWN, True),
    Bounce("userunknown_gmail", "userunknown", "5.1.1",
           "550 5.1.1 The email account that you tried to reach does not exist. Please try "
           "double-checking the recipient's email address for typos or unnecessary spaces.",
           True),
    Bounce("userunknown_m365", "userunknown", "5.1.10",
           "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {address} not found by SMTP "
           "address lookup", True),
    Bounce("hostunknown", "hostunknown", "5.4.4",
           "Host or domain name not found. Name service error for name={domain} type=MX: "
           "Host not found, try again", False),
    Bounce("mailboxfull", "mailboxfull", "5.2.2",
           "552 5.2.2 <{address}>: Mailbox full, quota exceeded", True),
    Bounce("mailboxfull_gmail", "mailboxfull", "5.2.2",
           "552 5.2.2 The email account that you tried to reach is over quota.", True),
    Bounce("suspend", "suspend", "5.2.1",
           "550 5.2.1 <{address}>: Mailbox disabled, not accepting messages", True),
    Bounce("hasmoved", "hasmoved", "5.1.6",
           "550 5.1.6 <{address}>: Recipient no longer on server; forwarding address unknown",
           True),
    Bounce("blocked", "blocked", "5.7.1",
           "554 5.7.1 Service unavailable; Client host [{our_ip}] blocked using zen.spamhaus.org",
           True),
    Bounce("blocked_m365", "blocked", "5.7.606",
           "550 5.7.606 Access denied, banned sending IP [{our_ip}]", True),
    Bounce("spamdetected", "spamdetected", "5.7.1",
           "550 5.7.1 Message rejected as spam by Content Filtering", True),
    Bounce("policyviolation", "policyviolation", "5.7.1",
           "554 5.7.1 Message not accepted for policy reasons", True),
    Bounce("rejected", "rejected", "5.7.1",
           "550 5.7.1 <{sender}>: Sender address rejected: Access denied", True),
    Bounce("badreputation", "badreputation", "5.7.1",
           "550 5.7.1 [{our_ip}] Messages from this IP are rejected because of the sending "
           "domain's low reputation", True),
    Bounce("filtered", "filtered", "5.7.1",
           "550 5.7.1 Message filtered by recipient rules", True),
    Bounce("mesgtoobig", "mesgtoobig", "5.3.4",
           "552 5.3.4 Message size exceeds fixed maximum message size", True),
    Bounce("contenterror", "contenterror", "5.6.0",
           "554 5.6.0 Message contains invalid header", True),
    Bounce("systemerror", "systemerror", "5.3.0",
           "554 5.3.0 Mail system error: mailbox delivery failed", True),
    # Postfix gives up after maximal_queue_lifetime (5 days) with the last temporary error.
    Bounce("expired", "expired", "4.4.7",
           "delivery temporarily suspended: connect to {mx}[{mx_ip}]:25: Connection timed out",
           False),
)

DELAYS: tuple[Bounce, ...] = (
    Bounce("delay_full", "mailboxfull", "4.2.2",
           "452 4.2.2 <{address}>: Mailbox full, try again later", True),
    Bounce("delay_timeout", "networkerror", "4.4.2",
           "conversation with {mx}[{mx_ip}] timed out while receiving the initial server "
           "greeting", False),
    Bounce("delay_system", "systemerror", "4.3.0",
           "451 4.3.0 Internal server error", True),
    Bounce("delay_connections", "toomanyconn", "4.7.0",
           "421 4.7.0 Too many concurrent SMTP connections; please try again later", True),
    Bounce("delay_rate", "speeding", "4.7.0",
           "421 4.7.0 Sending rate limit exceeded, please slow down", True),
)

# Refused at SMTP time for good (recipient_refused): (stage, reply). Codes are the reply's.
REFUSALS: tuple[tuple[str, str], ...] = (
    ("rcpt", "550 5.1.1 <{address}>: Recipient address rejected: User unknown in local "
             "recipient table"),
    ("rcpt", "550 5.1.2 <{address}>: Recipient address rejected: Domain not found"),
    ("rcpt", "554 5.7.1 <{address}>: Relay access denied"),
    ("rcpt", "550 5.7.1 <{address}>: Recipient address rejected: on the suppression list "
             "after repeated hard bounces"),
    ("data", "552 5.3.4 Message size exceeds fixed limit"),
    ("data", "550 5.7.60 SMTP; Client does not have permissions to send as this sender"),
)
REFUSAL_USER, REFUSAL_DOMAIN, REFUSAL_RELAY, REFUSAL_SUPPRESSED, REFUSAL_SIZE, \
    REFUSAL_SEND_AS = range(len(REFUSALS))

# Temporary trouble at SMTP time (send_attempt_failed; the last one when retries run out).
TRANSIENTS: tuple[tuple[int, str, str], ...] = (
    (451, "rcpt", "451 4.3.0 <{address}>: Temporary lookup failure"),
    (450, "rcpt", "450 4.1.2 <{address}>: Recipient address rejected: Domain not found"),
    (421, "connect", "421 4.7.0 {server} Service not available, closing transmission channel"),
    (0, "connect", "cannot connect to {server}:587: timed out"),
    (0, "connect", "connection to {server}:587 lost: Connection unexpectedly closed"),
)
TRANSIENT_LOOKUP, TRANSIENT_DOMAIN, TRANSIENT_421, TRANSIENT_TIMEOUT, TRANSIENT_LOST = \
    range(len(TRANSIENTS))

# Notes users leave when they mark a document sent by hand.
MANUAL_NOTES = {"fr": ("envoyé par courrier", "remis en main propre", "courrier recommandé AR",
                       "déposé à l'accueil", ""),
                "en": ("sent by post", "handed over in person", "recorded delivery",
                       "left at reception", "")}
