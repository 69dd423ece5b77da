"""Shared widgets: the documents table (its dot: `ui.dot`), the diagnostics, status tables
(the tracking box: `ui.box`).

HTML is built here only from values passed through `html.escape` (document numbers, client
names, addresses are data, not markup); text that came back in returned mail (diagnostics, raw
messages) is never put in HTML at all — it goes through `st.text` or `st.code`, which show it
as text.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from tracking.clock import format_local
from tracking.labels import word_for
from tracking.models import DeliveryState, DocumentKind, DocumentStatus, SendingMode
from ui import bars, dot, list_state
from ui.i18n import language, number, t, tf, tn
from ui.text import markdown_text

_CSS = """<style>
.suivi-dot { display: inline-block; width: .75em; height: .75em; border-radius: 50%;
  background: #e0161b; margin: 0 .15em 0 .35em; vertical-align: middle;
  animation: suivi-blink 1.1s ease-in-out infinite; }
@keyframes suivi-blink { 0%, 100% { opacity: 1; } 50% { opacity: .15; } }
.suivi-q { color: #e0161b; font-weight: 700; }
.suivi-table { width: 100%; border-collapse: collapse; font-size: .92em; }
.suivi-table th { text-align: left; border-bottom: 2px solid #ddd; padding: .3em .5em; }
.suivi-table td { border-bottom: 1px solid #eee; padding: .3em .5em; vertical-align: top; }
.suivi-table a { text-decoration: none; font-weight: 600; }
.suivi-table td:first-child { white-space: nowrap; }
.suivi-box { border: 1px solid #ccd; border-radius: .5em; padding: .8em 1em; }
.suivi-state-not_sent, .suivi-state-not_delivered { color: #b3121a; font-weight: 600; }
.suivi-state-delivered { color: #1d7a35; font-weight: 600; }
.suivi-muted { color: #667; font-size: .9em; }
</style>"""


# The console has no per-user zone; the outbound server's health is one fact for everyone.
HEALTH_ZONE = "Europe/Paris"


def outbound_health(health, sending: bool) -> None:
    """One sidebar line on every page: the outbound server as the sender last saw it, since
    when; when it is down, a banner too (plain text: the raw error comes from a server)."""
    since = format_local(health.since, HEALTH_ZONE).split(" ", 1)[1] if health.since else ""
    if not sending:
        st.sidebar.caption(t("outbound.off"))
    elif health.state == "down":
        line = tf(f"outbound.down.{health.fault}", since=since)
        st.sidebar.error(line, icon="⚠️")
        st.warning(line + (" — " + tn("outbound.waiting", health.waiting)
                           if health.waiting else ""), icon="⚠️")
        if health.detail:
            st.sidebar.text(health.detail[:200])
    elif health.state == "up":
        st.sidebar.caption(tf("outbound.up", since=since))
    else:
        st.sidebar.caption(t("outbound.unknown"))


def inject_css() -> None:
    """The console's styles, through `st.html`: HTML made of `<style>` only goes to Streamlit's
    event container (it takes no room) and is set as it is. Through `st.markdown` the 2 KB of
    CSS went through the browser's Markdown pipeline (remark, then rehype-raw's HTML parser) on
    every page load: ~90 ms of Chromium CPU of an empty console page's ~650 (10k demo, same
    run; the bare Streamlit page takes ~460)."""
    st.html(_CSS + dot.CSS + bars.CSS)


def _e(value: object) -> str:
    """Escaped for HTML; line breaks become spaces too, since a blank line would end the HTML
    block inside `st.markdown` and hand the rest of the value to the Markdown parser."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(" ".join(str(value).splitlines()))


def _text(value: object) -> str:
    """A text cell of a DataFrame row ('' for None/NaN)."""
    return value if isinstance(value, str) else ""


def document_links() -> Callable[[str], str]:
    """Links to documents' pages, each carrying the language and the list's filters for its
    back link. Those are read once per table, not per row: each read of `st.query_params`
    goes through Streamlit's locks, and 700 drill-down rows took 0.3–0.7 s of the page."""
    carried = {"lang": language(), **list_state.carried()}
    return lambda document_id: "document?" + urlencode({"doc": document_id, **carried})


def documents_table(rows: pd.DataFrame) -> str:
    """The documents list as an HTML table: number with envelope mark and failure dot.

    Shown with `st.html` (sanitised by DOMPurify, then set as it is), not `st.markdown`: the
    browser's Markdown pipeline (remark, then rehype-raw's HTML parser) spent ~100 ms of
    Chromium CPU on the 50 rows at every draw (profile of the page load, 10k demo; same-run
    medians of 12 loads: 1,265 → 1,175 ms of Chromium CPU). Links keep the same tab either way
    (DOMPurify drops `target`, and a link's own default is the same tab)."""
    lang = language()
    headers = ["col.number", "col.kind", "col.client", "col.account", "col.status",
               "col.send_date", "col.mode", "col.recipients", "col.amount"]
    head = "".join(f"<th>{_e(t(h))}</th>" for h in headers)
    link = document_links()
    body = []
    for row in rows.itertuples(index=False):
        mark = " ✉" if row.sends else ""
        mark_dot = dot.failure_dot(dot.list_explanation(row.failure_reason, lang)) \
            if row.failing else ""
        states = row.states if isinstance(row.states, (list, tuple)) or hasattr(
            row.states, "__len__") else []
        states = ", ".join(word_for(DeliveryState, s, lang) for s in list(states))
        cells = [
            f'<a href="{_e(link(row.id))}" target="_self">{_e(row.number)}</a>'
            f"{mark}{mark_dot}",
            _e(word_for(DocumentKind, row.kind, lang)), _e(row.client), _e(row.account),
            _e(word_for(DocumentStatus, row.status, lang)),
            _e(format_local(None if pd.isna(row.send_date) else row.send_date.to_pydatetime(),
                            row.time_zone)),
            _e(word_for(SendingMode, row.mode, lang) if isinstance(row.mode, str) else ""),
            _e(states),
            _e(f"{number(row.amount, 2)} {row.currency}"),
        ]
        body.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return (f'<table class="suivi-table" data-testid="suivi-documents"><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table>')


def show_diagnostics(recipients: pd.DataFrame) -> None:
    """The exact words the servers sent back, for each failed or delayed recipient, as text.

    `st.text`, not `st.code`: both show the characters as they came (no Markdown, no HTML), but
    a code block makes the browser load and run Streamlit's syntax highlighter (a 1.5 MB
    script) on every failing document's page, ~150–200 ms of Chromium CPU before the box
    showed (10k demo, same run)."""
    for r in recipients.itertuples(index=False):
        if r.state in ("delivered", "sent"):
            continue
        text = "\n".join(str(v) for v in (r.smtp_reply, r.diagnostic, r.remote_mta)
                         if isinstance(v, str) and v)
        if text:
            st.caption(f"{markdown_text(r.address)} — {t('col.diagnostic')}")
            st.text(text)


def connection_status() -> pd.DataFrame:
    """Where the console sends and reads mail, and whether each secret is set — never its value."""
    from tracking.runtime import database_path, settings_for, transport_kind
    from tracking.store.postgres import redact
    from ui.resources import owner

    settings = settings_for()
    smtp, imap = settings.smtp, getattr(settings, "imap", None)

    def secret(value) -> str:
        return t("settings.secret_set") if value else t("settings.secret_unset")

    transport = transport_kind()
    workers = ", ".join(t(f"conn.worker.{w}") for w in owner().status().running) or "—"
    rows = [("conn.database", redact(str(database_path()))),
            ("conn.transport", t(f"conn.transport.{transport}") if transport in (
                "smtp", "sandbox") else transport),
            ("SMTP", f"{smtp.host}:{smtp.port} ({smtp.tls})"), ("conn.smtp_user", smtp.user or "—"),
            ("conn.smtp_password", secret(smtp.password)),
            ("conn.verp_key", secret(settings.verp_key)), ("conn.workers", workers)]
    if imap is not None:
        rows += [("IMAP", f"{imap.host}:{imap.port} ({imap.tls}) {imap.folder}" if imap.host
                  else "—"), ("conn.imap_user", imap.user or "—"),
                 ("conn.imap_password", secret(imap.password))]
    return pd.DataFrame([(t(name), value) for name, value in rows],
                        columns=[t("col.setting"), t("col.value")])
