"""Mailbox: the watcher's state, the reports to verify, and the returned messages a person must
handle (attach by address, dismiss)."""

import streamlit as st

from tracking.errors import SuiviError
from tracking.auth.roles import Action
from tracking.returned_actions import dismiss_bounce
from ui import actions, data, resources, returned
from ui.sandbox_rules import sandbox_rules
from ui.i18n import t
from ui.inputs import choice
from ui.layout import error, start_page
from ui.mailbox_view import counts_table, queue_table, watcher_status
from ui.tables import table

who = start_page()
st.title(t("mailbox.heading"))
actions.flash()
sandbox_rules()

st.subheader(t("mailbox.watcher"))
watcher = resources.mailbox_watcher()
if watcher is None:
    st.info(t("mailbox.not_running"))
else:
    table(watcher_status(watcher.status()), key="watcher")
    if st.button(t("mailbox.poll"), key="poll"):
        watcher.poll_now()

st.subheader(t("mailbox.counts"))
table(counts_table(data.mailbox_counts(scope=who.scope)), key="counts")

returned.verify_queue(who)

st.subheader(t("mailbox.queue"))
queue = data.mailbox_queue(scope=who.scope)
if queue.empty:
    st.caption(t("mailbox.empty"))
    st.stop()
table(queue_table(queue), key="queue")
subjects = dict(zip(queue["id"], queue["subject"].fillna("")))
chosen = choice(t("action.message"), list(subjects), key="mailbox_message",
                format_func=lambda m: f"{subjects[m][:80]} ({m[:8]})")
if st.toggle(t("raw.show"), key="mailbox_raw"):
    st.code(data.raw_message(chosen, scope=who.scope) or "", language=None)
if not who.may(Action.HANDLE_RETURNED):
    st.caption(t("auth.read_only"))
    st.stop()
if st.button(t("action.dismiss"), key="dismiss"):
    try:
        dismiss_bounce(resources.database(), chosen, who)
    except SuiviError as err:
        error(err)
    else:
        actions.done(t("action.dismissed"))
st.markdown(f"**{t('mailbox.attach')}**")
returned.attach_form(chosen, who, key="mailbox")
