"""The core's errors in the reader's language: one sentence per error code, filled with the
error's params (tracking/errors.py). The core's own message is English, for logs and the command
line; it never goes inside a French sentence.

Values in `params` are data: what a person typed or mail carried (an address, a date as typed)
is written as a Markdown code span, where nothing is markup or a link and it reads as quoted;
other values (a document number, a zone, a name) are escaped into plain text. Dates are shown in
the zone the error names, counts as numbers of the language.
"""

from __future__ import annotations

import datetime as dt
import re

from tracking.clock import format_local
from tracking.errors import Forbidden, SuiviError
from tracking.labels import failure_explanation
from ui.i18n import LABELS, number
from ui.text import markdown_text

# The checkbox that overrides the resend window, as the console labels it (the command line says
# --force): the sentence names the box to tick, in the same words.
_FORCE = LABELS["action.force"]

TEMPLATES: dict[str, tuple[str, str]] = {
    # tracking.auth.principal: the role or the account scope refuses the action
    # (complete sentences: they say themselves that nothing was written)
    "role": ("Refusé : votre rôle ne permet pas cette action, rien n'a été enregistré.",
             "Refused: your role does not allow this action; nothing was written."),
    "account": ("Refusé : ce compte ne vous est pas ouvert, rien n'a été enregistré.",
                "Refused: this account is not open to you; nothing was written."),
    "forbidden": ("Refusé : vous n'avez pas accès à cette action, rien n'a été enregistré.",
                  "Refused: this action is not open to you; nothing was written."),
    # tracking.validation: values that cannot go into a message
    "control_character": (
        "« {field} » contient un caractère de contrôle ({character}) qui ne peut pas figurer "
        "dans un e-mail : corrigez la valeur avant d'envoyer.",
        "The {field} contains a control character ({character}) that cannot go into an "
        "email: correct it before sending."),
    "local_part_too_long": (
        "« {field} » a {octets} octets avant le @ ; {limit} au plus sont permis.",
        "The {field} has {octets} octets before the @; at most {limit} are allowed."),
    "address_too_long": ("« {field} » a {octets} octets ; une adresse en a {limit} au plus.",
                         "The {field} has {octets} octets; an address has at most {limit}."),
    "malformed_address": ("{address} n'est pas une adresse e-mail.",
                          "{address} is not an email address."),
    "compose_failed": ("le message n'a pas pu être composé.",
                       "the message could not be composed."),
    # tracking.service: sends, dates, settings
    "unknown_document": ("document introuvable.", "unknown document."),
    "unknown_account": ("compte introuvable.", "unknown account."),
    "resend_too_soon": (
        "le document {document} a déjà été envoyé le {sent_at}. Pour le renvoyer moins de "
        "{days} jours après, cochez « " + _FORCE["fr"] + " ».",
        "document {document} was already sent on {sent_at}. To send it again within {days} "
        "days, tick “" + _FORCE["en"] + "”."),
    "manual_account": ("ce compte envoie à la main : utilisez « Marquer envoyé ».",
                       "this account sends by hand: use “Mark sent”."),
    "verp_key_missing": (
        "l'envoi par le relais n'est pas configuré (clé de signature des retours absente) : "
        "prévenez l'administrateur.",
        "sending through the relay is not set up (no key to sign the bounces): tell the "
        "administrator."),
    "no_recipient": ("indiquez au moins un destinataire « À ».",
                     "give at least one “To” recipient."),
    "too_many_recipients": ("{limit} destinataires « {role} » au plus.",
                            "at most {limit} “{role}” recipients."),
    "no_actor": ("personne n'est connecté pour cette action.",
                 "nobody is signed in for this action."),
    "unknown_zone": ("fuseau horaire inconnu : {zone}.", "unknown time zone: {zone}."),
    "unknown_mode": ("mode d'envoi inconnu : {mode}.", "unknown sending mode: {mode}."),
    "settings_unchanged": ("le compte {account} a déjà ces réglages.",
                           "account {account} already has these settings."),
    "malformed_date": ("{text} n'est pas une date : écrivez JJ/MM/AAAA HH:MM.",
                       "{text} is not a date: write DD/MM/YYYY HH:MM."),
    "nonexistent_local_time": (
        "{time} n'existe pas dans le fuseau {zone} : on avance l'heure à ce moment-là.",
        "{time} does not exist in {zone}: clocks jump forward then."),
    "ambiguous_local_time": (
        "{time} existe deux fois dans le fuseau {zone} (on recule l'heure) : choisissez la "
        "première ({first}) ou la seconde ({second}).",
        "{time} happens twice in {zone} (clocks go back): choose the first ({first}) or the "
        "second ({second})."),
    "date_out_of_range": ("{value} est hors de toute date possible.",
                          "{value} is out of any possible date."),
    "send_date_too_early": (
        "la date d'envoi {value} est antérieure à la date du document ({earliest}).",
        "the send date {value} is before the document's date ({earliest})."),
    "send_date_in_future": (
        "la date d'envoi ne peut pas être dans le futur ({value} est après {latest}).",
        "the send date cannot be in the future ({value} is after {latest})."),
    "send_date_unchanged": ("la date d'envoi est déjà {value}.",
                            "the send date already is {value}."),
    "already_marked_sent": (
        "le document {number} a déjà été marqué envoyé le {when} par {actor} : pour une autre "
        "date, modifiez la date d'envoi.",
        "document {number} was already marked sent on {when} by {actor}: to give another "
        "date, edit the send date."),
    "document_cancelled": (
        "le document {number} est annulé : il ne peut être ni envoyé ni marqué envoyé.",
        "document {number} is cancelled: it can be neither sent nor marked sent."),
    "suppressed": (
        "{address} a déjà été rejetée définitivement le {bounced_on} ({document_number}) : "
        "{reason} Corrigez l'adresse, ou confirmez l'envoi malgré ce rejet.",
        "{address} already bounced for good on {bounced_on} ({document_number}): {reason} "
        "Correct the address, or confirm sending despite that bounce."),
    # tracking.returned_actions: attaching, dismissing, verifying returned messages
    "recipient_mismatch": (
        "le retour concerne {reported}, pas {chosen} : cochez la confirmation qui nomme les "
        "deux adresses pour le rattacher quand même.",
        "the report is about {reported}, not {chosen}: tick the confirmation naming both "
        "addresses to attach it anyway."),
    "no_single_document": ("aucun document unique {reference}.", "no single document {reference}."),
    "message_already_tied": ("ce message retourné est déjà rattaché à un envoi.",
                             "this returned message is already tied to a send."),
    "message_has_proposals": (
        "ce message retourné a des rattachements à vérifier : appliquez-les ou rejetez-les.",
        "this returned message has matches to verify: apply or reject them."),
    "unknown_send": ("envoi introuvable.", "unknown send."),
    "not_a_recipient": ("{recipient} n'est pas un destinataire de cet envoi.",
                        "{recipient} is not a recipient of this send."),
    "unknown_proposal": ("retour à vérifier introuvable.", "unknown report to verify."),
    "proposal_decided": ("ce retour a déjà été traité par {by}.",
                         "this report was already handled by {by}."),
    "unknown_message": ("message retourné introuvable.", "unknown returned message."),
    "demo_database": (
        "cette base est une démonstration : le vrai serveur d'envoi refuse d'en envoyer les "
        "messages.", "this is a demo database: the real outbound server refuses to send its "
        "messages."),
}

# The field a refused value was in (tracking.validation names them).
FIELDS: dict[str, tuple[str, str]] = {
    "document_number": ("numéro du document", "document number"),
    "account_name": ("nom du compte", "account name"),
    "sender_name": ("nom de l'expéditeur", "sender name"),
    "sender_address": ("adresse de l'expéditeur", "sender address"),
    "reply_to": ("adresse de réponse", "reply-to address"),
    "client_name": ("nom du client", "client name"),
    "recipient": ("adresse du destinataire", "recipient address"),
    "attachment_filename": ("nom de la pièce jointe", "attachment name"),
}
_ROLES = {"to": ("À", "To"), "cc": ("Cc", "Cc")}
# Params that hold what was typed or what mail carried: quoted as code spans.
_QUOTED = {"address", "reported", "chosen", "recipient", "text", "reference", "character"}
_DECISIONS = {"applied": ("appliqué", "applied"), "rejected": ("rejeté", "rejected")}

# Written before a sentence about something refused (nothing was written).
REFUSED = ("Refusé, rien n'a été enregistré : ", "Refused, nothing was written: ")
# For a code without a sentence: said in words, the core's message given apart (as code).
UNWORDED = ("Refusé, rien n'a été enregistré. Détail technique (en anglais) :",
            "Refused, nothing was written. Technical detail:")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def code_span(text: str) -> str:
    """`text` as a Markdown code span (CommonMark §6.1: the fence is one backtick longer than
    any run of backticks inside), so data is shown as typed, never as markup or a link."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def _value(name: str, value: object, params: dict, lang: str) -> str:
    if isinstance(value, dt.datetime):
        return format_local(value, str(params.get("zone") or "UTC"))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return number(value, 0, lang)
    if name == "field" and str(value) in FIELDS:
        return _pick(FIELDS[str(value)], lang)
    if name == "role" and str(value) in _ROLES:
        return _pick(_ROLES[str(value)], lang)
    if name == "reason":
        return failure_explanation(str(value), lang)
    if name == "decision" and str(value) in _DECISIONS:
        return _pick(_DECISIONS[str(value)], lang)
    return code_span(str(value)) if name in _QUOTED else markdown_text(value)


def wording(code: str, params: dict, lang: str = "fr") -> str | None:
    """The sentence for `code` in `lang` with `params` filled in (Markdown), or None when the
    code has no sentence (or the sentence needs a param the error did not carry)."""
    template = TEMPLATES.get(code)
    if template is None:
        return None
    values = {name: _value(name, value, params, lang) for name, value in params.items()}
    try:
        return _pick(template, lang).format(**values)
    except (KeyError, IndexError):
        return None


def sentence(err: Exception, lang: str = "fr") -> str | None:
    """What the console says about `err`: the refusal, worded; None when it has no words."""
    if not isinstance(err, SuiviError):
        return None
    worded = wording(err.code, err.params, lang)
    if worded is None:
        return None
    if isinstance(err, Forbidden):
        return worded
    return _pick(REFUSED, lang) + worded
