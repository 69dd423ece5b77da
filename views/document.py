"""Document: summary, the "Suivi du document" box, the timeline, returned mail, the actions."""

import streamlit as st

from tracking import charts
from tracking.labels import word_for
from tracking.models import DocumentKind, DocumentStatus, SendingMode
from tracking.auth.roles import Action
from ui import actions, data, list_state, send_date
from ui import returned as returned_mail
from ui.box import tracking_box
from ui.i18n import language, number, t
from ui.inputs import choice
from ui.mailbox_view import returned_table
from ui.tables import table
from ui.layout import may_act, start_page
from ui.live import has_pending, live
from ui.text import markdown_text
from ui.resend import resend_form
from ui.widgets import show_diagnostics

who = start_page()
lang = language()
document_id = st.query_params.get("doc", "")
box = data.document_box(document_id, scope=who.scope) if document_id else None
st.page_link("views/documents.py", label=t("doc.back"),
             query_params={**list_state.carried(), "lang": lang})
if box is None:
    st.info(t("doc.missing") if not document_id else t("doc.unknown"))
    st.stop()

doc = box.document
st.title(f"{word_for(DocumentKind, doc['kind'], lang)} {markdown_text(doc['number'])}")
amount = number(doc["amount"], 2)
st.caption(" · ".join(markdown_text(part) for part in (
    doc["client"], doc["account"], word_for(DocumentStatus, doc["status"], lang),
    f"{amount} {doc['currency']}")))
actions.flash()

left, right = st.columns([3, 2])


def tracking_part() -> bool:
    """The box, fresh: refreshed by itself while a recipient is still `pending`."""
    current = data.document_box(document_id, scope=who.scope) or box
    st.markdown(tracking_box(current), unsafe_allow_html=True)
    show_diagnostics(current.recipients)
    return has_pending(current.recipients.get("state", []))


with left:
    live("document_box", has_pending(box.recipients.get("state", [])), tracking_part)
    returned_mail.document_proposals(document_id, who)
    events = data.timeline(document_id, scope=who.scope)
    if not events.empty:
        st.plotly_chart(charts.timeline(events, lang), key="timeline")
    with st.expander(t("raw.title")):
        returned = data.returned_messages(document_id, scope=who.scope)
        if returned.empty:
            st.caption(t("raw.none"))
        else:
            table(returned_table(returned), key="returned")
            chosen = choice(t("raw.show"), returned["id"].tolist(), key="raw_id",
                            format_func=lambda m: f"{m[:12]}…")
            if st.button(t("raw.show"), key="raw_show"):
                st.code(data.raw_message(chosen, scope=who.scope) or "", language=None)

with right:
    if not may_act(who, *Action):
        st.info(t("auth.read_only"))
        st.stop()
    manual_only = doc["account_mode"] == SendingMode.MANUAL
    # The core refuses to send or mark a cancelled document: no form that can only fail.
    cancelled = doc["status"] == DocumentStatus.CANCELLED
    if cancelled and (who.may(Action.SEND) or who.may(Action.MARK_SENT)):
        st.info(t("action.cancelled"))
    if who.may(Action.SEND) and not cancelled:
        with st.expander(t("action.send"), expanded=not box.latest_send and not manual_only):
            if manual_only:
                st.caption(t("action.manual_mode"))
            else:
                actions.send_online(box, who)
        resend_form(box, who)
    if who.may(Action.MARK_SENT) and not cancelled:
        with st.expander(t("action.mark")):
            actions.mark_sent(box, who)
    if who.may(Action.EDIT_SEND_DATE):
        with st.expander(t("action.date"), expanded=True):
            send_date.edit_send_date(box, who)
    if who.may(Action.HANDLE_RETURNED):
        with st.expander(t("action.attach")):
            returned_mail.unmatched_for_document(box, who)
