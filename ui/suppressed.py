"""The Failures page's "Adresses à corriger": per account, the addresses whose latest send
bounced for good (`tracking.suppression`), with the likely correction when there is one, so a
customer can be asked to fix them in one go; and their CSV export (formula-neutralised by
`tracking.export`, like every export)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracking.export import frame_to_csv
from tracking.labels import failure_explanation
from tracking.suggest import suggest_address
from ui import data
from ui.i18n import language, t, tf
from ui.widgets import document_link, local_times


def addresses_to_correct(account_id: str | None, *, scope) -> None:
    """The section: a heading, the table (one row per account and address), the export."""
    st.subheader(t("suppressed.heading"))
    st.caption(t("suppressed.caption"))
    found = data.addresses_to_correct(data.path(), account_id, scope=scope)
    if found.empty:
        st.info(t("suppressed.none"))
        return
    st.markdown(tf("suppressed.count", n=f"{len(found):,}".replace(",", " ")))
    table = readable(found, language())
    # on the page the reason in words; its code goes to the export, in a column of its own
    shown = table.drop(columns=[t("col.reason")])
    st.dataframe(shown.assign(link=found["document_id"].map(document_link)), hide_index=True,
                 key="suppressed_table", column_config={
                     "link": st.column_config.LinkColumn(t("page.document"), display_text="↗")})
    st.download_button(t("suppressed.export"), frame_to_csv(table),
                       file_name="suivi-adresses-a-corriger.csv", mime="text/csv",
                       key="suppressed_csv")


def readable(found: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows with labelled columns: account, address, likely correction, when (account's
    zone), the reason in words and its code, the document."""
    domains = {account: data.delivered_domains(data.path(), account)
               for account in found["account_id"].unique()}
    when = local_times(found, "state_at")["when"]
    return pd.DataFrame({
        t("col.account"): found["account"],
        t("col.recipient"): found["address"],
        t("col.suggestion"): [suggest_address(a, domains[acct]) or "" for a, acct in
                              zip(found["address"], found["account_id"])],
        t("col.bounced_on"): when,
        t("col.explanation"): [failure_explanation(r, lang) for r in found["reason"]],
        t("col.reason"): found["reason"],
        t("col.code"): found["status_code"].fillna(""),
        t("col.document"): found["document_number"],
    })
