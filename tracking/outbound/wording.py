"""The words of an outgoing document email, in French (default) and English. Pure.

Amounts and dates follow each language's usual writing: `1 234,56 EUR` and `28/11/2026` in
French, `1,234.56 EUR` and `28 November 2026` in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from decimal import Decimal, InvalidOperation

from tracking.errors import InvalidInput
from tracking.models import DocumentKind


@dataclass(frozen=True)
class Texts:
    language: str
    kinds: dict[DocumentKind, tuple[str, str]]   # kind -> (title, with article in running text)
    subject: str
    body_attached: str
    body_inline: str
    greeting: str
    closing: str
    decimal_point: str
    thousands: str
    months: tuple[str, ...] = ()


FRENCH = Texts(
    language="fr",
    kinds={
        DocumentKind.INVOICE: ("Facture", "la facture"),
        DocumentKind.QUOTE: ("Devis", "le devis"),
        DocumentKind.CREDIT_NOTE: ("Avoir", "l'avoir"),
        DocumentKind.REMINDER: ("Relance", "la relance"),
        DocumentKind.DELIVERY_NOTE: ("Bon de livraison", "le bon de livraison"),
        DocumentKind.PURCHASE_ORDER: ("Bon de commande", "le bon de commande"),
    },
    subject="{title} {number} - {account}",
    body_attached="Veuillez trouver ci-joint {kind} n° {number} du {date}, d'un montant de {amount}.",
    body_inline="Nous vous adressons {kind} n° {number} du {date}, d'un montant de {amount}.",
    greeting="Bonjour {name},",
    closing="Cordialement,",
    decimal_point=",",
    thousands="\u00a0",  # no-break space, so an amount never wraps
)

ENGLISH = Texts(
    language="en",
    kinds={
        DocumentKind.INVOICE: ("Invoice", "invoice"),
        DocumentKind.QUOTE: ("Quote", "quote"),
        DocumentKind.CREDIT_NOTE: ("Credit note", "credit note"),
        DocumentKind.REMINDER: ("Payment reminder", "payment reminder"),
        DocumentKind.DELIVERY_NOTE: ("Delivery note", "delivery note"),
        DocumentKind.PURCHASE_ORDER: ("Purchase order", "purchase order"),
    },
    subject="{title} {number} from {account}",
    body_attached="Please find attached {kind} {number} dated {date}, for {amount}.",
    body_inline="Here is {kind} {number} dated {date}, for {amount}.",
    greeting="Dear {name},",
    closing="Kind regards,",
    decimal_point=".",
    thousands=",",
    months=("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"),
)

_BY_LANGUAGE = {"fr": FRENCH, "en": ENGLISH}


def texts_for(language: str) -> Texts:
    """French unless the account asked for English ("en", "en-GB", …)."""
    return _BY_LANGUAGE.get((language or "fr").strip().lower()[:2], FRENCH)


def subject(texts: Texts, kind: DocumentKind, number: str, account: str) -> str:
    title, _ = texts.kinds[kind]
    if not account:
        return f"{title} {number}"
    return texts.subject.format(title=title, number=number, account=account)


def body(
    texts: Texts,
    *,
    kind: DocumentKind,
    number: str,
    amount: str,
    issue_date: str,
    client_name: str,
    sender_name: str,
    account_name: str,
    attached: bool,
) -> str:
    _, in_text = texts.kinds[kind]
    sentence = texts.body_attached if attached else texts.body_inline
    signature = "\n".join(line for line in (sender_name, account_name) if line)
    return (
        f"{texts.greeting.format(name=client_name).replace(' ,', ',')}\n\n"
        f"{sentence.format(kind=in_text, number=number, date=issue_date, amount=amount)}\n\n"
        f"{texts.closing}\n{signature}\n"
    )


def format_amount(amount: str, currency: str, texts: Texts) -> str:
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError) as err:
        raise InvalidInput(f"amount is not a decimal number: {amount!r}") from err
    if not value.is_finite():
        raise InvalidInput(f"amount is not a finite number: {amount!r}")
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):,.2f}".partition(".")   # "1,234,567.89": groups of 3
    return f"{sign}{whole.replace(',', texts.thousands)}{texts.decimal_point}{fraction} {currency}".strip()


def format_date(day: Date, texts: Texts) -> str:
    if texts.months:
        return f"{day.day} {texts.months[day.month - 1]} {day.year}"
    if day.year < 1000:   # strftime's own (platform) rendering of such years
        return day.strftime("%d/%m/%Y")
    return f"{day.day:02d}/{day.month:02d}/{day.year}"   # strftime costs ~10x more


def default_filename(texts: Texts, kind: DocumentKind, number: str) -> str:
    title, _ = texts.kinds[kind]
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{title} {number}").strip("-")
    return f"{stem or 'document'}.pdf"
