"""The documents list's filters in the URL, so "← Retour à la liste" comes back to the same list.

The list writes its filters to the query string (stable codes: enum values, account ids, ISO
dates — never the shown words, which change with the language); a document link carries them,
and the back link hands them to the list, which takes them as its starting values. Only the
list's own parameters travel; anything else in a URL is ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from tracking.models import DeliveryState, DocumentKind, DocumentStatus, SendingMode


def _flag(text: str) -> bool:
    if text != "1":
        raise ValueError(text)
    return True


def _page(text: str) -> int:
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


# widget key -> (URL parameter, text -> value); a value that does not parse is ignored.
FILTERS: dict[str, tuple[str, Callable[[str], object]]] = {
    "doc_search": ("q", str),
    "doc_account": ("account", str),
    "doc_kind": ("kind", DocumentKind),
    "doc_status": ("status", DocumentStatus),
    "doc_state": ("state", DeliveryState),
    "doc_mode": ("mode", SendingMode),
    "doc_from": ("from", dt.date.fromisoformat),
    "doc_until": ("until", dt.date.fromisoformat),
    "doc_failures": ("failures", _flag),
    "doc_page": ("page", _page),
}
PARAMS = frozenset(param for param, _ in FILTERS.values())


def restore(known_accounts: set[str]) -> None:
    """Before the list's widgets: take their starting values from the URL, for the widgets
    this session does not hold yet (a first visit, a shared link, the back link)."""
    for key, (param, parse) in FILTERS.items():
        text = st.query_params.get(param)
        if key in st.session_state or not text:
            continue
        try:
            value = parse(text)
        except ValueError:
            continue
        if key == "doc_account" and value not in known_accounts:
            continue   # another scope's account, or a stale link: not a filter to apply
        st.session_state[key] = value


def remember() -> None:
    """After the list's widgets: write their values to the URL (defaults leave no trace)."""
    for key, (param, _) in FILTERS.items():
        text = _as_text(st.session_state.get(key))
        if text is None or (key == "doc_page" and text == "1"):
            if param in st.query_params:
                del st.query_params[param]
        elif st.query_params.get(param) != text:
            st.query_params[param] = text


def carried() -> dict[str, str]:
    """The list's parameters in the current URL: what a document link and the back link
    carry."""
    return {param: st.query_params[param] for param in sorted(PARAMS)
            if st.query_params.get(param)}


def _as_text(value: object) -> str | None:
    if value is None or value is False or value == "":
        return None
    if value is True:
        return "1"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
