"""Failures: counts and rates by reason group, reason, domain, mode, account, over time;
drill-down to the documents; CSV export."""

import streamlit as st

from tracking import charts
from tracking.export import frame_to_csv
from tracking.labels import word_for
from tracking.models import Reason, ReasonGroup
from ui import data
from ui.i18n import counted, language, percent, t, tf
from ui.inputs import choice
from ui.layout import start_page
from ui.period import period_and_account
from ui.tables import failure_table, table
from ui.widgets import document_link

who = start_page()
lang = language()
st.title(t("failures.heading"))
since, until, account = period_and_account("failures", scope=who.scope)
summary = data.failure_summary(data.path(), since, until, account, scope=who.scope)
rate = summary.failures / summary.total if summary.total else 0.0
st.markdown(tf("failures.summary", f=counted(summary.failures, "noun.failure"),
               n=counted(summary.total, "noun.recipient"), r=percent(rate)))

group_label = lambda g: word_for(ReasonGroup, g, lang)  # noqa: E731
# Lazy tabs: only the open tab's chart is built and sent (six Plotly charts made the page slow).
tabs = st.tabs([t("failures.by_group"), t("failures.by_reason"), t("failures.by_domain"),
                t("failures.by_mode"), t("failures.by_account"), t("failures.over_time")],
               key="failures_tab", on_change="rerun")
if tabs[0].open:
    with tabs[0]:
        st.plotly_chart(charts.failures_by(summary.by_group, "group", lang, group_label),
                        key="by_group")
if tabs[1].open:
    with tabs[1]:
        st.plotly_chart(charts.failures_by(summary.by_reason, "reason", lang), key="by_reason")
if tabs[2].open:
    with tabs[2]:
        st.plotly_chart(charts.failures_by(summary.by_domain, "domain", lang), key="by_domain")
if tabs[3].open:
    with tabs[3]:
        st.plotly_chart(charts.failures_by(summary.by_mode, "mode", lang,
                                           charts.mode_label(lang)), key="by_mode")
if tabs[4].open:
    with tabs[4]:
        st.plotly_chart(charts.failures_by(summary.by_account, "account", lang),
                        key="by_account")
if tabs[5].open:
    with tabs[5]:
        st.plotly_chart(charts.failures_over_time(summary.by_day, lang), key="over_time")

st.subheader(t("failures.drill"))
columns = st.columns(3)
reason = choice(t("failures.reason_filter"), summary.by_reason["reason"].dropna().tolist(),
                key="drill_reason", everything=True, container=columns[0],
                format_func=lambda r: word_for(Reason, r, lang))
domain = choice(t("failures.domain_filter"), summary.by_domain["domain"].dropna().tolist(),
                key="drill_domain", everything=True, container=columns[1])
mode = choice(t("filter.mode"), summary.by_mode["mode"].dropna().tolist(), key="drill_mode",
              everything=True, container=columns[2], format_func=charts.mode_label(lang))
failed = data.failing_deliveries(data.path(), since, until, account,
                                 (reason,) if reason else None, domain, mode, scope=who.scope)
table(failure_table(failed, document_link), key="drill_table", column_config={
    "↗": st.column_config.LinkColumn(t("page.document"), display_text="↗")})
st.download_button(t("export"), frame_to_csv(failed),
                   file_name="suivi-failures.csv", mime="text/csv", key="failures_csv")
