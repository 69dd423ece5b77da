"""Resend to a corrected address: never pre-filled silently with the address that failed.

The form offers the likely correction (`tracking.suggest`, against the common providers and the
domains this account already reached) and says that it is one; with none, it stays empty and
says to ask the customer. Resending to the failing address itself takes an explicit tick. An
address that bounced for good before is named with the date and the reason, and goes out only
with the override ticked (the service checks it again and records the override).
"""

from __future__ import annotations

import streamlit as st

from tracking import service
from tracking.auth.principal import Principal
from tracking.suggest import suggest_address
from ui import data
from ui.actions import record_send, submission_key
from ui.i18n import t, tf
from ui.inputs import choice, text
from ui.suppressed import override_tick, suppression_warning
from ui.text import markdown_text

FAILED = ("not_sent", "not_delivered")


def resend_form(box, actor: Principal) -> None:
    failed = box.recipients[box.recipients["state"].isin(FAILED)
                            & ~box.recipients["address"].str.lower().isin(_corrected(box))]
    if failed.empty:
        return
    account_id, zone = box.document["account_id"], box.document["time_zone"]
    with st.expander(t("action.resend"), expanded=True):
        wrong = choice(t("action.failed_address"), failed["address"].tolist(),
                       key="resend_wrong")
        suggestion = suggest_address(wrong, data.delivered_domains(data.path(), account_id))
        if st.session_state.get("resend_for") != wrong:   # another failing address chosen
            st.session_state["resend_for"] = wrong
            st.session_state["resend_new"] = suggestion or ""
            st.session_state.pop("resend_same", None)
        corrected = text(t("action.corrected"), key="resend_new",
                         placeholder=t("resend.placeholder")).strip()
        if suggestion and corrected.lower() == suggestion.lower():
            st.caption(markdown_text(tf("resend.suggested", wrong=wrong)))
        elif not suggestion and not corrected:
            st.caption(markdown_text(tf("resend.no_suggestion", wrong=wrong)))
        same = corrected.lower() == wrong.lower()
        allow_same = st.checkbox(t("resend.allow_same"), key="resend_same") if same else False
        blocked = data.suppressions_of(data.path(), account_id, (corrected,)) if corrected else []
        for found in blocked:
            st.warning(markdown_text(suppression_warning(found, zone)), icon="⚠️")
        override = override_tick(box.document["id"], blocked, key="resend_override")
        if not st.button(t("action.submit_resend"), key="resend_submit"):
            return
        if not corrected:
            st.error(t("resend.empty"))
        elif same and not allow_same:
            st.error(t("resend.same"))
        else:
            record_send(service.SendRequest(
                box.document["id"], (corrected,), actor=actor, force=True,
                idempotency_key=submission_key("resend"), override_suppression=override,
                corrects=None if same else wrong.lower()), tick_key="resend_override")


def _corrected(box) -> set[str]:
    """The failed addresses a resend already went to a correction of (the box says where):
    offered again only if that correction fails too, as an address of its own."""
    return {wrong.lower() for wrong in box.sends.get("corrects", []) if isinstance(wrong, str)}

