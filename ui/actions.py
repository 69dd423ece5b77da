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
from tracking.clock import format_local
from tracking.errors import SuiviError, SuppressedAddress
from tracking.models import SendingMode
from tracking.runtime import settings_for
from ui import data
from ui.box import sender_name
from ui.i18n import t, tf
from ui.layout import error
from ui.resources import database, owner
from ui.suppressed import offered_key, override_tick, suppression_warning
from ui.text import markdown_text


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


def submission_key(name: str) -> str:
    """One idempotency key per shown form: a double submit records one send."""
    key = f"submission_{name}"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


def send_online(box, actor: Principal) -> None:
    to = "\n".join(a for a, role in box.client_addresses if role == "to")
    cc = "\n".join(a for a, role in box.client_addresses if role == "cc")
    # A form's fields are read when it is submitted, so the addresses looked up are the ones
    # it shows: pre-filled, or as last submitted (the refusal's run included).
    shown = _lines(st.session_state.get("send_to", to)) + _lines(st.session_state.get("send_cc", cc))
    blocked = data.suppressions_of(data.path(), box.document["account_id"], shown) \
        if shown else []
    for found in blocked:
        st.warning(markdown_text(suppression_warning(found, box.document["time_zone"])),
                   icon="⚠️")
    with st.form("send_online"):
        to_text = st.text_area(t("action.to"), to, height=80, key="send_to")
        cc_text = st.text_area(t("action.cc"), cc, height=68, key="send_cc")
        force = st.checkbox(t("action.force"), key="send_force")
        override = override_tick(box.document["id"], blocked, key="send_override")
        submitted = st.form_submit_button(t("action.submit_send"), type="primary", key="send_submit")
    if submitted:
        request = service.SendRequest(box.document["id"], _lines(to_text), _lines(cc_text),
                                      actor=actor, force=force,
                                      idempotency_key=submission_key("send"),
                                      override_suppression=override)
        record_send(request, tick_key="send_override")


def record_send(request: service.SendRequest, *, tick_key: str) -> None:
    """Record the send; refused, say why (and, refused as suppressed, keep offering the form's
    override tick `tick_key`)."""
    try:
        policy = service.SendPolicy.from_settings(settings_for())
        receipt = service.request_send(database(), request, policy)
    except SuiviError as err:
        if isinstance(err, SuppressedAddress):   # the tick is offered from now on
            st.session_state[offered_key(tick_key)] = request.document_id
        error(err)
        return
    for name in ("submission_send", "submission_resend", offered_key(tick_key)):
        st.session_state.pop(name, None)
    done(t("action.sent") if receipt.created else t("action.already"))


def mark_sent(box, actor: Principal) -> None:
    """The mark-sent form; once the document is marked, who marked it and when instead (the
    core refuses a second mark: it would log the same send twice)."""
    marked = box.sends[box.sends["mode"] == SendingMode.MANUAL]
    if not marked.empty:
        first = marked.iloc[-1].to_dict()   # sends come newest first
        when = format_local(first["requested_at"].to_pydatetime(), box.document["time_zone"])
        st.caption(markdown_text(tf("action.marked_before", when=when,
                                    actor=sender_name(first))))
        return
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
