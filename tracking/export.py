"""CSV exports that a spreadsheet cannot turn into formulas.

OWASP "CSV Injection": a cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage
return may be evaluated by Excel, LibreOffice or Google Sheets (`=HYPERLINK(...)` becomes a live
link, DDE payloads run commands). Such cells get a leading `'`, which spreadsheets show as
nothing more than the text itself; every other cell is written unchanged. Database and mail
text (client names, document numbers, diagnostics from bounces) all goes through here.
"""

from __future__ import annotations

import pandas as pd

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
