"""What a person reads on a page rendered by AppTest, element by element, and what should never
be there in French: raw codes of the closed vocabularies, `None`/`nan`, column names that are
identifiers or English, Streamlit's own English widget texts.

Generic on purpose: it walks every element of the page (whatever page, whoever wrote it), so a
table or chart added later is read too. Raw mail (`st.code`) is shown as it came and is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from tracking.models import (
    DeliveryState, DocumentKind, DocumentStatus, EventType, Reason, ReasonGroup, SendingMode,
)
from ui.i18n import LABELS

# Returned-message vocabularies stored as plain strings (tracking.inbound, returned_messages).
_MESSAGE_CODES = {"unmatched", "suspicious", "matched", "undecodable", "not_a_bounce",
                  "autoreply", "address_window", "message_id", "envid"}
RAW_CODES = frozenset({str(member) for enum in (
    DeliveryState, DocumentKind, DocumentStatus, EventType, Reason, ReasonGroup, SendingMode)
    for member in enum} | _MESSAGE_CODES)
# Codes that are also ordinary English words ("delivered", "blocked"…) may appear in a server's
# reply quoted as text; in running text only the unmistakable ones count (snake_case or glued
# words such as "userunknown"). A cell, option or label that IS a code counts whatever it is.
_ENGLISH_WORDS = {"delivered", "feedback", "vacation", "suspend", "rejected", "blocked",
                  "filtered", "expired", "suppressed", "speeding", "undefined", "pending",
                  "sent", "relay", "manual", "smtp", "invoice", "quote", "reminder", "draft",
                  "issued", "paid", "cancelled", "unknown", "transient", "matched", "suspicious",
                  "unmatched", "undecodable", "autoreply", "envid"}
_GLUED_CODES = sorted(c for c in RAW_CODES if c not in _ENGLISH_WORDS)
_CODE_IN_TEXT = re.compile(r"(?<![\w.@/-])(" + "|".join(map(re.escape, _GLUED_CODES))
                           + r")(?![\w@/-])")
# `t(key)` gives the key back when a label is missing ("noun.document.one", "watcher.state"):
# dotted words starting like the labels' keys (a domain such as "gmail.com" does not).
_PREFIXES = sorted({key.split(".")[0] for key in LABELS if "." in key})
_LABEL_KEY = re.compile(r"(" + "|".join(_PREFIXES) + r")(\.[a-z_]+)+")
_MISSING_IN_TEXT = re.compile(r"\b(None|nan|NaN|NaT)\b|<NA>")
# Column labels only English has (the French label differs), e.g. "Recipient", "When (UTC)".
ENGLISH_COLUMNS = frozenset(
    pair["en"] for key, pair in LABELS.items()
    if key.startswith("col.") and pair["en"] != pair["fr"])
# What Streamlit writes itself when a widget is given no words of ours.
STREAMLIT_ENGLISH = ("Choose an option", "Choose options", "Select all", "No results",
                     "Please select")


@dataclass(frozen=True)
class Finding:
    where: str
    problem: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}: {self.text[:160]!r}"


def _pieces(node) -> Iterator[tuple[str, str]]:
    """(where, text) of one element or block, read from its protobuf (what the browser gets)."""
    proto = getattr(node, "proto", None)
    kind = getattr(node, "type", type(node).__name__)
    if proto is None or kind == "code":
        return
    for name in ("label", "body", "placeholder", "help"):
        value = getattr(proto, name, None)
        if isinstance(value, str) and value:
            yield f"{kind}.{name}", value
    for option in getattr(proto, "options", ()) or ():
        if isinstance(option, str):
            yield f"{kind}.option", option
    for block in ("expandable", "tab"):
        if hasattr(proto, "HasField") and _has(proto, block):
            yield f"{kind}.{block}", getattr(proto, block).label


def _has(proto, field: str) -> bool:
    try:
        return proto.HasField(field)
    except ValueError:
        return False


def findings(app) -> list[Finding]:
    """Everything on the page (main and sidebar) that is not French for a reader."""
    found: list[Finding] = []
    for node in app._tree:
        kind = getattr(node, "type", "")
        for where, text in _pieces(node):
            found += _text_findings(where, text)
        if kind == "dataframe":
            found += _table_findings(node)
        elif kind == "multiselect":
            found += _multiselect_findings(node)
        elif kind == "selectbox" and not _has(node.proto, "default") and not node.proto.placeholder:
            found.append(Finding("selectbox", "no placeholder (Streamlit's English shows)",
                                 node.proto.label))
        elif kind == "date_input" and node.proto.format != "DD/MM/YYYY":
            found.append(Finding("date_input", "not DD/MM/YYYY", node.proto.label))
        elif kind == "metric":
            found += _text_findings("metric.value", node.value)
        elif getattr(node, "proto", None) is not None and _is_plotly(node.proto):
            found += _chart_findings(node.proto)
    return found


def _text_findings(where: str, text: str) -> list[Finding]:
    found = []
    if text.strip() in RAW_CODES:
        found.append(Finding(where, "raw code", text.strip()))
    elif _LABEL_KEY.fullmatch(text.strip()):
        found.append(Finding(where, "label key shown (no label)", text.strip()))
    elif match := _CODE_IN_TEXT.search(text):
        found.append(Finding(where, f"raw code {match.group(1)!r}", text))
    if match := _MISSING_IN_TEXT.search(text):
        found.append(Finding(where, f"missing value shown as {match.group(0)!r}", text))
    for english in STREAMLIT_ENGLISH:
        if english in text:
            found.append(Finding(where, "Streamlit's English", text))
    return found


def _table_findings(node) -> list[Finding]:
    """Headers as shown (column_config labels, hidden columns left out) and every cell."""
    frame: pd.DataFrame = node.value
    config = json.loads(node.proto.columns) if node.proto.columns else {}
    shown = []
    for column in frame.columns:
        settings = config.get(f"col:{column}") or config.get(str(column)) or {}
        if settings.get("hidden"):
            continue
        shown.append((column, settings.get("label") or str(column)))
    found = []
    for column, header in shown:
        if re.fullmatch(r"[a-z][a-z0-9_]*", header):
            found.append(Finding("table.header", "identifier as column name", header))
        elif header in ENGLISH_COLUMNS:
            found.append(Finding("table.header", "English column name", header))
        values = frame[column]
        if values.isna().any() and not (node.proto.HasField("placeholder")
                                        and node.proto.placeholder == ""):
            found.append(Finding(f"table[{header}]", "missing value shown as 'None'", header))
        for value in values.dropna().unique()[:500]:
            text = str(value)
            if text in RAW_CODES or text in ("None", "nan", "NaN", "NaT", "<NA>"):
                found.append(Finding(f"table[{header}]", "raw code or missing value", text))
            elif _LABEL_KEY.fullmatch(text):
                found.append(Finding(f"table[{header}]", "label key shown (no label)", text))
    return found


def _multiselect_findings(node) -> list[Finding]:
    proto, found = node.proto, []
    if not proto.placeholder:
        found.append(Finding("multiselect", "no placeholder (Streamlit's English shows)",
                             proto.label))
    if not _has(proto, "select_all") or proto.select_all != 0:
        found.append(Finding("multiselect", "offers Streamlit's English \"Select all\"",
                             proto.label))
    return found


def _is_plotly(proto) -> bool:
    return hasattr(proto, "spec") and hasattr(proto, "use_container_width") or (
        type(proto).__name__ == "PlotlyChart")


def _chart_findings(proto) -> list[Finding]:
    """A chart's words: title, axis titles, legend entries, categories and hover texts."""
    figure = json.loads(proto.spec) if proto.spec else {}
    texts: list[tuple[str, str]] = []
    layout = figure.get("layout", {})
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis", "title", "legend")) and isinstance(value, dict):
            title = value.get("title")
            title = title.get("text") if isinstance(title, dict) else title
            if isinstance(title, str):
                texts.append((f"chart.{key}", title))
            if isinstance(value.get("text"), str):
                texts.append((f"chart.{key}", value["text"]))
    for trace in figure.get("data", []):
        if isinstance(trace.get("name"), str):
            texts.append(("chart.legend", trace["name"]))
        for axis in ("x", "y", "labels", "text", "customdata"):
            values = trace.get(axis)
            if isinstance(values, list):
                texts += [(f"chart.{axis}", v) for v in _flat(values) if isinstance(v, str)]
            elif values is None and isinstance(trace.get(axis), type(None)):
                continue
        for axis in ("x", "y"):
            values = trace.get(axis)
            if isinstance(values, list) and any(v is None for v in values):
                texts.append((f"chart.{axis}", "None"))
    found = []
    for where, text in texts:
        found += _text_findings(where, text)
    return found


def _flat(values):
    for value in values:
        if isinstance(value, list):
            yield from _flat(value)
        else:
            yield value
