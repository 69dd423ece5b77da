"""The failure dot and its `?`: what failed and why, on hover (the title tooltip) and on click
(a `<details>` that opens under the dot, no script needed); and the legend of the list.

Only our own words go in here (state and reason labels, times, addresses, status codes), each
through `html.escape`; what a server wrote back stays out of HTML (the page shows it with
`st.text`).
"""

from __future__ import annotations

import html

import streamlit as st

from tracking.labels import failure_explanation
from ui.i18n import t, tf

CSS = """<style>
details.suivi-why { display: inline; }
details.suivi-why > summary { display: inline; cursor: pointer; list-style: none; }
details.suivi-why > summary::-webkit-details-marker { display: none; }
details.suivi-why > summary:focus-visible { outline: 2px solid #e0161b; border-radius: .3em; }
.suivi-why-text { display: block; margin: .3em 0 .2em; padding: .4em .6em; max-width: 42em;
  background: #fff4f4; border-left: 3px solid #e0161b; border-radius: .2em;
  font-weight: 400; white-space: normal; overflow-wrap: anywhere; color: #222; }
.suivi-box .suivi-table td:first-child { white-space: normal; overflow-wrap: anywhere; }
.suivi-box .suivi-table td:nth-child(2) { white-space: nowrap; }
.suivi-sends { margin: 0 0 0 1.2em; padding: 0; }
.suivi-corrected { color: #1d5fa8; font-size: .9em; }
.suivi-legend { color: #556; font-size: .9em; margin: -.3em 0 .6em; }
</style>"""


def escape(value: object) -> str:
    """Escaped for HTML, on one line: a blank line would end the HTML block inside
    `st.markdown` and hand the rest to the Markdown parser."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(" ".join(str(value).splitlines()))


def failure_dot(explanation: str) -> str:
    """The blinking red dot and its `?`: hovering either shows `explanation`, clicking opens
    it under them (and closes it again)."""
    words = escape(explanation)
    return (f'<details class="suivi-why"><summary title="{words}" aria-label="{words}">'
            f'<span class="suivi-dot" role="img" aria-label="{escape(t("dot.failed"))}"></span>'
            f'<span class="suivi-q">?</span></summary>'
            f'<span class="suivi-why-text" data-testid="suivi-why">{words}</span></details>')


def list_explanation(reason: str | None, language: str) -> str:
    """What the dot of a document in the list says: the seed's sentence, then the reason."""
    return tf("dot.list", why=failure_explanation(reason, language))


def recipient_explanation(*, address: str, state: str, when: str, reason: str | None,
                          status_code: str | None, language: str) -> str:
    """What the dot beside a failed recipient says: who, what failed (refused by our server,
    or returned by theirs), when, why in plain words, and the status code support quotes."""
    key = "dot.not_sent" if state == "not_sent" else "dot.not_delivered"
    code = tf("dot.code", code=status_code) if isinstance(status_code, str) and status_code \
        else ""
    return tf(key, address=address, when=when,
              why=failure_explanation(reason, language)) + code


def legend() -> None:
    """One line under the list title: what ✉, the dot and the `?` mean."""
    st.markdown(
        f'<p class="suivi-legend" data-testid="suivi-legend">{escape(t("legend.sent"))} · '
        f'<span class="suivi-dot" role="img" aria-label="{escape(t("dot.failed"))}"></span>'
        f'<span class="suivi-q">?</span> {escape(t("legend.failed"))}</p>',
        unsafe_allow_html=True)
