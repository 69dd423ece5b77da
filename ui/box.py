"""The "Suivi du document" box: the send date, every recipient the document was ever sent to
with its latest state (and the dot saying why when it failed), then every send in order —
online, manual, resend — with its date in the account's zone, its sender and its mode.

Built as HTML from escaped values only (`ui.dot.escape`); the servers' own words are not put
in it (the page shows them as text under the box, `ui.widgets.show_diagnostics`).
"""

from __future__ import annotations

import pandas as pd

from tracking.clock import format_local
from tracking.labels import (
    actor_word, ceiling, explain_reason, failure_explanation, no_reason_given, pending_explanation,
    word_for,
)
from tracking.models import DeliveryState, SendingMode, SendKind
from ui.dot import escape as _e, failure_dot, recipient_explanation
from ui.i18n import colon, language, t, tf

FAILED = (DeliveryState.NOT_SENT, DeliveryState.NOT_DELIVERED)


def _moment(value) -> object:
    return None if value is None or pd.isna(value) else value.to_pydatetime()


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def sender_name(send: dict) -> str:
    """Who made a send (a row of `DocumentBox.sends`): the system in words, a person as
    'Name (login)'."""
    system = actor_word(send["actor"], None, language())
    if system is not None:
        return system
    name = send.get("actor_name")
    return f"{name} ({send['actor']})" if isinstance(name, str) and name else send["actor"]


def tracking_box(box) -> str:
    """The box for a `console_queries.DocumentBox`."""
    lang, doc = language(), box.document
    zone = doc["time_zone"]
    parts = [f'<div class="suivi-box" data-testid="suivi-box"><h4>{_e(t("box.title"))}</h4>']
    latest = box.latest_send
    if latest is None:
        parts.append(f"<p>{_e(t('box.never'))}</p>")
    send_date = _moment(doc["send_date"])
    if send_date is not None:
        by = f" — {_e(t('box.by'))} {_e(sender_name(latest))}" if latest is not None else ""
        parts.append(f"<p><b>{_e(t('box.sent_on'))}</b>{colon()}"
                     f"<span data-testid=\"suivi-send-date\">"
                     f"{_e(format_local(send_date, zone))}</span>{by}</p>")
    if latest is not None:
        parts.append(f"<p><b>{_e(t('box.mode'))}</b>{colon()}"
                     f"{_e(word_for(SendingMode, latest['mode'], lang))} — "
                     f'<span class="suivi-muted">{_e(ceiling(latest["mode"], lang))}</span></p>')
    if not box.recipients.empty:
        parts.append(_recipients(box, _corrections(box.sends, zone), zone, lang))
    if not box.sends.empty:
        parts.append(_sends(box.sends, zone, lang))
    parts.append("</div>")
    return "".join(parts)


def _corrections(sends: pd.DataFrame, zone: str) -> dict[str, tuple[str, str]]:
    """{failed address: (the corrected address a resend went to, when)}, the latest kept."""
    found: dict[str, tuple[str, str]] = {}
    for send in reversed(sends.to_dict("records")):   # oldest first: later ones win
        wrong, sent_to = send.get("corrects"), list(send["recipients"])
        if isinstance(wrong, str) and wrong and sent_to:
            found[wrong.lower()] = (", ".join(sent_to),
                                    format_local(_moment(send["requested_at"]), zone))
    return found


def _recipients(box, corrections: dict[str, tuple[str, str]], zone: str, lang: str) -> str:
    """Every recipient ever, with its latest state; "n envois" when it was in several, and
    where a failed one was corrected to."""
    head = "".join(f"<th>{_e(t(key))}</th>" for key in ("col.recipient", "col.state", "box.why"))
    rows = []
    for r in box.recipients.itertuples(index=False):
        when = format_local(_moment(r.state_at), zone)
        rows.append(
            f"<tr><td>{_e(r.address)} <span class='suivi-muted'>({_e(r.role)})</span>"
            + (f" <span class='suivi-muted'>· {_e(tf('box.in_sends', n=r.sends))}</span>"
               if r.sends > 1 else "")
            + f"</td><td><span class='suivi-state-{_e(r.state)}'>"
            f"{_e(word_for(DeliveryState, r.state, lang))}</span><br>"
            f"<span class='suivi-muted'>{_e(when)}</span></td>"
            f"<td>{_why(r, when, lang)}{_corrected(corrections.get(r.address.lower()))}</td></tr>")
    return (f'<table class="suivi-table" data-testid="suivi-recipients"><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')


def _corrected(correction: tuple[str, str] | None) -> str:
    if correction is None:
        return ""
    return (f'<br><span class="suivi-corrected" data-testid="suivi-corrected">↳ '
            f"{_e(tf('box.corrected', address=correction[0], when=correction[1]))}</span>")


def _why(r, when: str, lang: str) -> str:
    """The reason cell: for a failure, the dot (hover/click: what failed and why) and the plain
    words; otherwise what is still going on, if anything."""
    if r.state in FAILED:
        explanation = failure_explanation(r.reason, lang)
        if explanation == no_reason_given(lang):   # the server's reply is the only evidence
            said = _text(r.smtp_reply) or _text(r.diagnostic) or _text(r.reason)
        else:   # the words say the reason; support quotes the status code, not our key
            said = _text(r.status_code)
        dot = failure_dot(recipient_explanation(
            address=r.address, state=r.state, when=when, reason=r.reason,
            status_code=r.status_code, language=lang))
        cell = (f"{dot} {_e(explanation)} <span class=\"suivi-muted\" "
                f"data-testid=\"suivi-server-said\">{_e(said)}</span>")
    elif isinstance(r.reason, str) and r.reason and r.state != DeliveryState.DELIVERED:
        words = (pending_explanation(r.reason, lang) if r.state == DeliveryState.PENDING
                 else explain_reason(r.reason, lang))
        cell = f'<span class="suivi-muted">{_e(words)}</span>'
    else:
        cell = ""
    if r.complained:
        cell += f' <span class="suivi-q">⚑ {_e(t("box.complained"))}</span>'
    return cell


def _sends(sends: pd.DataFrame, zone: str, lang: str) -> str:
    """Every send, oldest first: n°, kind, date (account's zone), sender, mode, to whom."""
    items = []
    for n, send in enumerate(reversed(sends.to_dict("records")), start=1):
        recipients = ", ".join(list(send["recipients"]))
        override = (f' <span class="suivi-q" data-testid="suivi-override">'
                    f'⚠ {_e(t("box.overrode"))}</span>' if send["overrode_suppression"] else "")
        items.append(
            f"<li><b>{_e(word_for(SendKind, send['kind'], lang))}</b> — "
            f"{_e(format_local(_moment(send['requested_at']), zone))} — "
            f"{_e(t('box.by'))} {_e(sender_name(send))}"
            # a manual send's mode is its kind: said once
            + ("" if send["kind"] == SendKind.MANUAL
               else f" — {_e(word_for(SendingMode, send['mode'], lang))}")
            + (f' <span class="suivi-muted">({_e(t("box.to"))} {_e(recipients)})</span>'
               if recipients else "")
            + f"{override}</li>")
    return (f"<p><b>{_e(tf('box.sends_title', n=len(items)))}</b></p>"
            f'<ol class="suivi-sends" data-testid="suivi-sends">{"".join(items)}</ol>')
