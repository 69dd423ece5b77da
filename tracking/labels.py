"""French and English words for the closed vocabularies: states, modes, kinds, reasons, events.

Pure data, no Streamlit: the console, the notebooks and the command line all say the same
thing. Each reason has one plain-language line saying what happened and what to do (DESIGN §6.3).
"""

from __future__ import annotations

from enum import StrEnum

from tracking.models import (
    BounceKind, DeliveryState, DocumentKind, DocumentStatus, EventType, Reason, ReasonGroup,
    SendingMode, SendKind,
)

LANGUAGES = ("fr", "en")
# French groups thousands with a narrow no-break space (U+202F, as CLDR and the Imprimerie
# nationale do) and puts it before "%" too; English uses "," and no space.
NARROW_NBSP = "\u202f"


def number_text(value: float | int, decimals: int, language: str) -> str:
    """Grouped thousands and `decimals` digits after the decimal sign: "2 096,41" in French,
    "2,096.41" in English (the console's and the rates' one way of writing a number)."""
    text = f"{value:,.{decimals}f}"
    return text if language == "en" else text.replace(",", NARROW_NBSP).replace(".", ",")


def percent_text(ratio: float, decimals: int, language: str) -> str:
    """A ratio (0.1079) as a percentage: "10,8 %" in French, "10.8%" in English."""
    digits = number_text(ratio * 100, decimals, language)
    return f"{digits}%" if language == "en" else f"{digits}{NARROW_NBSP}%"


# Keyed by (vocabulary, value), not by member: a StrEnum member equals and hashes as its string,
# so in a dict keyed by members DeliveryState.DELIVERED and Reason.DELIVERED ("delivered") were
# one key, and the reasons' names added below turned the state "Réceptionné" into "Remis"
# (likewise SendKind.MANUAL overwrote SendingMode.MANUAL's "Sent by hand").
_WORDS: dict[tuple[type[StrEnum], str], tuple[str, str]] = {}


def _add_words(entries: tuple[tuple[StrEnum, tuple[str, str]], ...]) -> None:
    _WORDS.update({(type(member), member.value): pair for member, pair in entries})


_add_words((
    (DeliveryState.PENDING, ("En cours", "In progress")),
    (DeliveryState.SENT, ("Envoyé", "Sent")),
    (DeliveryState.NOT_SENT, ("Non envoyé", "Not sent")),
    (DeliveryState.DELIVERED, ("Réceptionné", "Delivered")),
    (DeliveryState.NOT_DELIVERED, ("Non réceptionné", "Not delivered")),
    (SendingMode.RELAY, ("Relais Suivi", "Suivi relay")),
    (SendingMode.RELAY_OWN_ADDRESS, ("Relais Suivi, adresse du client",
                                     "Suivi relay, own address")),
    (SendingMode.SMTP, ("Serveur SMTP du client", "Customer's SMTP server")),
    (SendingMode.MANUAL, ("Envoi manuel", "Sent by hand")),
    (SendKind.ONLINE, ("Envoi en ligne", "Online send")),
    (SendKind.RESEND, ("Renvoi", "Resend")),
    (SendKind.MANUAL, ("Envoi manuel", "Manual send")),
    (DocumentKind.INVOICE, ("Facture", "Invoice")),
    (DocumentKind.QUOTE, ("Devis", "Quote")),
    (DocumentKind.CREDIT_NOTE, ("Avoir", "Credit note")),
    (DocumentKind.REMINDER, ("Relance", "Reminder")),
    (DocumentKind.DELIVERY_NOTE, ("Bon de livraison", "Delivery note")),
    (DocumentKind.PURCHASE_ORDER, ("Bon de commande", "Purchase order")),
    (DocumentStatus.DRAFT, ("Brouillon", "Draft")),
    (DocumentStatus.ISSUED, ("Émis", "Issued")),
    (DocumentStatus.SENT, ("Envoyé", "Sent")),
    (DocumentStatus.PAID, ("Payé", "Paid")),
    (DocumentStatus.CANCELLED, ("Annulé", "Cancelled")),
    (ReasonGroup.ADDRESS_DEAD, ("Adresse invalide", "Address dead")),
    (ReasonGroup.MAILBOX_PROBLEM, ("Problème de boîte", "Mailbox problem")),
    (ReasonGroup.SENDING_REFUSED, ("Envoi refusé", "Sending refused")),
    (ReasonGroup.TRANSIENT, ("Temporaire", "Transient")),
    (ReasonGroup.NOT_A_FAILURE, ("Pas un échec", "Not a failure")),
    (ReasonGroup.UNKNOWN, ("Inconnu", "Unknown")),
    (EventType.DOCUMENT_CREATED, ("Document créé", "Document created")),
    (EventType.SEND_REQUESTED, ("Envoi demandé", "Send requested")),
    (EventType.SEND_ATTEMPT_FAILED, ("Tentative échouée", "Attempt failed")),
    (EventType.RECIPIENT_ACCEPTED, ("Accepté par le serveur", "Accepted by the server")),
    (EventType.RECIPIENT_REFUSED, ("Refusé par le serveur", "Refused by the server")),
    (EventType.SEND_INTERRUPTED, ("Envoi interrompu", "Send interrupted")),
    (EventType.MARKED_SENT_MANUALLY, ("Marqué envoyé", "Marked sent")),
    (EventType.SEND_DATE_CHANGED, ("Date d'envoi modifiée", "Send date changed")),
    (EventType.DSN_DELAYED, ("Retardé", "Delayed")),
    (EventType.DSN_DELIVERED, ("Réceptionné", "Delivered")),
    (EventType.DSN_FAILED, ("Non réceptionné", "Not delivered")),
    (EventType.AUTOREPLY_RECEIVED, ("Réponse automatique", "Auto-reply")),
    (EventType.COMPLAINT_RECEIVED, ("Plainte (spam)", "Complaint (spam)")),
    (EventType.BOUNCE_SUSPICIOUS, ("Retour suspect", "Suspicious bounce")),
    (EventType.BOUNCE_UNMATCHED, ("Retour non rattaché", "Unmatched bounce")),
    (EventType.BOUNCE_ATTACHED, ("Retour rattaché", "Bounce attached")),
    (EventType.BOUNCE_DISMISSED, ("Retour écarté", "Bounce dismissed")),
    (EventType.BOUNCE_PROPOSED, ("Retour à vérifier", "Bounce to verify")),
    (EventType.PROPOSAL_APPLIED, ("Retour vérifié et appliqué", "Bounce verified and applied")),
    (EventType.PROPOSAL_REJECTED, ("Retour vérifié et rejeté", "Bounce verified and rejected")),
    (EventType.ACCOUNT_SETTINGS_CHANGED, ("Réglages du compte modifiés",
                                          "Account settings changed")),
))

# What the tracking can see for each mode (DESIGN §3): said beside every send, so nobody reads
# "Envoyé" as "received".
_CEILINGS: dict[SendingMode, tuple[str, str]] = {
    SendingMode.RELAY: ("suivi jusqu'à la réception (accusés de remise)",
                        "tracked up to delivery (delivery reports)"),
    SendingMode.RELAY_OWN_ADDRESS: ("suivi jusqu'à la réception (accusés de remise)",
                                    "tracked up to delivery (delivery reports)"),
    SendingMode.SMTP: ("suivi limité à la remise au serveur SMTP",
                       "tracking stops at the handoff to the SMTP server"),
    SendingMode.MANUAL: ("aucun suivi après l'envoi manuel",
                         "no tracking after a manual send"),
}

_REASONS: dict[Reason, tuple[str, str]] = {
    Reason.USERUNKNOWN: ("L'adresse n'existe pas chez le destinataire : demandez une nouvelle "
                         "adresse au client.",
                         "The address does not exist: ask the customer for a new address."),
    Reason.HOSTUNKNOWN: ("Le domaine de l'adresse n'existe pas (faute de frappe ?).",
                         "The address's domain does not exist (a typo?)."),
    Reason.HASMOVED: ("Le destinataire a changé d'adresse.", "The recipient has moved address."),
    Reason.NOTACCEPT: ("Le domaine n'accepte aucun courrier.", "The domain accepts no mail."),
    Reason.MAILBOXFULL: ("La boîte du destinataire est pleine : réessayer plus tard.",
                         "The recipient's mailbox is full: retry later."),
    Reason.SUSPEND: ("La boîte du destinataire est suspendue ou désactivée.",
                     "The recipient's mailbox is suspended or disabled."),
    Reason.EXCEEDLIMIT: ("Le message dépasse la limite de la boîte du destinataire.",
                         "The message exceeds the recipient's mailbox limit."),
    Reason.AUTHFAILURE: ("Le serveur destinataire rejette notre authentification (SPF/DKIM/DMARC).",
                         "The receiving server rejects our authentication (SPF/DKIM/DMARC)."),
    Reason.BADREPUTATION: ("Notre serveur d'envoi a une mauvaise réputation chez le destinataire.",
                           "Our sending server has a poor reputation there."),
    Reason.BLOCKED: ("Notre adresse IP est bloquée par le serveur destinataire.",
                     "Our IP address is blocked by the receiving server."),
    Reason.REQUIREPTR: ("Le destinataire exige un DNS inverse pour notre serveur.",
                        "The receiver requires reverse DNS for our server."),
    Reason.REJECTED: ("L'expéditeur a été refusé par le serveur destinataire.",
                      "The sender was refused by the receiving server."),
    Reason.SPAMDETECTED: ("Le message a été jugé comme spam.", "The message was judged spam."),
    Reason.VIRUSDETECTED: ("Un virus a été détecté dans le message.",
                           "A virus was detected in the message."),
    Reason.POLICYVIOLATION: ("Le message enfreint une règle du destinataire.",
                             "The message breaks a policy of the receiver."),
    Reason.CONTENTERROR: ("Le contenu du message a été refusé.",
                          "The message content was refused."),
    Reason.NOTCOMPLIANTRFC: ("Le message n'est pas conforme aux normes (RFC).",
                             "The message does not comply with the standards (RFC)."),
    Reason.MESGTOOBIG: ("Le message est trop gros pour le destinataire.",
                        "The message is too big for the receiver."),
    Reason.SECURITYERROR: ("Erreur de sécurité chez le destinataire.",
                           "A security error at the receiver."),
    Reason.FAILEDSTARTTLS: ("La connexion chiffrée (STARTTLS) a échoué.",
                            "The encrypted connection (STARTTLS) failed."),
    Reason.NORELAYING: ("Le serveur refuse de relayer ce message.",
                        "The server refuses to relay this message."),
    Reason.SUPPRESSED: ("L'adresse est sur une liste de suppression du fournisseur.",
                        "The address is on the provider's suppression list."),
    Reason.FILTERED: ("Le destinataire filtre ce message.", "The recipient filters this mail."),
    Reason.EXPIRED: ("Remise impossible pendant trop longtemps : abandonnée.",
                     "Delivery kept failing for too long: given up."),
    Reason.NETWORKERROR: ("Erreur réseau vers le serveur destinataire.",
                          "A network error towards the receiving server."),
    Reason.SYSTEMERROR: ("Erreur système chez le destinataire.", "A system error at the receiver."),
    Reason.SYSTEMFULL: ("Le disque du serveur destinataire est plein.",
                        "The receiving server's disk is full."),
    Reason.TOOMANYCONN: ("Trop de connexions simultanées vers le destinataire.",
                         "Too many connections to the receiver."),
    Reason.SPEEDING: ("Trop de messages envoyés trop vite : ralentir.",
                      "Too many messages too fast: slow down."),
    Reason.SYNTAXERROR: ("Erreur de syntaxe dans le dialogue SMTP.",
                         "A syntax error in the SMTP dialogue."),
    Reason.MAILERERROR: ("Le programme de remise du destinataire a échoué.",
                         "The receiver's delivery program failed."),
    Reason.DELIVERED: ("Le message a été remis.", "The message was delivered."),
    Reason.FEEDBACK: ("Le destinataire a signalé le message comme spam.",
                      "The recipient reported the message as spam."),
    Reason.VACATION: ("Réponse automatique d'absence : pas un échec.",
                      "An out-of-office auto-reply: not a failure."),
    Reason.ONHOLD: ("Cause indéterminée pour l'instant : lire le message brut.",
                    "Cause not determined yet: read the raw message."),
    Reason.UNDEFINED: ("Cause inconnue : lire le message brut.",
                       "Unknown cause: read the raw message."),
}


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "en" else pair[0]


def word(member: StrEnum, language: str = "fr") -> str:
    """The label of a state, mode, kind, status, reason group or event type."""
    pair = _WORDS.get((type(member), member.value))
    return str(member) if pair is None else _pick(pair, language)


def word_for(enum: type[StrEnum], value: object, language: str = "fr") -> str:
    """The label of a stored string; unknown or empty values are shown as they are."""
    try:
        return word(enum(value), language)
    except ValueError:
        return "" if value is None else str(value)


class SystemActor(StrEnum):
    """Who acted when no person did. Events record the actor `system` (models.SYSTEM_ACTOR);
    which worker that was follows from the event's type."""

    SYSTEM = "system"
    OUTBOX = "outbox"      # the sender handing mail to the SMTP server
    MAILBOX = "mailbox"    # the reader of returned mail (bounces, delays, auto-replies)


_SYSTEM_ACTOR_WORDS = {
    SystemActor.SYSTEM: ("Système", "System"),
    SystemActor.OUTBOX: ("Système (envoi automatique)", "System (automatic sending)"),
    SystemActor.MAILBOX: ("Système (lecture des retours)", "System (returned mail)"),
}
_WORKER_OF_EVENT = {
    **dict.fromkeys((EventType.SEND_ATTEMPT_FAILED, EventType.RECIPIENT_ACCEPTED,
                     EventType.RECIPIENT_REFUSED, EventType.SEND_INTERRUPTED),
                    SystemActor.OUTBOX),
    **dict.fromkeys((EventType.DSN_DELAYED, EventType.DSN_DELIVERED, EventType.DSN_FAILED,
                     EventType.AUTOREPLY_RECEIVED, EventType.COMPLAINT_RECEIVED,
                     EventType.BOUNCE_SUSPICIOUS, EventType.BOUNCE_UNMATCHED,
                     EventType.BOUNCE_PROPOSED), SystemActor.MAILBOX),
}


def actor_word(actor: object, event_type: object = None, language: str = "fr") -> str | None:
    """The words for a system actor (by the event's type when given: which worker acted), or
    None for a person, whose name or login is shown as it is."""
    try:
        who = SystemActor(actor)
    except ValueError:
        return None
    if who is SystemActor.SYSTEM:
        try:
            who = _WORKER_OF_EVENT.get(EventType(event_type), who)
        except ValueError:
            pass
    return _pick(_SYSTEM_ACTOR_WORDS[who], language)


def ceiling(mode: SendingMode | str, language: str = "fr") -> str:
    try:
        return _pick(_CEILINGS[SendingMode(mode)], language)
    except ValueError:
        return ""


# A failure whose reason says nothing: said in words, with the server's own reply beside it.
NO_REASON_GIVEN = ("Le serveur n'a pas donné de raison.", "The server gave no reason.")


def no_reason_given(language: str = "fr") -> str:
    return _pick(NO_REASON_GIVEN, language)


def failure_explanation(reason: Reason | str | None, language: str = "fr") -> str:
    """The plain words for a failed delivery: its reason, or "the server gave no reason" when
    the reason is missing, `onhold`/`undefined`, or a raw reply stored by an older version."""
    try:
        known = Reason(reason) if reason else None
    except ValueError:
        known = None
    if known is None or known in (Reason.ONHOLD, Reason.UNDEFINED):
        return no_reason_given(language)
    return _pick(_REASONS[known], language)


# A delay notice with no stated cause is the queue still retrying (sisimai files it `expired`):
# while the delivery is pending, say that, not "given up".
STILL_RETRYING = ("Remise retardée : le serveur d'envoi réessaie.",
                  "Delivery delayed: the sending server keeps retrying.")


def pending_explanation(reason: Reason | str | None, language: str = "fr") -> str:
    """The words for a delivery still pending after a delay or a failed attempt."""
    if reason == Reason.EXPIRED:
        return _pick(STILL_RETRYING, language)
    return explain_reason(reason, language)


def explain_reason(reason: Reason | str | None, language: str = "fr") -> str:
    """One line in plain words; an unknown reason string says so instead of failing."""
    if not reason:
        return ""
    try:
        return _pick(_REASONS[Reason(reason)], language)
    except ValueError:
        return _pick(("Cause non reconnue : lire le message brut.",
                      "Unrecognised cause: read the raw message."), language)


def reason_group(reason: str | None) -> ReasonGroup | None:
    try:
        return Reason(reason).group if reason else None
    except ValueError:
        return ReasonGroup.UNKNOWN


# --- analysis labels (charts, tables, exports) -------------------------------------------------
# Short names of the reasons, for chart bars and table cells (the sentence above is the hover).
# Stored values outside the vocabulary (a raw server reply kept by an older version) and missing
# values each land on one labelled catch-all, so a chart never shows a raw line, `nan` or `None`.

REASON_OTHER = "_other"      # a stored reason that is not in the vocabulary
REASON_MISSING = "_missing"  # no reason stored

_REASON_NAMES: dict[str, tuple[str, str]] = {
    Reason.USERUNKNOWN: ("Destinataire inconnu", "Unknown recipient"),
    Reason.HOSTUNKNOWN: ("Domaine inexistant", "Unknown domain"),
    Reason.HASMOVED: ("Destinataire parti", "Recipient moved"),
    Reason.NOTACCEPT: ("Domaine sans courrier", "Domain accepts no mail"),
    Reason.MAILBOXFULL: ("Boîte pleine", "Mailbox full"),
    Reason.SUSPEND: ("Boîte suspendue", "Mailbox suspended"),
    Reason.EXCEEDLIMIT: ("Limite de la boîte dépassée", "Mailbox limit exceeded"),
    Reason.AUTHFAILURE: ("Authentification refusée", "Authentication failed"),
    Reason.BADREPUTATION: ("Mauvaise réputation", "Bad reputation"),
    Reason.BLOCKED: ("Serveur bloqué", "Server blocked"),
    Reason.REQUIREPTR: ("DNS inverse exigé", "Reverse DNS required"),
    Reason.REJECTED: ("Expéditeur refusé", "Sender rejected"),
    Reason.SPAMDETECTED: ("Jugé spam", "Judged spam"),
    Reason.VIRUSDETECTED: ("Virus détecté", "Virus detected"),
    Reason.POLICYVIOLATION: ("Règle du destinataire", "Receiver policy"),
    Reason.CONTENTERROR: ("Contenu refusé", "Content refused"),
    Reason.NOTCOMPLIANTRFC: ("Message non conforme", "Not RFC compliant"),
    Reason.MESGTOOBIG: ("Message trop gros", "Message too big"),
    Reason.SECURITYERROR: ("Erreur de sécurité", "Security error"),
    Reason.FAILEDSTARTTLS: ("Échec STARTTLS", "STARTTLS failed"),
    Reason.NORELAYING: ("Relais refusé", "Relaying denied"),
    Reason.SUPPRESSED: ("Liste de suppression", "Suppression list"),
    Reason.FILTERED: ("Filtré", "Filtered"),
    Reason.EXPIRED: ("Délai dépassé", "Expired"),
    Reason.NETWORKERROR: ("Erreur réseau", "Network error"),
    Reason.SYSTEMERROR: ("Erreur système", "System error"),
    Reason.SYSTEMFULL: ("Disque du serveur plein", "Server disk full"),
    Reason.TOOMANYCONN: ("Trop de connexions", "Too many connections"),
    Reason.SPEEDING: ("Envois trop rapides", "Sending too fast"),
    Reason.SYNTAXERROR: ("Erreur de dialogue SMTP", "SMTP syntax error"),
    Reason.MAILERERROR: ("Erreur du programme de remise", "Mailer error"),
    Reason.DELIVERED: ("Remis", "Delivered"),
    Reason.FEEDBACK: ("Signalé comme spam", "Reported as spam"),
    Reason.VACATION: ("Absence", "Out of office"),
    Reason.ONHOLD: ("Cause indéterminée", "Cause on hold"),
    Reason.UNDEFINED: ("Cause inconnue", "Undefined cause"),
    REASON_OTHER: ("Autre réponse du serveur", "Other server reply"),
    REASON_MISSING: ("Raison non indiquée", "No reason given"),
}


# Reasons in tables (`word_for(Reason, …)`) read these short names too.
_add_words(tuple((reason, _REASON_NAMES[reason]) for reason in Reason))


def reason_key(reason: object) -> str:
    """The vocabulary value of a stored reason, or one of the two catch-alls (a catch-all key
    given back stays itself)."""
    if reason in (REASON_OTHER, REASON_MISSING):
        return str(reason)
    if reason is None or (isinstance(reason, float) and reason != reason) or reason == "":
        return REASON_MISSING
    try:
        return Reason(reason).value
    except ValueError:
        return REASON_OTHER


def reason_name(reason: object, language: str = "fr") -> str:
    """The short label of a stored reason (catch-alls included): never a raw code or `nan`."""
    return _pick(_REASON_NAMES[reason_key(reason)], language)


# What a returned message is (DESIGN §6.1): one wording for the Mailbox tables, the document's
# returned mail and the sandbox's rules (the tables had their own, "Remise confirmée" beside the
# rules' "Accusé de réception" for the same kind).
_add_words((
    (BounceKind.FAILURE, ("Échec", "Failure")),
    (BounceKind.DELAY, ("Retard", "Delay")),
    (BounceKind.SUCCESS, ("Remise confirmée", "Delivery confirmed")),
    (BounceKind.AUTOREPLY, ("Réponse automatique", "Auto-reply")),
    (BounceKind.COMPLAINT, ("Plainte (spam)", "Complaint (spam)")),
    (BounceKind.NOT_A_BOUNCE, ("Pas un retour", "Not a bounce")),
    (BounceKind.UNDECODABLE, ("Illisible", "Undecodable")),
))


# A missing state, mode, kind… in an analysis table: a label, never `None` or `nan`.
NOT_GIVEN = ("Non renseigné", "Not given")


def label_or_catch_all(enum: type[StrEnum], value: object, language: str = "fr") -> str:
    """`word_for`, with a labelled catch-all for a missing value (analysis tables and exports)."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return _pick(NOT_GIVEN, language)
    return word_for(enum, value, language)
