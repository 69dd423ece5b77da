"""What the analysis pages draw — Plotly figures, labelled tables — kept as long as the cached
reads they are drawn from.

Building a figure goes through Plotly's validators: 50–400 ms per chart, the History page's five
took longer than its cached reads (both pages now build only their open tab's chart); labelling
the Failures drill-down (every time on its row's clock, codes in words) took 0.1–0.3 s. So they are cached too, keyed on the same plain values
as those reads (path, period, account, filters, scope) plus the language, for the same time,
and forgotten with them after an action (`ui.data.forget`). `st.cache_resource` keeps a Figure
itself: a copy through pickle (`st.cache_data`) would run the validators again on every read;
nothing changes a cached figure (`st.plotly_chart` serialises a copy). Tables are plain
DataFrames: `st.cache_data`, a copy each time.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from tracking import charts
from tracking.labels import word_for
from tracking.models import ReasonGroup
from tracking.store.console_queries import Scope
from ui import bars, data
from ui.tables import failure_table, history_table

SUMMARY_TTL = 120   # seconds: as long as the reads drawn (ui.data.history_charts, failure_summary)
KEPT = 64           # figure sets per function: periods × accounts × languages in use


@st.cache_resource(ttl=SUMMARY_TTL, max_entries=KEPT, show_spinner=False)
def history(db_path: str, since: datetime, until: datetime, account_id: str | None,
            language: str, chart: str, *, scope: Scope = None) -> go.Figure:
    """The chart of one tab of the History page (`HISTORY_CHARTS`)."""
    if chart in ("domains", "reasons"):
        summary = data.failure_summary(db_path, since, until, account_id, scope=scope)
        if chart == "domains":
            return charts.failures_by(summary.by_domain.head(10), "domain", language)
        return charts.failures_by_reason(summary.by_reason, language)
    figures = data.history_charts(db_path, since, until, account_id, scope=scope)
    if chart == "activity":
        return charts.activity_per_day(figures.activity, language)
    if chart == "rate":
        return charts.failure_rate(figures.failure_rate, language)
    if chart == "delay":
        return charts.delivery_delay(figures.delivery_delay, language)
    raise ValueError(f"no History chart named {chart!r}")


HISTORY_CHARTS = ("activity", "rate", "delay", "domains", "reasons")


@st.cache_resource(ttl=SUMMARY_TTL, max_entries=KEPT, show_spinner=False)
def failures(db_path: str, since: datetime, until: datetime, account_id: str | None,
             language: str, tab: str, *, scope: Scope = None) -> go.Figure | str:
    """What one tab of the Failures page draws (`FAILURE_TABS`): failures per day as a Plotly
    chart, the breakdowns as an HTML table with bars (`ui.bars`, for why)."""
    summary = data.failure_summary(db_path, since, until, account_id, scope=scope)
    if tab == "over_time":
        return charts.failures_over_time(summary.by_day, language)
    if tab == "by_reason":
        frame, dimension, label = charts.reason_families(summary.by_reason, language), "label", None
    elif tab == "by_group":
        frame, dimension = summary.by_group, "group"
        label = lambda g: word_for(ReasonGroup, g, language)  # noqa: E731
    elif tab == "by_mode":
        frame, dimension, label = summary.by_mode, "mode", charts.mode_label(language)
    elif tab in ("by_domain", "by_account"):
        frame, dimension, label = getattr(summary, tab), tab.removeprefix("by_"), None
    else:
        raise ValueError(f"no Failures chart named {tab!r}")
    return bars.failure_bars_table(charts.failure_bars(frame, dimension, language, label),
                                   dimension_title=charts.dimension_title(dimension, language),
                                   rate_title=charts.rate_title(frame, language),
                                   language=language)


FAILURE_TABS = ("by_group", "by_reason", "by_domain", "by_mode", "by_account", "over_time")


@st.cache_data(ttl=60, max_entries=KEPT, show_spinner=False)   # as ui.data.failing_deliveries
def failures_drill_down(db_path: str, since: datetime, until: datetime, account_id: str | None,
                        reasons: tuple[str, ...] | None, domain: str | None, mode: str | None,
                        language: str, *, scope: Scope = None) -> pd.DataFrame:
    """The failed recipients as the drill-down shows them, in `language` (the reader's: the
    labels read it from the session), without the links to the documents (they carry the
    list's filters of the moment)."""
    failed = data.failing_deliveries(db_path, since, until, account_id, reasons, domain, mode,
                                     scope=scope)
    return failure_table(failed)


@st.cache_data(ttl=30, max_entries=KEPT, show_spinner=False)   # as ui.data.history_page
def history_log(db_path: str, since: datetime, until: datetime, event_types: tuple[str, ...],
                actor: str | None, account_id: str | None, document: str | None,
                language: str, *, scope: Scope = None) -> pd.DataFrame:
    """The History page's event log as shown, in `language` (the reader's: the labels read it
    from the session): each event on its account's clock, in words — 60-75 ms for 500 events
    on every run before, on the way to the table."""
    events = data.history_page(db_path, since, until, event_types, actor, account_id, document,
                               scope=scope)
    return history_table(events)


def forget() -> None:
    """After an action, with the cached reads (`ui.data.forget`)."""
    history.clear()
    failures.clear()
    failures_drill_down.clear()
    history_log.clear()
