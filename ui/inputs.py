"""Widgets with every word ours, in the reader's language: Streamlit writes English of its own
("Choose an option", "Choose options", "Select all", YYYY/MM/DD dates) wherever a page does not
give it words. These wrappers give them, once, for every page.

What Streamlit 1.67 offers no way to change (said in the issue's note): the calendar's month
and day names and its Sunday-first week (the date picker follows no locale), an empty date
field's "dd/mm/yyyy" placeholder (French writes jj/mm/aaaa; `st.date_input` takes no
placeholder: the list's Depuis/Jusqu'au show it), the "No results" line of a filtered list, the
"Clear"/"Clear all" tooltips of selects, and the "Skip to main content" link every page starts
with (hidden until focused from the keyboard, but in the page's text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from ui.i18n import label, t

DATE_FORMAT = "DD/MM/YYYY"  # how dates are written in French (and in the console everywhere)


def choice(label: str, options: Sequence[Any], *, key: str, everything: bool = False,
           format_func: Callable[[Any], str] = str, index: int | None = 0,
           container=st, **kwargs) -> Any:
    """A select box; `everything` puts "Tous"/"All" (None) first."""
    shown = [None, *options] if everything else list(options)
    words = (lambda o: t("all") if o is None else format_func(o)) if everything else format_func
    return container.selectbox(label, shown, key=key, format_func=words, index=index,
                               placeholder=t("input.choose_one"), **kwargs)


def choices(label: str, options: Sequence[Any], *, key: str,
            format_func: Callable[[Any], str] = str, container=st, **kwargs) -> list[Any]:
    """A multi-select with our placeholder and without Streamlit's English "Select all"."""
    return container.multiselect(label, list(options), key=key, format_func=format_func,
                                 placeholder=t("input.choose_many"), select_all=False, **kwargs)


def date(label: str, value: dt.date | None | str = "today", *, key: str, container=st,
         **kwargs) -> dt.date | None:
    """A date picker that writes DD/MM/YYYY."""
    return container.date_input(label, value, key=key, format=DATE_FORMAT, **kwargs)


def text(label: str, *, key: str, placeholder: str | None = None, container=st,
         **kwargs) -> str:
    """A text field; its placeholder (an example of what to type) is ours too."""
    return container.text_input(label, key=key, placeholder=placeholder, **kwargs)


def section(label: str, *, key: str):
    """An expander drawn once opened (`.open`), whose state outlives its label: Streamlit names
    an expander's state after its label too, so a switch of language made a new, closed one
    and shut the reader's open charts. It opens as the last one under `key` was."""
    return st.expander(label, key=key, on_change="rerun",
                       expanded=bool(st.session_state.get(key, False)))


def tabs(names: Sequence[str], *, prefix: str, key: str):
    """Tabs drawn once opened (`.open`), labelled `prefix.name`, whose open tab outlives a
    switch of language as `section`'s state does (Streamlit keeps the open tab's label, and
    names the state after the labels too: the other language opened the first tab again)."""
    chosen = st.session_state.get(key)
    kept = next((name for name in names
                 if chosen in {label(f"{prefix}.{name}", lang) for lang in ("fr", "en")}), None)
    return st.tabs([t(f"{prefix}.{name}") for name in names], key=key, on_change="rerun",
                   default=t(f"{prefix}.{kept}") if kept else None)
