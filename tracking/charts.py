"""DataFrame -> plotly Figure, pure: the console's and the notebooks' charts.

Each function takes the frame a `tracking.store` query returns plus the language, and returns a
Figure; nothing here reads the database or Streamlit. Times arrive as naive UTC and are labelled
so.

One palette for the whole console (`STATE_COLOURS`): a state has the same colour on every chart
and every document's timeline — "Réceptionné" green, failures red/orange, pending grey, sent
blue. Events take the colour of the state they lead to; reason groups take failure colours.

French dates: Plotly draws month names in English unless its locale bundle is loaded, which
`st.plotly_chart` does not do; every date axis and hover therefore uses numeric `dd/mm` formats.

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

from tracking.labels import NOT_GIVEN, reason_key, reason_name, word_for
from tracking.models import DeliveryState, EventType, ReasonGroup, SendingMode

# The one palette: a state's colour everywhere (DESIGN §4 states).
STATE_COLOURS = {
    DeliveryState.PENDING.value: "#9aa5b1",        # grey: still going
    DeliveryState.SENT.value: "#2b6cb0",           # blue: handed to the server
    DeliveryState.DELIVERED.value: "#2f9e44",      # green: Réceptionné
    DeliveryState.NOT_SENT.value: "#e8590c",       # orange: refused at SMTP time
    DeliveryState.NOT_DELIVERED.value: "#c92a2a",  # red: bounced
}
_NEUTRAL = "#adb5bd"   # events that move no state (edits, mailbox handling)
_NOTICE = "#f59f00"    # auto-replies, complaints, suspicious bounces: look, not a failure

# Each event in the colour of the state it leads to.
EVENT_COLOURS = {
    EventType.SEND_REQUESTED.value: STATE_COLOURS["pending"],
    EventType.SEND_ATTEMPT_FAILED.value: STATE_COLOURS["pending"],
    EventType.DSN_DELAYED.value: STATE_COLOURS["pending"],
    EventType.SEND_INTERRUPTED.value: STATE_COLOURS["pending"],
    EventType.RECIPIENT_ACCEPTED.value: STATE_COLOURS["sent"],
    EventType.MARKED_SENT_MANUALLY.value: STATE_COLOURS["sent"],
    EventType.RECIPIENT_REFUSED.value: STATE_COLOURS["not_sent"],
    EventType.DSN_DELIVERED.value: STATE_COLOURS["delivered"],
    EventType.DSN_FAILED.value: STATE_COLOURS["not_delivered"],
    EventType.AUTOREPLY_RECEIVED.value: _NOTICE,
    EventType.COMPLAINT_RECEIVED.value: _NOTICE,
    EventType.BOUNCE_SUSPICIOUS.value: _NOTICE,
    **{event.value: _NEUTRAL for event in (
        EventType.DOCUMENT_CREATED, EventType.SEND_DATE_CHANGED, EventType.BOUNCE_UNMATCHED,
        EventType.BOUNCE_ATTACHED, EventType.BOUNCE_DISMISSED, EventType.BOUNCE_PROPOSED,
        EventType.PROPOSAL_APPLIED, EventType.PROPOSAL_REJECTED,
        EventType.ACCOUNT_SETTINGS_CHANGED)},
}

# Reason groups: failures in reds and oranges (red: the address is dead), the rest neutral.
GROUP_COLOURS = {
    ReasonGroup.ADDRESS_DEAD.value: "#c92a2a",
    ReasonGroup.MAILBOX_PROBLEM.value: "#e8590c",
    ReasonGroup.SENDING_REFUSED.value: "#a61e4d",
    ReasonGroup.TRANSIENT.value: "#f59f00",
    ReasonGroup.NOT_A_FAILURE.value: STATE_COLOURS["delivered"],
    ReasonGroup.UNKNOWN.value: "#868e96",
}
_FAILURE_EVENTS = {EventType.RECIPIENT_REFUSED.value, EventType.DSN_FAILED.value,
                   EventType.BOUNCE_SUSPICIOUS.value}
# Numeric day formats (see the module docstring: no French month names in Plotly here).
DAY_TICKS = "%d/%m"
DAY_HOVER = "%d/%m/%Y"
MOMENT_HOVER = "%d/%m/%Y %H:%M"
_TEXT = {
    "when": ("Quand (UTC)", "When (UTC)"), "event": ("Événement", "Event"),
    "count": ("Nombre", "Count"), "day": ("Jour (UTC)", "Day (UTC)"),
    "failures": ("Échecs", "Failures"), "rate": ("Taux d'échec", "Failure rate"),
    "group": ("Catégorie", "Group"), "reason": ("Raison", "Reason"),
    "domain": ("Domaine", "Domain"), "delay": ("Délai d'envoi à réception",
                                               "Time from send to delivery"),
    "deliveries": ("Réceptions", "Deliveries"), "timeline": ("Chronologie", "Timeline"),
    "mode": ("Mode", "Mode"), "account": ("Compte", "Account"), "actor": ("Acteur", "Actor"),
    "share": ("Part des destinataires", "Share of recipients"),
}


def _plain(value: object) -> str:
    """Stored text as Plotly shows it literally (`<`, `>`, `&` as entities)."""
    return html.escape(str(value), quote=False)


def _t(key: str, language: str) -> str:
    return _TEXT[key][1 if language == "en" else 0]


def _given(value: object, language: str) -> str:
    """A stored value as text, or the labelled catch-all when it is missing (never `nan`)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return NOT_GIVEN[1 if language == "en" else 0]
    return str(value)


def _layout(figure: go.Figure, title: str = "", height: int = 320,
            language: str = "fr") -> go.Figure:
    # Plotly's `separators`: decimal mark then thousands separator ("10,8 %", "2 096" in French).
    figure.update_layout(title=title or None, height=height, margin=dict(l=10, r=10, t=40, b=10),
                         legend_title_text="", separators=".," if language == "en" else ", ")
    return figure


def _day_axis(figure: go.Figure) -> go.Figure:
    figure.update_xaxes(tickformat=DAY_TICKS, hoverformat=DAY_HOVER)
    return figure


def timeline(events: pd.DataFrame, language: str = "fr") -> go.Figure:
    """Every event of a document on a time axis, one row per recipient (or the document)."""
    frame = events.copy()
    frame["event"] = [word_for(EventType, t, language) for t in frame["type"]]
    frame["who"] = [_plain(who) for who in frame["recipient"].fillna("document")]
    frame["failure"] = frame["type"].isin(_FAILURE_EVENTS)
    frame["reason"] = [reason_name(r, language) if isinstance(r, str) and r else ""
                       for r in frame["reason"]]
    frame["actor"] = [_plain(actor) for actor in frame["actor"].fillna("")]
    colours = {word_for(EventType, e, language): c for e, c in EVENT_COLOURS.items()}
    figure = px.scatter(frame, x="occurred_at", y="who", color="event", symbol="failure",
                        color_discrete_map=colours,
                        hover_data={"actor": True, "reason": True, "failure": False},
                        labels={"occurred_at": _t("when", language), "who": "",
                                "actor": _t("actor", language), "reason": _t("reason", language),
                                "event": _t("event", language)})
    figure.update_traces(marker=dict(size=13, line=dict(width=1, color="#333")))
    figure.for_each_trace(lambda trace: trace.update(name=trace.name.split(",")[0]))
    figure.update_xaxes(tickformat="%d/%m %H:%M", hoverformat=MOMENT_HOVER)
    return _layout(figure, _t("timeline", language),
                   height=max(220, 70 * frame["who"].nunique() + 120), language=language)


def failures_by(frame: pd.DataFrame, dimension: str, language: str = "fr",
                label=None) -> go.Figure:
    """Horizontal bars of failures per value of `dimension`, with the rate in the hover."""
    frame = frame.copy()
    frame["label"] = [_plain(label(v) if label else _given(v, language))
                      for v in frame[dimension]]
    colour = "group" if "group" in frame.columns else None
    figure = px.bar(frame.iloc[::-1], x="failures", y="label", orientation="h", color=colour,
                    color_discrete_map=GROUP_COLOURS, hover_data={"rate": ":.2%"},
                    labels={"failures": _t("failures", language), "label": "",
                            "rate": _t("share", language), "group": _t("group", language)})
    if colour:
        names = {g: word_for(ReasonGroup, g, language) for g in GROUP_COLOURS}
        figure.for_each_trace(lambda trace: trace.update(name=names.get(trace.name, trace.name)))
    else:
        figure.update_traces(marker_color=STATE_COLOURS["not_delivered"])
    return _layout(figure, height=max(220, 26 * len(frame) + 80), language=language)


def reason_families(by_reason: pd.DataFrame, language: str = "fr") -> pd.DataFrame:
    """`by_reason` (reason, group, failures, rate) folded onto the labelled vocabulary: one row
    per known reason plus at most two catch-alls (other server reply, no reason), so the number
    of bars is bounded whatever the stored text."""
    frame = by_reason.assign(key=[reason_key(r) for r in by_reason["reason"]])
    folded = (frame.groupby("key", as_index=False)
              .agg(group=("group", "first"), failures=("failures", "sum"), rate=("rate", "sum")))
    folded["group"] = folded["group"].fillna(ReasonGroup.UNKNOWN.value)
    folded["label"] = [reason_name(k, language) for k in folded["key"]]
    # Most failures first; on a tie the named reasons before the catch-alls, then by label.
    folded["catch_all"] = folded["key"].str.startswith("_")
    folded = folded.sort_values(["failures", "catch_all", "label"],
                                ascending=[False, True, True]).reset_index(drop=True)
    return folded[["key", "label", "group", "failures", "rate"]]


def failures_by_reason(by_reason: pd.DataFrame, language: str = "fr") -> go.Figure:
    """The "Par raison" bars: labelled reason families, coloured by group."""
    families = reason_families(by_reason, language)
    return failures_by(families, "label", language)


def failures_over_time(by_day: pd.DataFrame, language: str = "fr") -> go.Figure:
    """Failures per day stacked by reason group."""
    frame = by_day.copy()
    frame["group_label"] = [word_for(ReasonGroup, g, language) for g in frame["group"]]
    colours = {word_for(ReasonGroup, g, language): c for g, c in GROUP_COLOURS.items()}
    figure = px.bar(frame, x="day", y="failures", color="group_label",
                    color_discrete_map=colours,
                    labels={"day": _t("day", language), "failures": _t("failures", language),
                            "group_label": _t("group", language)})
    return _layout(_day_axis(figure), language=language)


def activity_per_day(activity: pd.DataFrame, language: str = "fr") -> go.Figure:
    frame = activity.copy()
    frame["event"] = [word_for(EventType, t, language) for t in frame["type"]]
    colours = {word_for(EventType, e, language): c for e, c in EVENT_COLOURS.items()}
    figure = px.bar(frame, x="day", y="events", color="event", color_discrete_map=colours,
                    labels={"day": _t("day", language), "events": _t("count", language),
                            "event": _t("event", language)})
    return _layout(_day_axis(figure), height=360, language=language)


def failure_rate(rate: pd.DataFrame, language: str = "fr") -> go.Figure:
    figure = px.line(rate, x="day", y="rate", markers=True,
                     color_discrete_sequence=[STATE_COLOURS["not_delivered"]],
                     labels={"day": _t("day", language), "rate": _t("rate", language)})
    figure.update_yaxes(tickformat=".1%", rangemode="tozero")
    return _layout(_day_axis(figure), language=language)


def delivery_delay(delay: pd.DataFrame, language: str = "fr") -> go.Figure:
    figure = px.bar(delay, x="bucket", y="deliveries",
                    color_discrete_sequence=[STATE_COLOURS["delivered"]],
                    labels={"bucket": _t("delay", language),
                            "deliveries": _t("deliveries", language)})
    return _layout(figure, language=language)


def mode_label(language: str):
    return lambda mode: word_for(SendingMode, mode, language) if mode else NOT_GIVEN[
        1 if language == "en" else 0]
