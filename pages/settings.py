"""Settings: each account's time zone and sending mode; connection status (no secret shown)."""

import streamlit as st

from tracking.labels import word_for
from tracking.models import SendingMode
from ui import data, resources
from ui.i18n import language, t, tf
from ui.layout import start_page
from ui.widgets import connection_status

start_page()
lang = language()
st.title(t("settings.heading"))

st.subheader(t("settings.accounts"))
accounts = data.accounts(data.path())
st.dataframe(accounts.assign(sending_mode=[word_for(SendingMode, m, lang)
                                           for m in accounts["sending_mode"]]),
             hide_index=True, key="accounts", column_config={
                 "id": None, "name": st.column_config.TextColumn(t("col.account")),
                 "time_zone": st.column_config.TextColumn(t("col.zone")),
                 "sending_mode": st.column_config.TextColumn(t("col.mode")),
                 "sender_address": st.column_config.TextColumn(t("col.sender"))})

st.subheader(t("settings.connection"))
st.dataframe(connection_status(), hide_index=True, key="connections")

st.subheader(t("settings.snapshot"))
if st.button(t("settings.refresh_snapshot"), key="snapshot"):
    st.success(tf("settings.snapshot_done", path=resources.refresh_snapshot()))
