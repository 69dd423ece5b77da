"""What every page does first: language, the process's owner (get-or-start), the outbound
server's health, the CSS, and who is acting (every action names its actor)."""

from __future__ import annotations

import streamlit as st

from tracking.auth.principal import Principal
from tracking.auth.roles import Role
from tracking.errors import RefusedValue
from tracking.labels import explain_refusal
from ui.i18n import language, language_picker, t
from ui.resources import owner
from ui.widgets import inject_css, outbound_health


def start_page() -> None:
    language_picker()
    status = owner().status()
    outbound_health(status.outbound, sending="outbox" in status.running)
    inject_css()


def actor() -> Principal:
    """Interim, until the sign-in form replaces it (helper `auth-console`): the login the sidebar
    says is acting, with today's rights (every action, every account). Actions refuse an empty
    one."""
    login = st.sidebar.text_input(t("actor"), value="support", key="actor").strip()
    return Principal(login, login, Role.ADMIN)


def error(err: Exception) -> None:
    worded = explain_refusal(err.code, err.params, language()) if isinstance(
        err, RefusedValue) else None
    st.error(f"{t('error')} : {worded or err}")
