"""The counts behind the rates (`tracking.rates`): a period and the period before it.

Sized for a million documents: the four counts of whole-day periods (the console's) come from
the `delivery_counts` rollup; only the exact percentiles join deliveries to sends, over the
delivered recipients of tracked modes, both periods in one pass (a CASE splits them), with
`percentile_cont`. Other periods are counted from the deliveries in one scan. Nothing
but a handful of numbers leaves the database. The raw server replies behind one reason are read a
page at a time, for the drill-down.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from tracking.labels import REASON_MISSING, REASON_OTHER
from tracking.models import DeliveryState, Reason, SendingMode
from tracking.rates import PERCENTILES, Period, PeriodCounts
from tracking.store import delivery_counts
from tracking.store.scope import Scope, in_scope

Cursor = duckdb.DuckDBPyConnection
_FAILED = [DeliveryState.NOT_SENT.value, DeliveryState.NOT_DELIVERED.value]
_TRACKED_MODES = [m.value for m in SendingMode if m.tracks_delivery]
# The time-to-delivery percentiles of a group, in the SQL both engines accept: the ordered-set
# aggregate with an array of fractions gives an array (DuckDB's `quantile_cont` is its own
# spelling of the same), and `date_part('epoch', interval)` is seconds as a double on both.
_PERCENTILES_OF_DELAY = ("percentile_cont(?::DOUBLE PRECISION[]) WITHIN GROUP "
                         "(ORDER BY date_part('epoch', x.state_at - s.requested_at))")


def period_counts(cursor: Cursor, period: Period, account_id: str | None = None, *,
                  scope: Scope = None) -> tuple[PeriodCounts, PeriodCounts]:
    """(chosen period, previous period of the same length)."""
    previous = period.previous()
    if not delivery_counts.is_day_aligned(previous.since, period.since, period.until):
        return _period_counts_from_deliveries(cursor, period, account_id, scope)
    counts = _counts_from_rollup(cursor, period, account_id, scope)
    delays = _delays(cursor, period, account_id, scope)
    return tuple(PeriodCounts(*counts.get(current, (0, 0, 0, 0)),
                              delays.get(current) if counts.get(current, (0,) * 4)[3] else None)
                 for current in (True, False))


def _counts_from_rollup(cursor: Cursor, period: Period, account_id: str | None,
                        scope: Scope) -> dict[bool, tuple[int, int, int, int]]:
    """The four counts of both periods from the `delivery_counts` rollup (whole UTC days of
    the request: the console's periods), a few thousand rows instead of a million-row join."""
    scoped, scope_params = in_scope("account_id", scope)
    rows = cursor.execute(
        f"""SELECT current, sum(deliveries),
                   sum(CASE WHEN failed THEN deliveries ELSE 0 END),
                   sum(CASE WHEN tracked THEN deliveries ELSE 0 END),
                   sum(CASE WHEN tracked AND state = 'delivered' THEN deliveries ELSE 0 END)
            FROM (SELECT day >= ? AS current, state = ANY(?::VARCHAR[]) AS failed,
                         mode = ANY(?::VARCHAR[]) AS tracked, state, deliveries
                  FROM delivery_counts
                  WHERE day >= ? AND day < ? AND (?::VARCHAR IS NULL OR account_id = ?)
                    AND {scoped}) AS counted
            GROUP BY current""",
        [period.since, _FAILED, _TRACKED_MODES, period.previous().since, period.until,
         account_id, account_id, *scope_params]).fetchall()
    return {bool(row[0]): tuple(int(v or 0) for v in row[1:]) for row in rows if row[1]}


def _delays(cursor: Cursor, period: Period, account_id: str | None,
            scope: Scope) -> dict[bool, tuple[float, ...]]:
    """Exact time-to-delivery percentiles of both periods: the one read the rollup cannot
    answer (its buckets are too coarse). Only delivered recipients of tracked modes reach the
    join, and `state_at >= since` (a state is reached after its request) skips the deliveries
    older than both periods before the join. One row, a FILTER per period: grouped instead,
    PostgreSQL sorts every joined row by its group before the aggregates sort them again."""
    scoped, scope_params = in_scope("s.account_id", scope)
    since = period.previous().since
    row = cursor.execute(
        f"""SELECT {_PERCENTILES_OF_DELAY} FILTER (WHERE s.requested_at >= ?),
                   {_PERCENTILES_OF_DELAY} FILTER (WHERE s.requested_at < ?)
            FROM deliveries x JOIN sends s ON s.id = x.send_id
            WHERE x.state = 'delivered' AND x.state_at >= ?
              AND s.requested_at >= ? AND s.requested_at < ?
              AND s.mode = ANY(?::VARCHAR[])
              AND (?::VARCHAR IS NULL OR s.account_id = ?)
              AND {scoped}""",
        [list(PERCENTILES), period.since, list(PERCENTILES), period.since, since, since,
         period.until, _TRACKED_MODES, account_id, account_id, *scope_params]).fetchone()
    return {current: tuple(float(v) for v in delays)
            for current, delays in zip((True, False), row or (None, None)) if delays}


def _period_counts_from_deliveries(cursor: Cursor, period: Period, account_id: str | None,
                                   scope: Scope) -> tuple[PeriodCounts, PeriodCounts]:
    """`period_counts` for a period that does not fall on whole UTC days: one scan of the
    deliveries joined to their sends (a CASE splits the two periods)."""
    previous = period.previous()
    scoped, scope_params = in_scope("s.account_id", scope)
    rows = cursor.execute(
        f"""SELECT s.requested_at >= ? AS current,
                   count(*) AS recipients,
                   count(*) FILTER (WHERE x.state = ANY(?::VARCHAR[])) AS failures,
                   count(*) FILTER (WHERE s.mode = ANY(?::VARCHAR[])) AS tracked,
                   count(*) FILTER (WHERE s.mode = ANY(?::VARCHAR[])
                                      AND x.state = 'delivered') AS delivered,
                   {_PERCENTILES_OF_DELAY}
                       FILTER (WHERE s.mode = ANY(?::VARCHAR[])
                                 AND x.state = 'delivered') AS delays
            FROM deliveries x JOIN sends s ON s.id = x.send_id
            WHERE s.requested_at >= ? AND s.requested_at < ?
              AND (?::VARCHAR IS NULL OR s.account_id = ?)
              AND {scoped}
            GROUP BY 1""",
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
        return "NOT x.reason = ANY(?::VARCHAR[]) AND x.reason <> ''", [
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
               WHERE x.state = ANY(?::VARCHAR[])
                 AND s.requested_at >= ? AND s.requested_at < ?
                 AND (?::VARCHAR IS NULL OR s.account_id = ?)
                 AND ({clause}) AND {scoped}"""
    params = [_FAILED, period.since, period.until, account_id, account_id, *clause_params,
              *scope_params]
    rows = cursor.execute(
        f"""WITH base AS ({base})
            SELECT status_code, reason, reply, count(*) AS recipients,
                   count(*) OVER () AS distinct_replies
            FROM base GROUP BY status_code, reason, reply
            ORDER BY recipients DESC, reply NULLS LAST, status_code NULLS LAST
            LIMIT ? OFFSET ?""", [*params, page_size, page * page_size]).df()
    total = int(rows["distinct_replies"].iloc[0]) if not rows.empty else 0
    if rows.empty and page > 0:   # past the end: still say how many there are
        total = cursor.execute(f"SELECT count(*) FROM (SELECT DISTINCT * FROM ({base}) AS base) AS replies",
                               params).fetchall()[0][0]
    return rows.drop(columns=["distinct_replies"]), int(total)
