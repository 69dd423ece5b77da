"""Times in the console's tables are datetimes on each row's account clock, so a click on the
column's header sorts them in time (as "dd/mm/yyyy" text, "02/11/2026" came before
"30/10/2026"), written as everywhere else ("28/11/2026 14:32 CET")."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from tests.console.conftest import console_app
from tracking.clock import format_local
from ui.tables import (
    CONSOLE_ZONE, WALL_CLOCK_FORMAT, ZONED_FORMAT, on_account_clock, time_columns, time_format,
)

WINTER = dt.datetime(2026, 11, 28, 13, 32)   # naive UTC, as stored
SUMMER = dt.datetime(2026, 7, 1, 8, 0)


def test_rows_on_one_clock_carry_their_zone():
    frame = pd.DataFrame({"at": [WINTER, None, SUMMER],
                          "time_zone": ["Europe/Paris", None, "Europe/Paris"]})
    shown = on_account_clock(frame, ["at"])
    assert "zone" not in shown.columns
    assert str(shown["at"].dt.tz) == "Europe/Paris"
    assert shown["at"][0] == pd.Timestamp("2026-11-28 14:32", tz="Europe/Paris")
    assert shown["at"][2] == pd.Timestamp("2026-07-01 10:00", tz="Europe/Paris")
    assert pd.isna(shown["at"][1])                                  # blank, not "NaT"
    assert time_format(shown["at"]) == ZONED_FORMAT


def test_rows_on_several_clocks_get_their_wall_clock_and_zone():
    frame = pd.DataFrame({"at": [WINTER, SUMMER, WINTER],
                          "time_zone": ["Europe/Paris", "America/New_York", ""]})
    shown = on_account_clock(frame, ["at"])
    assert shown["at"].dt.tz is None and time_format(shown["at"]) == WALL_CLOCK_FORMAT
    assert shown["at"].tolist() == [pd.Timestamp("2026-11-28 14:32"),
                                    pd.Timestamp("2026-07-01 04:00"),
                                    pd.Timestamp("2026-11-28 14:32")]
    assert shown["zone"].tolist() == ["Europe/Paris", "America/New_York", CONSOLE_ZONE]


def test_aware_moments_and_frames_without_an_account_are_on_the_console_clock():
    aware = pd.Series([pd.Timestamp("2026-11-28 08:32", tz="America/New_York")])
    shown = on_account_clock(pd.DataFrame({"at": aware}), ["at"])
    assert shown["at"][0] == pd.Timestamp("2026-11-28 14:32", tz=CONSOLE_ZONE)
    assert on_account_clock(pd.DataFrame({"at": []}), ["at"]).empty


def test_the_grid_writes_them_as_the_rest_of_the_console():
    # moment.js tokens for tracking.clock.format_local's "%d/%m/%Y %H:%M %Z"
    stamp = pd.Timestamp("2026-11-28 14:32", tz="Europe/Paris")
    moment_to_strftime = {"DD": "%d", "MM": "%m", "YYYY": "%Y", "HH": "%H", "mm": "%M", "z": "%Z"}
    pattern = ZONED_FORMAT
    for token, directive in moment_to_strftime.items():
        pattern = pattern.replace(token, directive)
    assert stamp.strftime(pattern) == format_local(WINTER, "Europe/Paris")
    frame = pd.DataFrame({"at": [stamp], "text": ["x"]})
    assert list(time_columns(frame)) == ["at"]


def _history_table(app):
    return next(d for d in app.dataframe if "Quand" in d.value.columns)


@pytest.mark.engines("duckdb", "postgres")   # PostgreSQL hands back its own timestamp type
def test_the_history_sorts_by_time_on_each_account_clock(console_db, repo_root):
    app = console_app(repo_root).run().switch_page("views/history.py").run()
    assert not app.exception
    element = _history_table(app)
    shown = element.value
    assert pd.api.types.is_datetime64_dtype(shown["Quand"])      # sorts in time, not as text
    zones = set(shown["Fuseau"])                                 # the demo's accounts: 4 clocks
    assert len(zones) > 1 and all("/" in zone for zone in zones)
    assert shown["Quand"].notna().all()
    columns = json.loads(element.proto.columns)
    assert columns["Quand"]["type_config"]["format"] == WALL_CLOCK_FORMAT

    app.selectbox(key="history_account").set_value("acct-dubois").run()
    element = _history_table(app)
    shown = element.value
    assert "Fuseau" not in shown.columns
    assert str(shown["Quand"].dt.tz) == "Europe/Paris"
    assert json.loads(element.proto.columns)["Quand"]["type_config"]["format"] == ZONED_FORMAT
    newest = shown["Quand"].max()
    assert shown["Quand"].iloc[0] == newest                     # newest first, as before

