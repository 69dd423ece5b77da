"""The documents list's filters in the URL, so "← Retour à la liste" comes back to the same list.

The list's filter widgets are bound to the query string (Streamlit's `bind="query-params"`:
the parameter is the widget's key, the value what the widget shows; a value that matches no
option is dropped by Streamlit). Writing `st.query_params` from a rerun that a widget started
does not reach the address bar in Streamlit 1.67 (the browser shows it one run late), so the
binding is the one writer. A document link carries these parameters — it opens a new session —
and its back link hands them back to the list, whose widgets start from them.
"""

from __future__ import annotations

import streamlit as st

IN_URL = "query-params"   # the `bind` value of every list filter

# The list's widget keys, which are also its URL parameters.
PARAMS = ("doc_search", "doc_account", "doc_kind", "doc_status", "doc_state", "doc_mode",
          "doc_from", "doc_until", "doc_failures", "doc_page")


def carried() -> dict[str, str]:
    """The list's parameters in the current URL: what a document link and the back link
    carry; anything else in the URL stays behind."""
    return {param: st.query_params[param] for param in PARAMS if st.query_params.get(param)}


def current_page() -> int:
    """The list's page number: the pager's, or before the pager exists in this session, the
    URL's (the pager is drawn below the rows it numbers)."""
    if "doc_page" in st.session_state:
        return int(st.session_state["doc_page"])
    text = st.query_params.get("doc_page", "")
    return int(text) if text.isdigit() and int(text) > 0 else 1
