"""The Mailbox page's tables in words: the watcher's state as sentences a person reads (not
`running True`), the messages read per state and kind, the queue to handle; and the returned
messages of one document (Document page)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tracking.clock import format_local
from ui.i18n import number, t
from ui.tables import CONSOLE_ZONE, labelled, on_account_clock, vocabulary_words

_COUNTS = {"match_state": "col.match", "kind": "col.bounce_kind", "messages": "col.messages",
           "latest": "col.latest"}
_QUEUE = {"received_at": "col.received_at", "kind": "col.bounce_kind",
          "match_state": "col.match", "subject": "col.subject", "detector": "col.detector"}
_RETURNED = {"received_at": "col.received_at", "kind": "col.bounce_kind",
             "subject": "col.subject", "match_state": "col.match", "match_method": "col.method"}


def _words() -> dict:
    return {**vocabulary_words(), "messages": lambda n: number(n)}


# Returned messages belong to no account until tied: their times are on the console's clock.
def counts_table(counts: pd.DataFrame) -> pd.DataFrame:
    return labelled(on_account_clock(counts, ["latest"]), _COUNTS, _words())


def queue_table(queue: pd.DataFrame) -> pd.DataFrame:
    return labelled(on_account_clock(queue, ["received_at"]), _QUEUE, _words())


def returned_table(returned: pd.DataFrame) -> pd.DataFrame:
    return labelled(on_account_clock(returned, ["received_at"]), _RETURNED, _words())


def _moment(value: dt.datetime | None) -> str:
    return "" if value is None else format_local(value, CONSOLE_ZONE)


def watcher_status(status) -> pd.DataFrame:
    """The mailbox watcher's status (`tracking.ingest_watch.MailboxStatus`) as sentences: what
    it reads, whether it runs and is connected, when it last looked, what waits, what failed."""
    if not status.running:
        state = t("watcher.stopped")
    elif status.needs_attention:
        state = t("watcher.attention")
    elif status.connected:
        state = t("watcher.idle") if status.idle else t("watcher.connected")
    else:
        state = t("watcher.disconnected")
    rows = [
        ("watcher.source", status.source),
        ("watcher.state", state),
        ("watcher.last_message", _moment(status.last_message_at)),
        ("watcher.last_check", _moment(status.last_check_at)),
        ("watcher.backlog", "" if status.backlog is None else number(status.backlog)),
        ("watcher.ingested", number(status.ingested)),
        ("watcher.error", status.last_error or ""),
        ("watcher.next_attempt", _moment(status.next_attempt_at)),
    ]
    return pd.DataFrame({t("col.setting"): [t(key) for key, _ in rows],
                         t("col.value"): [value for _, value in rows]})
