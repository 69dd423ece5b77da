"""Exports: CSV that a spreadsheet cannot turn into formulas, the analyst's French CSV, Parquet.

OWASP "CSV Injection": a cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage
return may be evaluated by Excel, LibreOffice or Google Sheets (`=HYPERLINK(...)` becomes a live
link, DDE payloads run commands). Such cells get a leading `'`, which spreadsheets show as
nothing more than the text itself; every other cell is written unchanged. Database and mail
text (client names, document numbers, diagnostics from bounces) all goes through here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from tracking.clock import format_local
from tracking.labels import actor_word, label_or_catch_all, reason_name
from tracking.models import DeliveryState, EventType, SendingMode

# The ASCII triggers, plus their full-width forms, which some spreadsheets normalise.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_cell(value: object) -> object:
    """`value` with a leading `'` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names are neutralised (numbers untouched)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell, na_action="ignore")
    safe.columns = [neutralise_cell(str(name)) for name in safe.columns]
    return safe


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """The CSV bytes (UTF-8, no index) every console export downloads."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8")


# --- the analyst's formats ---------------------------------------------------------------------
# A French spreadsheet opens a CSV well when it is `;`-separated (the comma is the decimal mark),
# UTF-8 with a BOM (without it Excel reads UTF-8 as Windows-1252: "Ã©" for "é"), with French
# headers and labels, local times that say their zone, and the stored codes in columns of their
# own so a pivot table can still group on them. Parquet keeps the stored values and types for
# pandas, DuckDB or Power Query; its times are UTC and marked so.


class ColumnKind(StrEnum):
    TEXT = "text"          # shown as stored; missing: empty
    LOCAL_TIME = "time"    # naive UTC shown in the row's `time_zone`, with the zone
    LABEL = "label"        # a closed vocabulary: the label, and the code in its own column
    REASON = "reason"      # a reason: its short label (catch-alls included), code beside it
    ACTOR = "actor"        # who acted: the system in words (by the row's `actor` and `type`)


@dataclass(frozen=True)
class Column:
    source: str                          # the query's column
    header: tuple[str, str]              # (fr, en)
    kind: ColumnKind = ColumnKind.TEXT
    vocabulary: type[StrEnum] | None = None   # for LABEL
    code_header: tuple[str, str] | None = None  # LABEL/REASON: the code's own column


FAILURE_COLUMNS = (
    Column("requested_at", ("Envoi demandé le", "Send requested at"), ColumnKind.LOCAL_TIME),
    Column("document_number", ("Document", "Document")),
    Column("account", ("Compte", "Account")),
    Column("mode", ("Mode d'envoi", "Sending mode"), ColumnKind.LABEL, SendingMode,
           ("Code mode", "Mode code")),
    Column("recipient", ("Destinataire", "Recipient")),
    Column("state", ("État", "State"), ColumnKind.LABEL, DeliveryState,
           ("Code état", "State code")),
    Column("state_at", ("État depuis le", "State since"), ColumnKind.LOCAL_TIME),
    Column("reason", ("Raison", "Reason"), ColumnKind.REASON,
           code_header=("Code raison", "Reason code")),
    Column("status_code", ("Code d'état SMTP étendu", "Enhanced status code")),
    Column("smtp_reply", ("Réponse SMTP", "SMTP reply")),
    Column("diagnostic", ("Diagnostic du serveur distant", "Remote server diagnostic")),
    Column("remote_mta", ("Serveur distant", "Remote server")),
)

HISTORY_COLUMNS = (
    Column("occurred_at", ("Quand (heure locale)", "When (local time)"), ColumnKind.LOCAL_TIME),
    Column("type", ("Événement", "Event"), ColumnKind.LABEL, EventType,
           ("Code événement", "Event code")),
    Column("actor_name", ("Acteur", "Actor"), ColumnKind.ACTOR),
    Column("actor", ("Identifiant", "Login")),
    Column("account", ("Compte", "Account")),
    Column("document_number", ("Document", "Document")),
    Column("recipient", ("Destinataire", "Recipient")),
    Column("reason", ("Raison", "Reason"), ColumnKind.REASON,
           code_header=("Code raison", "Reason code")),
    Column("status_code", ("Code d'état SMTP étendu", "Enhanced status code")),
    Column("smtp_reply", ("Réponse SMTP", "SMTP reply")),
    Column("reply_code", ("Code de réponse", "Reply code")),
    Column("diagnostic", ("Diagnostic du serveur distant", "Remote server diagnostic")),
    Column("old_value", ("Ancienne valeur", "Old value")),
    Column("new_value", ("Nouvelle valeur", "New value")),
)

# The Failures page's "Adresses à corriger" (ui/suppressed.py adds `suggestion` and
# `explanation` to the suppression query's rows).
SUPPRESSED_COLUMNS = (
    Column("account", ("Compte", "Account")),
    Column("address", ("Destinataire", "Recipient")),
    Column("suggestion", ("Correction probable", "Likely correction")),
    Column("state_at", ("Rejetée le", "Bounced on"), ColumnKind.LOCAL_TIME),
    Column("explanation", ("Explication", "Explanation")),
    Column("reason", ("Raison", "Reason"), ColumnKind.REASON,
           code_header=("Code raison", "Reason code")),
    Column("status_code", ("Code d'état SMTP étendu", "Enhanced status code")),
    Column("document_number", ("Document", "Document")),
)


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "en" else pair[0]


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _local(moment: object, zone_name: object) -> str:
    if _missing(moment):
        return ""
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    return format_local(moment, zone_name if isinstance(zone_name, str) and zone_name else "UTC")


def analyst_table(frame: pd.DataFrame, columns: tuple[Column, ...], language: str = "fr", *,
                  with_codes: bool = True) -> pd.DataFrame:
    """`frame` in words: headers and labels in `language`, local times with their zone, missing
    values as empty text (never `None`/`nan`), and, `with_codes`, each code beside its label."""
    zones = frame["time_zone"] if "time_zone" in frame.columns else pd.Series(
        "UTC", index=frame.index)
    table: dict[str, list] = {}
    for column in columns:
        if column.source not in frame.columns:
            continue
        values = frame[column.source].tolist()
        header = _pick(column.header, language)
        if column.kind is ColumnKind.LOCAL_TIME:
            table[header] = [_local(v, z) for v, z in zip(values, zones)]
        elif column.kind is ColumnKind.LABEL:
            table[header] = [label_or_catch_all(column.vocabulary, v, language) for v in values]
        elif column.kind is ColumnKind.REASON:
            table[header] = ["" if _missing(v) else reason_name(v, language) for v in values]
        elif column.kind is ColumnKind.ACTOR:
            table[header] = _actors(frame, values, language)
        else:
            table[header] = ["" if _missing(v) else str(v) for v in values]
        if with_codes and column.code_header:
            table[_pick(column.code_header, language)] = [
                "" if _missing(v) else str(v) for v in values]
    return pd.DataFrame(table, index=range(len(frame)))


def _actors(frame: pd.DataFrame, names: list, language: str) -> list[str]:
    """The history's `Acteur`: a person's name as stored, the system in words ("Système (envoi
    automatique)", as on the History page; the export said `system`), its login beside it."""
    logins = frame["actor"].tolist() if "actor" in frame.columns else [None] * len(names)
    kinds = frame["type"].tolist() if "type" in frame.columns else [None] * len(names)
    return [actor_word(login, kind, language) or ("" if _missing(name) else str(name))
            for name, login, kind in zip(names, logins, kinds)]


def frame_to_french_csv(frame: pd.DataFrame, columns: tuple[Column, ...]) -> bytes:
    """The analyst's spreadsheet CSV: `;`, UTF-8 with BOM, French headers and labels, local
    times with zone, codes in their own columns, formulas neutralised."""
    table = neutralise_frame(analyst_table(frame, columns, "fr"))
    return table.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    """The stored values with their types, for tools rather than spreadsheets (nothing there
    evaluates formulas, so nothing is prefixed); naive UTC times become UTC-aware."""
    typed = frame.copy()
    for column in typed.columns:
        if pd.api.types.is_datetime64_dtype(typed[column]) and typed[column].dt.tz is None:
            typed[column] = typed[column].dt.tz_localize("UTC")
    buffer = io.BytesIO()
    typed.to_parquet(buffer, index=False)
    return buffer.getvalue()
