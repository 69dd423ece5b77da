"""DataFrame -> plotly Figure, pure: the console's and the notebooks' charts.

Each function takes the frame a `tracking.store.console_queries` function returns plus the
language, and returns a Figure; nothing here reads the database or Streamlit. Times arrive as
naive UTC and are labelled so.

Plotly reads a small HTML subset in every text it draws (axis ticks, legends, hovers): a stored
name like `<a href="…">Nord</a>` became a live link in a bar chart (checked in Chromium). Text
that comes from the database goes through `_plain`, whose entities Plotly shows as the
characters themselves.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from tracking.labels import word_for
from tracking.models import EventType, ReasonGroup, SendingMode

# One colour per reason group, the same on every chart (red: the address is dead).
GROUP_COLOURS = {
    ReasonGroup.ADDRESS_DEAD.value: "#d62728",
    ReasonGroup.MAILBOX_PROBLEM.value: "#ff7f0e",
    ReasonGroup.SENDING_REFUSED.value: "#9467bd",
    ReasonGroup.TRANSIENT.value: "#1f77b4",
    ReasonGroup.NOT_A_FAILURE.value: "#2ca02c",
    ReasonGroup.UNKNOWN.value: "#7f7f7f",
}
_FAILURE_EVENTS = {EventType.RECIPIENT_REFUSED.value, EventType.DSN_FAILED.value,
                   EventType.BOUNCE_SUSPICIOUS.value}
_TEXT = {
    "when": ("Quand (UTC)", "When (UTC)"), "event": ("Événement", "Event"),
    "count": ("Nombre", "Count"), "day": ("Jour (UTC)", "Day (UTC)"),
    "failures": ("Échecs", "Failures"), "rate": ("Taux d'échec", "Failure rate"),
    "group": ("Catégorie", "Group"), "reason": ("Raison", "Reason"),
    "domain": ("Domaine", "Domain"), "delay": ("Délai d'envoi à réception",
                                               "Time from send to delivery"),
    "deliveries": ("Réceptions", "Deliveries"), "timeline": ("Chronologie", "Timeline"),
    "mode": ("Mode", "Mode"), "account": ("Compte", "Account"),
}


def _plain(value: object) -> str:
    """Stored text as Plotly shows it literally (`<`, `>`, `&` as entities)."""
    return html.escape(str(value), quote=False)


def _t(key: str, language: str) -> str:
    return _TEXT[key][1 if language == "en" else 0]


def _layout(figure: go.Figure, title: str = "", height: int = 320) -> go.Figure:
    figure.update_layout(title=title or None, height=height, margin=dict(l=10, r=10, t=40, b=10),
                         legend_title_text="")
    return figure


def timeline(events: pd.DataFrame, language: str = "fr") -> go.Figure:
    """Every event of a document on a time axis, one row per recipient (or the document)."""
    frame = events.copy()
    frame["event"] = [word_for(EventType, t, language) for t in frame["type"]]
    frame["who"] = [_plain(who) for who in frame["recipient"].fillna("document")]
    frame["failure"] = frame["type"].isin(_FAILURE_EVENTS)
    frame["reason"] = [_plain(reason) for reason in frame["reason"].fillna("")]
    frame["actor"] = [_plain(actor) for actor in frame["actor"].fillna("")]
    figure = px.scatter(frame, x="occurred_at", y="who", color="event", symbol="failure",
                        hover_data={"actor": True, "reason": True, "failure": False},
                        labels={"occurred_at": _t("when", language), "who": ""})
    figure.update_traces(marker=dict(size=13, line=dict(width=1, color="#333")))
    figure.for_each_trace(lambda trace: trace.update(name=trace.name.split(",")[0]))
    return _layout(figure, _t("timeline", language), height=max(220, 70 * frame["who"].nunique()
                                                              + 120))


def failures_by(frame: pd.DataFrame, dimension: str, language: str = "fr",
                label=None) -> go.Figure:
    """Horizontal bars of failures per value of `dimension`, with the rate in the hover."""
    frame = frame.copy()
    frame["label"] = [_plain(label(v) if label else v) for v in frame[dimension]]
    colour = "group" if "group" in frame.columns else None
    figure = px.bar(frame.iloc[::-1], x="failures", y="label", orientation="h", color=colour,
                    color_discrete_map=GROUP_COLOURS, hover_data={"rate": ":.2%"},
                    labels={"failures": _t("failures", language), "label": ""})
    if colour:
        names = {g: word_for(ReasonGroup, g, language) for g in GROUP_COLOURS}
        figure.for_each_trace(lambda trace: trace.update(name=names.get(trace.name, trace.name)))
    return _layout(figure, height=max(220, 26 * len(frame) + 80))


def failures_over_time(by_day: pd.DataFrame, language: str = "fr") -> go.Figure:
    """Failures per day stacked by reason group."""
    frame = by_day.copy()
    frame["group_label"] = [word_for(ReasonGroup, g, language) for g in frame["group"]]
    colours = {word_for(ReasonGroup, g, language): c for g, c in GROUP_COLOURS.items()}
    figure = px.bar(frame, x="day", y="failures", color="group_label",
                    color_discrete_map=colours,
                    labels={"day": _t("day", language), "failures": _t("failures", language)})
    return _layout(figure)


def activity_per_day(activity: pd.DataFrame, language: str = "fr") -> go.Figure:
    frame = activity.copy()
    frame["event"] = [word_for(EventType, t, language) for t in frame["type"]]
    figure = px.bar(frame, x="day", y="events", color="event",
                    labels={"day": _t("day", language), "events": _t("count", language)})
    return _layout(figure, height=360)


def failure_rate(rate: pd.DataFrame, language: str = "fr") -> go.Figure:
    figure = px.line(rate, x="day", y="rate", markers=True,
                     labels={"day": _t("day", language), "rate": _t("rate", language)})
    figure.update_yaxes(tickformat=".1%", rangemode="tozero")
    return _layout(figure)


def delivery_delay(delay: pd.DataFrame, language: str = "fr") -> go.Figure:
    figure = px.bar(delay, x="bucket", y="deliveries",
                    labels={"bucket": _t("delay", language),
                            "deliveries": _t("deliveries", language)})
    return _layout(figure)


def mode_label(language: str):
    return lambda mode: word_for(SendingMode, mode, language)
