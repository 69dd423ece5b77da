"""The analysis blocks of the Failures and History pages: rates with their denominators and the
previous period, the raw-reply drill-down of one reason, labelled tables and the exports.

Reads are cached on plain values (path, period, account, scope), as in `ui.data`; the numbers
come from `tracking.store.rates` and are divided and worded by `tracking.rates`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from tracking import charts
from tracking.export import Column, frame_to_csv, frame_to_french_csv, frame_to_parquet
from tracking.labels import reason_key, reason_name
from tracking.rates import (
    Period, PeriodCounts, compare, duration_unchanged, format_count, format_duration,
    format_duration_change, format_percent, format_points, points_unchanged,
)
from tracking.store import rates as store_rates
from tracking.store.scope import Scope
from ui import data
from ui.i18n import counted, language, t, tf, tn

REPLIES_PER_PAGE = 20


@st.cache_data(ttl=120, show_spinner=False)
def period_counts(db_path: str, since: datetime, until: datetime, account_id: str | None, *,
                  scope: Scope = None) -> tuple[PeriodCounts, PeriodCounts]:
    return store_rates.period_counts(data._cursor(db_path), Period(since, until), account_id,
                                     scope=scope)


@st.cache_data(ttl=120, show_spinner=False)
def server_replies(db_path: str, since: datetime, until: datetime, reason_key: str,
                   account_id: str | None, page: int, *,
                   scope: Scope = None) -> tuple[pd.DataFrame, int]:
    return store_rates.server_replies(data._cursor(db_path), Period(since, until), reason_key,
                                      account_id, page=page, page_size=REPLIES_PER_PAGE,
                                      scope=scope)


def _day(moment: datetime) -> str:
    return f"{moment:%d/%m/%Y}"


def rates_panel(since: datetime, until: datetime, account_id: str | None,
                scope: Scope) -> None:
    """Failure rate, delivery rate and time-to-delivery percentiles, each with its denominator
    and its change since the previous period of the same length."""
    lang = language()
    current, previous = period_counts(data.path(), since, until, account_id, scope=scope)
    comparison = compare(Period(since, until), current, previous)
    before = comparison.previous.period
    st.subheader(t("analysis.rates"))
    # The period ends exclusive: its last day is the one before `until`.
    st.caption(tf("analysis.compared", since=_day(before.since),
                  until=_day(before.until - timedelta(microseconds=1))))
    count = lambda n: format_count(n, lang)  # noqa: E731
    failures = lambda n: counted(n, "noun.failure", lang)  # noqa: E731
    recipients = lambda n: counted(n, "noun.recipient", lang)  # noqa: E731
    columns = st.columns(5)
    failure = comparison.failure
    columns[0].metric(t("analysis.failure_rate"), format_percent(failure.current, lang),
                      format_points(failure.delta, lang),
                      **_change_look(points_unchanged(failure.delta), worse_when_up=True))
    columns[0].caption(tf("analysis.failure_out_of", count=failures(current.failures),
                          n=recipients(current.recipients), pc=failures(previous.failures),
                          pn=recipients(previous.recipients)))
    delivery = comparison.delivery
    columns[1].metric(t("analysis.delivery_rate"), format_percent(delivery.current, lang),
                      format_points(delivery.delta, lang),
                      **_change_look(points_unchanged(delivery.delta), worse_when_up=False))
    columns[1].caption(tf("analysis.delivery_out_of", count=count(current.delivered),
                          n=recipients(current.tracked), pc=count(previous.delivered),
                          pn=count(previous.tracked)))
    for column, (key, percentile) in zip(columns[2:], (("analysis.p50", 0.5),
                                                       ("analysis.p90", 0.9),
                                                       ("analysis.p95", 0.95))):
        change = comparison.delay(percentile)
        column.metric(t(key), format_duration(change.current, lang),
                      format_duration_change(change.delta, lang),
                      **_change_look(duration_unchanged(change.delta), worse_when_up=True))
        column.caption(tf("analysis.delay_out_of",
                          n=counted(current.delivered, "noun.reception", lang),
                          pn=count(previous.delivered)))
    if failure.delta is None:
        st.caption(t("analysis.no_compare"))


def _change_look(unchanged: bool, *, worse_when_up: bool) -> dict[str, str]:
    """How a metric's change is drawn: Streamlit reads the direction from the text's sign, so
    "0 s" came with a red ↑ (a slower delivery) when nothing had changed, or had improved by
    less than a second."""
    if unchanged:
        return {"delta_color": "off", "delta_arrow": "off"}
    return {"delta_color": "inverse" if worse_when_up else "normal"}


def reason_replies(summary, since: datetime, until: datetime, account_id: str | None,
                   scope: Scope) -> None:
    """The drill-down under "Par raison": one reason family's exact server replies, paginated."""
    lang = language()
    families = charts.reason_families(summary.by_reason, lang)
    if families.empty:
        st.caption(t("analysis.no_failure"))
        return
    labels = dict(zip(families["key"], families["label"]))
    with st.expander(t("analysis.replies")):
        # Nothing is read until a reason is chosen: the expander's body runs on every rerun,
        # open or not, and on a million documents this read costs a few hundred ms.
        key = st.selectbox(t("failures.reason_filter"), list(labels), key="replies_reason",
                           format_func=lambda k: labels[k], index=None,
                           placeholder=t("analysis.pick_reason"))
        if key is None:
            return
        page = st.number_input(t("analysis.page"), min_value=1, value=1, step=1,
                               key="replies_page")
        rows, total = server_replies(data.path(), since, until, key, account_id,
                                     int(page) - 1, scope=scope)
        pages = max(1, math.ceil(total / REPLIES_PER_PAGE))
        shown = pd.DataFrame({
            t("col.status_code"): rows["status_code"].fillna("").astype(str),
            t("col.reason"): [reason_name(r, lang) for r in rows["reason"]],
            t("col.reply"): [r if isinstance(r, str) and r else t("analysis.no_reply")
                             for r in rows["reply"]],
            t("col.recipients"): rows["recipients"].astype(int)})
        st.dataframe(shown, hide_index=True, key="replies_table")
        st.caption(tn("analysis.pages", total, page=int(page), pages=pages))


def stored_reasons_by_family(summary) -> dict[str, tuple[str, ...]]:
    """The stored reason values behind each labelled family of the period (the drill-down's
    filter takes stored values); a missing reason is not a value to filter on."""
    families: dict[str, list[str]] = {}
    for value in summary.by_reason["reason"].dropna():
        families.setdefault(reason_key(value), []).append(str(value))
    return {key: tuple(values) for key, values in families.items()}


def export_buttons(frame: pd.DataFrame, columns: tuple[Column, ...], name: str) -> None:
    """The analyst's French CSV (the main button), the technical CSV, and Parquet — each built
    only when its button is clicked (Streamlit runs the callable then), not on every rerun.

    A click does not rerun the page (`on_click="ignore"`): with the default rerun, the rerun and
    the browser's request for the file raced, and when the rerun came first it registered the
    button's callable again under a new id and dropped the one the browser asked for — no
    download, nothing said (seen as a flaky browser test; Streamlit's own docs warn of the race).
    A rerun there redrew the whole page for nothing anyway."""
    left, middle, right = st.columns(3)
    left.download_button(t("export"), lambda: frame_to_french_csv(frame, columns),
                         file_name=f"suivi-{name}.csv", mime="text/csv", key=f"{name}_csv",
                         on_click="ignore")
    middle.download_button(t("export.raw"), lambda: frame_to_csv(frame),
                           file_name=f"suivi-{name}-codes-utc.csv", mime="text/csv",
                           key=f"{name}_raw_csv", on_click="ignore")
    right.download_button(t("export.parquet"), lambda: frame_to_parquet(frame),
                          file_name=f"suivi-{name}.parquet", on_click="ignore",
                          mime="application/vnd.apache.parquet", key=f"{name}_parquet")
    st.caption(t("export.note"))
