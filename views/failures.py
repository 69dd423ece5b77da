"""Failures: rates against the previous period, counts by reason group, reason, domain, mode,
account, over time; the servers' exact replies and the documents behind them; exports."""

import streamlit as st

from tracking import charts
from tracking.export import FAILURE_COLUMNS
from tracking.labels import reason_name
from ui import analysis, data, drawn
from ui.i18n import language, t
from ui.inputs import choice, tabs
from ui.layout import start_page
from ui.period import period_and_account
from ui.suppressed import addresses_to_correct
from ui.tables import table, with_links
from ui.widgets import document_links

who = start_page()
lang = language()
st.title(t("failures.heading"))
since, until, account = period_and_account("failures", scope=who.scope)
analysis.rates_panel(since, until, account, who.scope)
summary = data.failure_summary(data.path(), since, until, account, scope=who.scope)

# Lazy tabs: only the open tab's chart is built and sent (six Plotly charts made the page slow),
# and built once per period and account (ui/drawn.py); the breakdowns are HTML (ui/bars.py).
for name, tab in zip(drawn.FAILURE_TABS,
                     tabs(drawn.FAILURE_TABS, prefix="failures", key="failures_tab")):
    if tab.open:
        with tab:
            drawing = drawn.failures(data.path(), since, until, account, lang, name,
                                     scope=who.scope)
            if isinstance(drawing, str):
                st.html(drawing)
            else:
                st.plotly_chart(drawing, key=name)
            if name == "by_reason":
                analysis.reason_replies(summary, since, until, account, who.scope)

st.subheader(t("failures.drill"))
columns = st.columns(3)
stored = analysis.stored_reasons_by_family(summary)
family = choice(t("failures.reason_filter"), list(stored), key="drill_reason", everything=True,
                container=columns[0], format_func=lambda k: reason_name(k, lang))
domain = choice(t("failures.domain_filter"), summary.by_domain["domain"].dropna().tolist(),
                key="drill_domain", everything=True, container=columns[1])
mode = choice(t("filter.mode"), summary.by_mode["mode"].dropna().tolist(), key="drill_mode",
              everything=True, container=columns[2], format_func=charts.mode_label(lang))
reasons = stored[family] if family else None
failed = data.failing_deliveries(data.path(), since, until, account, reasons, domain, mode,
                                 scope=who.scope)
shown = drawn.failures_drill_down(data.path(), since, until, account, reasons, domain, mode,
                                  lang, scope=who.scope)
table(with_links(shown, failed["document_id"], document_links()), key="drill_table",
      column_config={"↗": st.column_config.LinkColumn(t("col.open"), display_text="↗")})
analysis.export_buttons(failed, FAILURE_COLUMNS, "failures")

addresses_to_correct(account, scope=who.scope)
