"""What every page does first: language, the process's owner (get-or-start), the outbound
server's health, the CSS; and who acts — the signed-in principal (ui/auth.py), never a name
typed in the page."""

from __future__ import annotations

import streamlit as st

from tracking.auth.principal import Principal
from tracking.auth.roles import Action
from tracking.errors import Forbidden, RefusedValue
from tracking.labels import explain_refusal
from ui.auth import principal
from ui.i18n import language, language_picker, t
from ui.resources import owner
from ui.text import markdown_text
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
    """A refusal, worded for the user; what came from input or the database stays plain text."""
    if isinstance(err, Forbidden):
        st.error(t("auth.forbidden_account") if err.code == "account" else t("auth.forbidden"))
        return
    worded = explain_refusal(err.code, err.params, language()) if isinstance(
        err, RefusedValue) else None
    st.error(f"{t('error')} : {markdown_text(worded or err)}")
