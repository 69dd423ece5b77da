"""The Document page's actions: forms in, service calls, a clear message out.

Each action takes the signed-in `Principal` and goes through `tracking.service` (role and account
checked there, validated, all-or-nothing); a refusal is shown as an error and nothing is
written. Succeeded actions forget the cached reads and rerun.
"""

from __future__ import annotations

import uuid

import streamlit as st

from tracking import service
from tracking.auth.principal import Principal
from tracking.errors import SuiviError
from tracking.runtime import settings_for
from ui import data
from ui.i18n import t
from ui.inputs import choice
from ui.layout import error
from ui.resources import database, owner


def _lines(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace(",", "\n").replace(";", "\n").splitlines()
                 if part.strip())


def done(message: str) -> None:
    owner().wake()   # a send goes to SMTP now (not at the next poll); the marks follow at once
    data.forget()
    st.session_state["flash"] = message
    st.rerun()


def flash() -> None:
    """The message of the action that just succeeded (kept across its rerun)."""
    if message := st.session_state.pop("flash", None):
        st.success(message)


def _submission_key(name: str) -> str:
    """One idempotency key per shown form: a double submit records one send."""
    key = f"submission_{name}"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


def send_online(box, actor: Principal) -> None:
    to = [a for a, role in box.client_addresses if role == "to"]
    cc = [a for a, role in box.client_addresses if role == "cc"]
    with st.form("send_online"):
        to_text = st.text_area(t("action.to"), "\n".join(to), height=80, key="send_to")
        cc_text = st.text_area(t("action.cc"), "\n".join(cc), height=68, key="send_cc")
        force = st.checkbox(t("action.force"), key="send_force")
        submitted = st.form_submit_button(t("action.submit_send"), type="primary", key="send_submit")
    if submitted:
        request = service.SendRequest(box.document["id"], _lines(to_text), _lines(cc_text),
                                      actor=actor, force=force,
                                      idempotency_key=_submission_key("send"))
        _record_send(request)


def resend_corrected(box, actor: Principal) -> None:
    failed = box.recipients[box.recipients["state"].isin(["not_sent", "not_delivered"])]
    if failed.empty:
        return
    with st.form("resend"):
        st.markdown(f"**{t('action.resend')}**")
        wrong = choice(t("action.failed_address"), failed["address"].tolist(), key="resend_wrong")
        corrected = st.text_input(t("action.corrected"), value=wrong, key="resend_new")
        submitted = st.form_submit_button(t("action.submit_resend"), key="resend_submit")
    if submitted:
        _record_send(service.SendRequest(box.document["id"], _lines(corrected), actor=actor,
                                         force=True, idempotency_key=_submission_key("resend")))


def _record_send(request: service.SendRequest) -> None:
    try:
        policy = service.SendPolicy.from_settings(settings_for())
        receipt = service.request_send(database(), request, policy)
    except SuiviError as err:
        error(err)
        return
    for name in ("submission_send", "submission_resend"):
        st.session_state.pop(name, None)
    done(t("action.sent") if receipt.created else t("action.already"))


def mark_sent(box, actor: Principal) -> None:
    with st.form("mark_sent"):
        note = st.text_input(t("action.note"), key="mark_note")
        submitted = st.form_submit_button(t("action.submit_mark"), key="mark_submit")
    if submitted:
        try:
            service.mark_sent_manually(database(), box.document["id"], actor, note=note)
        except SuiviError as err:
            error(err)
            return
        done(t("action.marked"))
