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
from dataclasses import dataclass

import pandas as pd
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
    # Days and moments on charts are universal time (accounts live in several zones); said in
    # words in French, where "(UTC)" beside local times confused readers (issue 12).
    "when": ("Quand (temps universel)", "When (UTC)"), "event": ("Événement", "Event"),
    "count": ("Nombre", "Count"), "day": ("Jour (temps universel)", "Day (UTC)"),
    "utc": ("temps universel", "UTC"),
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
    """Every event of a document on a time axis, one row per recipient (or the document); one
    trace per event type in the colour of the state it leads to, failures drawn as crosses."""
    frame = events.copy()
    frame["who"] = [_plain(who) for who in frame["recipient"].fillna("document")]
    frame["failure"] = frame["type"].isin(_FAILURE_EVENTS)
    frame["reason"] = [reason_name(r, language) if isinstance(r, str) and r else ""
                       for r in frame["reason"]]
    frame["actor"] = [_plain(actor) for actor in frame["actor"].fillna("")]
    hover = (f"%{{x|{MOMENT_HOVER}}} ({_t('utc', language)})<br>%{{y}}<br>%{{fullData.name}}<br>"
             f"{_t('actor', language)} : %{{customdata[0]}}<br>"
             f"{_t('reason', language)} : %{{customdata[1]}}<extra></extra>")
    figure = go.Figure()
    for event, part in frame.groupby("type", sort=False):
        figure.add_trace(go.Scatter(
            x=list(part["occurred_at"]), y=list(part["who"]), mode="markers",
            name=word_for(EventType, event, language),
            customdata=list(zip(part["actor"], part["reason"])), hovertemplate=hover,
            marker=dict(size=13, color=EVENT_COLOURS.get(event, _NEUTRAL),
                        symbol=["x" if failed else "circle" for failed in part["failure"]],
                        line=dict(width=1, color="#333"))))
    figure.update_xaxes(title_text=_t("when", language), tickformat="%d/%m %H:%M",
                        hoverformat=MOMENT_HOVER)
    return _layout(figure, _t("timeline", language),
                   height=max(220, 70 * frame["who"].nunique() + 120), language=language)


def _bar(x, y, name: str, colour: str, hover: str, customdata=None, **extra) -> go.Bar:
    return go.Bar(x=list(x), y=list(y), name=name, marker_color=colour, hovertemplate=hover,
                  customdata=None if customdata is None else list(customdata), **extra)


@dataclass(frozen=True)
class Bar:
    """One bar of failures per value of a dimension, as data: the console draws these as an
    HTML table with bars (`ui.bars`), Plotly (`failures_by`) as a chart."""

    label: str          # plain text (escaped by whoever draws it)
    failures: int
    rate: float         # of the recipients in the period (or the share of failures)
    colour: str
    group: str          # the reason group in words; "" when the frame has none


def failure_bars(frame: pd.DataFrame, dimension: str, language: str = "fr",
                 label=None) -> list[Bar]:
    """The bars of failures per value of `dimension`, in the frame's order (biggest first),
    coloured by reason group when the frame has one."""
    groups = frame["group"] if "group" in frame.columns else [None] * len(frame)
    return [Bar(_bar_label(value, language, label), int(failures), float(rate),
                GROUP_COLOURS.get(group, _NEUTRAL) if group is not None
                else STATE_COLOURS["not_delivered"],
                word_for(ReasonGroup, group, language) if group is not None else "")
            for value, failures, rate, group in zip(frame[dimension], frame["failures"],
                                                    frame["rate"], groups)]


def _bar_label(value: object, language: str, label=None) -> str:
    return label(value) if label else _given(value, language)


def rate_title(frame: pd.DataFrame, language: str = "fr") -> str:
    """What a bar's rate is: of the recipients (the frame has their `total`), or a share."""
    return _t("rate" if "total" in frame.columns else "share", language)


# Built with graph_objects rather than plotly.express: the same figures in a fraction of the
# time (express re-derives the whole figure from the frame; ~0.1-0.2 s per chart here).
def failures_by(frame: pd.DataFrame, dimension: str, language: str = "fr",
                label=None) -> go.Figure:
    """Horizontal bars of failures per value of `dimension`, biggest on top, the rate in the
    hover; coloured by reason group when the frame has one."""
    labels = [_plain(_bar_label(value, language, label)) for value in frame[dimension]]
    rows = frame.assign(label=labels)
    hover = (f"%{{y}}<br>{_t('failures', language)} : %{{x}}<br>{rate_title(frame, language)} : "
             "%{customdata:.2%}<extra></extra>")
    figure = go.Figure()
    if "group" in rows.columns:
        for group, part in rows.groupby("group", sort=False):
            figure.add_trace(_bar(part["failures"], part["label"],
                                  word_for(ReasonGroup, group, language),
                                  GROUP_COLOURS.get(group, _NEUTRAL), hover, part["rate"],
                                  orientation="h"))
    else:
        figure.add_trace(_bar(rows["failures"], rows["label"], _t("failures", language),
                              STATE_COLOURS["not_delivered"], hover, rows["rate"],
                              orientation="h", showlegend=False))
    figure.update_layout(barmode="relative")
    figure.update_yaxes(categoryorder="array", categoryarray=labels[::-1])
    figure.update_xaxes(title_text=_t("failures", language))
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


def dimension_title(dimension: str, language: str = "fr") -> str:
    """The words over a dimension's values ("Raison", "Domaine"…)."""
    return _t({"label": "reason"}.get(dimension, dimension), language)


# Stacked parts that share a colour (events leading to the same state: "Envoi demandé" and
# "Remise différée" are both grey) are told apart by a hatch, the first one plain.
_HATCHES = ("", "/", ".", "x", "\\", "+", "-", "|")


def _stacked_per_day(frame: pd.DataFrame, by: str, value: str, names: dict, colours: dict,
                     value_title: str, language: str) -> go.Figure:
    figure = go.Figure()
    hover = f"%{{x|{DAY_HOVER}}}<br>%{{fullData.name}} : %{{y}}<extra></extra>"
    uses: dict[str, int] = {}
    for key, part in frame.groupby(by, sort=True):
        colour = colours.get(key, _NEUTRAL)
        hatch = _HATCHES[uses.get(colour, 0) % len(_HATCHES)]
        uses[colour] = uses.get(colour, 0) + 1
        figure.add_trace(_bar(part["day"], part[value], names.get(key, str(key)), colour, hover,
                              marker_pattern_shape=hatch))
    figure.update_layout(barmode="relative")
    figure.update_xaxes(title_text=_t("day", language))
    figure.update_yaxes(title_text=value_title)
    return _day_axis(figure)


def failures_over_time(by_day: pd.DataFrame, language: str = "fr") -> go.Figure:
    """Failures per day stacked by reason group."""
    names = {g.value: word_for(ReasonGroup, g, language) for g in ReasonGroup}
    figure = _stacked_per_day(by_day, "group", "failures", names, GROUP_COLOURS,
                              _t("failures", language), language)
    return _layout(figure, language=language)


def activity_per_day(activity: pd.DataFrame, language: str = "fr") -> go.Figure:
    """Events per day stacked by type, each type in the colour of the state it leads to."""
    names = {e.value: word_for(EventType, e, language) for e in EventType}
    figure = _stacked_per_day(activity, "type", "events", names, EVENT_COLOURS,
                              _t("count", language), language)
    return _layout(figure, height=360, language=language)


def failure_rate(rate: pd.DataFrame, language: str = "fr") -> go.Figure:
    figure = go.Figure(go.Scatter(
        x=list(rate["day"]), y=list(rate["rate"]), mode="lines+markers",
        name=_t("rate", language), line_color=STATE_COLOURS["not_delivered"],
        hovertemplate=f"%{{x|{DAY_HOVER}}}<br>{_t('rate', language)} : %{{y:.2%}}<extra></extra>"))
    figure.update_xaxes(title_text=_t("day", language))
    figure.update_yaxes(title_text=_t("rate", language), tickformat=".1%", rangemode="tozero")
    return _layout(_day_axis(figure), language=language)


def delivery_delay(delay: pd.DataFrame, language: str = "fr") -> go.Figure:
    figure = go.Figure(_bar(delay["bucket"], delay["deliveries"], _t("deliveries", language),
                            STATE_COLOURS["delivered"],
                            f"%{{x}}<br>{_t('deliveries', language)} : %{{y}}<extra></extra>"))
    figure.update_xaxes(title_text=_t("delay", language))
    figure.update_yaxes(title_text=_t("deliveries", language))
    return _layout(figure, language=language)


def mode_label(language: str):
    return lambda mode: word_for(SendingMode, mode, language) if mode else NOT_GIVEN[
        1 if language == "en" else 0]
