"""One colour per state on every chart and timeline, French labels, numeric French dates."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from tracking import charts
from tracking.models import EventType

GREEN = charts.STATE_COLOURS["delivered"]


def _events(*types: str) -> pd.DataFrame:
    return pd.DataFrame({
        "occurred_at": [datetime(2026, 11, 2, 9, i) for i in range(len(types))],
        "type": list(types), "recipient": ["a@x.test"] * len(types),
        "reason": [None] * len(types), "actor": ["system"] * len(types)})


def _colours(figure) -> dict[str, str]:
    return {trace.name: trace.marker.color for trace in figure.data}


def test_a_state_keeps_its_colour_from_one_document_to_the_next():
    one = _colours(charts.timeline(_events("send_requested", "dsn_delivered")))
    other = _colours(charts.timeline(_events("dsn_failed", "send_requested", "recipient_accepted",
                                             "dsn_delivered")))
    assert one["Réceptionné"] == other["Réceptionné"] == GREEN
    assert one["Envoi demandé"] == other["Envoi demandé"] == charts.STATE_COLOURS["pending"]
    assert other["Non réceptionné"] == charts.STATE_COLOURS["not_delivered"]


def test_the_palette_is_green_for_delivered_red_or_orange_for_failures_grey_for_pending():
    def rgb(colour: str) -> tuple[int, int, int]:
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    red, green, blue = rgb(GREEN)
    assert green > red and green > blue
    for failure in ("not_sent", "not_delivered"):
        red, green, blue = rgb(charts.STATE_COLOURS[failure])
        assert red > 150 and red > green and red > blue
    assert set(charts.EVENT_COLOURS) == {e.value for e in EventType}   # every event has one
    assert GREEN not in {charts.GROUP_COLOURS[g] for g in ("address_dead", "mailbox_problem",
                                                          "sending_refused", "transient")}


def test_activity_uses_the_same_event_colours_and_numeric_french_days():
    activity = pd.DataFrame({"day": pd.to_datetime(["2026-11-02", "2026-11-02"]),
                             "type": ["dsn_delivered", "dsn_failed"], "events": [3, 1]})
    figure = charts.activity_per_day(activity)
    assert _colours(figure) == {"Réceptionné": GREEN,
                                "Non réceptionné": charts.STATE_COLOURS["not_delivered"]}
    assert figure.layout.xaxis.tickformat == "%d/%m"
    assert figure.layout.xaxis.hoverformat == "%d/%m/%Y"


def test_stacked_events_sharing_a_colour_are_told_apart_by_a_hatch():
    types = ["send_requested", "dsn_delayed", "send_attempt_failed", "dsn_delivered"]
    activity = pd.DataFrame({"day": pd.to_datetime(["2026-11-02"] * len(types)),
                             "type": types, "events": [4, 2, 1, 3]})
    drawn = [(trace.marker.color, trace.marker.pattern.shape or "")
             for trace in charts.activity_per_day(activity).data]
    assert len(drawn) == len(set(drawn)) == 4                      # no two parts look alike
    greys = [shape for colour, shape in drawn if colour == charts.STATE_COLOURS["pending"]]
    assert len(greys) == 3 and greys.count("") == 1                # one plain, two hatched
    assert (GREEN, "") in drawn                                    # a colour used once: plain


def test_reason_families_are_labelled_and_bounded():
    by_reason = pd.DataFrame({
        "reason": ["userunknown", "550 raw line one", "451 raw line two", None, "mailboxfull"],
        "group": ["address_dead", "unknown", "unknown", "unknown", "mailbox_problem"],
        "failures": [5, 1, 2, 1, 3], "rate": [0.05, 0.01, 0.02, 0.01, 0.03]})
    families = charts.reason_families(by_reason)
    assert families["label"].tolist() == ["Destinataire inconnu", "Boîte pleine",
                                          "Autre réponse du serveur", "Raison non indiquée"]
    assert families["failures"].tolist() == [5, 3, 3, 1]
    bars = [y for trace in charts.failures_by_reason(by_reason).data for y in trace.y]
    assert sorted(bars) == sorted(families["label"])


def test_numbers_on_charts_follow_the_language():
    rate = pd.DataFrame({"day": pd.to_datetime(["2026-11-02"]), "failures": [1], "total": [9],
                         "rate": [1 / 9]})
    assert charts.failure_rate(rate).layout.separators == ", "          # 11,1 % ; 2 096
    assert charts.failure_rate(rate, "en").layout.separators == ".,"
