"""The counts behind the rates (`tracking.rates`): one scan of the deliveries of a period and of
the period before it.

Sized for a million documents: the two periods are read in one pass (a CASE splits them), the
percentiles are DuckDB's `quantile_cont` over the delivered rows only, and nothing but a
handful of numbers leaves the database. The raw server replies behind one reason are read a
page at a time, for the drill-down.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from tracking.labels import REASON_MISSING, REASON_OTHER
from tracking.models import DeliveryState, Reason, SendingMode
from tracking.rates import PERCENTILES, Period, PeriodCounts
from tracking.store.scope import Scope, in_scope

Cursor = duckdb.DuckDBPyConnection
_FAILED = [DeliveryState.NOT_SENT.value, DeliveryState.NOT_DELIVERED.value]
_TRACKED_MODES = [m.value for m in SendingMode if m.tracks_delivery]


def period_counts(cursor: Cursor, period: Period, account_id: str | None = None, *,
                  scope: Scope = None) -> tuple[PeriodCounts, PeriodCounts]:
    """(chosen period, previous period of the same length)."""
    previous = period.previous()
    scoped, scope_params = in_scope("s.account_id", scope)
    rows = cursor.execute(
        f"""SELECT s.requested_at >= ? AS current,
                   count(*) AS recipients,
                   count(*) FILTER (WHERE list_contains(?::VARCHAR[], x.state)) AS failures,
                   count(*) FILTER (WHERE list_contains(?::VARCHAR[], s.mode)) AS tracked,
                   count(*) FILTER (WHERE list_contains(?::VARCHAR[], s.mode)
                                      AND x.state = 'delivered') AS delivered,
                   quantile_cont(epoch(x.state_at - s.requested_at), ?::DOUBLE[])
                       FILTER (WHERE list_contains(?::VARCHAR[], s.mode)
                                 AND x.state = 'delivered') AS delays
            FROM deliveries x JOIN sends s ON s.id = x.send_id
            WHERE s.requested_at >= ? AND s.requested_at < ?
              AND (?::VARCHAR IS NULL OR s.account_id = ?)
              AND {scoped}
            GROUP BY ALL""",
        [period.since, _FAILED, _TRACKED_MODES, _TRACKED_MODES, list(PERCENTILES),
         _TRACKED_MODES, previous.since, period.until, account_id, account_id,
         *scope_params]).fetchall()
    found = {bool(row[0]): PeriodCounts(int(row[1]), int(row[2]), int(row[3]), int(row[4]),
                                        tuple(float(v) for v in row[5]) if row[5] else None)
             for row in rows}
    return found.get(True, PeriodCounts()), found.get(False, PeriodCounts())


def _reason_clause(reason_key: str) -> tuple[str, list]:
    """SQL for "the delivery's reason falls under this labelled family" (see tracking.labels)."""
    if reason_key == REASON_MISSING:
        return "x.reason IS NULL OR x.reason = ''", []
    if reason_key == REASON_OTHER:
        return "NOT list_contains(?::VARCHAR[], x.reason) AND x.reason <> ''", [
            [r.value for r in Reason]]
    return "x.reason = ?", [Reason(reason_key).value]


def server_replies(cursor: Cursor, period: Period, reason_key: str, account_id: str | None = None,
                   *, page: int = 0, page_size: int = 20,
                   scope: Scope = None) -> tuple[pd.DataFrame, int]:
    """The distinct raw replies (status code, SMTP reply or remote diagnostic) of the failed
    recipients whose reason is in `reason_key`'s family, most frequent first: one page, and how
    many distinct replies there are."""
    clause, clause_params = _reason_clause(reason_key)
    scoped, scope_params = in_scope("s.account_id", scope)
    base = f"""SELECT x.status_code, x.reason,
                      coalesce(nullif(x.diagnostic, ''), x.smtp_reply) AS reply
               FROM deliveries x JOIN sends s ON s.id = x.send_id
               WHERE list_contains(?::VARCHAR[], x.state)
                 AND s.requested_at >= ? AND s.requested_at < ?
                 AND (?::VARCHAR IS NULL OR s.account_id = ?)
                 AND ({clause}) AND {scoped}"""
    params = [_FAILED, period.since, period.until, account_id, account_id, *clause_params,
              *scope_params]
    rows = cursor.execute(
        f"""WITH base AS ({base})
            SELECT status_code, reason, reply, count(*) AS recipients,
                   count(*) OVER () AS distinct_replies
            FROM base GROUP BY ALL
            ORDER BY recipients DESC, reply NULLS LAST, status_code NULLS LAST
            LIMIT ? OFFSET ?""", [*params, page_size, page * page_size]).df()
    total = int(rows["distinct_replies"].iloc[0]) if not rows.empty else 0
    if rows.empty and page > 0:   # past the end: still say how many there are
        total = cursor.execute(f"SELECT count(*) FROM (SELECT DISTINCT * FROM ({base}))",
                               params).fetchall()[0][0]
    return rows.drop(columns=["distinct_replies"]), int(total)
