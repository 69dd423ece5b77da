"""The Failures page's breakdowns as HTML tables with bars (`ui.bars`)."""

from __future__ import annotations

import pandas as pd

from tracking import charts
from ui.bars import failure_bars_table


def _table(frame: pd.DataFrame, dimension: str, language: str = "fr") -> str:
    return failure_bars_table(charts.failure_bars(frame, dimension, language),
                              dimension_title=charts.dimension_title(dimension, language),
                              rate_title=charts.rate_title(frame, language), language=language)


def test_a_stored_name_is_text_and_bars_are_relative_to_the_biggest():
    frame = pd.DataFrame({"domain": ['<img src=x onerror="alert(1)">', "b.example", None],
                          "failures": [40, 10, 0], "rate": [0.25, 0.0625, 0.0],
                          "total": [160, 160, 160]})
    table = _table(frame, "domain")
    assert "<img" not in table and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in table
    assert "width: 100.0%" in table and "width: 25.0%" in table and "width: 0.0%" in table
    assert "<td>Non renseigné</td>" in table and "nan" not in table   # missing: in words
    assert "25,0" in table and "6,2" in table                         # French percentages
    assert "<th>Domaine</th>" in table and "<th>Taux d&#x27;échec</th>" in table


def test_groups_get_their_colour_and_a_legend_in_the_readers_language():
    frame = pd.DataFrame({"label": ["Destinataire inconnu", "Boîte pleine"],
                          "group": ["address_dead", "mailbox_problem"],
                          "failures": [3, 1], "rate": [0.75, 0.25]})
    table = _table(frame, "label", "en")
    assert charts.GROUP_COLOURS["address_dead"] in table
    assert charts.GROUP_COLOURS["mailbox_problem"] in table
    assert "suivi-swatch" in table and "<th>Reason</th>" in table and "<th>Failures</th>" in table


def test_a_rare_failure_is_not_written_as_none():
    """3 failures out of 6,192 recipients: "< 0,1 %", not "0,0 %" beside a count of 3."""
    frame = pd.DataFrame({"mode": ["relay", "smtp", "manual"], "failures": [3, 120, 0],
                          "rate": [3 / 6192, 120 / 6192, 0.0]})
    table = _table(frame, "mode")
    assert "<td class=\"suivi-n\">&lt; 0,1\u202f%</td>" in table
    assert "1,9\u202f%" in table and "<td class=\"suivi-n\">0,0\u202f%</td>" in table  # none: 0
    assert "&lt; 0.1%" in _table(frame, "mode", "en")


def test_no_failure_says_so():
    empty = pd.DataFrame({"mode": [], "failures": [], "rate": []})
    assert "Aucun échec sur la période." in _table(empty, "mode")
