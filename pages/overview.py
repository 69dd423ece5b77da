"""Overview: what the database holds, recipients by state, the latest events."""

import streamlit as st

from tracking.store import queries
from ui.i18n import t
from ui.layout import start_page
from ui.resources import database

start_page()
db = database()
overview = queries.overview(db.cursor())

st.title(t("overview.heading"))
st.caption(f"{t('overview.database')} : {db.path}")
columns = st.columns(3)
columns[0].metric(t("overview.documents"), f"{overview.documents:,}".replace(",", " "))
columns[1].metric(t("overview.sends"), f"{overview.sends:,}".replace(",", " "))
columns[2].metric(t("overview.failures"), f"{overview.failing_documents:,}".replace(",", " "))

st.subheader(t("overview.by_state"))
by_state = overview.by_state.assign(state=overview.by_state["state"].map(
    lambda state: t(f"state.{state}")))
st.dataframe(by_state.rename(columns={"state": t("col.state"), "count": t("col.count")}),
             hide_index=True)

st.subheader(t("overview.recent"))
recent = queries.history(db.cursor(), limit=20)[
    ["occurred_at", "type", "actor", "document_number", "recipient"]]
st.dataframe(recent.rename(columns={
    "occurred_at": t("col.when"), "type": t("col.type"), "actor": t("col.actor"),
    "document_number": t("col.document"), "recipient": t("col.recipient")}), hide_index=True)
st.info(t("overview.placeholder"))
