"""Failures: rates against the previous period, counts by reason group, reason, domain, mode,
account, over time; the servers' exact replies and the documents behind them; exports."""

import streamlit as st

from tracking import charts
from tracking.export import FAILURE_COLUMNS
from tracking.labels import reason_name, word_for
from tracking.models import ReasonGroup
from ui import analysis, data
from ui.i18n import language, t
from ui.inputs import choice
from ui.layout import start_page
from ui.period import period_and_account
from ui.suppressed import addresses_to_correct
from ui.tables import failure_table, table
from ui.widgets import document_link

who = start_page()
lang = language()
st.title(t("failures.heading"))
since, until, account = period_and_account("failures", scope=who.scope)
analysis.rates_panel(since, until, account, who.scope)
summary = data.failure_summary(data.path(), since, until, account, scope=who.scope)

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
        st.plotly_chart(charts.failures_by_reason(summary.by_reason, lang), key="by_reason")
        analysis.reason_replies(summary, since, until, account, who.scope)
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
stored = analysis.stored_reasons_by_family(summary)
family = choice(t("failures.reason_filter"), list(stored), key="drill_reason", everything=True,
                container=columns[0], format_func=lambda k: reason_name(k, lang))
domain = choice(t("failures.domain_filter"), summary.by_domain["domain"].dropna().tolist(),
                key="drill_domain", everything=True, container=columns[1])
mode = choice(t("filter.mode"), summary.by_mode["mode"].dropna().tolist(), key="drill_mode",
              everything=True, container=columns[2], format_func=charts.mode_label(lang))
failed = data.failing_deliveries(data.path(), since, until, account,
                                 stored[family] if family else None, domain, mode,
                                 scope=who.scope)
table(failure_table(failed, document_link), key="drill_table", column_config={
    "↗": st.column_config.LinkColumn(t("page.document"), display_text="↗")})
analysis.export_buttons(failed, FAILURE_COLUMNS, "failures")

addresses_to_correct(account, scope=who.scope)
