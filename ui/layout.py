"""What every page does first: language, the process's owner (get-or-start), the outbound
server's health, the CSS; and who acts — the signed-in principal (ui/auth.py), never a name
typed in the page."""

from __future__ import annotations

import streamlit as st

from tracking.auth.principal import Principal
from tracking.auth.roles import Action
from ui import errors
from ui.auth import principal
from ui.i18n import language, language_picker
from ui.resources import owner
from ui.widgets import inject_css, outbound_health


def start_page() -> Principal:
    """Set the page up; returns the signed-in principal (the gate already checked it)."""
    language_picker()
    status = owner().status()
    outbound_health(status.outbound, sending="outbox" in status.running)
    inject_css()
    return principal()


def may_act(who: Principal, *actions: Action) -> bool:
    """Whether to show the forms of `actions` (the core checks again when one is submitted)."""
    return any(who.may(action) for action in actions)


def error(err: Exception) -> None:
    """The one way a page shows a refusal: the error's code worded in the reader's language
    (ui/errors.py), its values as text. A code without words says so in the reader's language
    and gives the core's English message apart, as text, for whoever fixes it."""
    lang = language()
    worded = errors.sentence(err, lang)
    if worded is not None:
        st.error(worded)
        return
    st.error(errors.UNWORDED[1 if lang == "en" else 0])
    st.code(str(err), language=None)
