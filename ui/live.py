"""Parts of a page that refresh themselves while something they show is still going.

`live(key, pending, render)` draws `render()` inside a Streamlit fragment that reruns every
`LIVE_EVERY` seconds while `pending` — and only then: `render` returns whether anything is
still pending, and once nothing is, the whole page reruns once, which redraws the fragment
without `run_every`. An idle page costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

LIVE_EVERY = 1.0   # seconds: a send's outcome (≈ ms after the click) is on screen within ~1 s


def live(key: str, pending: bool, render: Callable[[], bool]) -> None:
    flag = f"live_{key}"
    st.session_state[flag] = pending

    @st.fragment(run_every=LIVE_EVERY if pending else None)
    def part() -> None:
        still = render()
        was, st.session_state[flag] = st.session_state.get(flag, False), still
        if was and not still:
            st.rerun()   # the whole page: the next run draws this part without a timer

    part()


def has_pending(states) -> bool:
    """Any `pending` among `states` (a Series of states, or of lists of states per row; a
    document never sent has no list — NaN or None)."""
    for value in states:
        if isinstance(value, str):
            if value == "pending":
                return True
        elif hasattr(value, "__iter__") and "pending" in list(value):
            return True
    return False
