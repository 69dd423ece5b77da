"""Failures per reason, domain, mode or account as an HTML table with bars (`st.html`).

The Failures page's breakdowns were Plotly charts. In Chromium a full load of the page showed
its first chart 1.1–1.25 s after navigation on the 10k demo, ~0.7 s after the server had sent
everything (script run 55–140 ms): Streamlit loads each kind of element's script on its first
use and React 18.3 reveals them together, holding what is ready up to 500 ms while another one
still loads — Plotly's, 4.7 MB, loaded last. A table drawn by `st.html` needs nothing more than
the page's own first elements, and shows the exact counts beside the bars. Plotly stays for
what needs axes (failures per day).

Labels come from the database (domains, account names): escaped here, as in `ui.widgets`.
Colours come from the one palette (`tracking.charts`).
"""

from __future__ import annotations

import html

from tracking.charts import Bar
from ui.i18n import label, number, percent

SMALLEST_RATE_SHOWN = 0.001   # 0,1 %: what one decimal of a percentage can say

CSS = """<style>
.suivi-bars { border-collapse: collapse; font-size: .92em; margin-bottom: .6em; }
.suivi-bars th { text-align: left; border-bottom: 2px solid #ddd; padding: .25em .6em; }
.suivi-bars td { border-bottom: 1px solid #eee; padding: .2em .6em; }
.suivi-bars td.suivi-n { text-align: right; white-space: nowrap; }
.suivi-bars td.suivi-bar { width: 40%; min-width: 8em; }
.suivi-bars td.suivi-bar span { display: block; height: .85em; border-radius: 2px; }
.suivi-swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px;
  margin: 0 .3em 0 .8em; vertical-align: middle; }
</style>"""


def failure_bars_table(bars: list[Bar], *, dimension_title: str, rate_title: str,
                       language: str) -> str:
    """One row per bar, biggest first: label, failures, rate, and the bar itself (its length
    relative to the biggest); a legend of the reason groups' colours when there are groups."""
    if not bars:
        return f'<p class="suivi-muted">{_e(label("failures.none", language))}</p>'
    top = max(bar.failures for bar in bars) or 1
    head = "".join(f"<th>{_e(title)}</th>" for title in
                   (dimension_title, label("failures.count", language), rate_title, ""))
    rows = []
    for bar in bars:
        width = max(1.0, 100 * bar.failures / top) if bar.failures else 0.0
        hint = f' title="{_e(bar.group)}"' if bar.group else ""
        count, rate = number(bar.failures, 0, language), _rate(bar, language)
        rows.append(
            f'<tr><td>{_e(bar.label)}</td><td class="suivi-n">{_e(count)}</td>'
            f'<td class="suivi-n">{_e(rate)}</td><td class="suivi-bar">'
            f'<span style="width: {width:.1f}%; background: {bar.colour}"{hint}></span></td>'
            "</tr>")
    legend = _legend(bars)
    return (f'<table class="suivi-bars" data-testid="suivi-failure-bars"><thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table>{legend}')


def _rate(bar: Bar, language: str) -> str:
    """The bar's rate to one decimal; a failure too rare for that says "< 0,1 %", not "0,0 %"
    (3 "Erreur de sécurité" out of 6,192 recipients on the demo read as none)."""
    if bar.failures and bar.rate is not None and round(bar.rate * 100, 1) == 0:
        return f"< {percent(SMALLEST_RATE_SHOWN, 1, language)}"
    return percent(bar.rate, 1, language)


def _legend(bars: list[Bar]) -> str:
    """The groups' colours, in the order they first appear; none when a bar is its own group
    (the "Par catégorie" tab: the label says it) or there are no groups."""
    seen: dict[str, str] = {}
    for bar in bars:
        if bar.group and bar.group != bar.label:
            seen.setdefault(bar.group, bar.colour)
    if not seen:
        return ""
    items = "".join(f'<span class="suivi-swatch" style="background: {colour}"></span>{_e(group)}'
                    for group, colour in seen.items())
    return f'<p class="suivi-muted">{items}</p>'


def _e(value: object) -> str:
    return html.escape(str(value))
