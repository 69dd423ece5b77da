"""Console labels, French by default, English switchable (sidebar)."""

from __future__ import annotations

import streamlit as st

LABELS: dict[str, dict[str, str]] = {
    "overview.title": {"fr": "Vue d'ensemble", "en": "Overview"},
    "overview.heading": {"fr": "Suivi des envois de documents",
                         "en": "Document sending tracker"},
    "overview.database": {"fr": "Base de données", "en": "Database"},
    "overview.documents": {"fr": "Documents", "en": "Documents"},
    "overview.sends": {"fr": "Envois", "en": "Sends"},
    "overview.failures": {"fr": "Échecs (dernier envoi)", "en": "Failures (latest send)"},
    "overview.by_state": {"fr": "Destinataires par état", "en": "Recipients by state"},
    "overview.recent": {"fr": "Derniers événements", "en": "Latest events"},
    "overview.placeholder": {
        "fr": "Les pages Documents, Échecs, Historique et Boîte aux lettres arrivent.",
        "en": "The Documents, Failures, History and Mailbox pages are on their way."},
    "language": {"fr": "Langue", "en": "Language"},
    "state.pending": {"fr": "En cours", "en": "In progress"},
    "state.sent": {"fr": "Envoyé", "en": "Sent"},
    "state.not_sent": {"fr": "Non envoyé", "en": "Not sent"},
    "state.delivered": {"fr": "Réceptionné", "en": "Delivered"},
    "state.not_delivered": {"fr": "Non réceptionné", "en": "Not delivered"},
    "col.state": {"fr": "État", "en": "State"},
    "col.count": {"fr": "Nombre", "en": "Count"},
    "col.when": {"fr": "Quand (UTC)", "en": "When (UTC)"},
    "col.type": {"fr": "Type", "en": "Type"},
    "col.actor": {"fr": "Acteur", "en": "Actor"},
    "col.document": {"fr": "Document", "en": "Document"},
    "col.recipient": {"fr": "Destinataire", "en": "Recipient"},
}


def language() -> str:
    return st.session_state.get("language", "fr")


def t(key: str) -> str:
    labels = LABELS.get(key)
    if labels is None:
        return key
    return labels.get(language(), labels["fr"])


def language_picker() -> None:
    st.sidebar.radio(t("language"), ["fr", "en"], key="language", horizontal=True,
                     format_func=lambda code: {"fr": "Français", "en": "English"}[code])
