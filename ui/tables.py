"""Tables as people read them: columns named in the reader's language (labels `col.*`), codes
of the closed vocabularies in words, times on the local clock with their zone, empty cells
blank (Streamlit writes "None" in a missing cell unless told otherwise).

Times stay datetimes (`on_account_clock`), written by the grid as `format_local` writes them,
so a click on the column's header sorts them in time: as text, "04/12/2026" came before
"28/11/2026".

Cells stay text (`st.dataframe` never reads Markdown or HTML), so data from mail is safe here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import streamlit as st

from tracking.clock import format_local
from tracking.labels import actor_word, word_for
from tracking.models import BounceKind, DeliveryState, EventType, Reason, SendingMode
from ui.i18n import language, t

# The console has no per-user zone: times not tied to an account (returned messages, the
# mailbox watcher) are shown on the operators' clock, with the zone said.
CONSOLE_ZONE = "Europe/Paris"
# tracking.clock.format_local's "28/11/2026 14:32 CET" in the grid's (moment.js) tokens; `z`
# (the zone's abbreviation) only where the column carries its zone
WALL_CLOCK_FORMAT = "DD/MM/YYYY HH:mm"
ZONED_FORMAT = f"{WALL_CLOCK_FORMAT} z"
_ZONE_WIDTH_PX = 160   # "America/Sao_Paulo", the longest of the demo's zones, in the grid's font


def table(frame: pd.DataFrame, *, key: str, column_config: Mapping | None = None,
          container=st, **kwargs) -> None:
    """`st.dataframe` without the index, with blank missing cells, times as `format_local`."""
    container.dataframe(frame, hide_index=True, placeholder="", key=key,
                        column_config={**time_columns(frame), **(column_config or {})}, **kwargs)


def time_columns(frame: pd.DataFrame) -> dict[str, object]:
    """A column config for each datetime column (`time_format`), and room for the zone names
    (the grid sizes a column on its first rows: "Asia/Tokyo" left "America/New_Yo")."""
    config = {name: st.column_config.DatetimeColumn(format=shown)
              for name in frame.columns if (shown := time_format(frame[name]))}
    if t("col.zone") in frame.columns:
        config[t("col.zone")] = zone_column()
    return config


def zone_column(label: str | None = None):
    """The config of a `zone` column: wide enough for "America/Sao_Paulo"."""
    return st.column_config.TextColumn(label, width=_ZONE_WIDTH_PX)


def time_format(column: pd.Series) -> str | None:
    """How the grid writes a datetime column: with its zone's abbreviation where the column
    carries a zone, the wall clock alone otherwise (a `zone` column then names it)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return ZONED_FORMAT
    return WALL_CLOCK_FORMAT if pd.api.types.is_datetime64_dtype(column.dtype) else None


def on_account_clock(frame: pd.DataFrame, columns: Sequence[str],
                     zone_column: str = "time_zone") -> pd.DataFrame:
    """`frame` with `columns` (stored moments, naive UTC) on each row's account clock (rows
    without an account, or frames without `zone_column`: the console's), as datetimes.

    When the rows share one zone (one account, or accounts on one clock: the usual case), the
    columns carry it and the grid writes each moment with its abbreviation, as everywhere
    else. A pandas column holds one zone, so rows on several clocks get their wall clocks
    (naive) and a `zone` column naming each row's zone (as Paramètres names it)."""
    if zone_column in frame.columns:
        zones = pd.Series([z if isinstance(z, str) and z else CONSOLE_ZONE
                           for z in frame[zone_column]], index=frame.index, dtype=object)
    else:
        zones = pd.Series(CONSOLE_ZONE, index=frame.index, dtype=object)
    moments = {c: pd.to_datetime(frame[c], utc=True) for c in columns}
    distinct = zones.unique()
    if len(distinct) <= 1:
        zone = distinct[0] if len(distinct) else CONSOLE_ZONE
        return frame.assign(**{c: m.dt.tz_convert(zone) for c, m in moments.items()})
    walls = {}
    for column, moment in moments.items():
        wall = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
        for zone, rows in zones.groupby(zones).groups.items():
            wall[rows] = moment[rows].dt.tz_convert(zone).dt.tz_localize(None)
        walls[column] = wall
    return frame.assign(**walls, zone=zones)


def missing(value: object) -> bool:
    """None, NaN, NaT, pd.NA — not a list or array (a list cell is a value, even empty)."""
    if isinstance(value, str):   # most cells: answered without pandas (called per cell)
        return False
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def labelled(frame: pd.DataFrame, columns: Mapping[str, str],
             words: Mapping[str, Callable[[object], str]] | None = None) -> pd.DataFrame:
    """Only `columns` (name -> label key), in that order, each value through `words[name]`
    when given (missing values stay missing, shown blank), renamed to the labels."""
    shown = frame[[c for c in columns if c in frame.columns]].copy()
    for column, word in (words or {}).items():
        if column in shown.columns:
            shown[column] = [None if missing(v) else word(v) for v in shown[column]]
    return shown.rename(columns={c: t(key) for c, key in columns.items()})


def vocabulary_words() -> dict[str, Callable[[object], str]]:
    """Words for the columns that hold codes, in the reader's language."""
    lang = language()
    return {
        "state": lambda s: word_for(DeliveryState, s, lang),
        "mode": lambda m: word_for(SendingMode, m, lang),
        "reason": lambda r: word_for(Reason, r, lang),
        "type": lambda e: word_for(EventType, e, lang),
        "kind": lambda k: word_for(BounceKind, k, lang),
        "match_state": lambda m: t(f"match.{m}"),
        "match_method": lambda m: t(f"method.{m}"),
    }


_FAILURES = {"requested_at": "col.requested_at", "zone": "col.zone",
             "document_number": "col.document", "account": "col.account", "mode": "col.mode",
             "recipient": "col.recipient", "state": "col.state", "state_at": "col.state_at",
             "reason": "col.reason",
             "status_code": "col.status_code", "smtp_reply": "col.smtp_reply",
             "diagnostic": "col.diagnostic", "remote_mta": "col.remote_mta"}
_HISTORY = {"occurred_at": "col.when", "zone": "col.zone", "type": "col.type",
            "actor_name": "col.actor", "account": "col.account", "document_number": "col.document",
            "recipient": "col.recipient", "reason": "col.reason",
            "status_code": "col.status_code", "smtp_reply": "col.smtp_reply",
            "reply_code": "col.reply_code", "diagnostic": "col.diagnostic",
            "old_value": "col.old", "new_value": "col.new"}


def failure_table(failed: pd.DataFrame) -> pd.DataFrame:
    """The failed recipients (Failures drill-down), labelled; `with_links` adds the links."""
    shown = on_account_clock(failed, ["requested_at", "state_at"])
    return labelled(shown, _FAILURES, vocabulary_words())


def with_links(shown: pd.DataFrame, document_ids: pd.Series,
               link: Callable[[str], str]) -> pd.DataFrame:
    """`shown` with a "↗" link to each row's document first."""
    return shown.assign(**{"↗": [link(d) for d in document_ids]})[["↗", *shown.columns]]


def history_table(events: pd.DataFrame) -> pd.DataFrame:
    """The event log: each event on its account's clock, the event and reason in words."""
    lang = language()
    shown = on_account_clock(events, ["occurred_at"]).assign(
        actor_name=actor_names(events, lang), old_value=moments_by_row(events, "old_value"),
        new_value=moments_by_row(events, "new_value"))
    return labelled(shown, _HISTORY, vocabulary_words())


def actor_names(events: pd.DataFrame, lang: str) -> list[object]:
    """Who acted, per event (`actor`, `actor_name`, `type` columns): see `_person`."""
    return [_person(n, login, kind, lang)
            for n, login, kind in zip(events["actor_name"], events["actor"], events["type"])]


def _person(name: object, login: object, event_type: object, lang: str) -> object:
    """"Name (login)": who acted, and the login the event records; the system in words."""
    system = actor_word(login, event_type, lang)
    if system is not None:
        return system
    if isinstance(name, str) and name and name != login:
        return f"{name} ({login})"
    return login


def moments_by_row(frame: pd.DataFrame, column: str) -> list[object]:
    """Old/new values that are moments (a send date changed) on the row's clock; other values
    (a zone, a mode) as they are."""
    def shown(value: object, zone: object) -> object:
        if not isinstance(value, str) or "T" not in value:
            return value
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_local(moment, zone if isinstance(zone, str) and zone else CONSOLE_ZONE)
    return [shown(v, z) for v, z in zip(frame[column], frame["time_zone"])]
