"""Failures: rates against the previous period, counts by reason group, reason, domain, mode,
account, over time; the servers' exact replies and the documents behind them; exports."""

import streamlit as st

from tracking import charts
from tracking.export import FAILURE_COLUMNS
from tracking.labels import reason_name, word_for
from tracking.models import ReasonGroup
from ui import analysis, data
from ui.i18n import language, t
from ui.layout import start_page
from ui.period import period_and_account

who = start_page()
lang = language()
st.title(t("failures.heading"))
since, until, account = period_and_account("failures", scope=who.scope)
analysis.rates_panel(since, until, account, who.scope)
summary = data.failure_summary(data.path(), since, until, account, scope=who.scope)

group_label = lambda g: word_for(ReasonGroup, g, lang)  # noqa: E731
tabs = st.tabs([t("failures.by_group"), t("failures.by_reason"), t("failures.by_domain"),
                t("failures.by_mode"), t("failures.by_account"), t("failures.over_time")])
with tabs[0]:
    st.plotly_chart(charts.failures_by(summary.by_group, "group", lang, group_label),
                    key="by_group")
with tabs[1]:
    st.plotly_chart(charts.failures_by_reason(summary.by_reason, lang), key="by_reason")
    analysis.reason_replies(summary, since, until, account, who.scope)
with tabs[2]:
    st.plotly_chart(charts.failures_by(summary.by_domain, "domain", lang), key="by_domain")
with tabs[3]:
    st.plotly_chart(charts.failures_by(summary.by_mode, "mode", lang, charts.mode_label(lang)),
                    key="by_mode")
with tabs[4]:
    st.plotly_chart(charts.failures_by(summary.by_account, "account", lang), key="by_account")
with tabs[5]:
    st.plotly_chart(charts.failures_over_time(summary.by_day, lang), key="over_time")

st.subheader(t("failures.drill"))
columns = st.columns(3)
stored = analysis.stored_reasons_by_family(summary)
family = columns[0].selectbox(t("failures.reason_filter"), [None, *stored], key="drill_reason",
                              format_func=lambda k: t("all") if k is None else reason_name(k, lang))
domain = columns[1].selectbox(t("failures.domain_filter"),
                              [None, *summary.by_domain["domain"].tolist()], key="drill_domain",
                              format_func=lambda d: t("all") if d is None else str(d))
mode = columns[2].selectbox(t("filter.mode"), [None, *summary.by_mode["mode"].tolist()],
                            key="drill_mode", format_func=lambda m: t("all") if m is None
                            else charts.mode_label(lang)(m))
failed = data.failing_deliveries(data.path(), since, until, account,
                                 tuple(stored[family]) if family else None, domain, mode,
                                 scope=who.scope)
analysis.failures_table(failed)
analysis.export_buttons(failed, FAILURE_COLUMNS, "failures")
